//! Helpers for the end-to-end tests: the real `etcd-pki` binary, temp dirs, unzip, processes
//! that are always stopped, bounded waits, and network namespaces that are always removed.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

pub mod live;
pub mod revocation;
pub mod rotation;
pub mod steps;
pub mod writer;

pub use live::{LiveCluster, LiveMember};
pub use writer::{ClientTls, Target, Writer, WriterOptions, WriterReport, verify_all_acked};

/// The workspace root.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("workspace root")
}

/// Builds (if needed) and returns the `etcd-pki` binary of this workspace, in the same
/// target directory as the running test.
pub fn etcd_pki_bin() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable");
    // <target>/<profile>/deps/<test>
    let profile_dir = exe.parent().and_then(Path::parent).expect("profile dir");
    let target_dir = profile_dir.parent().expect("target dir");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo)
        .args(["build", "--quiet", "-p", "pki-core", "--bin", "etcd-pki"])
        .arg("--target-dir")
        .arg(target_dir)
        .current_dir(workspace_root())
        .status()
        .expect("run cargo build");
    assert!(
        status.success(),
        "cargo build -p pki-core --bin etcd-pki failed"
    );
    let bin = target_dir.join("debug/etcd-pki");
    assert!(bin.exists(), "{} missing after build", bin.display());
    bin
}

/// A directory under /tmp removed when dropped: the one temporary-folder helper of the
/// etcd and browser tests.
pub struct TempDir(pub PathBuf);

impl TempDir {
    /// A new empty directory named after `label`.
    pub fn new(label: &str) -> TempDir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let p = std::env::temp_dir().join(format!(
            "etcd-pki-{label}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).expect("create temp dir");
        TempDir(p)
    }
    /// The path.
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs a command, returning its output (never panics on a non-zero exit).
pub fn run(cmd: &mut Command) -> Output {
    cmd.stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"))
}

/// A finished command's exit code (-1 if killed) and its stdout followed by its stderr.
pub fn code_and_output(o: &Output) -> (i32, String) {
    (
        o.status.code().unwrap_or(-1),
        format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        ),
    )
}

/// Runs a command that must succeed; panics with its output otherwise.
pub fn must(cmd: &mut Command) -> String {
    let out = run(cmd);
    assert!(
        out.status.success(),
        "{cmd:?} failed ({}):\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Writes `spec_json`, runs `etcd-pki generate` (CA key unencrypted, in `dir/ca.key`), unzips
/// the bundle into `dir/bundle` with `unzip` (as a user would) and returns that folder.
pub fn generate_bundle(spec_json: &str, dir: &Path) -> PathBuf {
    let spec = dir.join("spec.json");
    std::fs::write(&spec, spec_json).expect("write spec");
    let zip = dir.join("bundle.zip");
    must(
        Command::new(etcd_pki_bin())
            .args(["generate", "--force", "--no-ca-passphrase", "--spec"])
            .arg(&spec)
            .arg("--out")
            .arg(&zip)
            .arg("--ca-key-out")
            .arg(dir.join("ca.key")),
    );
    let out = dir.join("bundle");
    unzip(&zip, &out);
    out
}

/// Unpacks `zip` into `into` with `unzip`, as an operator would; panics with unzip's output
/// if it fails.
pub fn unzip(zip: &Path, into: &Path) {
    must(Command::new("unzip").arg("-q").arg(zip).arg("-d").arg(into));
}

/// `KEY=value` lines of an env file, comments and blank lines skipped.
pub fn parse_env_file(path: &Path) -> Vec<(String, String)> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .map(|l| {
            let (k, v) = l
                .split_once('=')
                .unwrap_or_else(|| panic!("not KEY=value: {l}"));
            // Values are single-quoted (etcd-pki quotes every value; no `'` inside).
            let v = v
                .strip_prefix('\'')
                .and_then(|v| v.strip_suffix('\''))
                .unwrap_or(v);
            (k.to_string(), v.to_string())
        })
        .collect()
}

/// `etcdctl ARGS` (v3, the one on the PATH) as the client whose files are in `folder`
/// (ca.crt, client.crt, client.key), against `endpoint`: whether it succeeded, and its output.
pub fn etcdctl_as(folder: &Path, endpoint: &str, args: &str) -> (bool, String) {
    let o = run(Command::new("bash").arg("-c").arg(format!(
        "etcdctl --endpoints={endpoint} --cacert={d}/ca.crt --cert={d}/client.crt --key={d}/client.key \
         --dial-timeout=3s --command-timeout=5s {args}",
        d = folder.display()
    )));
    let (code, out) = code_and_output(&o);
    (code == 0, out)
}

/// The `Environment="KEY=value"` settings of a systemd drop-in (the bundle's CRL drop-in), as
/// systemd would pass them to etcd.
pub fn dropin_env(path: &Path) -> Vec<(String, String)> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .filter_map(|l| l.strip_prefix("Environment=\""))
        .filter_map(|l| l.trim_end_matches('"').split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Polls `f` every 200 ms until it is true or `limit` passes; returns whether it became true.
pub fn wait_until(limit: Duration, mut f: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    f()
}

/// A child process killed (and reaped) when dropped, with its log file.
pub struct Proc {
    /// The process.
    pub child: Child,
    /// Where its stdout and stderr go.
    pub log: PathBuf,
    /// A name for messages.
    pub name: String,
}

impl Proc {
    /// Starts `cmd` with stdout and stderr into `log`.
    pub fn spawn(name: &str, cmd: &mut Command, log: &Path) -> Proc {
        let f = std::fs::File::create(log).expect("log file");
        let child = cmd
            .stdin(Stdio::null())
            .stdout(f.try_clone().expect("log"))
            .stderr(f)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
        Proc {
            child,
            log: log.to_path_buf(),
            name: name.to_string(),
        }
    }
    /// The log so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
    /// The last `n` lines of the log.
    pub fn log_tail(&self, n: usize) -> String {
        let t = self.log_text();
        let lines: Vec<&str> = t.lines().collect();
        lines[lines.len().saturating_sub(n)..].join("\n")
    }
    /// Stops the process: SIGTERM, then SIGKILL after 10 s.
    pub fn stop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = Command::new("kill")
                .arg(self.child.id().to_string())
                .status();
            let stopped = wait_until(Duration::from_secs(10), || {
                matches!(self.child.try_wait(), Ok(Some(_)))
            });
            if !stopped {
                let _ = self.child.kill();
            }
        }
        let _ = self.child.wait();
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Kills `p`'s whole process group with SIGKILL (a runbook interrupted as a lost session
/// would be: the script and what it started, e.g. a restart command) and reaps it. `p` must
/// have been started as a group leader (`CommandExt::process_group(0)`).
pub fn kill_group(p: &mut Proc) {
    let _ = Command::new("kill")
        .args(["-KILL", "--", &format!("-{}", p.child.id())])
        .status();
    let _ = p.child.kill();
    let _ = p.child.wait();
}

/// Log lines that show a TLS or certificate rejection. Lines ending in `EOF` or `use of
/// closed network connection` are a peer hanging up and harmless.
pub fn tls_rejections(log: &str) -> Vec<String> {
    log.lines()
        .filter(|l| l.contains("tls:") || l.contains("x509"))
        .filter(|l| {
            let t = l.trim_end().trim_end_matches(['"', '}', ')']);
            !(t.ends_with("EOF") || t.contains("use of closed network connection"))
        })
        .map(String::from)
        .collect()
}

/// A bridge in the root namespace and one network namespace per member, each with its own
/// address on the bridge: members that dial each other from their own address, as on real
/// machines. Addresses come from 198.18.0.0/15 (RFC 2544, for benchmarking networks), never a
/// range that could be someone's network. Everything is removed when dropped.
pub struct TestNet {
    /// The bridge's name.
    pub bridge: String,
    /// The namespaces, one per member, in order.
    pub namespaces: Vec<String>,
    /// The third octet of 198.18.x.0/24.
    pub subnet: u8,
    /// The last octet of each namespace's address, in the order of `namespaces`.
    pub hosts: Vec<u8>,
    tag: String,
}

fn ip_cmd(args: &[&str]) {
    let out = run(Command::new("ip").args(args));
    assert!(
        out.status.success(),
        "ip {} failed: {} (these tests need root and iproute2, as in CI)",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr).trim()
    );
}

impl TestNet {
    /// `subnet` is the third octet of 198.18.x.0/24; members get .1, .2, ...; the root
    /// namespace gets .254.
    pub fn new(subnet: u8, members: usize) -> TestNet {
        let tag = format!("{}{}", std::process::id() % 10000, subnet);
        let bridge = format!("epb{tag}");
        let mut net = TestNet {
            bridge: bridge.clone(),
            namespaces: Vec::new(),
            subnet,
            hosts: Vec::new(),
            tag,
        };
        ip_cmd(&["link", "add", &bridge, "type", "bridge"]);
        ip_cmd(&[
            "addr",
            "add",
            &format!("198.18.{subnet}.254/24"),
            "dev",
            &bridge,
        ]);
        ip_cmd(&["link", "set", &bridge, "up"]);
        for i in 1..=members {
            net.add_host(i as u8);
        }
        net
    }

    /// Adds one more machine: a namespace holding 198.18.`subnet`.`host` on the bridge (a
    /// member that joins later). Returns the namespace's name.
    pub fn add_host(&mut self, host: u8) -> String {
        assert!(
            (1..254).contains(&host) && !self.hosts.contains(&host),
            "host .{host} is taken or out of range"
        );
        let tag = &self.tag;
        let ns = format!("epn{tag}m{host}");
        let host_if = format!("epv{tag}m{host}");
        ip_cmd(&["netns", "add", &ns]);
        self.namespaces.push(ns.clone());
        self.hosts.push(host);
        ip_cmd(&[
            "link", "add", &host_if, "type", "veth", "peer", "name", "eth0", "netns", &ns,
        ]);
        ip_cmd(&["link", "set", &host_if, "master", &self.bridge]);
        ip_cmd(&["link", "set", &host_if, "up"]);
        ip_cmd(&[
            "-n",
            &ns,
            "addr",
            "add",
            &format!("198.18.{}.{host}/24", self.subnet),
            "dev",
            "eth0",
        ]);
        ip_cmd(&["-n", &ns, "link", "set", "eth0", "up"]);
        ip_cmd(&["-n", &ns, "link", "set", "lo", "up"]);
        ns
    }

    /// The namespace holding 198.18.`subnet`.`host`, if there is one.
    pub fn namespace_of(&self, host: u8) -> Option<&str> {
        self.hosts
            .iter()
            .position(|&h| h == host)
            .map(|i| self.namespaces[i].as_str())
    }
}

impl Drop for TestNet {
    fn drop(&mut self) {
        for ns in &self.namespaces {
            // Deleting the namespace removes its end of the veth pair and so the pair.
            let _ = Command::new("ip").args(["netns", "del", ns]).status();
        }
        let _ = Command::new("ip")
            .args(["link", "del", &self.bridge])
            .status();
    }
}
