//! Where files are named and installed: the file names inside `cert_dir`, the install path of
//! every config file, and which distribution's env file goes where. Every renderer and the
//! README take these from here, so they agree.

use super::members::{MemberPlan, join};

/// File names inside `cert_dir`.
pub mod files {
    /// The trusted CA certificate (the root alone, with `root+issuing`).
    pub const CA_CERT: &str = "ca.crt";
    /// `root+issuing`: the issuing CA certificate, at the bundle's top (every leaf file
    /// carries it too, after the leaf).
    pub const ISSUING_CA_CERT: &str = "issuing-ca.crt";
    /// Which bundle the member's files come from (its `bundle.env`, kept in cert_dir).
    pub const BUNDLE_MARKER: &str = "etcd-pki-bundle.env";
    /// The CRL in a member's `pki/` folder and in its cert_dir. One file serves both
    /// `--client-crl-file` and `--peer-crl-file`: one CA, one list.
    pub const CRL: &str = "crl.der";
    /// `root+issuing`: the root's own CRL (the issuing CAs it revoked), at the bundle's top,
    /// for verifiers other than etcd (which reads the merged `crl.der`).
    pub const ROOT_CRL: &str = "root.crl";
    /// The systemd drop-in that turns CRLs on, in a member's `etcd.service.d/`.
    pub const CRL_DROPIN: &str = "20-etcd-pki-crl.conf";
    /// Server certificate.
    pub const SERVER_CERT: &str = "server.crt";
    /// Server key.
    pub const SERVER_KEY: &str = "server.key";
    /// Peer certificate.
    pub const PEER_CERT: &str = "peer.crt";
    /// Peer key.
    pub const PEER_KEY: &str = "peer.key";
    /// kubeadm's health-check client certificate.
    pub const HEALTHCHECK_CERT: &str = "healthcheck-client.crt";
    /// Its key.
    pub const HEALTHCHECK_KEY: &str = "healthcheck-client.key";
    /// The JWT signing key.
    pub const JWT_KEY: &str = "jwt.key";
    /// The JWT verification key.
    pub const JWT_PUB: &str = "jwt.pub";
}

/// Where the systemd drop-in is installed.
pub const DROPIN_INSTALL_PATH: &str = "/etc/systemd/system/etcd.service.d/10-etcd-pki.conf";
/// Where the generic env file is installed when the distribution has no convention.
pub const ENV_INSTALL_PATH: &str = "/etc/etcd/etcd.env";
/// Where the YAML config file is installed (and the flag that loads it).
pub const YAML_INSTALL_PATH: &str = "/etc/etcd/etcd.conf.yml";
/// Where a member's expiry metrics script is installed (its service's `ExecStart`).
pub const METRICS_SCRIPT_INSTALL_PATH: &str = "/usr/local/lib/etcd-pki/etcd-pki-metrics.sh";
/// Where the script's systemd service is installed.
pub const METRICS_SERVICE_INSTALL_PATH: &str = "/etc/systemd/system/etcd-pki-metrics.service";
/// Where its timer is installed.
pub const METRICS_TIMER_INSTALL_PATH: &str = "/etc/systemd/system/etcd-pki-metrics.timer";

/// Which distribution's env file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flavor {
    /// `members/<name>/etcd.env` → `/etc/etcd/etcd.env`: other distributions, any init
    /// system, the one-machine demo.
    Generic,
    /// `members/<name>/debian/etcd` → `/etc/default/etcd`.
    Debian,
    /// `members/<name>/rhel/etcd.conf` → `/etc/etcd/etcd.conf`.
    Rhel,
}

impl Flavor {
    /// Every flavour, in the order the bundle lists them.
    pub const ALL: [Flavor; 3] = [Flavor::Generic, Flavor::Debian, Flavor::Rhel];

    /// Where the file is installed on a member.
    pub fn install_path(self) -> &'static str {
        match self {
            Flavor::Generic => ENV_INSTALL_PATH,
            Flavor::Debian => "/etc/default/etcd",
            Flavor::Rhel => "/etc/etcd/etcd.conf",
        }
    }

    /// Its path inside the member's folder.
    pub fn bundle_name(self) -> &'static str {
        match self {
            Flavor::Generic => "etcd.env",
            Flavor::Debian => "debian/etcd",
            Flavor::Rhel => "rhel/etcd.conf",
        }
    }
}

/// Where a member's JWT signing and verification keys are installed.
pub fn jwt_key_paths(m: &MemberPlan) -> (String, String) {
    (
        join(&m.cert_dir, files::JWT_KEY),
        join(&m.cert_dir, files::JWT_PUB),
    )
}
