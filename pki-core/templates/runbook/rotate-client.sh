#!/usr/bin/env bash
# shellcheck shell=bash
# A client through a CA rotation or a same-key CA renewal (etcd-pki runbook). On the client's
# machine, as the user that owns its files, from its folder of the kit (clients/<name>/):
#   bash rotate/rotate-client.sh 1|2|3|renew DIR
# DIR is the folder where the client's ca.crt, client.crt and client.key are installed (for
# etcdctl, the folder its etcdctl-env.sh names). Each file is replaced by rename, keeping its
# owner and mode; the old one stays beside it as NAME.before-rotation.
#   1      ca.crt becomes old + new CA          (after phase 1 on every member, before phase 2)
#   2      client.crt/key from the new CA       (after phase 1 on every member)
#   3      ca.crt becomes the new CA alone      (after phase 2 on every member)
#   renew  ca.crt becomes the renewed CA certificate (same-key renewal, any time)
# Then it connects to the cluster with the files as they are now. What the client must do to
# read them (restart, reload, nothing) depends on what it is: printed at the end.
set -euo pipefail
prog=rotate-client
rot=$(cd "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
here=$(cd "$rot/.." && pwd)
case "${1:-}" in
  -h|--help) sed -n '3,15p' "$0"; exit 0 ;;
  1|2|3|renew) phase=$1 ;;
  *) echo "$prog: say which step: 1, 2, 3 or renew (see --help)" >&2; exit 2 ;;
esac
to=${2:-}
[ -n "$to" ] || { echo "$prog: say which folder holds the client's installed ca.crt, client.crt and client.key" >&2; exit 2; }
[ -f "$rot/rotate.env" ] || { echo "$prog: $rot/rotate.env is missing: run the script from its folder of the kit etcd-pki wrote" >&2; exit 2; }
# shellcheck source=/dev/null
. "$rot/rotate.env"
: "${CLIENT:?}" "${KIND:?}" "${ENDPOINTS:?}" "${OLD_CA_SHA256:?}" "${NEW_CA_SHA256:?}"
refuse() { echo "$prog: REFUSED: $*" >&2; exit 3; }
say() { echo "$prog: $*"; }
if [ ! -d "$to" ] || [ -L "$to" ]; then refuse "$to is not a folder"; fi
for f in ca.crt client.crt client.key; do
  if [ -L "$to/$f" ]; then refuse "$to/$f is a symbolic link; replace it with the file"; fi
  [ -f "$to/$f" ] || refuse "$to/$f is missing: is $to where client $CLIENT's files are?"
done
fingerprints() {
  local cert
  while IFS= read -r -d '' cert; do
    printf '%s' "$cert" | openssl x509 -noout -fingerprint -sha256 2>/dev/null | cut -d= -f2
  done < <(awk '/-----BEGIN CERTIFICATE-----/ {c = ""} {c = c $0 "\n"} /-----END CERTIFICATE-----/ {printf "%s%c", c, 0}' "$1") | sort | tr '\n' ' ' | sed 's/ $//'
}
both=$(printf '%s\n%s\n' "$OLD_CA_SHA256" "$NEW_CA_SHA256" | sort | tr '\n' ' ' | sed 's/ $//')
trust=$(fingerprints "$to/ca.crt")
new_cert() { cmp -s "$here/client.crt" "$to/client.crt"; }
# put SRC NAME...: each SRC replaces $to/NAME by rename, keeping owner and mode; pairs
# renamed by one mv.
stage=""
cleanup() { if [ -n "$stage" ]; then rm -rf -- "$stage"; fi; }
trap cleanup EXIT
put() {
  stage=$(mktemp -d "$to/.etcd-pki-rotate.XXXXXX")
  local names=() src name
  while [ $# -gt 0 ]; do
    src=$1 name=$2
    shift 2
    cp -p -- "$to/$name" "$to/$name.before-rotation"
    install -o "$(stat -c %u "$to/$name")" -g "$(stat -c %g "$to/$name")" -m "$(stat -c %a "$to/$name")" "$src" "$stage/$name"
    names+=("$stage/$name")
  done
  mv -f -t "$to" -- "${names[@]}"
  rmdir "$stage"
  stage=""
}

case "$phase" in
  1)
    if [ "$trust" = "$both" ]; then say "$to/ca.crt holds both CAs already"
    elif [ "$trust" = "$OLD_CA_SHA256" ]; then put "$rot/both-ca.crt" ca.crt; say "$to/ca.crt now holds the old and the new CA"
    else refuse "$to/ca.crt holds neither the old CA alone nor both ($trust): step 1 comes first in a rotation"
    fi ;;
  2)
    [ "$trust" = "$both" ] || refuse "$to/ca.crt does not hold both CAs: run step 1 first (rotate-client.sh 1)"
    if new_cert; then say "$to/client.crt is the new one already"
    else put "$here/client.crt" client.crt "$here/client.key" client.key; say "$to/client.crt and client.key are from the new CA now"
    fi ;;
  3)
    new_cert || refuse "$to/client.crt is still the old CA's: run step 2 first (rotate-client.sh 2)"
    if [ "$trust" = "$NEW_CA_SHA256" ]; then say "$to/ca.crt holds only the new CA already"
    elif [ "$trust" = "$both" ]; then put "$here/ca.crt" ca.crt; say "$to/ca.crt now holds only the new CA"
    else refuse "$to/ca.crt holds CAs this kit does not know ($trust)"
    fi ;;
  renew)
    if [ "$trust" = "$NEW_CA_SHA256" ]; then say "$to/ca.crt is the renewed CA certificate already"
    elif [ "$trust" = "$OLD_CA_SHA256" ]; then put "$here/ca.crt" ca.crt; say "$to/ca.crt is the renewed CA certificate now"
    else refuse "$to/ca.crt is not the CA certificate this kit renews ($trust)"
    fi ;;
esac

# The files as they are now, on a new connection.
ok=""
for ep in ${ENDPOINTS//,/ }; do
  # The answer captured, not piped into grep -q (which can fail the pipe under pipefail).
  if [[ "$(curl -sS --max-time 5 --cacert "$to/ca.crt" --cert "$to/client.crt" --key "$to/client.key" "$ep/version" 2>/dev/null)" == *etcdserver* ]]; then
    ok=$ep; break
  fi
done
if [ -n "$ok" ]; then say "ok: $ok accepts client $CLIENT with these files"
else echo "$prog: WARNING: no member accepted client $CLIENT with these files ($ENDPOINTS); the previous ones are $to/*.before-rotation" >&2
fi
case "$KIND" in
  etcdctl) say "etcdctl reads the files at every run: nothing to restart" ;;
  kube-apiserver) say "kube-apiserver reads its etcd CA and certificate at start: restart it (static pod: move its manifest out of /etc/kubernetes/manifests and back), one control-plane node at a time" ;;
  patroni) say "Patroni reads the files when it connects: restart it (systemctl restart patroni), one node at a time" ;;
  *) say "restart or reload $CLIENT ($KIND) so that it reads the new files; a client that connects anew each time needs nothing" ;;
esac
