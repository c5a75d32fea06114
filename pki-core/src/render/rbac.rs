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
    /// Every client but the administrator and the revoked ones.
    clients: Vec<ClientUser<'a>>,
    /// Revoked clients, named in a comment (as comment text).
    revoked: Vec<String>,
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
    render_without(plan, &[])
}

/// Renders `rbac.sh` making no user for the clients named in `revoked` (their certificates
/// are revoked; `rbac-revoke.sh` removes their users), the administrator kept.
pub fn render_without(plan: &Plan, revoked: &[String]) -> Result<String, Error> {
    let spec = &plan.spec;
    let clients = spec
        .clients
        .iter()
        .filter(|c| c.common_name != ADMIN_CN && !revoked.contains(&c.name))
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
        revoked: spec
            .clients
            .iter()
            .filter(|c| c.common_name != ADMIN_CN && revoked.contains(&c.name))
            .map(|c| comment(&c.name))
            .collect(),
    })
}

#[derive(askama::Template)]
#[template(path = "rbac-revoke.sh", escape = "none")]
struct RbacRevoke {
    cluster: String,
    admin_sh: String,
    admin_text: String,
    endpoints: String,
    users: Vec<RevokedUser>,
}

/// A revoked client's etcd user and the roles `rbac.sh` gave it, every value shell-quoted.
struct RevokedUser {
    name_text: String,
    cn: String,
    cn_text: String,
    roles: Vec<String>,
}

/// The roles `rbac.sh` gives client `c`: its named roles, then the role of its own grants
/// (named like the client), `root` left out (never removed).
pub fn roles_of(c: &Client) -> Vec<String> {
    let mut roles: Vec<String> = c.roles.iter().filter(|r| *r != "root").cloned().collect();
    if !c.grants.is_empty() && !roles.contains(&c.name) && c.name != "root" {
        roles.push(c.name.clone());
    }
    roles
}

/// `rbac-revoke.sh` as a bundle that carries revocations holds it: [`render_revoke`], or, when
/// no client's certificate in this bundle is revoked (each was renewed since), a script that
/// says so and changes nothing — the file stays, so no later bundle loses it.
pub fn revoke_file(plan: &Plan, revoked: &[&Client]) -> Result<String, Error> {
    if let Some(text) = render_revoke(plan, revoked)? {
        return Ok(text);
    }
    Ok(format!(
        "#!/usr/bin/env bash\n\
         # The companion of rbac.sh in this bundle of cluster {}: it removes the etcd users of\n\
         # revoked clients, and no client of this bundle holds a revoked certificate.\n\
         echo \"rbac-revoke: no client of this bundle holds a revoked certificate; nothing to remove\"\n",
        comment(&plan.spec.cluster_name)
    ))
}

/// Renders `rbac-revoke.sh`, the companion of `rbac.sh` that removes the etcd users of the
/// `revoked` clients (and the roles only they held), as the administrator client. `None` when
/// there is nothing it could do: no administrator, or no revoked client but root.
pub fn render_revoke(plan: &Plan, revoked: &[&Client]) -> Result<Option<String>, Error> {
    let Some(admin) = plan.admin() else {
        return Ok(None);
    };
    let users: Vec<RevokedUser> = revoked
        .iter()
        .filter(|c| c.common_name != ADMIN_CN)
        .map(|c| RevokedUser {
            name_text: comment(&c.name),
            cn: sh(&c.common_name),
            cn_text: comment(&c.common_name),
            roles: roles_of(c).iter().map(|r| sh(r)).collect(),
        })
        .collect();
    if users.is_empty() {
        return Ok(None);
    }
    fill(&RbacRevoke {
        cluster: comment(&plan.spec.cluster_name),
        admin_sh: sh(&admin.name),
        admin_text: comment(&admin.name),
        endpoints: sh(&client_endpoints(&plan.members).join(",")),
        users,
    })
    .map(Some)
}
