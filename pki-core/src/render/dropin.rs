//! The systemd drop-in for `etcd.service`.
//!
//! Distribution units disagree: Debian's sets `ETCD_NAME=%H` and `ETCD_DATA_DIR` with
//! `Environment=` and passes `$DAEMON_ARGS`; RHEL's passes `--name`, `--data-dir` and
//! `--listen-client-urls` as flags. etcd refuses a setting given both as a flag and as a
//! variable, so the drop-in replaces `ExecStart` with a bare `etcd` and loads whichever env
//! file the distribution uses (any `EnvironmentFile=` beats the unit's `Environment=`).

use super::fill;
use crate::error::Error;
pub use crate::plan::paths::{DROPIN_INSTALL_PATH as INSTALL_PATH, ENV_INSTALL_PATH};
use crate::plan::{MemberPlan, Plan};

#[derive(askama::Template)]
#[template(path = "member/10-etcd-pki.conf", escape = "none")]
struct Dropin<'a> {
    name: &'a str,
    cluster: &'a str,
    install_path: &'a str,
    env_install_path: &'a str,
    cert_dir: &'a str,
}

/// Renders `members/<name>/etcd.service.d/10-etcd-pki.conf`.
pub fn render(plan: &Plan, m: &MemberPlan) -> Result<String, Error> {
    fill(&Dropin {
        name: &m.name,
        cluster: &plan.spec.cluster_name,
        install_path: INSTALL_PATH,
        env_install_path: ENV_INSTALL_PATH,
        cert_dir: &m.cert_dir,
    })
}
