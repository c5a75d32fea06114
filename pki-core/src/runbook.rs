//! Runbooks: the scripts a day-two operation adds to a bundle, and the data they read.
//!
//! The scripts are templates (`pki-core/templates/runbook/*.sh`, [`Script`]) that include
//! the shell preludes install.sh includes, the same for every cluster, so a reviewer reads them once and shellcheck checks exactly what
//! runs. What differs per operation is a data file beside each script, `KEY='value'` lines
//! quoted by [`crate::render::quote::sh`], which the script sources: no spec string is ever
//! pasted into a script. Every value is also checked against the allowlists of
//! [`crate::rules`] before it is written (the first wall; quoting is the second).
//!
//! | operation        | script (`templates/runbook/`) | where in the bundle                            |
//! |------------------|----------------------------|------------------------------------------------|
//! | add a member     | `add-member.sh`            | `runbook/add-<name>.sh` + `.env`, admin side    |
//! | remove a member  | `remove-member.sh`         | `runbook/remove-<name>.sh` + `.env`, admin side |
//! | renew a member   | `renew.sh`                 | `members/<name>/renew.sh` + `renew.env`, as root on the member |

use std::net::IpAddr;

use crate::error::Error;
use crate::render::quote;

/// A runbook script: a template under `templates/runbook/`, the same for every cluster (what
/// differs is the data file beside it), with the shell preludes it shares with install.sh
/// (`templates/shell/`: this machine's addresses, safe folders, the bundle generation)
/// included, not pasted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Script {
    /// `add-member.sh`: `etcdctl member add --learner` (retried while etcd says "unhealthy
    /// cluster"), what to run on the new machine, wait until it has caught up, promote, health.
    AddMember,
    /// `remove-member.sh`: refuse below quorum or when unhealthy, `etcdctl member remove`,
    /// wait, health, what to revoke.
    RemoveMember,
    /// `renew.sh`: swap a member's certificates and keys under a running etcd, then check with
    /// `openssl s_client` that its ports serve the new serials.
    Renew,
    /// `rotate/lib.sh`: what a member's rotation scripts share (machine and path checks, which
    /// CAs a file holds, the running etcd, health gates, the restart and the wait).
    RotateLib,
    /// `rotate/1-trust-both.sh`: phase 1, the trusted CA file becomes old + new; restart.
    RotateTrustBoth,
    /// `rotate/2-reissue.sh`: phase 2, the new CA's certificates swapped in; no restart.
    RotateReissue,
    /// `rotate/3-drop-old.sh`: phase 3, the trusted CA file becomes the new CA; restart.
    RotateDropOld,
    /// `rotate/renew-ca.sh`: same-key CA renewal, the renewed CA certificate; restart.
    RenewCa,
    /// `rotate/rotate-client.sh`: a client's files through the phases (or a renewal).
    RotateClient,
}

mod scripts {
    #[derive(askama::Template)]
    #[template(path = "runbook/add-member.sh", escape = "none")]
    pub struct AddMember;
    #[derive(askama::Template)]
    #[template(path = "runbook/remove-member.sh", escape = "none")]
    pub struct RemoveMember;
    #[derive(askama::Template)]
    #[template(path = "runbook/renew.sh", escape = "none")]
    pub struct Renew {
        pub marker: &'static str,
    }
    #[derive(askama::Template)]
    #[template(path = "runbook/rotate-lib.sh", escape = "none")]
    pub struct RotateLib;
    #[derive(askama::Template)]
    #[template(path = "runbook/rotate-1-trust-both.sh", escape = "none")]
    pub struct RotateTrustBoth;
    #[derive(askama::Template)]
    #[template(path = "runbook/rotate-2-reissue.sh", escape = "none")]
    pub struct RotateReissue;
    #[derive(askama::Template)]
    #[template(path = "runbook/rotate-3-drop-old.sh", escape = "none")]
    pub struct RotateDropOld;
    #[derive(askama::Template)]
    #[template(path = "runbook/renew-ca.sh", escape = "none")]
    pub struct RenewCa;
    #[derive(askama::Template)]
    #[template(path = "runbook/rotate-client.sh", escape = "none")]
    pub struct RotateClient;
}

impl Script {
    /// The script's text.
    pub fn text(self) -> Result<String, Error> {
        use crate::render::fill;
        match self {
            Script::AddMember => fill(&scripts::AddMember),
            Script::RemoveMember => fill(&scripts::RemoveMember),
            Script::Renew => fill(&scripts::Renew {
                marker: crate::plan::paths::files::BUNDLE_MARKER,
            }),
            Script::RotateLib => fill(&scripts::RotateLib),
            Script::RotateTrustBoth => fill(&scripts::RotateTrustBoth),
            Script::RotateReissue => fill(&scripts::RotateReissue),
            Script::RotateDropOld => fill(&scripts::RotateDropOld),
            Script::RenewCa => fill(&scripts::RenewCa),
            Script::RotateClient => fill(&scripts::RotateClient),
        }
    }
}

/// One file to add to a bundle.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunbookFile {
    /// Path inside the bundle, `/`-separated.
    pub path: String,
    /// 0755 for scripts, 0644 for their data.
    pub mode: u32,
    /// The text.
    pub contents: String,
}

/// A day-two operation and the plain data its runbook needs.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Operation {
    /// Add one member to the running cluster.
    AddMember {
        /// The new member's name.
        name: String,
        /// Its peer URLs (`https://10.0.0.4:2380`), the first one advertised.
        peer_urls: Vec<String>,
        /// Its first client URL, to watch it catch up.
        client_url: String,
        /// The client URLs of the members that exist now (not the new one).
        endpoints: Vec<String>,
        /// `ETCD_INITIAL_CLUSTER` of the new member's env file: the cluster after the add.
        initial_cluster: String,
        /// The admin client's `etcdctl-env.sh`, relative to the bundle root.
        etcdctl_env: String,
        /// A one-machine bundle: the new member is started by `demo/run.sh` on this machine,
        /// not installed on one of its own with install.sh.
        one_machine: bool,
    },
    /// Remove one member from the running cluster.
    RemoveMember {
        /// The member's name.
        name: String,
        /// Its peer URLs (to find it if it never started and so has no name yet).
        peer_urls: Vec<String>,
        /// The client URLs of the members that stay.
        endpoints: Vec<String>,
        /// Its data_dir, to be wiped on its machine.
        data_dir: String,
        /// Its cert_dir, whose keys go too.
        cert_dir: String,
        /// Its certificates to revoke: (file name, serial in hex as openssl prints it).
        revoke: Vec<(String, String)>,
        /// The admin client's `etcdctl-env.sh`, relative to the bundle root.
        etcdctl_env: String,
    },
    /// Swap one member's renewed certificates and keys in place, without a restart.
    Renew {
        /// The member's name.
        name: String,
        /// Its addresses (the first one is asked for the served certificates).
        ips: Vec<IpAddr>,
        /// Its cert_dir on the machine.
        cert_dir: String,
        /// The port serving `server.crt`.
        client_port: u16,
        /// The port serving `peer.crt`.
        peer_port: u16,
    },
}

/// The files `op` adds to a bundle: the static script and its data file.
pub fn files(op: &Operation) -> Result<Vec<RunbookFile>, Error> {
    match op {
        Operation::AddMember {
            name,
            peer_urls,
            client_url,
            endpoints,
            initial_cluster,
            etcdctl_env,
            one_machine,
        } => {
            check_name("name", name)?;
            check_urls("peer_urls", peer_urls)?;
            check_urls("client_url", std::slice::from_ref(client_url))?;
            check_urls("endpoints", endpoints)?;
            check_initial_cluster(initial_cluster)?;
            check_relative("etcdctl_env", etcdctl_env)?;
            let base = format!("runbook/add-{name}");
            let data = data_file(
                &format!("{base}.sh"),
                &[
                    ("NAME", name.clone()),
                    ("PEER_URLS", peer_urls.join(",")),
                    ("CLIENT_URL", client_url.clone()),
                    ("ENDPOINTS", endpoints.join(",")),
                    ("INITIAL_CLUSTER", initial_cluster.clone()),
                    ("ETCDCTL_ENV", etcdctl_env.clone()),
                    ("MEMBER_FOLDER", format!("members/{name}")),
                    (
                        "ONE_MACHINE",
                        if *one_machine { "1" } else { "" }.to_string(),
                    ),
                ],
            );
            Ok(pair(&base, Script::AddMember.text()?, data))
        }
        Operation::RemoveMember {
            name,
            peer_urls,
            endpoints,
            data_dir,
            cert_dir,
            revoke,
            etcdctl_env,
        } => {
            check_name("name", name)?;
            check_urls("peer_urls", peer_urls)?;
            check_urls("endpoints", endpoints)?;
            check_absolute("data_dir", data_dir)?;
            check_absolute("cert_dir", cert_dir)?;
            check_relative("etcdctl_env", etcdctl_env)?;
            let base = format!("runbook/remove-{name}");
            let data = data_file(
                &format!("{base}.sh"),
                &[
                    ("NAME", name.clone()),
                    ("PEER_URLS", peer_urls.join(",")),
                    ("ENDPOINTS", endpoints.join(",")),
                    ("DATA_DIR", data_dir.clone()),
                    ("CERT_DIR", cert_dir.clone()),
                    ("REVOKE", revoke_list(revoke)?),
                    ("ETCDCTL_ENV", etcdctl_env.clone()),
                ],
            );
            Ok(pair(&base, Script::RemoveMember.text()?, data))
        }
        Operation::Renew {
            name,
            ips,
            cert_dir,
            client_port,
            peer_port,
        } => renew_files(name, ips, cert_dir, *client_port, *peer_port),
    }
}

/// [`Operation::RemoveMember`]'s certificates as `REVOKE` holds them, `file=SERIAL` separated
/// by spaces; refused when empty or when a file is no name or a serial no hex.
fn revoke_list(revoke: &[(String, String)]) -> Result<String, Error> {
    if revoke.is_empty() {
        return Err(bad("revoke", "", "lists no certificate"));
    }
    for (file, serial) in revoke {
        check_name("revoke", file)?;
        if serial.is_empty() || !serial.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(bad("revoke", serial, "is not a serial number in hex"));
        }
    }
    Ok(revoke
        .iter()
        .map(|(f, s)| format!("{f}={s}"))
        .collect::<Vec<_>>()
        .join(" "))
}

/// [`Operation::Renew`]: `members/<name>/renew.sh` and `renew.env`.
fn renew_files(
    name: &str,
    ips: &[IpAddr],
    cert_dir: &str,
    client_port: u16,
    peer_port: u16,
) -> Result<Vec<RunbookFile>, Error> {
    check_name("name", name)?;
    check_absolute("cert_dir", cert_dir)?;
    let first = ips
        .first()
        .ok_or_else(|| bad("ips", "", "lists no address"))?;
    let ips = ips.iter().map(IpAddr::to_string).collect::<Vec<_>>();
    let base = format!("members/{name}/renew");
    let data = data_file(
        &format!("{base}.sh"),
        &[
            ("MEMBER", name.to_string()),
            ("IPS", ips.join(" ")),
            ("ADDRESS", first.to_string()),
            ("CERT_DIR", cert_dir.to_string()),
            ("PAIRS", format!("server:{client_port} peer:{peer_port}")),
        ],
    );
    Ok(pair(&base, Script::Renew.text()?, data))
}

fn pair(base: &str, script: String, data: String) -> Vec<RunbookFile> {
    vec![
        RunbookFile {
            path: format!("{base}.sh"),
            mode: 0o755,
            contents: script,
        },
        RunbookFile {
            path: format!("{base}.env"),
            mode: 0o644,
            contents: data,
        },
    ]
}

/// A runbook file as a file the plan lists ([`crate::plan::Plan::prepare`]): the cluster's,
/// no install path, its bytes prepared now. Its role says script (0755) or data (0644), and
/// the mode follows from the role as for every other file.
pub fn file_plan(r: &RunbookFile) -> crate::plan::FilePlan {
    use crate::plan::{Content, FilePlan, Owner, Role};
    let role = if r.mode == 0o755 {
        Role::RunbookScript
    } else {
        Role::Runbook
    };
    debug_assert_eq!(role.mode(), r.mode, "{}", r.path);
    FilePlan {
        path: r.path.clone(),
        role,
        owner: Owner::Cluster,
        install_path: None,
        content: Content::Prepared(r.contents.clone().into_bytes()),
    }
}

/// `KEY='value'` lines, sourced by the script ([`crate::render::quote::data_file`]).
pub(crate) fn data_file(script: &str, vars: &[(&str, String)]) -> String {
    quote::data_file(script, vars)
}

/// The error of a runbook value: the field, the value given, what is wrong with it.
pub(crate) fn bad(field: &str, value: &str, reason: &str) -> Error {
    Error::Runbook {
        field: field.to_string(),
        value: value.to_string(),
        reason: reason.to_string(),
    }
}

/// `v` is a name: [`crate::rules`]' name characters, starting with a letter or digit.
pub(crate) fn check_name(field: &str, v: &str) -> Result<(), Error> {
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

/// `https://<IPv4>:<port>` or `https://[<IPv6>]:<port>`, as the plan writes them.
/// Every URL of `urls` is `https://IP:PORT` (IPv6 in brackets), refused naming `field`.
pub(crate) fn check_urls(field: &str, urls: &[String]) -> Result<(), Error> {
    if urls.is_empty() {
        return Err(bad(field, "", "lists no URL"));
    }
    for u in urls {
        let ok = u.strip_prefix("https://").is_some_and(|rest| {
            rest.rsplit_once(':').is_some_and(|(host, port)| {
                let host = host
                    .strip_prefix('[')
                    .and_then(|h| h.strip_suffix(']'))
                    .unwrap_or(host);
                host.parse::<IpAddr>().is_ok() && port.parse::<u16>().is_ok_and(|p| p > 0)
            })
        });
        if !ok {
            return Err(bad(
                field,
                u,
                "is not a URL like https://10.0.0.1:2379 or https://[2001:db8::1]:2380 (https, an IP address, a port)",
            ));
        }
    }
    Ok(())
}

fn check_initial_cluster(v: &str) -> Result<(), Error> {
    for entry in v.split(',') {
        let (name, url) = entry.split_once('=').ok_or_else(|| {
            bad(
                "initial_cluster",
                v,
                "is not a list of name=https://address:port",
            )
        })?;
        check_name("initial_cluster", name)?;
        check_urls("initial_cluster", &[url.to_string()])?;
    }
    Ok(())
}

fn path_ok(v: &str) -> bool {
    !v.is_empty()
        && v.len() <= crate::rules::MAX_STRING
        && v.chars().all(crate::rules::is_path_char)
        && !v.split('/').any(|part| part == "..")
}

/// `v` is an absolute path a root-run script may install into: allowlisted characters, no `..`,
/// no part an option parser could read as a flag, not a system folder. A relative one gets its
/// own reason: `etcd-pki demo` writes one (its members run from the unpacked folder).
pub(crate) fn check_absolute(field: &str, v: &str) -> Result<(), Error> {
    let ok = path_ok(v)
        && v.starts_with('/')
        && !v.split('/').any(|part| part.starts_with('-'))
        && !crate::rules::is_system_folder(v);
    if ok {
        Ok(())
    } else if path_ok(v) && !v.starts_with('/') {
        Err(bad(
            field,
            v,
            "is relative, as in the bundle `etcd-pki demo` writes (its members run from the \
             unpacked folder): day-two runbooks install into absolute paths as root, so day two \
             needs a bundle made from a spec whose cert_dir and data_dir are absolute",
        ))
    } else {
        Err(bad(
            field,
            v,
            "is not an absolute path of letters, digits, `.`, `_`, `-` and `/`, nor a system folder such as /etc",
        ))
    }
}

fn check_relative(field: &str, v: &str) -> Result<(), Error> {
    if path_ok(v) && !v.starts_with('/') {
        Ok(())
    } else {
        Err(bad(
            field,
            v,
            "is not a path inside the bundle (like clients/etcdctl/etcdctl-env.sh)",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn add() -> Operation {
        Operation::AddMember {
            name: "etcd4".into(),
            peer_urls: vec!["https://10.0.0.4:2380".into()],
            client_url: "https://10.0.0.4:2379".into(),
            endpoints: vec![
                "https://10.0.0.1:2379".into(),
                "https://[2001:db8::2]:2379".into(),
            ],
            initial_cluster: "etcd1=https://10.0.0.1:2380,etcd4=https://10.0.0.4:2380".into(),
            etcdctl_env: "clients/etcdctl/etcdctl-env.sh".into(),
            one_machine: false,
        }
    }

    #[test]
    fn add_member_is_the_static_script_and_quoted_data() {
        let f = files(&add()).unwrap();
        assert_eq!(f[0].path, "runbook/add-etcd4.sh");
        assert_eq!(f[0].mode, 0o755);
        assert_eq!(f[0].contents, Script::AddMember.text().unwrap());
        assert_eq!(f[1].path, "runbook/add-etcd4.env");
        assert!(
            f[1].contents
                .contains("\nENDPOINTS='https://10.0.0.1:2379,https://[2001:db8::2]:2379'\n"),
            "{}",
            f[1].contents
        );
        assert!(f[1].contents.contains("\nMEMBER_FOLDER='members/etcd4'\n"));
    }

    #[test]
    fn values_outside_the_allowlists_are_refused_with_the_field() {
        let mut op = add();
        if let Operation::AddMember { name, .. } = &mut op {
            *name = "etcd4'; rm -rf /".into();
        }
        let e = files(&op).unwrap_err().to_string();
        assert!(e.contains("name") && e.contains("is not a name"), "{e}");
        let mut op = add();
        if let Operation::AddMember { peer_urls, .. } = &mut op {
            peer_urls[0] = "https://$(reboot):2380".into();
        }
        let e = files(&op).unwrap_err().to_string();
        assert!(e.contains("peer_urls"), "{e}");
        let e = files(&Operation::Renew {
            name: "etcd1".into(),
            ips: vec!["10.0.0.1".parse().unwrap()],
            cert_dir: "/etc/../etc".into(),
            client_port: 2379,
            peer_port: 2380,
        })
        .unwrap_err()
        .to_string();
        assert!(e.contains("cert_dir"), "{e}");
    }

    #[test]
    fn renew_names_both_ports() {
        let f = files(&Operation::Renew {
            name: "etcd1".into(),
            ips: vec!["10.0.0.1".parse().unwrap(), "2001:db8::1".parse().unwrap()],
            cert_dir: "/etc/etcd/pki".into(),
            client_port: 2379,
            peer_port: 2380,
        })
        .unwrap();
        assert_eq!(f[0].path, "members/etcd1/renew.sh");
        assert!(f[1].contents.contains("\nPAIRS='server:2379 peer:2380'\n"));
        assert!(f[1].contents.contains("\nIPS='10.0.0.1 2001:db8::1'\n"));
    }

    #[test]
    fn scripts_find_addresses_as_install_sh_does() {
        // The prelude is included from templates/shell/, as install.sh includes it.
        let renew = Script::Renew.text().unwrap();
        assert!(renew.contains(crate::render::HOST_ADDRESSES));
        assert!(renew.contains("check_generation renew"));
        assert!(!renew.contains("{%"), "{renew}");
    }
}
