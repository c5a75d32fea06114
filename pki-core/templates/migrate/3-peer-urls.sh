#!/usr/bin/env bash
# Step 3, once, on any member: switch every member's advertised peer URL to TLS with
# `etcdctl member update`, one member at a time.
#   bash migrate/3-peer-urls.sh
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"
cluster_healthy || refuse "the cluster is not healthy"
for n in $members; do
  member "$n"
  host=${tls_peer#https://}
  # Captured, not piped into grep -q: s_client writes on after the line grep stops at, and
  # the SIGPIPE would fail the pipe under pipefail and refuse a member that is ready.
  hello=$(openssl s_client -connect "$host" -CAfile "$cacert" -cert "$ccert" -cert_chain "$ccert" -key "$ckey" </dev/null 2>/dev/null || true)
  if [[ "$hello" != *"Verify return code: 0"* ]]; then
    refuse "$n does not serve TLS peers at $tls_peer yet: run step 2 first (bash migrate/2-listeners.sh $n)"
  fi
done
for n in $members; do
  member "$n"
  line=$(member_list | grep ", $n, ")
  id=${line%%,*}
  case "$line" in
    *"$tls_peer"*) say "$n already advertises $tls_peer" ; continue ;;
  esac
  ep=$(any_endpoint)
  ectl --endpoints="$ep" member update "$id" --peer-urls="$tls_peer" >/dev/null
  say "$n now advertises $tls_peer"
  wait_healthy "$n"
done
say "every member talks TLS to its peers"
say "next: on each member in turn: bash migrate/4-client-https.sh <member>"
