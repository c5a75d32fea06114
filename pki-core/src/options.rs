//! The deployment options of a spec: which etcd the files are for, how they are laid out,
//! TLS and auth settings, and what each client is and may do. Plain serde enums, spelled in
//! JSON the way operators write them (`"3.5"`, `"kubeadm"`, `"TLS1.3"`).

use serde::{Deserialize, Serialize};

/// The etcd minor version the config files are written for: only settings it accepts.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
pub enum EtcdVersion {
    /// etcd 3.4 (Debian 12's etcd-server).
    #[serde(rename = "3.4")]
    V3_4,
    /// etcd 3.5.
    #[default]
    #[serde(rename = "3.5")]
    V3_5,
    /// etcd 3.6 (the current line since 2025: v2 store and proxy flags gone, feature gates).
    #[serde(rename = "3.6")]
    V3_6,
    /// etcd 3.7 (every `--experimental-*` flag gone; YAML durations are integer nanoseconds).
    #[serde(rename = "3.7")]
    V3_7,
}

impl EtcdVersion {
    /// `3.4`, `3.5`, `3.6`, `3.7`.
    pub fn as_str(self) -> &'static str {
        match self {
            EtcdVersion::V3_4 => "3.4",
            EtcdVersion::V3_5 => "3.5",
            EtcdVersion::V3_6 => "3.6",
            EtcdVersion::V3_7 => "3.7",
        }
    }
    /// Every version, oldest first.
    pub const ALL: [EtcdVersion; 4] = [
        EtcdVersion::V3_4,
        EtcdVersion::V3_5,
        EtcdVersion::V3_6,
        EtcdVersion::V3_7,
    ];
    /// The first patch release of this line with `--tls-min-version`/`--tls-max-version`
    /// (etcd-io/etcd#15156, backported to 3.4.25 and 3.5.8), or `None` when every release has
    /// them. Older releases refuse to start with the flag ("flag provided but not defined").
    pub fn tls_version_flags_since(self) -> Option<&'static str> {
        match self {
            EtcdVersion::V3_4 => Some("3.4.25"),
            EtcdVersion::V3_5 => Some("3.5.8"),
            EtcdVersion::V3_6 | EtcdVersion::V3_7 => None,
        }
    }
    /// Whether etcdctl v2 flags (`--ca-file`, `--cert-file`) still work (3.4, 3.5).
    pub fn has_v2_api(self) -> bool {
        self <= EtcdVersion::V3_5
    }
    /// The image tag kubeadm uses for this minor version.
    pub fn kubeadm_image(self) -> &'static str {
        match self {
            EtcdVersion::V3_4 => "registry.k8s.io/etcd:3.4.13-0",
            EtcdVersion::V3_5 => "registry.k8s.io/etcd:3.5.16-0",
            EtcdVersion::V3_6 => "registry.k8s.io/etcd:3.6.4-0",
            // No kubeadm release pins a 3.7 image yet; etcd's own release image, same layout.
            EtcdVersion::V3_7 => "gcr.io/etcd-development/etcd:v3.7.2",
        }
    }
}

/// Where the files go on a member.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Layout {
    /// `cert_dir` as configured, etcd run by systemd.
    #[default]
    Etcd,
    /// kubeadm's paths and names (`/etc/kubernetes/pki/etcd/{ca,server,peer,
    /// healthcheck-client}.{crt,key}`), etcd run as a static pod.
    Kubeadm,
}

/// How the CA is laid out: one CA, or a root that stays offline and an issuing CA under it.
///
/// With `root+issuing`, every trusted CA file (members' and clients' `ca.crt`) holds the root
/// only and every leaf file holds the leaf and then its issuing CA. etcd reads its trusted CA
/// file once, at start, but its leaf files at every handshake, and Go verifies a peer through
/// the intermediates it sends: so a new issuing CA under the same root is deployed by swapping
/// leaf files, with no restart (`etcd-pki rotate-issuer`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub enum CaLayout {
    /// One CA signs every certificate and is the trusted CA file (the layout of every
    /// tutorial, and of bundles made before etcd-pki offered the other).
    #[serde(rename = "single")]
    Single,
    /// A root (its key kept offline, sealed) signs an issuing CA, which signs every leaf.
    #[default]
    #[serde(rename = "root+issuing")]
    RootIssuing,
}

impl CaLayout {
    /// Both, in the order a UI offers them.
    pub const ALL: [CaLayout; 2] = [CaLayout::RootIssuing, CaLayout::Single];

    /// The spec spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            CaLayout::Single => "single",
            CaLayout::RootIssuing => "root+issuing",
        }
    }

    /// Parses the spec spelling.
    pub fn from_name(s: &str) -> Option<CaLayout> {
        CaLayout::ALL.into_iter().find(|l| l.as_str() == s)
    }

    /// Whether a root signs the CA that signs the leaves.
    pub fn is_layered(self) -> bool {
        self == CaLayout::RootIssuing
    }
}

/// Lowest TLS version etcd accepts (`--tls-min-version`, etcd 3.6+).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TlsVersion {
    /// TLS 1.2.
    #[serde(rename = "TLS1.2")]
    Tls12,
    /// TLS 1.3 (cipher suites then cannot be chosen).
    #[serde(rename = "TLS1.3")]
    Tls13,
}

impl TlsVersion {
    /// etcd's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            TlsVersion::Tls12 => "TLS1.2",
            TlsVersion::Tls13 => "TLS1.3",
        }
    }
}

/// How etcd issues auth tokens once `auth enable` is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum AuthToken {
    /// etcd's own default: opaque tokens valid only on the member that issued them. etcd warns
    /// at every start that they are "not cryptographically signed".
    Simple,
    /// Signed JWTs (ES256 with a key generated into the bundle, shared by every member): any
    /// member accepts them, so clients survive a leader change without re-authenticating.
    /// Our default: etcd logs no warning for it, and it costs one extra key.
    #[default]
    Jwt,
}

/// What a client is: decides the configuration snippets written beside its certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum ClientKind {
    /// Only the certificate and the etcdctl env script.
    #[default]
    Generic,
    /// An administrator's etcdctl (v3 env, plus v2 flags for 3.4/3.5 scripts).
    Etcdctl,
    /// kube-apiserver's `--etcd-*` flags.
    KubeApiserver,
    /// flannel's `-etcd-*` flags.
    Flannel,
    /// Calico: env for calico-node and a calicoctl config.
    Calico,
    /// networking-vpp's `[ml2_vpp]` section.
    NetworkingVpp,
    /// Patroni's `etcd3:` section.
    Patroni,
    /// CoreDNS's `etcd` plugin.
    Coredns,
    /// Apache APISIX's `deployment.etcd`.
    Apisix,
    /// Traefik's etcd provider.
    Traefik,
}

impl ClientKind {
    /// Every kind, in the order a UI offers them.
    pub const ALL: [ClientKind; 10] = [
        ClientKind::Etcdctl,
        ClientKind::KubeApiserver,
        ClientKind::Flannel,
        ClientKind::Calico,
        ClientKind::NetworkingVpp,
        ClientKind::Patroni,
        ClientKind::Coredns,
        ClientKind::Apisix,
        ClientKind::Traefik,
        ClientKind::Generic,
    ];

    /// The spec spelling, e.g. `kube-apiserver`.
    pub fn as_str(self) -> &'static str {
        match self {
            ClientKind::Generic => "generic",
            ClientKind::Etcdctl => "etcdctl",
            ClientKind::KubeApiserver => "kube-apiserver",
            ClientKind::Flannel => "flannel",
            ClientKind::Calico => "calico",
            ClientKind::NetworkingVpp => "networking-vpp",
            ClientKind::Patroni => "patroni",
            ClientKind::Coredns => "coredns",
            ClientKind::Apisix => "apisix",
            ClientKind::Traefik => "traefik",
        }
    }
}

/// Access to a key prefix, given to one client's etcd user by `rbac.sh`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Grant {
    /// The prefix, e.g. `/calico/`; every key starting with it.
    pub key_prefix: String,
    /// What the client may do there.
    pub permission: Permission,
}

/// etcd's permission types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Permission {
    /// Get and watch.
    Read,
    /// Put and delete.
    Write,
    /// Both.
    Readwrite,
}

impl Permission {
    /// etcdctl's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Permission::Read => "read",
            Permission::Write => "write",
            Permission::Readwrite => "readwrite",
        }
    }
}

/// Go's TLS 1.2 cipher suite names etcd accepts in `--cipher-suites` (crypto/tls, secure
/// ones only), with the key type each needs.
pub const CIPHER_SUITES: [(&str, CipherKey); 6] = [
    ("TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", CipherKey::Ecdsa),
    ("TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", CipherKey::Ecdsa),
    ("TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305", CipherKey::Ecdsa),
    ("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", CipherKey::Rsa),
    ("TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", CipherKey::Rsa),
    ("TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305", CipherKey::Rsa),
];

/// The certificate key type a TLS 1.2 cipher suite authenticates with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CipherKey {
    /// ECDSA (and Ed25519) certificates.
    Ecdsa,
    /// RSA certificates.
    Rsa,
}

/// The facts of the kubeadm layout ([`Layout::Kubeadm`]): kubeadm's own paths and names, so a
/// cluster made here can replace kubeadm's stacked etcd certificates or serve as its external
/// etcd.
pub mod kubeadm {
    /// kubeadm's etcd certificate folder.
    pub const CERT_DIR: &str = "/etc/kubernetes/pki/etcd";
    /// Where kubelet looks for static pods.
    pub const MANIFEST_PATH: &str = "/etc/kubernetes/manifests/etcd.yaml";
    /// kubeadm's metrics/health listener, which its probes use.
    pub const METRICS_URL: &str = "http://127.0.0.1:2381";
    /// The CN kubeadm gives the health-check client (`etcdctl` in the probe's pod).
    pub const HEALTHCHECK_CN: &str = "kube-etcd-healthcheck-client";
    /// Where kube-apiserver's etcd client certificate goes, without `.crt` / `.key`.
    pub const APISERVER_CLIENT: &str = "/etc/kubernetes/pki/apiserver-etcd-client";
}
