//! The runbook of an issuing-CA rotation ([`crate::rotate::rotate_issuer`]): scripts the same
//! for every cluster (`pki-core/templates/runbook/rotate-issuer*.sh`) and, beside each, a data
//! file of `KEY='value'` lines it sources — [`crate::runbook`]'s pattern: no spec string is
//! pasted into a script, every value is checked against an allowlist and quoted.
//!
//! | who | script (`templates/runbook/`) | where in the kit |
//! |---|---|---|
//! | each member, one at a time | `rotate-issuer.sh` | `members/<name>/rotate-issuer.sh` + `rotate-issuer.env`, as root on the member |
//! | each client, after every member | `rotate-issuer-client.sh` | `clients/<name>/rotate-issuer.sh` + `rotate-issuer.env`, on the client's machine |
//! | the operator | `ROTATE-ISSUER.md` | the kit's top |
//!
//! The scripts tell certificates apart by their SHA-256 fingerprint (`ROOT_SHA256`,
//! `ISSUER_SHA256`, as `openssl x509 -fingerprint -sha256` prints them).

use std::net::IpAddr;

use crate::error::Error;
use crate::kit::openssl_fingerprint;
use crate::runbook::{RunbookFile, bad, check_absolute, check_name, check_urls};

mod templates {
    #[derive(askama::Template)]
    #[template(path = "runbook/rotate-issuer.sh", escape = "none")]
    pub struct Member {
        pub marker: &'static str,
    }
    #[derive(askama::Template)]
    #[template(path = "runbook/rotate-issuer-client.sh", escape = "none")]
    pub struct Client;
    #[derive(askama::Template)]
    #[template(path = "runbook/ROTATE-ISSUER.md", escape = "none")]
    pub struct Guide<'a> {
        pub cluster: &'a str,
        pub s: &'a super::IssuerRotationSummary,
        pub members: String,
    }
}

/// What `rotate-issuer` did, for a person.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IssuerRotationSummary {
    /// The root's subject (unchanged).
    pub root: String,
    /// The new issuing CA's subject and notAfter (RFC 3339).
    pub new_issuer: (String, String),
    /// The issuing CA it replaces: subject, serial (hex with colons), notAfter.
    pub old_issuer: (String, String, String),
    /// Members, in order.
    pub members: Vec<String>,
    /// Clients, in order: name and kind.
    pub clients: Vec<(String, String)>,
    /// Whether the kit carries a CRL.
    pub crl: bool,
    /// Every certificate keeps its key (`--keep-keys`).
    pub keys_kept: bool,
}

/// What one member's part of an issuing-CA rotation needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemberStep {
    /// The member's name (its folder, `members/<name>/`).
    pub name: String,
    /// Its addresses (one must be on the machine the script runs on; the first is asked).
    pub ips: Vec<IpAddr>,
    /// Its cert_dir on the machine.
    pub cert_dir: String,
    /// etcd's client port.
    pub client_port: u16,
    /// etcd's peer port.
    pub peer_port: u16,
    /// Every member's first address, this one's included (the cluster's health is asked).
    pub addresses: Vec<IpAddr>,
}

/// The two certificates the scripts check everything against, DER.
#[derive(Clone, Copy, Debug)]
pub struct Chain<'a> {
    /// The root: every trusted CA file holds it alone, before and after.
    pub root: &'a [u8],
    /// The new issuing CA: second in every leaf file of the kit.
    pub issuer: &'a [u8],
}

impl Chain<'_> {
    fn vars(&self) -> [(&'static str, String); 2] {
        [
            ("ROOT_SHA256", openssl_fingerprint(self.root)),
            ("ISSUER_SHA256", openssl_fingerprint(self.issuer)),
        ]
    }
}

/// `members/<name>/rotate-issuer.sh` and its data, `rotate-issuer.env`.
pub fn member_files(m: &MemberStep, chain: Chain) -> Result<Vec<RunbookFile>, Error> {
    check_name("name", &m.name)?;
    check_absolute("cert_dir", &m.cert_dir)?;
    let first = m
        .ips
        .first()
        .ok_or_else(|| bad("ips", "", "lists no address"))?;
    if m.client_port == 0 || m.peer_port == 0 || m.client_port == m.peer_port {
        return Err(bad(
            "client_port",
            &m.client_port.to_string(),
            "must be a port other than 0 and other than the peer port",
        ));
    }
    if m.addresses.is_empty() {
        return Err(bad("addresses", "", "lists no member"));
    }
    let words = |v: &[IpAddr]| {
        v.iter()
            .map(IpAddr::to_string)
            .collect::<Vec<_>>()
            .join(" ")
    };
    let [root, issuer] = chain.vars();
    let vars = [
        ("MEMBER", m.name.clone()),
        ("IPS", words(&m.ips)),
        ("ADDRESS", first.to_string()),
        ("CERT_DIR", m.cert_dir.clone()),
        ("CLIENT_PORT", m.client_port.to_string()),
        ("PEER_PORT", m.peer_port.to_string()),
        ("ADDRESSES", words(&m.addresses)),
        root,
        issuer,
    ];
    let dir = format!("members/{}", m.name);
    let script = crate::render::fill(&templates::Member {
        marker: crate::plan::paths::files::BUNDLE_MARKER,
    })?;
    Ok(pair(&dir, script, &vars))
}

/// `clients/<name>/rotate-issuer.sh` and its data. `kind` is the spec's client kind
/// (`etcdctl`, `kube-apiserver`…): what the script says about reloading.
pub fn client_files(
    name: &str,
    kind: &str,
    endpoints: &[String],
    chain: Chain,
) -> Result<Vec<RunbookFile>, Error> {
    check_name("name", name)?;
    check_name("kind", kind)?;
    check_urls("endpoints", endpoints)?;
    let [root, issuer] = chain.vars();
    let vars = [
        ("CLIENT", name.to_string()),
        ("KIND", kind.to_string()),
        ("ENDPOINTS", endpoints.join(",")),
        root,
        issuer,
    ];
    let script = crate::render::fill(&templates::Client)?;
    Ok(pair(&format!("clients/{name}"), script, &vars))
}

/// The kit's `ROTATE-ISSUER.md`: the steps in order, for this cluster.
pub fn guide(cluster: &str, s: &IssuerRotationSummary) -> Result<RunbookFile, Error> {
    Ok(RunbookFile {
        path: "ROTATE-ISSUER.md".into(),
        mode: 0o644,
        contents: crate::render::fill(&templates::Guide {
            cluster,
            s,
            members: s.members.join(", "),
        })?,
    })
}

fn pair(dir: &str, script: String, vars: &[(&str, String)]) -> Vec<RunbookFile> {
    vec![
        RunbookFile {
            path: format!("{dir}/rotate-issuer.sh"),
            mode: 0o755,
            contents: script,
        },
        RunbookFile {
            path: format!("{dir}/rotate-issuer.env"),
            mode: 0o644,
            contents: crate::runbook::data_file("rotate-issuer.sh", vars),
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member() -> MemberStep {
        MemberStep {
            name: "etcd1".into(),
            ips: vec!["10.0.0.1".parse().unwrap(), "2001:db8::1".parse().unwrap()],
            cert_dir: "/etc/etcd/pki".into(),
            client_port: 2379,
            peer_port: 2380,
            addresses: vec!["10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap()],
        }
    }

    const CHAIN: Chain = Chain {
        root: b"root",
        issuer: b"issuer",
    };

    #[test]
    fn the_member_script_is_static_and_its_data_quoted() {
        let f = member_files(&member(), CHAIN).unwrap();
        assert_eq!(f[0].path, "members/etcd1/rotate-issuer.sh");
        assert_eq!(f[0].mode, 0o755);
        assert!(!f[0].contents.contains("10.0.0.1"));
        assert!(f[1].contents.contains("\nIPS='10.0.0.1 2001:db8::1'\n"));
        assert!(f[1].contents.contains("\nADDRESSES='10.0.0.1 10.0.0.2'\n"));
        assert!(f[1].contents.contains(&format!(
            "\nROOT_SHA256='{}'\n",
            openssl_fingerprint(b"root")
        )));
        assert!(
            f[0].contents.contains(crate::render::HOST_ADDRESSES),
            "rotate-issuer.sh lost the shared host-address prelude"
        );
    }

    #[test]
    fn values_outside_the_allowlists_are_refused_with_the_field() {
        let mut m = member();
        m.cert_dir = "/x/$(reboot)".into();
        let e = member_files(&m, CHAIN).unwrap_err().to_string();
        assert!(e.contains("cert_dir"), "{e}");
        let e = client_files(
            "app;reboot",
            "etcdctl",
            &["https://10.0.0.1:2379".into()],
            CHAIN,
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("name"), "{e}");
        let e = client_files("app", "etcdctl", &["http://10.0.0.1:2379".into()], CHAIN)
            .unwrap_err()
            .to_string();
        assert!(e.contains("endpoints"), "{e}");
    }
}
