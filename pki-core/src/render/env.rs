//! A member's `ETCD_*` environment file, in three flavours with the same settings: generic
//! (`etcd.env`, for `set -a; . etcd.env` or any init system), Debian's `/etc/default/etcd`
//! and RHEL's `/etc/etcd/etcd.conf`. etcd starts from any of them with no flags (a setting
//! given as both flag and variable is fatal in etcd 3.4+). The format is `KEY=value` lines,
//! which systemd's `EnvironmentFile=` and a shell both read. Every value is single-quoted
//! ([`super::quote::sh`]), and validation keeps `'`, `\` and newlines out of values, so both
//! read the same value and neither runs anything.

use super::fill;
use super::quote::{comment, sh};
use super::settings::{Section, member_settings};
use crate::error::Error;
use crate::plan::paths::Flavor;
use crate::plan::{MemberPlan, Plan};

/// Renders one flavour of member `m`'s env file.
pub fn render(plan: &Plan, m: &MemberPlan, flavor: Flavor) -> Result<String, Error> {
    let mut section = Section::Top;
    let mut entries = Vec::new();
    for s in member_settings(plan, m) {
        // A comment where a section starts.
        let starts = (s.section != section).then_some(s.section);
        section = s.section;
        entries.push((starts, s.env_name(), sh(&s.value.flat())));
    }
    fill(&EnvFile {
        ver: plan.spec.etcd_version.as_str(),
        name: comment(&m.name),
        cluster: comment(&plan.spec.cluster_name),
        cert_dir: comment(&m.cert_dir),
        flavor,
        entries,
    })
}

#[derive(askama::Template)]
#[template(path = "member/etcd.env", escape = "none")]
struct EnvFile<'a> {
    ver: &'a str,
    name: String,
    cluster: String,
    cert_dir: String,
    flavor: Flavor,
    /// (section starting here, variable, quoted value).
    entries: Vec<(Option<Section>, String, String)>,
}
