//! One member's etcd settings as a single ordered list, rendered by every dialect (env file,
//! YAML config, command line, static pod) so they can never disagree.

use crate::options::kubeadm;
use crate::plan::paths::{files, jwt_key_paths};
use crate::plan::{MemberPlan, Plan, initial_cluster, join};
use crate::spec::AuthToken;

/// Where a setting lives in etcd's YAML config file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Section {
    /// A top-level key.
    Top,
    /// Under `client-transport-security:`.
    ClientTls,
    /// Under `peer-transport-security:`.
    PeerTls,
    /// The CRL flags: flags and `ETCD_*` variables only. etcd's YAML config has no key for
    /// them (an unknown key is ignored silently), so the YAML dialect leaves them out and
    /// warns at its top instead.
    Revocation,
}

/// A setting's value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    /// A string (URL, path, name).
    Text(String),
    /// A boolean.
    Bool(bool),
    /// A list: comma-joined for flags and env, a YAML list in the config file.
    List(Vec<String>),
}

impl Value {
    /// The flag/env form.
    pub fn flat(&self) -> String {
        match self {
            Value::Text(s) => s.clone(),
            Value::Bool(b) => b.to_string(),
            Value::List(v) => v.join(","),
        }
    }
}

/// One etcd setting.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Setting {
    /// The flag name without dashes, e.g. `peer-cert-file`.
    pub flag: &'static str,
    /// Its key in the YAML config (`cert-file` under `peer-transport-security`).
    pub yaml_key: &'static str,
    /// Its YAML section.
    pub section: Section,
    /// The value.
    pub value: Value,
    /// Whether the YAML file keeps the value a comma-joined string (etcd parses the URL
    /// lists and `initial-cluster` of its config file as strings).
    pub yaml_as_string: bool,
}

impl Setting {
    /// The environment variable, e.g. `ETCD_PEER_CERT_FILE`.
    pub fn env_name(&self) -> String {
        format!("ETCD_{}", self.flag.replace('-', "_").to_uppercase())
    }
}

/// Every setting of member `m`, in the order the files list them.
pub fn member_settings(plan: &Plan, m: &MemberPlan) -> Vec<Setting> {
    let mut v = membership_settings(plan, m);
    v.extend(option_settings(plan, m));
    v.extend(tls_settings(plan, m));
    v
}

/// A top-level setting; `yaml_as_string` as [`Setting::yaml_as_string`].
fn top(flag: &'static str, value: Value, yaml_as_string: bool) -> Setting {
    Setting {
        flag,
        yaml_key: flag,
        section: Section::Top,
        value,
        yaml_as_string,
    }
}

fn text(s: &str) -> Value {
    Value::Text(s.to_string())
}

/// Who member `m` is and which cluster it forms or joins: name, data dir, URLs, initial
/// cluster (new, or the grown one of a member that joins).
fn membership_settings(plan: &Plan, m: &MemberPlan) -> Vec<Setting> {
    let (spec, t) = (&plan.spec, text);
    let mut v = vec![top("name", t(&m.name), false)];
    // etcd 3.4 defaults to the capnslog logger and says so at every start ("[WARNING]
    // Deprecated '--logger=capnslog' flag is set; use '--logger=zap'"); 3.5+ has only zap.
    if spec.etcd_version == crate::spec::EtcdVersion::V3_4 {
        v.push(top("logger", t("zap"), false));
        // 3.4's --config-file starts from a zero value here, not the flag's default (true):
        // without this, a member started from YAML has no /v3 JSON gateway (404).
        v.push(top("enable-grpc-gateway", Value::Bool(true), false));
    }
    let (cluster, state) = match plan.joining.iter().find(|(n, _)| *n == m.name) {
        Some((_, grown)) => (grown.clone(), "existing"),
        None => (initial_cluster(&plan.members), "new"),
    };
    v.extend([
        top("data-dir", t(&m.data_dir), false),
        top(
            "listen-client-urls",
            t(&m.listen_client_urls.join(",")),
            true,
        ),
        top(
            "advertise-client-urls",
            t(&m.advertise_client_urls.join(",")),
            true,
        ),
        top("listen-peer-urls", t(&m.listen_peer_urls.join(",")), true),
        top(
            "initial-advertise-peer-urls",
            t(&m.advertise_peer_url),
            true,
        ),
        top("initial-cluster", t(&cluster), true),
        top("initial-cluster-state", t(state), false),
        top(
            "initial-cluster-token",
            t(&spec.initial_cluster_token),
            false,
        ),
    ]);
    v
}

/// What the spec's options add: the metrics listener, JWT auth tokens, cipher suites and the
/// lowest TLS version.
fn option_settings(plan: &Plan, m: &MemberPlan) -> Vec<Setting> {
    let (spec, t) = (&plan.spec, text);
    let mut v = Vec::new();
    // kubeadm's probes need a plain-HTTP health listener.
    let metrics = spec.metrics_url.clone().or_else(|| {
        (spec.layout == crate::spec::Layout::Kubeadm).then(|| kubeadm::METRICS_URL.to_string())
    });
    if let Some(url) = &metrics {
        v.push(top("listen-metrics-urls", t(url), true));
    }
    if spec.auth_token == AuthToken::Jwt {
        let (key, public) = jwt_key_paths(m);
        v.push(top(
            "auth-token",
            t(&format!(
                "jwt,pub-key={public},priv-key={key},sign-method=ES256,ttl=10m"
            )),
            false,
        ));
    }
    if !spec.cipher_suites.is_empty() {
        v.push(top(
            "cipher-suites",
            Value::List(spec.cipher_suites.clone()),
            false,
        ));
    }
    if let Some(tls) = spec.tls_min_version {
        v.push(top("tls-min-version", t(tls.as_str()), false));
    }
    v
}

/// The client and peer TLS settings of member `m`, client side first.
fn tls_settings(plan: &Plan, m: &MemberPlan) -> Vec<Setting> {
    let (spec, members, d) = (&plan.spec, &plan.members, &m.cert_dir);
    let t = text;
    let mut v = Vec::new();
    let tls = |flag, yaml_key, section, value| Setting {
        flag,
        yaml_key,
        section,
        value,
        yaml_as_string: false,
    };
    use Section::{ClientTls, PeerTls};
    v.extend([
        tls(
            "client-cert-auth",
            "client-cert-auth",
            ClientTls,
            Value::Bool(true),
        ),
        tls(
            "trusted-ca-file",
            "trusted-ca-file",
            ClientTls,
            t(&join(d, files::CA_CERT)),
        ),
        tls(
            "cert-file",
            "cert-file",
            ClientTls,
            t(&join(d, files::SERVER_CERT)),
        ),
        tls(
            "key-file",
            "key-file",
            ClientTls,
            t(&join(d, files::SERVER_KEY)),
        ),
    ]);
    if spec.peer_cert_allowed_cn {
        // Every peer certificate has its member's name as CN.
        let names = members.iter().map(|m| m.name.clone()).collect();
        v.push(tls(
            "peer-cert-allowed-cn",
            "allowed-cn",
            PeerTls,
            Value::List(names),
        ));
    }
    v.extend([
        tls(
            "peer-client-cert-auth",
            "client-cert-auth",
            PeerTls,
            Value::Bool(true),
        ),
        tls(
            "peer-trusted-ca-file",
            "trusted-ca-file",
            PeerTls,
            t(&join(d, files::CA_CERT)),
        ),
        tls(
            "peer-cert-file",
            "cert-file",
            PeerTls,
            t(&join(d, files::PEER_CERT)),
        ),
        tls(
            "peer-key-file",
            "key-file",
            PeerTls,
            t(&join(d, files::PEER_KEY)),
        ),
    ]);
    if plan.carried.has_crl() {
        // One CRL file for both sides: one CA, one list.
        let crl = crate::render::crl::crl_path(d);
        for flag in ["client-crl-file", "peer-crl-file"] {
            v.push(tls(flag, "", Section::Revocation, t(&crl)));
        }
    }
    v
}
