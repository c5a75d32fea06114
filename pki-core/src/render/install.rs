//! A member's `install.sh`: run on the member as root, it puts the member's files in place and
//! cannot be turned against the host by whoever controls the etcd user or a folder on the way.
//!
//! - `cert_dir` is `root:etcd 0750`, certificates `root:etcd 0644`, keys `root:etcd 0640`: etcd
//!   reads them and can change none of them, nor plant anything in the folder.
//! - Every file is written with `install -o -g -m` to a temporary name in its destination folder,
//!   then `mv -fT` over the old name: rename(2) replaces a symbolic link planted there instead of
//!   writing through it, and a reader never sees half a file.
//! - It refuses (exit 3) when `cert_dir`, `data_dir`, a destination folder or any folder above
//!   them is a symbolic link, is owned by anyone but root (the data dir may be etcd's), or is
//!   writable by others. A `cert_dir` owned by etcd (an earlier install.sh made it so) is taken
//!   back (`chown -h root:etcd`, 0750) before anything in it is looked at.
//! - Replaced files go to `/var/backups/etcd-pki/<time>/` (root only, 0700): no old key is left
//!   in `cert_dir`. `chown -h` only, never `-R`.
//!
//! It also refuses a machine that has none of the member's addresses (the mistake behind
//! `certificate is valid for 10.0.0.1, not 10.0.0.2`) unless forced, and is safe to run again.
//! `ETCD_PKI_ROOT` installs under another folder (tests, image builds).

use super::dropin;
use super::fill;
use super::quote::sh;
use crate::error::Error;
use crate::plan::paths::Flavor;
use crate::plan::{MemberPlan, Plan};

#[derive(askama::Template)]
#[template(path = "member/install.sh", escape = "none")]
struct Install<'a> {
    name: &'a str,
    cluster: &'a str,
    cert_dir: &'a str,
    /// The member's IPs, space-separated (for a comment).
    ips: String,
    /// The same, one shell word.
    ips_sh: String,
    cert_dir_sh: String,
    data_dir_sh: String,
    /// `1` when a path is relative (the one-machine demo), else empty.
    relative: &'a str,
    debian: &'a str,
    rhel: &'a str,
    generic: &'a str,
    dropin_path: &'a str,
    /// Where the CRL drop-in goes, while the bundle has a CRL.
    crl_dropin: Option<String>,
    /// The name of the bundle marker in cert_dir.
    marker: &'a str,
}

/// Renders `members/<name>/install.sh`.
pub fn render(plan: &Plan, m: &MemberPlan) -> Result<String, Error> {
    let ips = m.ip_words();
    let relative = !m.cert_dir.starts_with('/') || !m.data_dir.starts_with('/');
    fill(&Install {
        name: &m.name,
        cluster: &plan.spec.cluster_name,
        cert_dir: &m.cert_dir,
        ips_sh: sh(&ips),
        ips,
        cert_dir_sh: sh(&m.cert_dir),
        data_dir_sh: sh(&m.data_dir),
        relative: if relative { "1" } else { "" },
        debian: Flavor::Debian.install_path(),
        rhel: Flavor::Rhel.install_path(),
        generic: Flavor::Generic.install_path(),
        dropin_path: dropin::INSTALL_PATH,
        marker: crate::plan::paths::files::BUNDLE_MARKER,
        crl_dropin: plan.carried.has_crl().then(|| {
            format!(
                "/etc/systemd/system/etcd.service.d/{}",
                super::crl::CRL_DROPIN
            )
        }),
    })
}
