//! `migrate/`: a runbook and scripts that move a running plain-HTTP cluster to TLS without
//! downtime, one member at a time (tested on etcd 3.4 and 3.5, `tests/etcd/tests/migrate.rs`).
//!
//! etcd 3 ignores certificate files on an `http://` listener, so a member cannot serve plain
//! and TLS peers on one URL. The order that works: put the certificates in place (1); restart
//! each member with a second, `https://` peer listener on another port and a loopback-only
//! plain client listener for local consumers (2); `etcdctl member update` every member's peer
//! URL to the https one (3), after which members dial each other over TLS; restart each member
//! with https client URLs and no plain peer listener (4); turn on client-cert-auth (5); and,
//! once local consumers have moved, drop the plain loopback listener (6). Every step checks
//! that the previous one took effect and refuses otherwise, saying which step comes first.
//!
//! Each member's scripts live in its own folder, `members/<name>/migrate/` (the runbook stays
//! at `migrate/README.md`), so the member folder copied to the member is all it needs: the
//! scripts talk to etcd with the member's own server certificate (it carries clientAuth), never
//! with another machine's key. Step 1 installs like install.sh: `root:etcd`, keys 0640, through
//! a temp name and `mv -fT`, refusing symbolic links or foreign owners on the way.

use super::fill;
use super::quote::sh;
use super::settings::member_settings;
use crate::error::Error;
use crate::plan::{MemberPlan, MigrationStage as Stage, Plan, url};
use crate::spec::Migration;

fn http(ip: &std::net::IpAddr, port: u16) -> String {
    url(ip, port).replacen("https://", "http://", 1)
}

/// Renders `members/<name>/migrate/stepN.env`: member `m`'s settings at stage `st`.
pub fn stage_env(plan: &Plan, mig: &Migration, m: &MemberPlan, st: Stage) -> Result<String, Error> {
    let (spec, members) = (&plan.spec, &plan.members);
    let ip = &m.ips[0];
    let loopback = format!("http://127.0.0.1:{}", mig.current_client_port);
    let (listen_client, adv_client, listen_peer, adv_peer, cluster_scheme_https) = match st {
        Stage::Listeners => (
            format!("{},{loopback}", http(ip, mig.current_client_port)),
            http(ip, mig.current_client_port),
            format!(
                "{},{}",
                http(ip, mig.current_peer_port),
                url(ip, spec.peer_port)
            ),
            http(ip, mig.current_peer_port),
            false,
        ),
        Stage::ClientTls | Stage::CertAuth => (
            format!("{},{loopback}", url(ip, spec.client_port)),
            url(ip, spec.client_port),
            url(ip, spec.peer_port),
            url(ip, spec.peer_port),
            true,
        ),
        Stage::Final => (
            url(ip, spec.client_port),
            url(ip, spec.client_port),
            url(ip, spec.peer_port),
            url(ip, spec.peer_port),
            true,
        ),
    };
    let initial_cluster = members
        .iter()
        .map(|o| {
            let u = if cluster_scheme_https {
                url(&o.ips[0], spec.peer_port)
            } else {
                http(&o.ips[0], mig.current_peer_port)
            };
            format!("{}={u}", o.name)
        })
        .collect::<Vec<_>>()
        .join(",");
    let cert_auth = matches!(st, Stage::CertAuth | Stage::Final) && mig.client_cert_auth;
    // The member's settings as the bundle has them (settings.rs), with what differs at this
    // stage: the URLs, an existing cluster, client TLS from step 4, client-cert-auth from 5.
    let mut env = Vec::new();
    for setting in member_settings(plan, m) {
        let value = match setting.flag {
            "listen-client-urls" => listen_client.clone(),
            "advertise-client-urls" => adv_client.clone(),
            "listen-peer-urls" => listen_peer.clone(),
            "initial-advertise-peer-urls" => adv_peer.clone(),
            // Ignored once the member has data; kept consistent with the stage anyway.
            "initial-cluster" => initial_cluster.clone(),
            "initial-cluster-state" => "existing".into(),
            "client-cert-auth" => cert_auth.to_string(),
            "trusted-ca-file" | "cert-file" | "key-file" if st == Stage::Listeners => continue,
            _ => setting.value.flat(),
        };
        env.push((setting.env_name(), sh(&value)));
    }
    fill(&StageEnv {
        name: &m.name,
        cluster: &spec.cluster_name,
        stage: format!("{st:?}"),
        env,
    })
}

#[derive(askama::Template)]
#[template(path = "migrate/step.env", escape = "none")]
struct StageEnv<'a> {
    name: &'a str,
    cluster: &'a str,
    /// The stage's name.
    stage: String,
    /// (variable, quoted value).
    env: Vec<(String, String)>,
}

#[derive(askama::Template)]
#[template(path = "migrate/lib.sh", escape = "none")]
struct Lib<'a> {
    me: &'a str,
    cluster: &'a str,
    /// Every member name, space-separated.
    names: String,
    /// The plain client port today (the loopback listener kept until step 6).
    lport: u16,
    rows: Vec<Row<'a>>,
}

/// One member's URLs and folders as lib.sh's `member` function sets them.
struct Row<'a> {
    name: &'a str,
    ip: std::net::IpAddr,
    plain_client: String,
    plain_peer: String,
    tls_client: String,
    tls_peer: String,
    /// Shell-quoted.
    cert_dir: String,
    data_dir: String,
}

/// Renders `members/<name>/migrate/lib.sh`, which every step of member `me` sources.
pub fn lib(plan: &Plan, mig: &Migration, me: &MemberPlan) -> Result<String, Error> {
    let (spec, members) = (&plan.spec, &plan.members);
    let rows = members
        .iter()
        .map(|m| {
            let ip = m.ips[0];
            Row {
                name: &m.name,
                ip,
                plain_client: http(&ip, mig.current_client_port),
                plain_peer: http(&ip, mig.current_peer_port),
                tls_client: url(&ip, spec.client_port),
                tls_peer: url(&ip, spec.peer_port),
                cert_dir: sh(&m.cert_dir),
                data_dir: sh(&m.data_dir),
            }
        })
        .collect();
    fill(&Lib {
        me: &me.name,
        cluster: &spec.cluster_name,
        names: members
            .iter()
            .map(|m| m.name.as_str())
            .collect::<Vec<_>>()
            .join(" "),
        lport: mig.current_client_port,
        rows,
    })
}

/// The step script called `name` (one of [`crate::plan::MIGRATION_STEPS`]); the same for
/// every member, lib.sh holds what differs.
pub fn step(name: &str) -> Option<&'static str> {
    steps()
        .into_iter()
        .find(|(n, _)| *n == name)
        .map(|(_, body)| body)
}

fn steps() -> [(&'static str, &'static str); 6] {
    // The same for every member (lib.sh holds what differs), so plain files, no template.
    [
        (
            "1-certs.sh",
            include_str!("../../templates/migrate/1-certs.sh"),
        ),
        (
            "2-listeners.sh",
            include_str!("../../templates/migrate/2-listeners.sh"),
        ),
        (
            "3-peer-urls.sh",
            include_str!("../../templates/migrate/3-peer-urls.sh"),
        ),
        (
            "4-client-https.sh",
            include_str!("../../templates/migrate/4-client-https.sh"),
        ),
        (
            "5-client-cert-auth.sh",
            include_str!("../../templates/migrate/5-client-cert-auth.sh"),
        ),
        (
            "6-remove-plain.sh",
            include_str!("../../templates/migrate/6-remove-plain.sh"),
        ),
    ]
}

#[derive(askama::Template)]
#[template(path = "migrate/README.md", escape = "none")]
struct Runbook<'a> {
    cluster: &'a str,
    /// Member names, comma-separated.
    members: String,
    first: &'a str,
    /// Client and peer ports today (plain) and at the end (TLS).
    cc: u16,
    cp: u16,
    tc: u16,
    tp: u16,
    /// `required` or `not required`.
    auth: &'a str,
}

/// Renders `migrate/README.md`, the runbook.
pub fn readme(plan: &Plan, mig: &Migration) -> Result<String, Error> {
    let spec = &plan.spec;
    let names: Vec<&str> = plan.members.iter().map(|m| m.name.as_str()).collect();
    fill(&Runbook {
        cluster: &spec.cluster_name,
        members: names.join(", "),
        first: names.first().copied().unwrap_or("etcd1"),
        cc: mig.current_client_port,
        cp: mig.current_peer_port,
        tc: spec.client_port,
        tp: spec.peer_port,
        auth: if mig.client_cert_auth {
            "required"
        } else {
            "not required"
        },
    })
}
