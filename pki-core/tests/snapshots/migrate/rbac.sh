#!/usr/bin/env bash
# Users and roles of etcd cluster migrate (etcd 3.5), from its client certificates (etcd-pki).
# Run from the unpacked bundle on a machine that reaches the members, once the cluster is up:
#   bash rbac.sh
# It connects as root with clients/etcdctl/, creates root and one user per client CN, gives each
# its roles, then runs `auth enable`: from then on a client's certificate CN is its etcd user.
# Safe to run again. etcdctl comes from PATH, or set EPKI_ETCDCTL.
set -euo pipefail
cd "$(dirname -- "${BASH_SOURCE[0]}")"
# etcdctl refuses a flag that repeats an ETCDCTL_* variable: clear them, pass flags only.
for v in $(env | sed -n 's/^\(ETCDCTL_[A-Z0-9_]*\)=.*/\1/p'); do unset "$v"; done
ectl() {
  "${EPKI_ETCDCTL:-etcdctl}" --endpoints=https://10.0.0.1:2379,https://10.0.0.2:2379,https://10.0.0.3:2379 \
    --cacert=clients/etcdctl/ca.crt --cert=clients/etcdctl/client.crt --key=clients/etcdctl/client.key \
    --dial-timeout=5s --command-timeout=10s "$@"
}
if ! ectl endpoint health >/dev/null 2>&1; then
  echo "rbac: cannot reach the cluster as root at https://10.0.0.1:2379,https://10.0.0.2:2379,https://10.0.0.3:2379; start it first (see README.md)" >&2
  exit 1
fi
user() {
  if ectl user get "$1" >/dev/null 2>&1; then
    echo "rbac: user $1 already exists"
  else
    ectl user add "$1" --no-password >/dev/null
    echo "rbac: created user $1"
  fi
}
role() {
  if ectl role get "$1" >/dev/null 2>&1; then
    echo "rbac: role $1 already exists"
  else
    ectl role add "$1" >/dev/null
    echo "rbac: created role $1"
  fi
}
grant_role() {
  ectl user grant-role "$1" "$2" >/dev/null
  echo "rbac: user $1 has role $2"
}
grant() {
  ectl role grant-permission --prefix=true "$1" "$2" "$3" >/dev/null
  echo "rbac: role $1 may $2 keys under $3"
}

# root: the administrator (etcd needs user root with role root before auth can be enabled).
role root
user root
grant_role root root

# client kube-apiserver: etcd user kube-apiserver
user 'kube-apiserver'
role 'root'
grant_role 'kube-apiserver' 'root'

# Turning auth on when it is on already changes nothing.
ectl auth enable >/dev/null
echo "rbac: authentication is enabled; each client's certificate CN is its etcd user"
