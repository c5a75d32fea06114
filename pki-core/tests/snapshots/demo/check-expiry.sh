#!/usr/bin/env bash
# Lists every certificate of etcd cluster demo's bundle with days left, soonest first
# (etcd-pki). Exit status 1 when one expires within --days N (default 30).
#   bash check-expiry.sh [--days N] [FOLDER]      FOLDER: this bundle (default) or e.g. /etc/etcd/pki
# At generation the certificates expired:
#   2046-11-19T12:00:00Z  ca.crt
#   2036-11-21T12:00:00Z  issuing-ca.crt
#   2029-02-26T12:00:00Z  members/etcd1/pki/server.crt
#   2029-02-26T12:00:00Z  members/etcd1/pki/peer.crt
#   2029-02-26T12:00:00Z  members/etcd2/pki/server.crt
#   2029-02-26T12:00:00Z  members/etcd2/pki/peer.crt
#   2029-02-26T12:00:00Z  members/etcd3/pki/server.crt
#   2029-02-26T12:00:00Z  members/etcd3/pki/peer.crt
#   2029-02-26T12:00:00Z  clients/etcdctl/client.crt
#   2029-02-26T12:00:00Z  clients/app/client.crt
set -euo pipefail
days=30
dir=$(cd "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
while [ $# -gt 0 ]; do
  case "$1" in
    --days) days=${2:?--days needs a number}; shift 2 ;;
    -*) echo "check-expiry: unknown option $1" >&2; exit 2 ;;
    *) dir=$1; shift ;;
  esac
done
now=$(date +%s)
soon=0
seen=""
names=""
# A CRL (crl.der, etcd-pki revoke) is listed by its next update: etcd ignores that date, but
# openssl and other verifiers refuse the CRL after it.
rows=$( {
  find "$dir" -name '*.crt' -type f | sort | while read -r f; do
    fp=$(openssl x509 -in "$f" -noout -fingerprint -sha256 | cut -d= -f2)
    case " $seen " in *" $fp "*) continue ;; esac
    seen="$seen $fp"
    end=$(openssl x509 -in "$f" -noout -enddate | cut -d= -f2)
    left=$(( ($(date -d "$end" +%s) - now) / 86400 ))
    subject=$(openssl x509 -in "$f" -noout -subject -nameopt oneline | sed 's/^subject= *//')
    printf '%s\t%s\t%s\t%s\n' "$left" "$end" "${f#"$dir"/}" "$subject"
  done
  find "$dir" -name 'crl.der' -type f | sort | while read -r f; do
    fp=$(sha256sum < "$f" | cut -d' ' -f1)
    case " $seen " in *" $fp "*) continue ;; esac
    seen="$seen $fp"
    end=$(openssl crl -inform DER -in "$f" -noout -nextupdate 2>/dev/null | cut -d= -f2) || continue
    [ -n "$end" ] || continue
    left=$(( ($(date -d "$end" +%s) - now) / 86400 ))
    n=$(openssl crl -inform DER -in "$f" -noout -text | grep -c 'Serial Number:' || true)
    printf '%s\t%s\t%s\t%s\n' "$left" "$end" "${f#"$dir"/}" "CRL next update, $n revoked; etcd-pki revoke --next-update DAYS makes the next"
  done
} | sort -n)
printf '%-6s  %-26s  %s\n' "days" "not after" "certificate"
while IFS=$'\t' read -r left end path subject; do
  [ -z "$left" ] && continue
  flag=""
  if [ "$left" -lt "$days" ]; then
    flag="  <- within $days days"; soon=$((soon + 1))
    # The member or client it belongs to, from a bundle's path (members/<name>/, clients/<name>/).
    who=$(printf '%s\n' "$path" | sed -n 's#^\(.*/\)\{0,1\}\(members\|clients\)/\([^/]*\)/.*#\3#p')
    if [ -n "$who" ]; then
      case " $names " in *" $who "*) ;; *) names="$names $who" ;; esac
    fi
  fi
  printf '%-6s  %-26s  %s (%s)%s\n' "$left" "$end" "$path" "$subject" "$flag"
done <<< "$rows"
if [ "$soon" -gt 0 ]; then
  echo "check-expiry: $soon certificate(s) or CRL(s) expire within $days days. Renew them where the CA key is,"
  echo "from the newest bundle of this cluster (NEWEST.zip), then run each member's renew.sh:"
  only=""
  for n in $names; do only="$only --only $(printf '%q' "$n")"; done
  echo "  etcd-pki renew --from NEWEST.zip --ca-key CA_KEY$only --within $days --out NEW.zip"
  # The bundle does not know where its CA key is kept (never in the bundle; a path of the
  # machine that made it), nor whether it was imported: say which file it is.
  echo "where CA_KEY is this cluster's CA key file: "'demo-ca.key'" if etcd-pki generate made the CA"
  echo "(beside the first bundle unless --ca-key-out named another), "'demo-ca-new.key'" after"
  echo "etcd-pki rotate-ca, or the key of the CA you imported (generate --ca-key)."
  exit 1
fi
echo "check-expiry: nothing expires within $days days"
