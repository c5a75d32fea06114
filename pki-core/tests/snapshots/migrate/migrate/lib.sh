# Shared by the migrate/ steps of cluster migrate (etcd-pki). Sourced, not run.
# Settings: ETCD_PKI_ROOT (prefix for files this member writes), EPKI_ENV_FILE (the member's
# env file, default /etc/etcd/etcd.env, loaded by the etcd-pki drop-in), EPKI_RESTART (how
# to restart this member, default: systemctl restart etcd), EPKI_ETCDCTL (etcdctl binary).
set -euo pipefail
here=$(cd "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
bundle=$(dirname "$here")
root=${ETCD_PKI_ROOT:-}
root=${root%/}
env_file="$root${EPKI_ENV_FILE:-/etc/etcd/etcd.env}"
members="etcd1 etcd2 etcd3"
loopback="http://127.0.0.1:2379"
for v in $(env | sed -n 's/^\(ETCDCTL_[A-Z0-9_]*\)=.*/\1/p'); do unset "$v"; done
admin="$bundle/clients/etcdctl"
member() {
  case "$1" in
  etcd1) ip=10.0.0.1; plain_client=http://10.0.0.1:2379; plain_peer=http://10.0.0.1:2380; tls_client=https://10.0.0.1:2379; tls_peer=https://10.0.0.1:2381; cert_dir=/etc/etcd/pki; data_dir=/var/lib/etcd ;;
  etcd2) ip=10.0.0.2; plain_client=http://10.0.0.2:2379; plain_peer=http://10.0.0.2:2380; tls_client=https://10.0.0.2:2379; tls_peer=https://10.0.0.2:2381; cert_dir=/etc/etcd/pki; data_dir=/var/lib/etcd ;;
  etcd3) ip=10.0.0.3; plain_client=http://10.0.0.3:2379; plain_peer=http://10.0.0.3:2380; tls_client=https://10.0.0.3:2379; tls_peer=https://10.0.0.3:2381; cert_dir=/etc/etcd/pki; data_dir=/var/lib/etcd ;;
    *) echo "migrate: no member named $1 (members: $members)" >&2; exit 2 ;;
  esac
}
ectl() {
  "${EPKI_ETCDCTL:-etcdctl}" --cacert="$admin/ca.crt" --cert="$admin/client.crt" --key="$admin/client.key" \
    --dial-timeout=3s --command-timeout=8s "$@"
}
say() { echo "migrate: $*"; }
refuse() { echo "migrate: REFUSED: $*" >&2; exit 3; }
# Whether something of the right scheme listens at a client URL. curl gives up at once on a
# closed port or a plain/TLS mismatch, where etcdctl would retry for its whole dial timeout.
answers() {
  command -v curl >/dev/null 2>&1 || return 0
  curl -s -o /dev/null -m 2 --cacert "$admin/ca.crt" --cert "$admin/client.crt" --key "$admin/client.key" "$1/health"
}
# Every member's current client URL as the cluster advertises it, via any reachable member.
any_endpoint() {
  local n
  for n in $members; do
    member "$n"
    for u in "$tls_client" "$plain_client"; do
      answers "$u" || continue
      if ectl --endpoints="$u" endpoint health >/dev/null 2>&1; then echo "$u"; return 0; fi
    done
  done
  return 1
}
cluster_healthy() {
  local ep
  ep=$(any_endpoint) || return 1
  ectl --endpoints="$ep" endpoint health --cluster >/dev/null 2>&1
}
member_list() {
  local ep
  ep=$(any_endpoint) || refuse "no member answers (plain or TLS); is the cluster running?"
  ectl --endpoints="$ep" member list
}
wait_healthy() {
  local deadline=$((SECONDS + 60))
  while [ "$SECONDS" -lt "$deadline" ]; do
    if cluster_healthy; then return 0; fi
    sleep 0.5
  done
  refuse "the cluster is not healthy 60 s after restarting $1: roll back this step (see migrate/README.md)"
}
restart_with() {
  local stage_file=$1 name=$2
  if [ -f "$env_file" ] && cmp -s "$stage_file" "$env_file"; then
    say "$name already runs with $(basename "$stage_file"); nothing to do"
    return 0
  fi
  mkdir -p "$(dirname "$env_file")"
  if [ -f "$env_file" ]; then cp -p "$env_file" "$env_file.before-$(basename "$stage_file" .env)"; fi
  cp "$stage_file" "$env_file"
  say "restarting $name with $(basename "$stage_file")"
  eval "${EPKI_RESTART:-systemctl restart etcd}"
  wait_healthy "$name"
  say "$name is back and the cluster is healthy"
}
