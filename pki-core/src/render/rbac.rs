//! `rbac.sh`: creates etcd's users and roles from the bundle's clients — `root`, then one
//! user per client CN with the roles and key-prefix grants the spec gives it — and turns auth
//! on, after which each client's certificate CN is its user. Safe to run again: what exists
//! is left alone, and granting what is granted changes nothing.

use super::fill;
use super::quote::{comment, sh};
use crate::error::Error;
use crate::plan::{Plan, client_endpoints};
use crate::spec::{ADMIN_CN, Client, EtcdVersion};

#[derive(askama::Template)]
#[template(path = "rbac.sh", escape = "none")]
struct Rbac<'a> {
    cluster: &'a str,
    ver: &'a str,
    /// The administrator client ([`Plan::admin`]); without one the script only says so.
    admin: Option<&'a Client>,
    endpoints: String,
    /// etcd 3.5 added `--no-password` (users that log in only by certificate); 3.4 needs a
    /// password, so the script gives each a random one it never shows.
    no_password: bool,
    /// Every client but the administrator.
    clients: Vec<ClientUser<'a>>,
}

/// A client as rbac.sh names it, every value shell-quoted.
struct ClientUser<'a> {
    name: &'a str,
    name_sh: String,
    cn: String,
    cn_text: String,
    roles: Vec<String>,
    /// (permission, key prefix).
    grants: Vec<(&'static str, String)>,
}

/// Renders `rbac.sh`.
pub fn render(plan: &Plan) -> Result<String, Error> {
    let spec = &plan.spec;
    let clients = spec
        .clients
        .iter()
        .filter(|c| c.common_name != ADMIN_CN)
        .map(|c| ClientUser {
            name: &c.name,
            name_sh: sh(&c.name),
            cn: sh(&c.common_name),
            cn_text: comment(&c.common_name),
            roles: c.roles.iter().map(|r| sh(r)).collect(),
            grants: c
                .grants
                .iter()
                .map(|g| (g.permission.as_str(), sh(&g.key_prefix)))
                .collect(),
        })
        .collect();
    fill(&Rbac {
        cluster: &spec.cluster_name,
        ver: spec.etcd_version.as_str(),
        admin: plan.admin(),
        endpoints: client_endpoints(&plan.members).join(","),
        no_password: spec.etcd_version >= EtcdVersion::V3_5,
        clients,
    })
}
