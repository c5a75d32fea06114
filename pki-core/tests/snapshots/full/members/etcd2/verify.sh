#!/usr/bin/env bash
# Checks member etcd2 of cluster full as installed (etcd-pki):
#   bash verify.sh [--health] [--client DIR]      (from members/etcd2/ on etcd2, as root)
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
d="$root"'/etc/etcd/pki'
member_ips='10.0.0.2 2001:db8::2'
fails=0
ok() { echo "ok    $*"; }
bad() { echo "FAIL  $*"; fails=$((fails + 1)); }
# This machine's addresses, one a line, of the network namespace this runs in: IPv4 from the
# kernel's local table (/proc/net/fib_trie, "/32 host LOCAL"), IPv6 from /proc/net/if_inet6
# (written as `ip` writes them), both read whole from a file; then what `ip` and `hostname -I`
# add. Each source that fails or is missing adds nothing instead of ending the script under
# `set -e`: `hostname` is not installed everywhere, and a netlink dump (which both commands
# make) fails with "Dump was interrupted" when an address or interface changes meanwhile.
have=$( { awk '/\/32 host LOCAL/ { print prev } { prev = $2 }' /proc/net/fib_trie 2>/dev/null || true
  awk '{ for (i = 0; i < 8; i++) { g = substr($1, 4 * i + 1, 4); sub(/^0+/, "", g); a[i] = (g == "" ? "0" : g) }
    b = -1; l = 1; for (i = 0; i < 8; i++) { j = i; while (j < 8 && a[j] == "0") j++; if (j - i > l) { b = i; l = j - i } }
    s = ""; for (i = 0; i < 8; i++) { if (i == b) { s = s "::"; i += l - 1 } else s = s (s == "" || s ~ /:$/ ? "" : ":") a[i] }
    print s }' /proc/net/if_inet6 2>/dev/null || true
  ip -o addr show 2>/dev/null | awk '{print $4}' | cut -d/ -f1 || true
  hostname -I 2>/dev/null | tr ' ' '\n' || true; } | sed '/^$/d' | sort -u)
# on_this_machine IP: whether IP is one of them (a shell pattern, no pipe into grep -q); every
# address of 127.0.0.0/8 is (Linux routes the whole block to lo, listed or not).
on_this_machine() { case "$1" in 127.*) return 0 ;; esac; case $'\n'"$have"$'\n' in *$'\n'"$1"$'\n'*) return 0 ;; esac; return 1; }
for kind in server peer; do
  crt="$d/$kind.crt"
  key="$d/$kind.key"
  if [ ! -f "$crt" ] || [ ! -f "$key" ]; then bad "$crt or $key is missing"; continue; fi
  if openssl verify -CAfile "$d/ca.crt" -untrusted "$crt" "$crt" >/dev/null 2>&1; then ok "$kind.crt is signed by ca.crt"; else bad "$kind.crt does not verify against $d/ca.crt"; fi
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
  if [ "$client" = own ]; then cacert="$d/ca.crt"; cert="$d/server.crt"; ckey="$d/server.key"
  else cacert="$client/ca.crt"; cert="$client/client.crt"; ckey="$client/client.key"; fi
  for v in $(env | sed -n 's/^\(ETCDCTL_[A-Z0-9_]*\)=.*/\1/p'); do unset "$v"; done
  if "${EPKI_ETCDCTL:-etcdctl}" --endpoints=https://10.0.0.2:2379 --cacert="$cacert" --cert="$cert" \
      --key="$ckey" --dial-timeout=5s --command-timeout=10s endpoint health >/dev/null 2>&1; then
    ok "etcd at https://10.0.0.2:2379 is healthy"
  else
    bad "etcd at https://10.0.0.2:2379 is not healthy or refuses $cert (journalctl -u etcd says why)"
  fi
fi
if [ "$fails" -gt 0 ]; then echo "verify: $fails check(s) failed"; exit 1; fi
echo "verify: member etcd2 checks out"
