//! A member's plain command line (the way etcd's own tutorials start it): a script that runs
//! etcd in the foreground with every setting as a flag and no `ETCD_*` variable set.

use super::fill;
use super::quote::{comment, sh};
use super::settings::member_settings;
use crate::error::Error;
use crate::plan::{MemberPlan, Plan};

#[derive(askama::Template)]
#[template(path = "member/etcd-cmdline.sh", escape = "none")]
struct CommandLine<'a> {
    ver: &'a str,
    name: String,
    cluster: String,
    /// (flag, quoted value).
    flags: Vec<(&'static str, String)>,
}

/// Renders `members/<name>/etcd-cmdline.sh`.
pub fn render(plan: &Plan, m: &MemberPlan) -> Result<String, Error> {
    fill(&CommandLine {
        ver: plan.spec.etcd_version.as_str(),
        name: comment(&m.name),
        cluster: comment(&plan.spec.cluster_name),
        flags: member_settings(plan, m)
            .into_iter()
            .map(|s| (s.flag, sh(&s.value.flat())))
            .collect(),
    })
}
