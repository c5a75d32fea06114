# etcdctl settings for client {{ name }} (etcd user "{{ cn }}") of cluster {{ cluster }}.
# Sourced, not run (no shebang); bash and zsh find the files beside it.
# shellcheck shell=bash
# Use it from any directory:   . path/to/{{ name }}/etcdctl-env.sh && etcdctl endpoint health
# It finds ca.crt, client.crt and client.key beside itself (in bash and zsh); in another
# shell set ETCD_PKI_CLIENT_DIR to this folder first.
# etcdctl refuses a flag that repeats one of these variables (e.g. --endpoints): override
# with the variable instead, ETCDCTL_ENDPOINTS=https://10.0.0.9:2379 etcdctl member list
if [ -n "${ETCD_PKI_CLIENT_DIR:-}" ]; then
  _etcd_pki_dir=$ETCD_PKI_CLIENT_DIR
elif [ -n "${BASH_SOURCE:-}" ]; then
  _etcd_pki_dir=$(cd "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
else
  _etcd_pki_dir=$(cd "$(dirname -- "$0")" && pwd)
fi
export ETCDCTL_API=3
export ETCDCTL_ENDPOINTS={{ endpoints }}
export ETCDCTL_CACERT="$_etcd_pki_dir/ca.crt"
export ETCDCTL_CERT="$_etcd_pki_dir/client.crt"
export ETCDCTL_KEY="$_etcd_pki_dir/client.key"
# A refused or unreachable member otherwise hangs etcdctl for its default timeouts.
export ETCDCTL_DIAL_TIMEOUT=5s
export ETCDCTL_COMMAND_TIMEOUT=10s
unset _etcd_pki_dir
