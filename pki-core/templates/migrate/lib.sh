# Shared by the migrate/ steps of member {{ me }} of cluster {{ cluster }} (etcd-pki). Sourced, not run.
# Its variables are used by the step scripts that source it:
# shellcheck shell=bash disable=SC2034
# Settings: ETCD_PKI_ROOT (prefix for files this member writes), EPKI_ENV_FILE (the member's
# env file, default /etc/etcd/etcd.env, loaded by the etcd-pki drop-in), EPKI_RESTART (how
# to restart this member, default: systemctl restart etcd), EPKI_ETCDCTL (etcdctl binary),
# EPKI_CLIENT_CERT/EPKI_CLIENT_KEY (another identity than this member's server certificate,
# e.g. root's client certificate when auth is already enabled on the plain cluster).
set -euo pipefail
umask 022
here=$(cd "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
mdir=$(dirname "$here")
self="{{ me }}"
root=${ETCD_PKI_ROOT:-}
root=${root%/}
env_file="$root${EPKI_ENV_FILE:-/etc/etcd/etcd.env}"
members="{{ names }}"
loopback="http://127.0.0.1:{{ lport }}"
for v in $(env | sed -n 's/^\(ETCDCTL_[A-Z0-9_]*\)=.*/\1/p'); do unset "$v"; done
# This member's own certificate as the client identity: it carries clientAuth.
cacert="$mdir/pki/ca.crt"
ccert=${EPKI_CLIENT_CERT:-$mdir/pki/server.crt}
ckey=${EPKI_CLIENT_KEY:-$mdir/pki/server.key}
member() {
  case "$1" in
{%- for r in rows %}
  {{ r.name }}) ip={{ r.ip }}; plain_client={{ r.plain_client }}; plain_peer={{ r.plain_peer }}; tls_client={{ r.tls_client }}; tls_peer={{ r.tls_peer }}; cert_dir={{ r.cert_dir }}; data_dir={{ r.data_dir }} ;;
{%- endfor %}
    *) echo "migrate: no member named $1 (members: $members)" >&2; exit 2 ;;
  esac
}
# this_member NAME: these scripts are member {{ me }}'s; another member runs its own folder's.
this_member() {
  if [ "$1" != "$self" ]; then
    echo "migrate: this is member $self's folder; run members/$1/migrate/ on $1" >&2
    exit 2
  fi
  member "$1"
}
ectl() {
  "${EPKI_ETCDCTL:-etcdctl}" --cacert="$cacert" --cert="$ccert" --key="$ckey" \
    --dial-timeout=3s --command-timeout=8s "$@"
}
say() { echo "migrate: $*"; }
refuse() { echo "migrate: REFUSED: $*" >&2; exit 3; }
{% include "shell/safe-dir.sh" %}
# Whether something of the right scheme listens at a client URL. curl gives up at once on a
# closed port or a plain/TLS mismatch, where etcdctl would retry for its whole dial timeout.
answers() {
  command -v curl >/dev/null 2>&1 || return 0
  curl -s -o /dev/null -m 2 --cacert "$cacert" --cert "$ccert" --key "$ckey" "$1/health"
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
  local dir
  dir=$(dirname "$env_file")
  safe_dir "$dir"
  [ -d "$dir" ] || install -d -m 0755 -o root -g root "$dir"
  if [ -L "$env_file" ]; then refuse "$env_file is a symbolic link; replace it with the file"; fi
  if [ -f "$env_file" ]; then cp -p "$env_file" "$env_file.before-$(basename "$stage_file" .env)"; fi
  install -m 0644 -o root -g root "$stage_file" "$env_file.etcd-pki-$$"
  mv -fT "$env_file.etcd-pki-$$" "$env_file"
  say "restarting $name with $(basename "$stage_file")"
  eval "${EPKI_RESTART:-systemctl restart etcd}"
  wait_healthy "$name"
  say "$name is back and the cluster is healthy"
}
