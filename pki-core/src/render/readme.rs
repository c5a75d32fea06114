//! The bundle's README.md: for the person who unpacks it — what goes where, in which order,
//! and how to check that it worked. Written from the same plans as the files, so the paths
//! and names in it are the ones in the bundle.

use std::net::IpAddr;

use super::{dropin, fill};
use crate::error::Error;
use crate::options::kubeadm;
use crate::plan::paths::files;
use crate::plan::{MemberPlan, Plan, client_endpoints};
use crate::report::Problem;
use crate::spec::{Client, EtcdVersion, Layout};

/// What the README says of the CA key while it is plain.
pub const CA_KEY_PLAIN: &str = "the CA private key, **unencrypted**";
/// What the README says of the CA key when the operation made none (day two: the CA key given
/// is used as it is, and stays as it was, encrypted or not).
pub const CA_KEY_KEPT: &str = "the CA private key: **not written by this change**; the one you gave it (saved beside the first bundle) is unchanged, encrypted as it was";
/// What the README says of the CA key once it is encrypted.
pub const CA_KEY_ENCRYPTED: &str = "the CA private key, encrypted with your passphrase (PKCS#8, PBKDF2-SHA256 + AES-256-CBC; `openssl pkey -in` it asks for the passphrase)";

/// The facts of a bundle the README states beyond its plan, as plain data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Facts {
    /// When the bundle was made, RFC 3339.
    pub generated_at: String,
    /// The CA certificate's notAfter, RFC 3339.
    pub ca_not_after: String,
    /// The CA certificate's SHA-256 fingerprint.
    pub ca_fingerprint: String,
    /// Whether the CA key is saved encrypted with a passphrase.
    pub ca_key_encrypted: bool,
    /// `root+issuing`: the issuing CA's notAfter and fingerprint (then `ca_*` above are the
    /// root's, which `ca.crt` holds).
    pub issuing: Option<(String, String)>,
}

#[derive(askama::Template)]
#[template(path = "README.md", escape = "none")]
struct Readme<'a> {
    cluster: &'a str,
    ver: &'a str,
    generated_at: &'a str,
    alg: &'a str,
    warnings: &'a [Problem],
    /// The CA's last day, its fingerprint, and what the CA key file is.
    ca_end: &'a str,
    fp: &'a str,
    /// `root+issuing`: the issuing CA's last day and fingerprint.
    issuing: Option<(&'a str, &'a str)>,
    /// Whether this bundle's operation wrote a root key (a new root).
    root_key: bool,
    ca_key: &'a str,
    members: Vec<MemberRow<'a>>,
    clients: &'a [Client],
    /// The plain ports of today, when the cluster moves from plain HTTP.
    migration: Option<(u16, u16)>,
    one_machine: bool,
    kubeadm: bool,
    /// The CA, server and peer file names in `cert_dir`.
    ca: &'a str,
    sc: &'a str,
    sk: &'a str,
    pc: &'a str,
    pk: &'a str,
    /// Install paths.
    env: &'a str,
    dropin: &'a str,
    yaml: &'a str,
    manifest: &'a str,
    apiserver: &'a str,
    /// The first member, as the install steps' example: name, cert_dir, data_dir, address.
    first: &'a str,
    d: &'a str,
    data: &'a str,
    first_ip: String,
    scp_host: String,
    /// `host:port` of the first client URL.
    first_endpoint: String,
    admin: Option<&'a Client>,
    days: u32,
    port: u16,
    v34: bool,
}

/// One member as the README's tables show it.
struct MemberRow<'a> {
    name: &'a str,
    cert_dir: &'a str,
    peer: &'a str,
    /// Its client URLs, comma-separated.
    clients: String,
    /// The names its server certificate carries.
    names: String,
}

/// Renders README.md.
pub fn render(plan: &Plan, facts: &Facts) -> Result<String, Error> {
    let spec = &plan.spec;
    let first = plan.members.first();
    let first_ip = first.and_then(|m| m.ips.first());
    let endpoints = client_endpoints(&plan.members).join(",");
    fill(&Readme {
        cluster: &spec.cluster_name,
        ver: env!("CARGO_PKG_VERSION"),
        generated_at: &facts.generated_at,
        alg: spec.key_algorithm.as_str(),
        warnings: &plan.warnings,
        ca_end: facts.ca_not_after.get(..10).unwrap_or(&facts.ca_not_after),
        fp: &facts.ca_fingerprint,
        issuing: facts
            .issuing
            .as_ref()
            .map(|(end, fp)| (end.get(..10).unwrap_or(end), fp.as_str())),
        root_key: plan.root_key_file.is_some()
            && !plan.carried.ca_key_kept
            && plan.carried.parent.is_none(),
        ca_key: if plan.carried.ca_key_kept {
            CA_KEY_KEPT
        } else if facts.ca_key_encrypted {
            CA_KEY_ENCRYPTED
        } else {
            CA_KEY_PLAIN
        },
        members: plan.members.iter().map(member_row).collect(),
        clients: &spec.clients,
        migration: spec
            .migration
            .as_ref()
            .map(|m| (m.current_client_port, m.current_peer_port)),
        one_machine: plan.one_machine,
        kubeadm: spec.layout == Layout::Kubeadm,
        ca: files::CA_CERT,
        sc: files::SERVER_CERT,
        sk: files::SERVER_KEY,
        pc: files::PEER_CERT,
        pk: files::PEER_KEY,
        env: dropin::ENV_INSTALL_PATH,
        dropin: dropin::INSTALL_PATH,
        yaml: super::yaml::INSTALL_PATH,
        manifest: kubeadm::MANIFEST_PATH,
        apiserver: kubeadm::APISERVER_CLIENT,
        first: first.map_or("etcd1", |m| m.name.as_str()),
        d: first.map_or("/etc/etcd/pki", |m| m.cert_dir.as_str()),
        data: first.map_or("/var/lib/etcd", |m| m.data_dir.as_str()),
        first_ip: first_ip.map(|ip| ip.to_string()).unwrap_or_default(),
        scp_host: first_ip
            .map(|ip| match ip {
                IpAddr::V6(v6) => format!("[{v6}]"),
                v4 => v4.to_string(),
            })
            .unwrap_or_default(),
        first_endpoint: endpoints
            .split(',')
            .next()
            .unwrap_or("")
            .trim_start_matches("https://")
            .to_string(),
        admin: plan.check_client(),
        days: spec.cert_validity_days,
        port: spec.client_port,
        v34: spec.etcd_version == EtcdVersion::V3_4,
    })
}

fn member_row(m: &MemberPlan) -> MemberRow<'_> {
    let mut names: Vec<String> = m.server_ips.iter().map(|i| i.to_string()).collect();
    names.extend(m.server_dns.iter().cloned());
    MemberRow {
        name: &m.name,
        cert_dir: &m.cert_dir,
        peer: &m.advertise_peer_url,
        clients: m.listen_client_urls.join(", "),
        names: names.join(", "),
    }
}
