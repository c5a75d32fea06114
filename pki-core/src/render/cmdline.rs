//! A member's plain command line (as seed 004's tutorials start etcd): a script that runs
//! etcd in the foreground with every setting as a flag and no `ETCD_*` variable set.

use super::quote::{comment, sh};
use super::settings::member_settings;
use crate::plan::{MemberPlan, Plan};

/// Renders `members/<name>/etcd-cmdline.sh`.
pub fn render(plan: &Plan, m: &MemberPlan) -> String {
    let spec = &plan.spec;
    let mut out = format!(
        "#!/bin/sh\n\
         # etcd {ver}, member {name} of cluster {cluster}: every setting as a flag (etcd-pki).\n\
         # Runs etcd in the foreground. Do not also load the env file: etcd refuses a setting\n\
         # given both as a flag and as an ETCD_* variable, so those are cleared here.\n\
         for v in $(env | sed -n 's/^\\(ETCD_[A-Z0-9_]*\\)=.*/\\1/p'); do unset \"$v\"; done\n\
         exec \"${{EPKI_ETCD:-etcd}}\"",
        ver = spec.etcd_version.as_str(),
        name = comment(&m.name),
        cluster = comment(&spec.cluster_name),
    );
    for s in member_settings(plan, m) {
        out.push_str(&format!(" \\\n  --{}={}", s.flag, sh(&s.value.flat())));
    }
    out.push('\n');
    out
}
