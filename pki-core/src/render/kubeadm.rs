//! The kubeadm layout: kubeadm's paths and names, and the static pod manifest kubelet runs
//! etcd from (`/etc/kubernetes/manifests/etcd.yaml`), so a cluster made here can replace
//! kubeadm's own stacked etcd certificates or be used as its external etcd.

use super::fill;
use super::quote::yaml;
use super::settings::member_settings;
use crate::error::Error;
pub use crate::options::kubeadm::{
    APISERVER_CLIENT, CERT_DIR, HEALTHCHECK_CN, MANIFEST_PATH, METRICS_URL,
};
use crate::plan::{MemberPlan, Plan};
use crate::spec::EtcdVersion;

/// etcd's CRL flags (`ETCD_CLIENT_CRL_FILE`, `ETCD_PEER_CRL_FILE` as flags).
pub const CRL_FLAGS: [&str; 2] = ["client-crl-file", "peer-crl-file"];

/// Renders `members/<name>/kubernetes/etcd.yaml`. While the bundle has a CRL, etcd gets
/// `--client-crl-file` and `--peer-crl-file` from the member's settings (the CRL is in
/// cert_dir, which the pod mounts at the same path).
pub fn static_pod(plan: &Plan, m: &MemberPlan) -> Result<String, Error> {
    let spec = &plan.spec;
    let metrics = spec.metrics_url.as_deref().unwrap_or(METRICS_URL);
    let (host, port) = metrics
        .trim_start_matches("http://")
        .trim_start_matches("https://")
        .rsplit_once(':')
        .unwrap_or(("127.0.0.1", "2381"));
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let (live, ready) = match spec.etcd_version {
        EtcdVersion::V3_4 => ("/health", "/health"),
        EtcdVersion::V3_5 => (
            "/health?exclude=NOSPACE&serializable=true",
            "/health?serializable=false",
        ),
        EtcdVersion::V3_6 | EtcdVersion::V3_7 => ("/livez", "/readyz"),
    };
    let command: Vec<String> = member_settings(plan, m)
        .iter()
        .map(|s| yaml(&format!("--{}={}", s.flag, s.value.flat())))
        .collect();
    fill(&StaticPod {
        name: &m.name,
        cluster: &spec.cluster_name,
        manifest_path: MANIFEST_PATH,
        cert_dir: CERT_DIR,
        adv: yaml(m.advertise_client_urls.first().map_or("", String::as_str)),
        command,
        image: spec.etcd_version.kubeadm_image(),
        host,
        port,
        live,
        ready,
        data: yaml(&m.data_dir),
    })
}

#[derive(askama::Template)]
#[template(path = "member/kubernetes/etcd.yaml", escape = "none")]
struct StaticPod<'a> {
    name: &'a str,
    cluster: &'a str,
    manifest_path: &'a str,
    cert_dir: &'a str,
    /// The advertised client URL, YAML-quoted.
    adv: String,
    /// etcd's arguments, YAML-quoted.
    command: Vec<String>,
    image: &'a str,
    /// The probes' host and port (the metrics listener).
    host: &'a str,
    port: &'a str,
    /// The liveness and readiness paths of this etcd version.
    live: &'a str,
    ready: &'a str,
    /// data_dir, YAML-quoted.
    data: String,
}
