//! A member's YAML file for `etcd --config-file`. With it etcd ignores every flag and
//! `ETCD_*` variable, so the file carries everything.

use super::fill;
use super::quote::yaml;
use super::settings::{Section, Setting, Value, member_settings};
use crate::error::Error;
pub use crate::plan::paths::YAML_INSTALL_PATH as INSTALL_PATH;
use crate::plan::{MemberPlan, Plan};

#[derive(askama::Template)]
#[template(path = "member/etcd.conf.yml", escape = "none")]
struct ConfigFile<'a> {
    ver: &'a str,
    name: &'a str,
    cluster: &'a str,
    install_path: &'a str,
    top: Vec<Entry>,
    client: Vec<Entry>,
    peer: Vec<Entry>,
}

/// One key of the YAML file: a scalar, or a list of items. Values are quoted already.
struct Entry {
    key: &'static str,
    scalar: Option<String>,
    items: Vec<String>,
}

/// Renders `members/<name>/etcd.conf.yml`.
pub fn render(plan: &Plan, m: &MemberPlan) -> Result<String, Error> {
    let settings = member_settings(plan, m);
    let section = |want: Section| -> Vec<Entry> {
        settings
            .iter()
            .filter(|s| s.section == want)
            .map(entry)
            .collect()
    };
    let text = fill(&ConfigFile {
        ver: plan.spec.etcd_version.as_str(),
        name: &m.name,
        cluster: &plan.spec.cluster_name,
        install_path: INSTALL_PATH,
        top: section(Section::Top),
        client: section(Section::ClientTls),
        peer: section(Section::PeerTls),
    })?;
    // The YAML config cannot carry the CRL: say so at its top, where whoever starts etcd with
    // it reads (install-crl.sh also refuses a member running with --config-file).
    Ok(if plan.carried.has_crl() {
        format!("{YAML_NO_CRL}{text}")
    } else {
        text
    })
}

/// The first lines of a member's `etcd.conf.yml` while the bundle has a CRL.
pub const YAML_NO_CRL: &str = "# DO NOT START etcd WITH THIS FILE while CRLs are on (etcd-pki revoke): with \
--config-file\n# etcd ignores every flag and ETCD_* variable, and this YAML has no CRL key, so revoked\n\
# certificates would be accepted. Use etcd.env and the etcd.service.d/ drop-ins (install.sh).\n";

fn entry(s: &Setting) -> Entry {
    let (scalar, items) = match &s.value {
        Value::Bool(b) => (Some(b.to_string()), vec![]),
        Value::Text(t) => (Some(yaml(t)), vec![]),
        // etcd parses the URL lists and initial-cluster of its config file as strings.
        Value::List(items) if s.yaml_as_string => (Some(yaml(&items.join(","))), vec![]),
        Value::List(items) => (None, items.iter().map(|i| yaml(i)).collect()),
    };
    Entry {
        key: s.yaml_key,
        scalar,
        items,
    }
}
