//! The cluster spec: plain serde data describing the members, the clients and the options.
//!
//! Every field but `nodes` has a default, unknown fields are an error (cfssl's users lost
//! days to silently dropped keys), and addresses stay strings here so that validation can
//! quote a bad one back with its field path instead of serde failing on the first.

use serde::{Deserialize, Serialize};

use crate::error::Error;
pub use crate::options::{
    AuthToken, CaLayout, ClientKind, EtcdVersion, Grant, Layout, Permission, TlsVersion,
};

/// The most members a spec may list. etcd advises at most 7 voting members; 100 leaves room
/// for learners and typos while refusing the wrong file.
pub const MAX_NODES: usize = 100;
/// The most clients a spec may list.
pub const MAX_CLIENTS: usize = 1000;

pub use crate::rules::MAX_SPEC_BYTES;

/// An etcd cluster and the clients that talk to it: the one input of etcd-pki.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClusterSpec {
    /// Names the bundle, the zip and the CA. Letters, digits, `.`, `_`, `-`.
    #[serde(default = "defaults::cluster_name")]
    pub cluster_name: String,
    /// The members. The first IP of each is the address the other members and clients use.
    pub nodes: Vec<Node>,
    /// The client certificates to issue; the CN of each is its etcd user name.
    #[serde(default = "defaults::clients")]
    pub clients: Vec<Client>,
    /// Algorithm of every key in the bundle.
    #[serde(default)]
    pub key_algorithm: KeyAlgorithm,
    /// `single` (one CA) or `root+issuing` (the default for a new bundle): see [`CaLayout`].
    /// A bundle opened again takes it from its certificates, not from this field.
    #[serde(default)]
    pub ca_layout: CaLayout,
    /// Lifetime of the CA certificate in days: the issuing CA's with `root+issuing`.
    #[serde(default = "defaults::ca_validity_days")]
    pub ca_validity_days: u32,
    /// Lifetime of the root in days (`root+issuing` only): at least the issuing CA's.
    #[serde(default = "defaults::root_validity_days")]
    pub root_validity_days: u32,
    /// Lifetime of every member and client certificate in days; at most the CA's.
    #[serde(default = "defaults::cert_validity_days")]
    pub cert_validity_days: u32,
    /// Distinguished name of the CA (the fields of cfssl's `ca-csr.json`).
    #[serde(default)]
    pub ca_subject: Subject,
    /// Where a member's certificates and keys are installed. `{name}` is replaced by the
    /// member's name (useful when several members share a machine).
    #[serde(default = "defaults::cert_dir")]
    pub cert_dir: String,
    /// etcd's data directory on each member; `{name}` is replaced by the member's name.
    #[serde(default = "defaults::data_dir")]
    pub data_dir: String,
    /// Port of the client URLs.
    #[serde(default = "defaults::client_port")]
    pub client_port: u16,
    /// Port of the peer URLs.
    #[serde(default = "defaults::peer_port")]
    pub peer_port: u16,
    /// `--initial-cluster-token`: keeps two clusters bootstrapped from similar configs apart.
    #[serde(default = "defaults::initial_cluster_token")]
    pub initial_cluster_token: String,
    /// The etcd minor version the config files are written for.
    #[serde(default)]
    pub etcd_version: EtcdVersion,
    /// `etcd` (cert_dir, systemd) or `kubeadm` (kubeadm's paths, a static pod).
    #[serde(default)]
    pub layout: Layout,
    /// `--tls-min-version` (etcd 3.6+); unset leaves Go's default (TLS 1.2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_min_version: Option<TlsVersion>,
    /// `--cipher-suites`, Go names; empty leaves Go's secure default.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cipher_suites: Vec<String>,
    /// `--auth-token`: `simple` or `jwt` (a signing key is generated into the bundle).
    #[serde(default)]
    pub auth_token: AuthToken,
    /// `--listen-metrics-urls`, e.g. `http://127.0.0.1:2381`: metrics and `/health` without
    /// client certificates. Unset: metrics only on the client URLs (certificate needed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metrics_url: Option<String>,
    /// `--peer-cert-allowed-cn`: members accept a peer only if its certificate's CN is a
    /// member name, so a client certificate from the same CA cannot talk to the peer port.
    /// etcd 3.5.15+ (a list of CNs); not 3.4 (one CN, flag only).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub peer_cert_allowed_cn: bool,
    /// Set when the cluster runs today on plain HTTP: the bundle then also holds `migrate/`,
    /// a tested runbook that moves it to TLS without downtime.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub migration: Option<Migration>,
}

/// The cluster as it runs today, on plain HTTP, with the same members (names and first IPs
/// as in `nodes`); the target is the rest of the spec.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Migration {
    /// Port of today's `http://` client URLs.
    #[serde(default = "defaults::client_port")]
    pub current_client_port: u16,
    /// Port of today's `http://` peer URLs. It must differ from `peer_port`: etcd cannot serve
    /// plain and TLS peers on one port, so members listen on both during the move.
    #[serde(default = "defaults::peer_port")]
    pub current_peer_port: u16,
    /// Whether clients need a certificate at the end (step 5).
    #[serde(default = "defaults::yes")]
    pub client_cert_auth: bool,
}

/// One etcd member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Node {
    /// The member name (`--name`), also its folder in the bundle.
    #[serde(default)]
    pub name: String,
    /// The member's IP addresses, IPv4 or IPv6. The first is its peer and advertised
    /// address; all go into its certificates and client listeners.
    #[serde(default)]
    pub ips: Vec<String>,
    /// DNS names the member is also reached by; they go into its certificates.
    #[serde(default)]
    pub dns_names: Vec<String>,
}

/// One client certificate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Client {
    /// The folder of this client in the bundle, e.g. `kube-apiserver`.
    #[serde(default)]
    pub name: String,
    /// The certificate's CN: with `--client-cert-auth` and `auth enable`, etcd uses it as the
    /// user name (`root` for an administrator).
    #[serde(default)]
    pub common_name: String,
    /// Optional O of the certificate's subject.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization: Option<String>,
    /// What the client is: decides the configuration snippets written beside it.
    #[serde(default)]
    pub kind: ClientKind,
    /// etcd roles `rbac.sh` grants this client's user, e.g. `["root"]`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<String>,
    /// Key prefixes `rbac.sh` gives this client's user, through a role of its own.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub grants: Vec<Grant>,
}

/// The algorithm of every key in the bundle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub enum KeyAlgorithm {
    /// ECDSA on NIST P-256 with SHA-256: fast everywhere, supported by every etcd.
    #[default]
    #[serde(rename = "ecdsa-p256")]
    EcdsaP256,
    /// ECDSA on NIST P-384 with SHA-384.
    #[serde(rename = "ecdsa-p384")]
    EcdsaP384,
    /// Ed25519 (needs etcd built with Go 1.13 or later, i.e. 3.4+).
    #[serde(rename = "ed25519")]
    Ed25519,
    /// RSA 2048-bit, PKCS#1 v1.5 with SHA-256.
    #[serde(rename = "rsa-2048")]
    Rsa2048,
    /// RSA 3072-bit.
    #[serde(rename = "rsa-3072")]
    Rsa3072,
    /// RSA 4096-bit: seconds per key in a browser.
    #[serde(rename = "rsa-4096")]
    Rsa4096,
}

impl KeyAlgorithm {
    /// Every algorithm, in the order a UI should offer them.
    pub const ALL: [KeyAlgorithm; 6] = [
        KeyAlgorithm::EcdsaP256,
        KeyAlgorithm::EcdsaP384,
        KeyAlgorithm::Ed25519,
        KeyAlgorithm::Rsa2048,
        KeyAlgorithm::Rsa3072,
        KeyAlgorithm::Rsa4096,
    ];

    /// The spec spelling, e.g. `ecdsa-p256`.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyAlgorithm::EcdsaP256 => "ecdsa-p256",
            KeyAlgorithm::EcdsaP384 => "ecdsa-p384",
            KeyAlgorithm::Ed25519 => "ed25519",
            KeyAlgorithm::Rsa2048 => "rsa-2048",
            KeyAlgorithm::Rsa3072 => "rsa-3072",
            KeyAlgorithm::Rsa4096 => "rsa-4096",
        }
    }

    /// Parses the spec spelling.
    pub fn from_name(s: &str) -> Option<KeyAlgorithm> {
        KeyAlgorithm::ALL.into_iter().find(|a| a.as_str() == s)
    }

    /// RSA bit size, if RSA.
    pub fn rsa_bits(self) -> Option<usize> {
        match self {
            KeyAlgorithm::Rsa2048 => Some(2048),
            KeyAlgorithm::Rsa3072 => Some(3072),
            KeyAlgorithm::Rsa4096 => Some(4096),
            _ => None,
        }
    }
}

impl std::fmt::Display for KeyAlgorithm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A distinguished name, as in cfssl's `ca-csr.json` (`CN`, `O`, `OU`, `C`, `ST`, `L`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Subject {
    /// CN.
    #[serde(default = "defaults::ca_common_name")]
    pub common_name: String,
    /// O.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization: Option<String>,
    /// OU.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organizational_unit: Option<String>,
    /// C: two capital letters (ISO 3166), e.g. `US`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// ST.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// L.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locality: Option<String>,
}

impl Default for Subject {
    fn default() -> Self {
        Subject {
            common_name: defaults::ca_common_name(),
            organization: None,
            organizational_unit: None,
            country: None,
            state: None,
            locality: None,
        }
    }
}

/// The defaults, one function each so serde, `Default` and the template agree.
pub mod defaults {
    use super::Client;

    /// `etcd`.
    pub fn cluster_name() -> String {
        "etcd".into()
    }
    /// One administrator client, `etcdctl` with CN `root`.
    pub fn clients() -> Vec<Client> {
        vec![super::ClientKind::Etcdctl.preset()]
    }
    /// Ten years: a CA is painful to replace.
    pub fn ca_validity_days() -> u32 {
        3650
    }
    /// Twenty years: the root outlives several issuing CAs, and replacing it takes restarts.
    pub fn root_validity_days() -> u32 {
        7300
    }
    /// 825 days, the longest lifetime browsers and mkcert accept for a leaf; long enough
    /// that renewal is a planned event, short enough that it is not forgotten.
    pub fn cert_validity_days() -> u32 {
        825
    }
    /// `etcd CA`.
    pub fn ca_common_name() -> String {
        "etcd CA".into()
    }
    /// `/etc/etcd/pki`.
    pub fn cert_dir() -> String {
        "/etc/etcd/pki".into()
    }
    /// `/var/lib/etcd`.
    pub fn data_dir() -> String {
        "/var/lib/etcd".into()
    }
    /// 2379, etcd's registered client port.
    pub fn client_port() -> u16 {
        2379
    }
    /// 2380, etcd's registered peer port.
    pub fn peer_port() -> u16 {
        2380
    }
    /// `true`.
    pub fn yes() -> bool {
        true
    }
    /// `etcd-cluster`.
    pub fn initial_cluster_token() -> String {
        "etcd-cluster".into()
    }
}

impl Default for ClusterSpec {
    /// A spec with every default and no members (which validation rejects).
    fn default() -> Self {
        ClusterSpec {
            cluster_name: defaults::cluster_name(),
            nodes: Vec::new(),
            clients: defaults::clients(),
            key_algorithm: KeyAlgorithm::default(),
            ca_layout: CaLayout::default(),
            ca_validity_days: defaults::ca_validity_days(),
            root_validity_days: defaults::root_validity_days(),
            cert_validity_days: defaults::cert_validity_days(),
            ca_subject: Subject::default(),
            cert_dir: defaults::cert_dir(),
            data_dir: defaults::data_dir(),
            client_port: defaults::client_port(),
            peer_port: defaults::peer_port(),
            initial_cluster_token: defaults::initial_cluster_token(),
            etcd_version: EtcdVersion::default(),
            layout: Layout::default(),
            tls_min_version: None,
            cipher_suites: Vec::new(),
            auth_token: AuthToken::default(),
            metrics_url: None,
            peer_cert_allowed_cn: false,
            migration: None,
        }
    }
}

impl ClusterSpec {
    /// Parses a spec from JSON. Syntax errors, wrong types and unknown fields come back as
    /// [`Error::SpecSyntax`] with line and column; the content is checked by
    /// [`crate::validate()`].
    pub fn from_json(json: &str) -> Result<ClusterSpec, Error> {
        if json.len() > MAX_SPEC_BYTES {
            return Err(Error::SpecTooLarge { size: json.len() });
        }
        let syntax = |path: String, e: serde_json::Error| Error::SpecSyntax {
            path: if path == "." { String::new() } else { path },
            message: friendly(&strip_position(&e.to_string())),
            line: e.line(),
            column: e.column(),
        };
        let mut de = serde_json::Deserializer::from_str(json);
        let spec: ClusterSpec = serde_path_to_error::deserialize(&mut de).map_err(|e| {
            let path = e.path().to_string();
            syntax(path, e.into_inner())
        })?;
        // Anything after the object (a second object, stray text) is an error too.
        de.end().map_err(|e| syntax(String::new(), e))?;
        for (field, count, max) in [
            ("nodes", spec.nodes.len(), MAX_NODES),
            ("clients", spec.clients.len(), MAX_CLIENTS),
        ] {
            if count > max {
                return Err(Error::SpecLimits { field, count, max });
            }
        }
        Ok(spec)
    }

    /// The spec as pretty JSON, the same form [`ClusterSpec::from_json`] reads.
    pub fn to_json(&self) -> String {
        // Serialising plain strings, numbers and vectors cannot fail.
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// A complete example: three members, two clients and every default filled in
    /// (`etcd-pki spec-template`).
    pub fn template() -> ClusterSpec {
        let node = |i: u8| Node {
            name: format!("etcd{i}"),
            ips: vec![format!("10.0.0.{i}")],
            dns_names: vec![format!("etcd{i}.example.com")],
        };
        ClusterSpec {
            nodes: vec![node(1), node(2), node(3)],
            clients: vec![
                ClientKind::Etcdctl.preset(),
                ClientKind::KubeApiserver.preset(),
            ],
            ca_subject: Subject {
                organization: Some("Example Org".into()),
                organizational_unit: Some("Platform".into()),
                country: Some("US".into()),
                state: Some("California".into()),
                locality: Some("San Francisco".into()),
                ..Subject::default()
            },
            ..ClusterSpec::default()
        }
    }

    /// The one-machine demo: members `etcd1`..`etcd3` on 127.0.0.1..3, paths relative to
    /// the unpacked bundle so it runs from there without root.
    pub fn demo() -> ClusterSpec {
        let node = |i: u8| Node {
            name: format!("etcd{i}"),
            ips: vec![format!("127.0.0.{i}")],
            dns_names: vec![],
        };
        ClusterSpec {
            cluster_name: "demo".into(),
            nodes: vec![node(1), node(2), node(3)],
            clients: vec![
                ClientKind::Etcdctl.preset(),
                Client {
                    name: "app".into(),
                    common_name: "app".into(),
                    grants: vec![Grant {
                        key_prefix: "/app/".into(),
                        permission: Permission::Readwrite,
                    }],
                    ..Client::default()
                },
            ],
            cert_dir: "members/{name}/pki".into(),
            data_dir: "data/{name}".into(),
            initial_cluster_token: "etcd-pki-demo".into(),
            ..ClusterSpec::default()
        }
    }

    /// `cert_dir` for one member, `{name}` replaced.
    pub fn cert_dir_for(&self, node: &Node) -> String {
        self.cert_dir.replace("{name}", &node.name)
    }

    /// `data_dir` for one member, `{name}` replaced.
    pub fn data_dir_for(&self, node: &Node) -> String {
        self.data_dir.replace("{name}", &node.name)
    }
}

impl ClusterSpec {
    /// Whether every member sits on a loopback address: the one-machine demo. The one
    /// definition of "one machine" (validation, planning and every file use it).
    pub fn is_one_machine(&self) -> bool {
        let ips: Vec<std::net::IpAddr> = self
            .nodes
            .iter()
            .flat_map(|n| n.ips.iter().filter_map(|s| s.parse().ok()))
            .collect();
        !ips.is_empty() && ips.iter().all(std::net::IpAddr::is_loopback)
    }

    /// The administrator: the client whose certificate's CN is `root`, etcd's superuser. The
    /// one definition of "admin client" (rbac.sh, the demo, the README, migration checks).
    pub fn admin_client(&self) -> Option<&Client> {
        self.clients.iter().find(|c| c.common_name == ADMIN_CN)
    }

    /// The client the README, the demo and the next steps check the cluster with: the
    /// administrator, else the first client (any client can ask for health).
    pub fn check_client(&self) -> Option<&Client> {
        self.admin_client().or(self.clients.first())
    }
}

/// The CN of etcd's administrator user once `auth enable` is on.
pub const ADMIN_CN: &str = "root";

impl ClientKind {
    /// A client of this kind as a preset: its usual name, CN, and what it may do.
    pub fn preset(self) -> Client {
        let grant = |prefix: &str, permission| Grant {
            key_prefix: prefix.into(),
            permission,
        };
        let (name, cn, roles, grants): (&str, &str, Vec<String>, Vec<Grant>) = match self {
            ClientKind::Etcdctl => ("etcdctl", "root", vec!["root".into()], vec![]),
            // kube-apiserver compacts the keyspace, which only root may do.
            ClientKind::KubeApiserver => (
                "kube-apiserver",
                "kube-apiserver",
                vec!["root".into()],
                vec![],
            ),
            ClientKind::Flannel => (
                "flannel",
                "flannel",
                vec![],
                vec![grant("/coreos.com/network/", Permission::Readwrite)],
            ),
            ClientKind::Calico => (
                "calico",
                "calico",
                vec![],
                vec![grant("/calico/", Permission::Readwrite)],
            ),
            ClientKind::NetworkingVpp => (
                "networking-vpp",
                "networking-vpp",
                vec![],
                vec![grant("/networking-vpp/", Permission::Readwrite)],
            ),
            ClientKind::Patroni => (
                "patroni",
                "patroni",
                vec![],
                vec![grant("/service/", Permission::Readwrite)],
            ),
            ClientKind::Coredns => (
                "coredns",
                "coredns",
                vec![],
                vec![grant("/skydns/", Permission::Read)],
            ),
            ClientKind::Apisix => (
                "apisix",
                "apisix",
                vec![],
                vec![grant("/apisix", Permission::Readwrite)],
            ),
            ClientKind::Traefik => (
                "traefik",
                "traefik",
                vec![],
                vec![grant("traefik", Permission::Read)],
            ),
            ClientKind::Generic => ("client", "client", vec![], vec![]),
        };
        Client {
            name: name.into(),
            common_name: cn.into(),
            organization: None,
            kind: self,
            roles,
            grants,
        }
    }
}

/// serde's wording made plain: `unknown variant `x`, expected one of `a`, `b`` becomes
/// `unknown value "x"; use one of a, b`, and Rust type names become what to write.
fn friendly(msg: &str) -> String {
    if let Some(rest) = msg.strip_prefix("unknown variant `")
        && let Some((value, expected)) = rest.split_once("`, expected ")
    {
        let choices = expected.trim_start_matches("one of ").replace('`', "");
        return format!("unknown value \"{value}\"; use one of {choices}");
    }
    let mut m = msg.to_string();
    for (rust, plain) in [
        ("expected u16", "expected a whole number from 0 to 65535"),
        (
            "expected u32",
            "expected a whole number from 0 to 4294967295",
        ),
        ("expected a sequence", "expected a list in [ ]"),
        (
            "expected struct Node",
            "expected a member object { \"name\": ..., \"ips\": [...] }",
        ),
        (
            "expected struct Client",
            "expected a client object { \"name\": ..., \"common_name\": ... }",
        ),
        (
            "expected struct Grant",
            "expected a grant { \"key_prefix\": ..., \"permission\": ... }",
        ),
        (
            "expected struct Subject",
            "expected an object { \"common_name\": ... }",
        ),
        (
            "expected struct Migration",
            "expected an object { \"current_client_port\": ... }",
        ),
        (
            "expected struct ClusterSpec",
            "expected an object { \"nodes\": [...] }",
        ),
    ] {
        m = m.replace(rust, plain);
    }
    m
}

/// serde_json appends " at line L column C"; we report those separately.
fn strip_position(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_nodes_is_required() {
        let spec = ClusterSpec::from_json(r#"{"nodes": []}"#).unwrap();
        assert_eq!(spec, ClusterSpec::default());
    }

    #[test]
    fn missing_nodes_is_named() {
        let err = ClusterSpec::from_json("{}").unwrap_err().to_string();
        assert!(err.contains("missing field `nodes`"), "{err}");
    }

    #[test]
    fn unknown_fields_are_errors_with_position() {
        let err =
            ClusterSpec::from_json("{\n  \"nodes\": [],\n  \"clusterName\": \"x\"\n}").unwrap_err();
        match err {
            Error::SpecSyntax {
                path,
                message,
                line,
                ..
            } => {
                assert_eq!(path, "clusterName");
                assert!(message.contains("unknown field `clusterName`"), "{message}");
                assert!(
                    message.contains("cluster_name"),
                    "lists accepted: {message}"
                );
                assert_eq!(line, 3);
            }
            other => panic!("{other:?}"),
        }
        let err = ClusterSpec::from_json(r#"{"nodes": [{"name": "a", "ip": "1.2.3.4"}]}"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown field `ip`"), "{err}");
    }

    #[test]
    fn template_round_trips_and_spells_algorithms() {
        let t = ClusterSpec::template();
        let json = t.to_json();
        assert!(json.contains("\"key_algorithm\": \"ecdsa-p256\""), "{json}");
        assert_eq!(ClusterSpec::from_json(&json).unwrap(), t);
        for alg in KeyAlgorithm::ALL {
            let s = serde_json::to_string(&alg).unwrap();
            assert_eq!(s, format!("\"{}\"", alg.as_str()));
            assert_eq!(KeyAlgorithm::from_name(alg.as_str()), Some(alg));
        }
    }

    #[test]
    fn bad_algorithm_lists_the_accepted_ones() {
        let err = ClusterSpec::from_json(r#"{"nodes": [], "key_algorithm": "rsa"}"#)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("key_algorithm: unknown value \"rsa\"; use one of ecdsa-p256, "),
            "{err}"
        );
    }

    #[test]
    fn absurd_member_counts_are_refused_with_the_limit() {
        let nodes: Vec<String> = (0..500)
            .map(|i| {
                format!(
                    r#"{{"name": "m{i}", "ips": ["10.{}.{}.1"]}}"#,
                    i / 256,
                    i % 256
                )
            })
            .collect();
        let json = format!(r#"{{"nodes": [{}]}}"#, nodes.join(","));
        let err = ClusterSpec::from_json(&json).unwrap_err().to_string();
        assert!(
            err.contains("500 members") && err.contains("at most 100"),
            "{err}"
        );
    }

    #[test]
    fn too_large_is_refused_before_parsing() {
        let big = " ".repeat(MAX_SPEC_BYTES + 1);
        assert!(matches!(
            ClusterSpec::from_json(&big),
            Err(Error::SpecTooLarge { .. })
        ));
    }
}
