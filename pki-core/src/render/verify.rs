//! A member's `verify.sh`: checks the installed files as openssl sees them — the chain, that
//! each key belongs to its certificate, key modes, that the certificates name this machine's
//! addresses, days to expiry — and, given an admin client's folder, etcd's own health.

use super::{MemberPlan, env::files};
use crate::spec::ClusterSpec;

/// Renders `members/<name>/verify.sh`.
pub fn render(spec: &ClusterSpec, m: &MemberPlan) -> String {
    let ips = super::quote::sh(&m.ip_words());
    let url = m.advertise_client_urls.first().cloned().unwrap_or_default();
    format!(
        r#"#!/usr/bin/env bash
# Checks member {name} of cluster {cluster} as installed (etcd-pki):
#   bash members/{name}/verify.sh [--client clients/etcdctl]
# One line per check, ok or FAIL; exit status 1 if anything failed. With --client (a folder
# holding ca.crt, client.crt, client.key) it also asks etcd for this member's health.
# ETCD_PKI_ROOT=/some/dir checks an installation under that folder.
set -uo pipefail
root=${{ETCD_PKI_ROOT:-}}
root=${{root%/}}
client=""
while [ $# -gt 0 ]; do
  case "$1" in
    --client) client=${{2:-}}; shift 2 ;;
    *) echo "verify: unknown option $1" >&2; exit 2 ;;
  esac
done
d="$root"{cert_dir}
member_ips={ips}
fails=0
ok() {{ echo "ok    $*"; }}
bad() {{ echo "FAIL  $*"; fails=$((fails + 1)); }}
{host_addresses}
for kind in server peer; do
  crt="$d/$kind.crt"
  key="$d/$kind.key"
  if [ ! -f "$crt" ] || [ ! -f "$key" ]; then bad "$crt or $key is missing"; continue; fi
  if openssl verify -CAfile "$d/{ca}" "$crt" >/dev/null 2>&1; then ok "$kind.crt is signed by {ca}"; else bad "$kind.crt does not verify against $d/{ca}"; fi
  if [ "$(openssl pkey -in "$key" -pubout 2>/dev/null)" = "$(openssl x509 -in "$crt" -noout -pubkey 2>/dev/null)" ] && [ -n "$(openssl pkey -in "$key" -pubout 2>/dev/null)" ]; then
    ok "$kind.key belongs to $kind.crt"
  else
    bad "$key does not belong to $crt (a key from another bundle?)"
  fi
  mode=$(stat -c %a "$key")
  if [ "$mode" = 600 ]; then ok "$kind.key has mode 600"; else bad "$key has mode $mode; want 600 (chmod 600 $key)"; fi
  end=$(openssl x509 -in "$crt" -noout -enddate | cut -d= -f2)
  left=$(( ($(date -d "$end" +%s) - $(date +%s)) / 86400 ))
  if [ "$left" -ge 30 ]; then ok "$kind.crt is valid for $left more days ($end)"; else bad "$kind.crt expires in $left days ($end): renew it"; fi
  for ip in $member_ips; do
    if printf '%s\n' "$have" | grep -qxF "$ip"; then
      if openssl x509 -in "$crt" -noout -checkip "$ip" 2>/dev/null | grep -q "does match"; then
        ok "$kind.crt names this machine's address $ip"
      else
        bad "$kind.crt does not name $ip, an address of this machine"
      fi
    fi
  done
done
if [ -n "$client" ]; then
  for v in $(env | sed -n 's/^\(ETCDCTL_[A-Z0-9_]*\)=.*/\1/p'); do unset "$v"; done
  if "${{EPKI_ETCDCTL:-etcdctl}}" --endpoints={url} --cacert="$client/ca.crt" --cert="$client/client.crt" \
      --key="$client/client.key" --dial-timeout=5s --command-timeout=10s endpoint health >/dev/null 2>&1; then
    ok "etcd at {url} is healthy"
  else
    bad "etcd at {url} is not healthy or refuses $client (journalctl -u etcd says why)"
  fi
fi
if [ "$fails" -gt 0 ]; then echo "verify: $fails check(s) failed"; exit 1; fi
echo "verify: member {name} checks out"
"#,
        name = m.name,
        cluster = spec.cluster_name,
        host_addresses = super::HOST_ADDRESSES,
        cert_dir = super::quote::sh(&m.cert_dir),
        ca = files::CA_CERT,
    )
}
