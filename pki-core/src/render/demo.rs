//! `demo/run.sh` and `demo/stop.sh` of a one-machine bundle (every member on loopback):
//! start the whole cluster from the unpacked folder without root, wait for health, put and
//! get a key through TLS as the admin client; and stop it again, leaving no process behind.

use super::fill;
use super::quote::sh;
use crate::error::Error;
use crate::plan::Plan;

#[derive(askama::Template)]
#[template(path = "demo/run.sh", escape = "none")]
struct Run<'a> {
    cluster: &'a str,
    /// Member names, space-separated.
    names: String,
    /// The same, shell-quoted.
    names_sh: String,
    /// The client that checks the cluster ([`Plan::check_client`]).
    admin: Option<&'a str>,
    /// Its etcdctl-env.sh, shell-quoted.
    env_sh: String,
}

#[derive(askama::Template)]
#[template(path = "demo/stop.sh", escape = "none")]
struct Stop<'a> {
    cluster: &'a str,
}

/// Renders `demo/run.sh`.
pub fn run(plan: &Plan) -> Result<String, Error> {
    let names = plan
        .members
        .iter()
        .map(|m| m.name.as_str())
        .collect::<Vec<_>>()
        .join(" ");
    let admin = plan.check_client().map(|c| c.name.as_str());
    fill(&Run {
        cluster: &plan.spec.cluster_name,
        names_sh: sh(&names),
        names,
        admin,
        env_sh: sh(&format!(
            "clients/{}/etcdctl-env.sh",
            admin.unwrap_or_default()
        )),
    })
}

/// Renders `demo/stop.sh`.
pub fn stop(plan: &Plan) -> Result<String, Error> {
    fill(&Stop {
        cluster: &plan.spec.cluster_name,
    })
}
