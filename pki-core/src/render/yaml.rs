//! A member's YAML file for `etcd --config-file`. With it etcd ignores every flag and
//! `ETCD_*` variable, so the file carries everything.

use super::settings::{Section, Setting, Value, member_settings};
pub use crate::plan::paths::YAML_INSTALL_PATH as INSTALL_PATH;
use crate::plan::{MemberPlan, Plan};

/// Renders `members/<name>/etcd.conf.yml`.
pub fn render(plan: &Plan, m: &MemberPlan) -> String {
    let spec = &plan.spec;
    let mut out = format!(
        "# etcd {ver} configuration of member {name}, cluster {cluster} (etcd-pki).\n\
         # Start: etcd --config-file {INSTALL_PATH}   (etcd then ignores all other flags and\n\
         # ETCD_* variables, so do not combine it with the env file).\n",
        ver = spec.etcd_version.as_str(),
        name = m.name,
        cluster = spec.cluster_name,
    );
    let settings = member_settings(plan, m);
    for s in settings.iter().filter(|s| s.section == Section::Top) {
        out.push_str(&line("", s));
    }
    for (section, head) in [
        (Section::ClientTls, "client-transport-security"),
        (Section::PeerTls, "peer-transport-security"),
    ] {
        out.push_str(head);
        out.push_str(":\n");
        for s in settings.iter().filter(|s| s.section == section) {
            out.push_str(&line("  ", s));
        }
    }
    out
}

fn line(indent: &str, s: &Setting) -> String {
    let key = s.yaml_key;
    match &s.value {
        Value::Bool(b) => format!("{indent}{key}: {b}\n"),
        Value::Text(t) => format!("{indent}{key}: {}\n", quote(t)),
        Value::List(items) if s.yaml_as_string => {
            format!("{indent}{key}: {}\n", quote(&items.join(",")))
        }
        Value::List(items) => {
            let mut out = format!("{indent}{key}:\n");
            for i in items {
                out.push_str(&format!("{indent}  - {}\n", quote(i)));
            }
            out
        }
    }
}

/// Single-quoted YAML scalar (our values never hold a quote; validation sees to it).
fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}
