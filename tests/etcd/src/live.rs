//! A live cluster whose members come and go: each member is started from its folder of a
//! bundle (`members/<name>/`) on its own "machine" — a network namespace holding the member's
//! address — and more members can be started later (add-member) or stopped (remove-member).
//!
//! A member's files are put where its `etcd.env` says, as its install.sh would put them
//! (cert_dir `root:etcd 0750`, keys `0640`, certificates `0644`, data_dir `etcd 0700`), and etcd
//! runs as the `etcd` user with no flags and exactly the environment of `etcd.env` plus the
//! overrides a test names. So the spec's `cert_dir` and `data_dir` must be absolute paths in a
//! scratch folder (e.g. `<tmp>/hosts/{name}/pki`): nothing is written outside it.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::{Proc, TestNet, must, parse_env_file, run, wait_until};

/// One member: where it runs and, while it runs, its process.
pub struct LiveMember {
    /// `ETCD_NAME`.
    pub name: String,
    /// Its address (the host part of its peer URL).
    pub ip: Ipv4Addr,
    /// The network namespace it runs in.
    pub netns: String,
    /// The folder it was started from.
    pub folder: PathBuf,
    /// Its cert_dir (from `ETCD_CERT_FILE`).
    pub cert_dir: PathBuf,
    /// Its data_dir.
    pub data_dir: PathBuf,
    /// The running etcd, or `None` once stopped.
    pub proc: Option<Proc>,
    /// How many times it was started.
    pub starts: usize,
    /// Whether the test stopped it (a member that exits on its own is not stopped).
    pub stopped: bool,
}

impl LiveMember {
    /// `https://<ip>:<port>`.
    pub fn url(&self, port: u16) -> String {
        format!("https://{}:{port}", self.ip)
    }
    /// Whether its etcd process is alive (the same process since it was started).
    pub fn running(&mut self) -> bool {
        match &mut self.proc {
            Some(p) => matches!(p.child.try_wait(), Ok(None)),
            None => false,
        }
    }
}

/// The members of one cluster on one test network.
pub struct LiveCluster {
    /// The network; members get namespaces on it as they start.
    pub net: TestNet,
    /// The members, by name.
    pub members: BTreeMap<String, LiveMember>,
    etcd: PathBuf,
    logs: PathBuf,
}

impl LiveCluster {
    /// An empty cluster on 198.18.`subnet`.0/24, running `etcd` (a path), logs in `logs`.
    pub fn new(subnet: u8, etcd: &Path, logs: &Path) -> LiveCluster {
        LiveCluster {
            net: TestNet::new(subnet, 0),
            members: BTreeMap::new(),
            etcd: etcd.to_path_buf(),
            logs: logs.to_path_buf(),
        }
    }

    /// Starts the member of `folder` (a bundle's `members/<name>/`), with `overrides` replacing
    /// or adding variables of its `etcd.env`. The first start puts its files in place; a
    /// later start (a restart) keeps what is there.
    pub fn start(&mut self, folder: &Path, overrides: &[(&str, &str)]) -> &mut LiveMember {
        let env = parse_env_file(&folder.join("etcd.env"));
        let get = |k: &str| {
            env.iter()
                .find(|(n, _)| n == k)
                .map(|(_, v)| v.clone())
                .unwrap_or_else(|| panic!("{}: no {k}", folder.display()))
        };
        let name = get("ETCD_NAME");
        let peer = get("ETCD_INITIAL_ADVERTISE_PEER_URLS");
        let ip: Ipv4Addr = peer
            .trim_start_matches("https://")
            .split(':')
            .next()
            .and_then(|h| h.parse().ok())
            .unwrap_or_else(|| panic!("{name}: peer URL {peer} has no IPv4 address"));
        let [a, b, c, host] = ip.octets();
        assert_eq!(
            (a, b, c),
            (198, 18, self.net.subnet),
            "{name}'s address {ip} is not on this test network"
        );
        let cert_dir = PathBuf::from(get("ETCD_CERT_FILE"))
            .parent()
            .expect("cert dir")
            .to_path_buf();
        let data_dir = PathBuf::from(get("ETCD_DATA_DIR"));
        let netns = match self.net.namespace_of(host) {
            Some(ns) => ns.to_string(),
            None => self.net.add_host(host),
        };
        if !cert_dir.exists() {
            place_files(folder, &cert_dir, &data_dir);
        }
        let mut cmd = Command::new("ip");
        cmd.args(["netns", "exec", &netns])
            .args(["setpriv", "--reuid=etcd", "--regid=etcd", "--init-groups"])
            .arg(&self.etcd)
            .env_clear()
            .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
        for (k, v) in &env {
            if !overrides.iter().any(|(o, _)| o == k) {
                cmd.env(k, v);
            }
        }
        for (k, v) in overrides {
            cmd.env(k, v);
        }
        let starts = self.members.get(&name).map_or(0, |m| m.starts) + 1;
        let log = self.logs.join(format!("{name}-{starts}.log"));
        let proc = Proc::spawn(&name, &mut cmd, &log);
        let m = LiveMember {
            name: name.clone(),
            ip,
            netns,
            folder: folder.to_path_buf(),
            cert_dir,
            data_dir,
            proc: Some(proc),
            starts,
            stopped: false,
        };
        self.members.insert(name.clone(), m);
        self.members.get_mut(&name).expect("just inserted")
    }

    /// Stops a member's etcd (SIGTERM, as systemctl stop does); its files stay.
    pub fn stop(&mut self, name: &str) {
        let m = self.member_mut(name);
        m.stopped = true;
        if let Some(p) = m.proc.as_mut() {
            p.stop();
        }
    }

    /// How many times members were started again after their first start.
    pub fn restarts(&self) -> usize {
        self.members.values().map(|m| m.starts - 1).sum()
    }

    /// The member called `name`.
    pub fn member(&self, name: &str) -> &LiveMember {
        self.members
            .get(name)
            .unwrap_or_else(|| panic!("no member {name}"))
    }

    /// See [`LiveCluster::member`].
    pub fn member_mut(&mut self, name: &str) -> &mut LiveMember {
        self.members
            .get_mut(name)
            .unwrap_or_else(|| panic!("no member {name}"))
    }

    /// The members whose etcd exited although the test did not stop them.
    pub fn died(&mut self) -> Vec<String> {
        self.members
            .values_mut()
            .filter_map(|m| (!m.stopped && !m.running()).then(|| m.name.clone()))
            .collect()
    }

    /// The last lines of every member's log, for a failure message.
    pub fn log_tails(&self, n: usize) -> String {
        self.members
            .values()
            .filter_map(|m| m.proc.as_ref())
            .map(|p| format!("--- {} log:\n{}", p.name, p.log_tail(n)))
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Runs `bash -c script` in member `name`'s namespace (its "machine"), `env` added.
    pub fn on(&self, name: &str, env: &[(&str, &str)], script: &str) -> std::process::Output {
        let m = self.member(name);
        let mut cmd = Command::new("ip");
        cmd.args(["netns", "exec", &m.netns, "bash", "-c", script]);
        for (k, v) in env {
            cmd.env(k, v);
        }
        run(&mut cmd)
    }

    /// Runs `bash -c script` as [`LiveCluster::on`] does and kills it (SIGKILL, as a lost
    /// session would) as soon as its output says `after`: an interrupted runbook. Panics
    /// when it ends before saying it; its output up to the kill.
    pub fn on_interrupted(
        &self,
        name: &str,
        env: &[(&str, &str)],
        script: &str,
        after: &str,
        log: &Path,
    ) -> String {
        let m = self.member(name);
        let mut cmd = Command::new("ip");
        cmd.args([
            "netns",
            "exec",
            &m.netns,
            "bash",
            "-c",
            &format!("exec {script}"),
        ]);
        for (k, v) in env {
            cmd.env(k, v);
        }
        std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
        let mut p = Proc::spawn(&format!("{name} interrupted"), &mut cmd, log);
        // Polled every 5 ms, so that the kill lands close behind the line.
        let began = std::time::Instant::now();
        let mut said = false;
        while began.elapsed() < Duration::from_secs(120) {
            if p.log_text().contains(after) || matches!(p.child.try_wait(), Ok(Some(_))) {
                said = true;
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        let out = p.log_text();
        assert!(
            said && out.contains(after) && matches!(p.child.try_wait(), Ok(None)),
            "{script} on {name} ended (or hung) before saying {after:?}:\n{out}"
        );
        crate::kill_group(&mut p);
        println!("--- on {name}: {script}, killed after {after:?}\n{out}");
        p.log_text()
    }
}

impl Drop for LiveCluster {
    fn drop(&mut self) {
        // Members first: their namespaces go with the network.
        for m in self.members.values_mut() {
            if let Some(p) = m.proc.as_mut() {
                p.stop();
            }
        }
    }
}

/// The member's files where its env file says, with install.sh's owners and modes.
fn place_files(folder: &Path, cert_dir: &Path, data_dir: &Path) {
    std::fs::create_dir_all(cert_dir).expect("cert dir");
    std::fs::create_dir_all(data_dir).expect("data dir");
    for e in std::fs::read_dir(folder.join("pki")).expect("pki folder") {
        let e = e.expect("entry");
        let name = e.file_name().to_string_lossy().into_owned();
        let mode = if name.ends_with(".key") {
            "0640"
        } else {
            "0644"
        };
        must(
            Command::new("install")
                .args(["-o", "root", "-g", "etcd", "-m", mode])
                .arg(e.path())
                .arg(cert_dir.join(&name)),
        );
    }
    must(
        Command::new("chown")
            .arg("root:etcd")
            .arg(cert_dir)
            .arg("-h"),
    );
    must(Command::new("chmod").arg("0750").arg(cert_dir));
    must(Command::new("chown").arg("etcd:etcd").arg(data_dir));
    must(Command::new("chmod").arg("0700").arg(data_dir));
}

/// Waits up to `limit` for `check` to pass, polling; the last output on failure.
pub fn wait_for(limit: Duration, mut check: impl FnMut() -> (bool, String)) -> Result<(), String> {
    let mut last = String::new();
    let ok = wait_until(limit, || {
        let (ok, out) = check();
        last = out;
        ok
    });
    if ok { Ok(()) } else { Err(last) }
}
