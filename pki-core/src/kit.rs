//! The runbooks of revocation and CA rotation: static scripts (`pki-core/runbooks/`, included
//! as they are) and, beside each, a data file of `KEY='value'` lines the script sources —
//! the pattern of [`crate::runbook`]: no spec string is ever pasted into a script, every value
//! is checked against an allowlist before it is written and quoted by
//! [`crate::render::quote::sh`].
//!
//! | operation | script (from `runbooks/`) | where in the bundle |
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
use crate::render::quote;
use crate::runbook::RunbookFile;

/// `runbooks/install-crl.sh`: a new CRL into cert_dir by rename, checked first (DER, signed by
/// the installed CA, not older than the installed one); says whether the running etcd reads it.
pub const INSTALL_CRL_SH: &str = include_str!("../runbooks/install-crl.sh");

/// The file name of the CRL in a member's `pki/` folder and in its cert_dir. One file serves
/// both `--client-crl-file` and `--peer-crl-file`: one CA, one list.
pub const CRL_FILE: &str = "crl.der";

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
    },
}

/// The files `op` adds to a bundle: the static script and its data file.
pub fn files(op: &KitOp) -> Result<Vec<RunbookFile>, Error> {
    match op {
        KitOp::InstallCrl {
            name,
            ips,
            cert_dir,
        } => {
            check_name("name", name)?;
            check_absolute("cert_dir", cert_dir)?;
            if ips.is_empty() {
                return Err(bad("ips", "", "lists no address"));
            }
            let ips = ips.iter().map(IpAddr::to_string).collect::<Vec<_>>();
            let dir = format!("members/{name}");
            Ok(vec![
                script(&format!("{dir}/install-crl.sh"), INSTALL_CRL_SH),
                data(
                    &format!("{dir}/crl.env"),
                    "install-crl.sh",
                    &[
                        ("MEMBER", name.clone()),
                        ("IPS", ips.join(" ")),
                        ("CERT_DIR", cert_dir.clone()),
                    ],
                ),
            ])
        }
    }
}

/// `ETCD_CLIENT_CRL_FILE` and `ETCD_PEER_CRL_FILE` for a member whose cert_dir is `cert_dir`:
/// the lines its env file gains once CRLs are on (never the YAML config: it has no such key).
pub fn crl_env(cert_dir: &str) -> [(&'static str, String); 2] {
    let path = format!("{}/{CRL_FILE}", cert_dir.trim_end_matches('/'));
    [
        ("ETCD_CLIENT_CRL_FILE", path.clone()),
        ("ETCD_PEER_CRL_FILE", path),
    ]
}

fn script(path: &str, text: &str) -> RunbookFile {
    RunbookFile {
        path: path.to_string(),
        mode: 0o755,
        contents: text.to_string(),
    }
}

/// `KEY='value'` lines, sourced by the script: quoted as the bundle's env files are.
// TODO(daytwo): share runbook.rs's data_file once both branches are merged.
fn data(path: &str, script: &str, vars: &[(&str, String)]) -> RunbookFile {
    let mut s = format!(
        "# Parameters of {script}, written by etcd-pki. The script sources this file.\n\
         # shellcheck shell=bash disable=SC2034\n"
    );
    for (k, v) in vars {
        s.push_str(&format!("{k}={}\n", quote::sh(v)));
    }
    RunbookFile {
        path: path.to_string(),
        mode: 0o644,
        contents: s,
    }
}

fn bad(field: &str, value: &str, reason: &str) -> Error {
    Error::Runbook {
        field: field.to_string(),
        value: value.to_string(),
        reason: reason.to_string(),
    }
}

fn check_name(field: &str, v: &str) -> Result<(), Error> {
    let ok = !v.is_empty()
        && v.len() <= crate::rules::MAX_STRING
        && v.starts_with(|c: char| c.is_ascii_alphanumeric())
        && v.chars().all(crate::rules::is_name_char);
    if ok {
        Ok(())
    } else {
        Err(bad(
            field,
            v,
            "is not a name: use letters, digits, `.`, `_` and `-`, starting with a letter or digit",
        ))
    }
}

fn check_absolute(field: &str, v: &str) -> Result<(), Error> {
    let ok = !v.is_empty()
        && v.len() <= crate::rules::MAX_STRING
        && v.starts_with('/')
        && v.chars().all(crate::rules::is_path_char)
        && !v.contains('{')
        && !v.split('/').any(|p| p == ".." || p.starts_with('-'))
        && !crate::rules::is_system_folder(v);
    if ok {
        Ok(())
    } else {
        Err(bad(
            field,
            v,
            "is not an absolute path of letters, digits, `.`, `_`, `-` and `/`, nor a system folder such as /etc",
        ))
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
        })
        .unwrap();
        assert_eq!(f[0].path, "members/etcd1/install-crl.sh");
        assert_eq!(f[0].contents, INSTALL_CRL_SH);
        assert_eq!(f[1].path, "members/etcd1/crl.env");
        assert!(f[1].contents.contains("\nIPS='10.0.0.1 2001:db8::1'\n"));
        assert!(f[1].contents.contains("\nCERT_DIR='/etc/etcd/pki'\n"));
        assert!(INSTALL_CRL_SH.contains(crate::render::HOST_ADDRESSES));
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
