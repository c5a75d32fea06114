//! Expiry as a metric: each member's `metrics/` folder (a script that writes node_exporter
//! textfile-collector metrics from the certificates etcd actually uses, where they are
//! installed, and the systemd service and hourly timer that run it), and the bundle's
//! Prometheus alerting rules (warn at 30 days, page at 7, the CRL's next update, the CA within
//! a year, a file that cannot be read, metrics gone stale). A certificate then expires only if
//! an alert was ignored, not because nobody remembered a date.

use super::fill;
use super::quote::sh;
use crate::error::Error;
use crate::plan::paths::files;
use crate::plan::{MemberPlan, Plan};
use crate::spec::Layout;

/// The alerting rules: the same for every cluster (the cluster is a label), so a fleet loads
/// the file once. Checked by `promtool check rules` and `promtool test rules`
/// (pki-core/tests/metrics.rs).
pub const ALERT_RULES: &str = include_str!("../../templates/prometheus/etcd-pki-alerts.yml");

#[derive(askama::Template)]
#[template(path = "member/metrics/etcd-pki-metrics.sh", escape = "none")]
struct Script<'a> {
    name: &'a str,
    cluster: &'a str,
    /// cert_dir, shell-quoted.
    cert_dir: String,
    /// `role:file` of every certificate etcd reads, shell words.
    files: String,
}

#[derive(askama::Template)]
#[template(path = "member/metrics/etcd-pki-metrics.service", escape = "none")]
struct Service<'a> {
    name: &'a str,
    cluster: &'a str,
}

#[derive(askama::Template)]
#[template(path = "member/metrics/etcd-pki-metrics.timer", escape = "none")]
struct Timer<'a> {
    name: &'a str,
}

/// `members/<name>/metrics/etcd-pki-metrics.sh`.
pub fn script(plan: &Plan, m: &MemberPlan) -> Result<String, Error> {
    let mut pairs = vec![
        ("ca", files::CA_CERT),
        ("server", files::SERVER_CERT),
        ("peer", files::PEER_CERT),
    ];
    if plan.spec.layout == Layout::Kubeadm {
        pairs.push(("healthcheck-client", files::HEALTHCHECK_CERT));
    }
    fill(&Script {
        name: &m.name,
        cluster: &plan.spec.cluster_name,
        cert_dir: sh(&m.cert_dir),
        files: pairs
            .iter()
            .map(|(role, file)| sh(&format!("{role}:{file}")))
            .collect::<Vec<_>>()
            .join(" "),
    })
}

/// `members/<name>/metrics/etcd-pki-metrics.service`.
pub fn service(plan: &Plan, m: &MemberPlan) -> Result<String, Error> {
    fill(&Service {
        name: &m.name,
        cluster: &plan.spec.cluster_name,
    })
}

/// `members/<name>/metrics/etcd-pki-metrics.timer`.
pub fn timer(m: &MemberPlan) -> Result<String, Error> {
    fill(&Timer { name: &m.name })
}
