#!/usr/bin/env bash
# Checks member {{ name }} of cluster {{ cluster }} as installed (etcd-pki):
#   bash verify.sh [--health] [--client DIR]      (from members/{{ name }}/ on {{ name }}, as root)
# One line per check, ok or FAIL; exit status 1 if anything failed. --health also asks etcd
# for this member's health with the member's own server certificate; --client DIR (holding
# ca.crt, client.crt, client.key) with that client's instead.
# ETCD_PKI_ROOT=/some/dir checks an installation under that folder.
set -uo pipefail
root=${ETCD_PKI_ROOT:-}
root=${root%/}
client=""
while [ $# -gt 0 ]; do
  case "$1" in
    --client) client=${2:-}; shift 2 ;;
    --health) client=own; shift ;;
    *) echo "verify: unknown option $1" >&2; exit 2 ;;
  esac
done
d="$root"{{ cert_dir }}
member_ips={{ ips_sh }}
fails=0
ok() { echo "ok    $*"; }
bad() { echo "FAIL  $*"; fails=$((fails + 1)); }
{% include "shell/host-addresses.sh" %}
for kind in server peer; do
  crt="$d/$kind.crt"
  key="$d/$kind.key"
  if [ ! -f "$crt" ] || [ ! -f "$key" ]; then bad "$crt or $key is missing"; continue; fi
  if openssl verify -CAfile "$d/{{ ca }}" -untrusted "$crt" "$crt" >/dev/null 2>&1; then ok "$kind.crt is signed by {{ ca }}"; else bad "$kind.crt does not verify against $d/{{ ca }}"; fi
  if [ "$(openssl pkey -in "$key" -pubout 2>/dev/null)" = "$(openssl x509 -in "$crt" -noout -pubkey 2>/dev/null)" ] && [ -n "$(openssl pkey -in "$key" -pubout 2>/dev/null)" ]; then
    ok "$kind.key belongs to $kind.crt"
  else
    bad "$key does not belong to $crt (a key from another bundle?)"
  fi
  mode=$(stat -c '%a %U' "$key")
  if [ "$mode" = "640 root" ]; then ok "$kind.key has mode 640, owner root"; else bad "$key has mode and owner $mode; want 640 root (run install.sh again)"; fi
  end=$(openssl x509 -in "$crt" -noout -enddate | cut -d= -f2)
  left=$(( ($(date -d "$end" +%s) - $(date +%s)) / 86400 ))
  if [ "$left" -ge 30 ]; then ok "$kind.crt is valid for $left more days ($end)"; else bad "$kind.crt expires in $left days ($end): renew it"; fi
  for ip in $member_ips; do
    if on_this_machine "$ip"; then
      # Output captured, not piped into grep -q (which can fail the pipe under pipefail).
      if [[ "$(openssl x509 -in "$crt" -noout -checkip "$ip" 2>/dev/null)" == *"does match"* ]]; then
        ok "$kind.crt names this machine's address $ip"
      else
        bad "$kind.crt does not name $ip, an address of this machine"
      fi
    fi
  done
done
if [ -n "$client" ]; then
  if [ "$client" = own ]; then cacert="$d/{{ ca }}"; cert="$d/server.crt"; ckey="$d/server.key"
  else cacert="$client/ca.crt"; cert="$client/client.crt"; ckey="$client/client.key"; fi
  for v in $(env | sed -n 's/^\(ETCDCTL_[A-Z0-9_]*\)=.*/\1/p'); do unset "$v"; done
  if "${EPKI_ETCDCTL:-etcdctl}" --endpoints={{ url }} --cacert="$cacert" --cert="$cert" \
      --key="$ckey" --dial-timeout=5s --command-timeout=10s endpoint health >/dev/null 2>&1; then
    ok "etcd at {{ url }} is healthy"
  else
    bad "etcd at {{ url }} is not healthy or refuses $cert (journalctl -u etcd says why)"
  fi
fi
if [ "$fails" -gt 0 ]; then echo "verify: $fails check(s) failed"; exit 1; fi
echo "verify: member {{ name }} checks out"
