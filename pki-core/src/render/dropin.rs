//! The systemd drop-in for `etcd.service`.
//!
//! Distribution units disagree: Debian's sets `ETCD_NAME=%H` and `ETCD_DATA_DIR` with
//! `Environment=` and passes `$DAEMON_ARGS`; RHEL's passes `--name`, `--data-dir` and
//! `--listen-client-urls` as flags. etcd refuses a setting given both as a flag and as a
//! variable, so the drop-in replaces `ExecStart` with a bare `etcd` and loads whichever env
//! file the distribution uses (any `EnvironmentFile=` beats the unit's `Environment=`).

pub use crate::plan::paths::{DROPIN_INSTALL_PATH as INSTALL_PATH, ENV_INSTALL_PATH};
use crate::plan::{MemberPlan, Plan};

/// Renders `members/<name>/etcd.service.d/10-etcd-pki.conf`.
pub fn render(plan: &Plan, m: &MemberPlan) -> String {
    let spec = &plan.spec;
    format!(
        "# etcd-pki: member {name} of cluster {cluster}.\n\
         # Install as {INSTALL_PATH}, then: systemctl daemon-reload\n\
         [Service]\n\
         # The member's settings: Debian's /etc/default/etcd, RHEL's /etc/etcd/etcd.conf, or\n\
         # {ENV_INSTALL_PATH} elsewhere (install.sh writes the one for this distribution).\n\
         EnvironmentFile=\n\
         EnvironmentFile=-/etc/default/etcd\n\
         EnvironmentFile=-/etc/etcd/etcd.conf\n\
         EnvironmentFile=-{ENV_INSTALL_PATH}\n\
         # Every setting is in the env file; a flag repeating one is fatal in etcd 3.4+, and\n\
         # distribution units pass some (RHEL: --name, --data-dir; Debian: $DAEMON_ARGS).\n\
         # If etcd is not /usr/bin/etcd on this machine, change the path below.\n\
         ExecStart=\n\
         ExecStart=/usr/bin/etcd\n\
         # etcd must be able to read its keys ({cert_dir}, owned by this user, mode 0600).\n\
         User=etcd\n",
        name = m.name,
        cluster = spec.cluster_name,
        cert_dir = m.cert_dir,
    )
}
