//! The runbooks of revocation and CA rotation: scripts the same for every cluster
//! (`pki-core/templates/runbook/`, [`Script`]) and, beside each, a data file of `KEY='value'` lines the script sources —
//! the pattern of [`crate::runbook`]: no spec string is ever pasted into a script, every value
//! is checked against an allowlist before it is written and quoted by
//! [`crate::render::quote::sh`].
//!
//! | operation | script (`templates/`) | where in the bundle |
//! |---|---|---|
//! | deploy a CRL | `install-crl.sh` | `members/<name>/install-crl.sh` + `crl.env`, as root on the member |
//! | rotate the CA, phase 1 | `rotate-1-trust-both.sh` | `members/<name>/rotate/1-trust-both.sh` |
//! | rotate the CA, phase 2 | `rotate-2-reissue.sh` | `members/<name>/rotate/2-reissue.sh` |
//! | rotate the CA, phase 3 | `rotate-3-drop-old.sh` | `members/<name>/rotate/3-drop-old.sh` |
//! | renew the CA, same key | `renew-ca.sh` | `members/<name>/rotate/renew-ca.sh` |
//! | a client through a rotation | `rotate-client.sh` | `clients/<name>/rotate/rotate-client.sh` |
//!
//! The rotation scripts share `rotate-lib.sh` (`members/<name>/rotate/lib.sh`) and one data
//! file, `members/<name>/rotate/rotate.env`.

use std::net::IpAddr;

use crate::error::Error;
use crate::runbook::{self, RunbookFile, Script, bad, check_absolute, check_name, check_urls};

pub use crate::render::crl::{CRL_FILE, crl_env};

/// A runbook of this module and the plain data it needs.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum KitOp {
    /// Deploy a member's CRL (`members/<name>/pki/crl.der`) without a restart.
    InstallCrl {
        /// The member's name.
        name: String,
        /// Its addresses (one must be on the machine the script runs on).
        ips: Vec<IpAddr>,
        /// Its cert_dir on the machine.
        cert_dir: String,
        /// Its client port (`--restart` asks it for /health).
        client_port: u16,
    },
    /// A member's part of a CA rotation (three phases) or of a same-key CA renewal: its
    /// scripts, the old and new CA certificates and its data. The member's new certificates
    /// are the kit's `members/<name>/pki/` (a rotation) or unchanged (a renewal).
    RotateMember {
        /// The member's name.
        name: String,
        /// Its addresses (the first is the one its ports are asked on).
        ips: Vec<IpAddr>,
        /// Its cert_dir on the machine.
        cert_dir: String,
        /// etcd's client port.
        client_port: u16,
        /// etcd's peer port.
        peer_port: u16,
        /// Every member of the cluster: name and first address, this one included.
        members: Vec<(String, IpAddr)>,
        /// The CA certificate the cluster trusts now, PEM: its trusted CA file's (the single
        /// CA, or the root with `root+issuing`).
        old_ca_pem: String,
        /// The CA certificate it moves to, PEM: the new trusted CA file (the new root with
        /// `root+issuing`, whose leaves carry the new issuing CA after them).
        new_ca_pem: String,
        /// A same-key renewal (`renew-ca.sh`) rather than a rotation (three phases).
        same_key: bool,
    },
    /// A client's part: `rotate-client.sh`, its data, and the CA file holding both CAs. Its
    /// new certificate and CA are the kit's `clients/<name>/` files.
    RotateClient {
        /// The client's name (its folder).
        name: String,
        /// Its kind, as the spec says (`etcdctl`, `kube-apiserver`, …): which restart applies.
        kind: String,
        /// The members' client URLs, to check the files once replaced.
        endpoints: Vec<String>,
        /// The CA certificate the cluster trusts now, PEM.
        old_ca_pem: String,
        /// The CA certificate it moves to, PEM.
        new_ca_pem: String,
        /// A same-key renewal rather than a rotation.
        same_key: bool,
    },
}

/// The files `op` adds to a bundle: the static script and its data file.
pub fn files(op: &KitOp) -> Result<Vec<RunbookFile>, Error> {
    match op {
        KitOp::InstallCrl {
            name,
            ips,
            cert_dir,
            client_port,
        } => install_crl_files(name, ips, cert_dir, *client_port),
        KitOp::RotateMember {
            name,
            ips,
            cert_dir,
            client_port,
            peer_port,
            members,
            old_ca_pem,
            new_ca_pem,
            same_key,
        } => {
            let address = check_rotate_member(name, ips, cert_dir, *client_port, *peer_port)?;
            check_members(name, members)?;
            let cas = CaPair::read(old_ca_pem, new_ca_pem)?;
            if cas.old_der == cas.new_der {
                return Err(bad("new_ca_pem", "", "is the old CA certificate itself"));
            }
            let words = |v: Vec<String>| v.join(" ");
            let [old_sha, new_sha] = cas.fingerprints();
            let env = [
                ("MEMBER", name.clone()),
                ("IPS", words(ips.iter().map(IpAddr::to_string).collect())),
                ("ADDRESS", address.to_string()),
                ("CERT_DIR", cert_dir.clone()),
                ("CLIENT_PORT", client_port.to_string()),
                ("PEER_PORT", peer_port.to_string()),
                (
                    "MEMBERS",
                    words(members.iter().map(|(m, _)| m.clone()).collect()),
                ),
                (
                    "ADDRESSES",
                    words(members.iter().map(|(_, a)| a.to_string()).collect()),
                ),
                old_sha,
                new_sha,
            ];
            rotate_member_files(name, &env, &cas, *same_key)
        }
        KitOp::RotateClient {
            name,
            kind,
            endpoints,
            old_ca_pem,
            new_ca_pem,
            same_key,
        } => {
            check_name("name", name)?;
            check_name("kind", kind)?;
            check_urls("endpoints", endpoints)?;
            let cas = CaPair::read(old_ca_pem, new_ca_pem)?;
            rotate_client_files(name, kind, endpoints, &cas, *same_key)
        }
    }
}

/// [`KitOp::InstallCrl`]: `install-crl.sh` and `crl.env` in the member's folder.
fn install_crl_files(
    name: &str,
    ips: &[IpAddr],
    cert_dir: &str,
    client_port: u16,
) -> Result<Vec<RunbookFile>, Error> {
    check_name("name", name)?;
    check_absolute("cert_dir", cert_dir)?;
    if ips.is_empty() {
        return Err(bad("ips", "", "lists no address"));
    }
    let dir = format!("members/{name}");
    Ok(vec![
        RunbookFile {
            path: format!("{dir}/install-crl.sh"),
            mode: 0o755,
            contents: crate::render::crl::install_crl_script()?,
        },
        RunbookFile {
            path: format!("{dir}/crl.env"),
            mode: 0o644,
            contents: crate::render::crl::install_crl_env(name, ips, cert_dir, client_port),
        },
    ])
}

/// The member's own data of a [`KitOp::RotateMember`], checked; its first address, the one
/// its ports are asked on.
fn check_rotate_member(
    name: &str,
    ips: &[IpAddr],
    cert_dir: &str,
    client_port: u16,
    peer_port: u16,
) -> Result<IpAddr, Error> {
    check_name("name", name)?;
    check_absolute("cert_dir", cert_dir)?;
    let first = ips
        .first()
        .ok_or_else(|| bad("ips", "", "lists no address"))?;
    if client_port == 0 || peer_port == 0 || client_port == peer_port {
        return Err(bad(
            "client_port",
            &client_port.to_string(),
            "must be a port other than 0 and other than the peer port",
        ));
    }
    Ok(*first)
}

/// The cluster's members of a [`KitOp::RotateMember`]: names only, `name` among them.
fn check_members(name: &str, members: &[(String, IpAddr)]) -> Result<(), Error> {
    if !members.iter().any(|(m, _)| m == name) {
        return Err(bad("members", name, "does not list this member"));
    }
    for (m, _) in members {
        check_name("members", m)?;
    }
    Ok(())
}

/// The CA certificate the cluster trusts now and the one it moves to, each checked to be one
/// certificate.
struct CaPair<'a> {
    old_pem: &'a str,
    new_pem: &'a str,
    old_der: Vec<u8>,
    new_der: Vec<u8>,
}

impl<'a> CaPair<'a> {
    fn read(old_pem: &'a str, new_pem: &'a str) -> Result<Self, Error> {
        Ok(CaPair {
            old_pem,
            new_pem,
            old_der: one_cert("old_ca_pem", old_pem)?,
            new_der: one_cert("new_ca_pem", new_pem)?,
        })
    }

    /// `OLD_CA_SHA256` and `NEW_CA_SHA256`, which the scripts tell the CA files apart by.
    fn fingerprints(&self) -> [(&'static str, String); 2] {
        [
            ("OLD_CA_SHA256", openssl_fingerprint(&self.old_der)),
            ("NEW_CA_SHA256", openssl_fingerprint(&self.new_der)),
        ]
    }

    /// `both-ca.crt`: old then new, the CA file trusted while both are in use.
    fn both_file(&self, dir: &str) -> RunbookFile {
        cert_file(
            &format!("{dir}/both-ca.crt"),
            &format!("{}{}", pem_text(self.old_pem), pem_text(self.new_pem)),
        )
    }
}

/// [`KitOp::RotateMember`]'s files under `members/<name>/rotate/`: the shared library, the CA
/// files, the data `env`, then the scripts of a renewal or of the three phases.
fn rotate_member_files(
    name: &str,
    env: &[(&str, String)],
    cas: &CaPair,
    same_key: bool,
) -> Result<Vec<RunbookFile>, Error> {
    let dir = format!("members/{name}/rotate");
    let mut out = vec![
        script(&format!("{dir}/lib.sh"), Script::RotateLib)?,
        cert_file(&format!("{dir}/old-ca.crt"), cas.old_pem),
        cert_file(&format!("{dir}/new-ca.crt"), cas.new_pem),
        // renew-ca.sh does not use it; lib.sh checks every kit has it.
        cas.both_file(&dir),
        data(&format!("{dir}/rotate.env"), "the rotate/ scripts", env),
    ];
    if same_key {
        out.push(script(&format!("{dir}/renew-ca.sh"), Script::RenewCa)?);
    } else {
        out.push(script(
            &format!("{dir}/1-trust-both.sh"),
            Script::RotateTrustBoth,
        )?);
        out.push(script(
            &format!("{dir}/2-reissue.sh"),
            Script::RotateReissue,
        )?);
        out.push(script(
            &format!("{dir}/3-drop-old.sh"),
            Script::RotateDropOld,
        )?);
    }
    Ok(out)
}

/// [`KitOp::RotateClient`]'s files under `clients/<name>/rotate/`: `rotate-client.sh`, its
/// data, and (a rotation only) the CA file holding both CAs.
fn rotate_client_files(
    name: &str,
    kind: &str,
    endpoints: &[String],
    cas: &CaPair,
    same_key: bool,
) -> Result<Vec<RunbookFile>, Error> {
    let dir = format!("clients/{name}/rotate");
    let [old_sha, new_sha] = cas.fingerprints();
    let mut out = vec![
        script(&format!("{dir}/rotate-client.sh"), Script::RotateClient)?,
        data(
            &format!("{dir}/rotate.env"),
            "rotate-client.sh",
            &[
                ("CLIENT", name.to_string()),
                ("KIND", kind.to_string()),
                ("ENDPOINTS", endpoints.join(",")),
                old_sha,
                new_sha,
            ],
        ),
    ];
    if !same_key {
        out.push(cas.both_file(&dir));
    }
    Ok(out)
}

/// The DER of the one certificate in `text` (PEM).
fn one_cert(field: &str, text: &str) -> Result<Vec<u8>, Error> {
    let all = pem::parse_many(text).map_err(|e| bad(field, "", &format!("is not PEM ({e})")))?;
    match all.as_slice() {
        [one] if one.tag() == "CERTIFICATE" => Ok(one.contents().to_vec()),
        _ => Err(bad(field, "", "must hold exactly one certificate")),
    }
}

/// PEM text ending in one newline, so that two can be joined into one file.
fn pem_text(text: &str) -> String {
    format!("{}\n", text.trim_end())
}

/// The SHA-256 fingerprint as `openssl x509 -noout -fingerprint -sha256` prints it
/// (`AB:CD:…`), which the scripts compare against.
pub fn openssl_fingerprint(der: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(der)
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

fn cert_file(path: &str, text: &str) -> RunbookFile {
    RunbookFile {
        path: path.to_string(),
        mode: 0o644,
        contents: pem_text(text),
    }
}

/// `https://<IP>:<port>` or `https://[<IPv6>]:<port>`.
fn script(path: &str, script: Script) -> Result<RunbookFile, Error> {
    Ok(RunbookFile {
        path: path.to_string(),
        mode: 0o755,
        contents: script.text()?,
    })
}

/// `KEY='value'` lines, sourced by the script: [`crate::runbook`]'s data file.
fn data(path: &str, script: &str, vars: &[(&str, String)]) -> RunbookFile {
    RunbookFile {
        path: path.to_string(),
        mode: 0o644,
        contents: runbook::data_file(script, vars),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn install_crl_is_the_static_script_and_quoted_data() {
        let f = files(&KitOp::InstallCrl {
            name: "etcd1".into(),
            ips: vec!["10.0.0.1".parse().unwrap(), "2001:db8::1".parse().unwrap()],
            cert_dir: "/etc/etcd/pki".into(),
            client_port: 2379,
        })
        .unwrap();
        assert_eq!(f[0].path, "members/etcd1/install-crl.sh");
        assert!(f[0].contents.contains("check_generation install-crl"));
        assert!(f[1].contents.contains("\nIPS='10.0.0.1 2001:db8::1'\n"));
        assert!(f[1].contents.contains("\nCERT_DIR='/etc/etcd/pki'\n"));
        // The rotation scripts include the shared host-address prelude.
        assert!(
            Script::RotateLib
                .text()
                .unwrap()
                .contains(crate::render::HOST_ADDRESSES),
            "rotate-lib.sh lost the shared host-address prelude (templates/shell/host-addresses.sh)"
        );
    }

    #[test]
    fn values_outside_the_allowlists_are_refused() {
        for (name, dir, field) in [
            ("etcd1;reboot", "/etc/etcd/pki", "name"),
            ("etcd1", "/etc/../etc", "cert_dir"),
            ("etcd1", "/etc", "cert_dir"),
            ("etcd1", "/x/$(reboot)", "cert_dir"),
        ] {
            let e = files(&KitOp::InstallCrl {
                name: name.into(),
                ips: vec!["10.0.0.1".parse().unwrap()],
                cert_dir: dir.into(),
                client_port: 2379,
            })
            .unwrap_err()
            .to_string();
            assert!(e.contains(field), "{e}");
        }
    }

    #[test]
    fn crl_env_names_one_file_for_both_sides() {
        let [(a, p), (b, q)] = crl_env("/etc/etcd/pki/");
        assert_eq!((a, b), ("ETCD_CLIENT_CRL_FILE", "ETCD_PEER_CRL_FILE"));
        assert_eq!(p, "/etc/etcd/pki/crl.der");
        assert_eq!(p, q);
    }
}
