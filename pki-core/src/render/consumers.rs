//! Configuration snippets for the programs that talk to etcd, each in that program's own
//! format, written beside the client's certificate (`clients/<name>/`). Paths point at
//! `install_dir` (`/etc/etcd-pki/<client>` by default: copy `ca.crt`, `client.crt` and
//! `client.key` there, or edit the paths).

use std::net::IpAddr;

use super::fill;
use super::quote::{comment, sh, yaml};
use crate::error::Error;
use crate::plan::{MemberPlan, Plan, Snippet, client_endpoints};
use crate::spec::Client;

/// Where a client's files are expected on its machine.
pub fn install_dir(c: &Client) -> String {
    format!("/etc/etcd-pki/{}", c.name)
}

/// `host:port` of every member's client URL (IPv6 in brackets).
fn host_ports(members: &[MemberPlan], port: u16) -> Vec<String> {
    members
        .iter()
        .filter_map(|m| m.ips.first())
        .map(|ip| match ip {
            IpAddr::V4(v4) => format!("{v4}:{port}"),
            IpAddr::V6(v6) => format!("[{v6}]:{port}"),
        })
        .collect()
}

#[derive(askama::Template)]
#[template(path = "client/snippet.txt", escape = "none")]
struct SnippetFile<'a> {
    snippet: Snippet,
    name: &'a str,
    /// The CN, for comments.
    cn: String,
    /// The CN, shell-quoted inside a comment.
    cn_sh: String,
    /// The CN, YAML-quoted.
    cn_yaml: String,
    cluster: &'a str,
    /// Where the client's files are expected ([`install_dir`]).
    dir: String,
    ca: String,
    cert: String,
    key: String,
    /// The same three, YAML-quoted.
    yca: String,
    ycert: String,
    ykey: String,
    /// Every member's client URL.
    urls: Vec<String>,
    /// Joined by commas, and by spaces.
    endpoints: String,
    urls_spaced: String,
    /// `host:port` of every member.
    hosts: Vec<String>,
    /// Every member's first IP, joined by commas.
    host_list: String,
    port: u16,
    ver: &'a str,
}

/// Renders one snippet of client `c` (the plan lists which, [`crate::plan::snippets`]).
pub fn render(plan: &Plan, c: &Client, snippet: Snippet) -> Result<String, Error> {
    let (spec, members) = (&plan.spec, &plan.members);
    let dir = install_dir(c);
    let (ca, cert, key) = (
        format!("{dir}/ca.crt"),
        format!("{dir}/client.crt"),
        format!("{dir}/client.key"),
    );
    let urls = client_endpoints(members);
    fill(&SnippetFile {
        snippet,
        name: &c.name,
        cn: comment(&c.common_name),
        cn_sh: comment(&sh(&c.common_name)),
        cn_yaml: yaml(&c.common_name),
        cluster: &spec.cluster_name,
        yca: yaml(&ca),
        ycert: yaml(&cert),
        ykey: yaml(&key),
        ca,
        cert,
        key,
        dir,
        endpoints: urls.join(","),
        urls_spaced: urls.join(" "),
        urls,
        hosts: host_ports(members, spec.client_port),
        host_list: members
            .iter()
            .filter_map(|m| m.ips.first())
            .map(|ip| ip.to_string())
            .collect::<Vec<_>>()
            .join(","),
        port: spec.client_port,
        ver: spec.etcd_version.as_str(),
    })
}
