//! `clients/<name>/etcdctl-env.sh`: sourced by a shell, it points etcdctl v3 at the cluster
//! with this client's certificate. Paths are relative to the script, so the folder works
//! wherever it is unpacked.

use super::fill;
use super::quote::{comment, sh};
use crate::error::Error;
use crate::plan::{Plan, client_endpoints};
use crate::spec::Client;

#[derive(askama::Template)]
#[template(path = "client/etcdctl-env.sh", escape = "none")]
struct EtcdctlEnv<'a> {
    name: &'a str,
    /// The CN, for a comment.
    cn: String,
    cluster: &'a str,
    /// The endpoints, shell-quoted.
    endpoints: String,
}

/// Renders the script for one client.
pub fn render(plan: &Plan, c: &Client) -> Result<String, Error> {
    fill(&EtcdctlEnv {
        name: &c.name,
        cn: comment(&c.common_name),
        cluster: &plan.spec.cluster_name,
        endpoints: sh(&client_endpoints(&plan.members).join(",")),
    })
}
