//! A member's files of revocation, rendered with the rest of the bundle whenever the bundle
//! has a CRL (its plan carries revocations): the CRL itself (`pki/crl.der`, from the issue
//! stage), `install-crl.sh` with its data file `crl.env`, and the systemd drop-in
//! `etcd.service.d/20-etcd-pki-crl.conf`. The member's env file, command line and static pod
//! carry the CRL flags from [`super::settings`] too, so a member added after a revocation
//! starts with the CRL like the others ("every member of a bundle that has a CRL starts with
//! it, whatever the order of operations").

use super::quote::data_file;
use crate::plan::MemberPlan;

/// `templates/member/install-crl.sh`: a new CRL into cert_dir by rename, checked first (DER,
/// signed by the installed CA, a higher CRL number, no serial taken back, not from an older
/// generation of bundles than the machine holds); says whether the running etcd reads it. The
/// same for every member: what differs is in `crl.env`, which it sources.
#[derive(askama::Template)]
#[template(path = "member/install-crl.sh", escape = "none")]
struct InstallCrl;

/// The text of `install-crl.sh`.
pub fn install_crl_script() -> Result<String, crate::error::Error> {
    super::fill(&InstallCrl)
}

/// The file name of the CRL in a member's `pki/` folder and in its cert_dir.
pub use crate::plan::paths::files::CRL as CRL_FILE;
/// The drop-in that turns CRLs on, in a member's `etcd.service.d/`.
pub use crate::plan::paths::files::CRL_DROPIN;

/// The CRL's path on a member whose cert_dir is `cert_dir`.
pub fn crl_path(cert_dir: &str) -> String {
    format!("{}/{CRL_FILE}", cert_dir.trim_end_matches('/'))
}

/// `ETCD_CLIENT_CRL_FILE` and `ETCD_PEER_CRL_FILE` for a member whose cert_dir is `cert_dir`
/// (never the YAML config: it has no such key, and etcd ignores an unknown one silently).
pub fn crl_env(cert_dir: &str) -> [(&'static str, String); 2] {
    let path = crl_path(cert_dir);
    [
        ("ETCD_CLIENT_CRL_FILE", path.clone()),
        ("ETCD_PEER_CRL_FILE", path),
    ]
}

/// `crl.env`, the data `install-crl.sh` sources. The values passed validation's allowlists
/// (names, addresses, absolute paths) and are quoted besides.
pub fn install_crl_env(
    name: &str,
    ips: &[std::net::IpAddr],
    cert_dir: &str,
    client_port: u16,
) -> String {
    let ips: Vec<String> = ips.iter().map(ToString::to_string).collect();
    data_file(
        "install-crl.sh",
        &[
            ("MEMBER", name.to_string()),
            ("IPS", ips.join(" ")),
            ("CERT_DIR", cert_dir.to_string()),
            // --restart asks this port for /health once etcd is back.
            ("CLIENT_PORT", client_port.to_string()),
        ],
    )
}

/// `etcd.service.d/20-etcd-pki-crl.conf` of member `m`. A drop-in of its own, after
/// `10-etcd-pki.conf`: a member installed before its bundle had a CRL gets CRLs on by adding
/// this file alone, and no later install turns them off.
pub fn dropin(m: &MemberPlan) -> String {
    let mut dropin = String::from(
        "# Turns certificate revocation lists on for etcd (etcd-pki revoke). A drop-in of its\n\
         # own, after 10-etcd-pki.conf: install.sh of a later bundle leaves it in place.\n\
         # etcd reads the CRL file at every new connection; this setting only at start.\n\
         [Service]\n",
    );
    // cert_dir passed the spec's path allowlist ([A-Za-z0-9._/-], no `%`): safe inside
    // systemd's double quotes, with no specifier to expand.
    for (k, v) in crl_env(&m.cert_dir) {
        dropin.push_str(&format!("Environment=\"{k}={v}\"\n"));
    }
    dropin
}
