//! The systemd drop-in for `etcd.service`.
//!
//! Distribution units disagree: Debian's sets `ETCD_NAME=%H` and `ETCD_DATA_DIR` with
//! `Environment=` and passes `$DAEMON_ARGS` from `/etc/default/etcd`; RHEL's passes `--name`,
//! `--data-dir` and `--listen-client-urls` as flags. etcd refuses a setting given both as a
//! flag and as a variable, so the drop-in replaces `ExecStart` with a bare `etcd` and adds our
//! env file last (a later `EnvironmentFile=` wins over earlier ones and over `Environment=`).

use super::MemberPlan;
use crate::spec::ClusterSpec;

/// Where the drop-in is installed.
pub const INSTALL_PATH: &str = "/etc/systemd/system/etcd.service.d/10-etcd-pki.conf";
/// Where the env file is installed.
pub const ENV_INSTALL_PATH: &str = "/etc/etcd/etcd.env";

/// Renders `members/<name>/etcd.service.d/10-etcd-pki.conf`.
pub fn render(spec: &ClusterSpec, m: &MemberPlan) -> String {
    format!(
        "# etcd-pki: member {name} of cluster {cluster}.\n\
         # Install as {INSTALL_PATH}, then: systemctl daemon-reload\n\
         [Service]\n\
         # Our settings, loaded after the unit's own EnvironmentFile (the later file wins, and\n\
         # any EnvironmentFile beats the unit's Environment= lines such as ETCD_NAME=%H).\n\
         EnvironmentFile={ENV_INSTALL_PATH}\n\
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
