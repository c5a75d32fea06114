//! `clients/<name>/etcdctl-env.sh`: sourced by a shell, it points etcdctl v3 at the cluster
//! with this client's certificate. Paths are relative to the script, so the folder works
//! wherever it is unpacked.

use crate::plan::{Plan, client_endpoints};
use crate::spec::Client;

/// Renders the script for one client.
pub fn render(plan: &Plan, c: &Client) -> String {
    let spec = &plan.spec;
    let endpoints = super::quote::sh(&client_endpoints(&plan.members).join(","));
    format!(
        r#"# etcdctl settings for client {name} (etcd user "{cn}") of cluster {cluster}.
# Sourced, not run (no shebang); bash and zsh find the files beside it.
# shellcheck shell=bash
# Use it from any directory:   . path/to/{name}/etcdctl-env.sh && etcdctl endpoint health
# It finds ca.crt, client.crt and client.key beside itself (in bash and zsh); in another
# shell set ETCD_PKI_CLIENT_DIR to this folder first.
# etcdctl refuses a flag that repeats one of these variables (e.g. --endpoints): override
# with the variable instead, ETCDCTL_ENDPOINTS=https://10.0.0.9:2379 etcdctl member list
if [ -n "${{ETCD_PKI_CLIENT_DIR:-}}" ]; then
  _etcd_pki_dir=$ETCD_PKI_CLIENT_DIR
elif [ -n "${{BASH_SOURCE:-}}" ]; then
  _etcd_pki_dir=$(cd "$(dirname -- "${{BASH_SOURCE[0]}}")" && pwd)
else
  _etcd_pki_dir=$(cd "$(dirname -- "$0")" && pwd)
fi
export ETCDCTL_API=3
export ETCDCTL_ENDPOINTS={endpoints}
export ETCDCTL_CACERT="$_etcd_pki_dir/ca.crt"
export ETCDCTL_CERT="$_etcd_pki_dir/client.crt"
export ETCDCTL_KEY="$_etcd_pki_dir/client.key"
# A refused or unreachable member otherwise hangs etcdctl for its default timeouts.
export ETCDCTL_DIAL_TIMEOUT=5s
export ETCDCTL_COMMAND_TIMEOUT=10s
unset _etcd_pki_dir
"#,
        name = c.name,
        cn = super::quote::comment(&c.common_name),
        cluster = spec.cluster_name,
    )
}
