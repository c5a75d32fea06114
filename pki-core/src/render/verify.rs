//! A member's `verify.sh`: checks the installed files as openssl sees them — the chain, that
//! each key belongs to its certificate, owners and modes (`root:etcd`, keys 0640), that the
//! certificates name this machine's addresses, days to expiry — and, with `--health`, etcd's
//! own health, dialled with the member's server certificate (it carries clientAuth), so the
//! member needs no client key of anyone else.

use super::fill;
use super::quote::sh;
use crate::error::Error;
use crate::plan::paths::files;
use crate::plan::{MemberPlan, Plan};

#[derive(askama::Template)]
#[template(path = "member/verify.sh", escape = "none")]
struct Verify<'a> {
    name: &'a str,
    cluster: &'a str,
    /// cert_dir, shell-quoted.
    cert_dir: String,
    /// The member's IPs, one shell word.
    ips_sh: String,
    /// The CA certificate's file name.
    ca: &'a str,
    /// The member's client URL.
    url: &'a str,
}

/// Renders `members/<name>/verify.sh`.
pub fn render(plan: &Plan, m: &MemberPlan) -> Result<String, Error> {
    fill(&Verify {
        name: &m.name,
        cluster: &plan.spec.cluster_name,
        cert_dir: sh(&m.cert_dir),
        ips_sh: sh(&m.ip_words()),
        ca: files::CA_CERT,
        url: m.advertise_client_urls.first().map_or("", String::as_str),
    })
}
