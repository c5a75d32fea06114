//! A CA rotation kit followed on a running cluster while a writer puts a key every 50 ms:
//! the rotation spec (3 members, clients `etcdctl` and `app`), its cluster started in network
//! namespaces, the restarts a kit's scripts ask for (`ETCD_PKI_RESTART`), a client following
//! the kit's client steps, the whole three-phase walk with its refusals and end checks, and
//! the same-key renewal's rolling restart.
//! `tests/rotate.rs` follows the CLI's kit (`etcd-pki rotate-ca`) with it, and the browser
//! tests the page's (*Rotate to a new CA*), so both kits are held to the same checks.
//!
//! A restart is what `ETCD_PKI_RESTART` does: here it asks the test (a request file), which
//! stops the member's etcd and starts it again from the same env file, as systemd would.
//! etcd 3.5.34 by default; `ROTATE_ETCD=3.4|3.6|3.7` picks another release (scripts/setup.sh
//! puts them in tools/).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::live::wait_for;
use crate::writer::epoch_now;
use crate::{
    LiveCluster, Proc, Target, Writer, WriterOptions, WriterReport, code_and_output, must, run,
    verify_all_acked,
};

/// The etcd the rotation tests run: its path, the spec's `etcd_version` and its release (for
/// the summary lines). `ROTATE_ETCD=3.4|3.6|3.7` picks another than 3.5.34.
pub fn etcd() -> (PathBuf, &'static str, &'static str) {
    let tools = crate::workspace_root().join("tools");
    let (path, spec, label) = match std::env::var("ROTATE_ETCD").as_deref() {
        Ok("3.4") => (PathBuf::from("/usr/bin/etcd"), "3.4", "3.4.23"),
        Ok("3.6") => (tools.join("etcd-3.6.15/etcd"), "3.6", "3.6.15"),
        Ok("3.7") => (tools.join("etcd-3.7.2/etcd"), "3.7", "3.7.2"),
        _ => (tools.join("etcd-3.5.34/etcd"), "3.5", "3.5.34"),
    };
    assert!(
        path.exists(),
        "{} is missing: run ./scripts/setup.sh",
        path.display()
    );
    (path, spec, label)
}

/// Member `i`'s address on 198.18.`subnet`.0/24.
pub fn ip(subnet: u8, i: usize) -> String {
    format!("198.18.{subnet}.{i}")
}

/// Member `i`'s client URL.
pub fn client_url(subnet: u8, i: usize) -> String {
    format!("https://{}:2379", ip(subnet, i))
}

/// The rotation spec: `etcd1`..`etcd3` on 198.18.`subnet`.1–3, clients `etcdctl` (root, the
/// admin) and `app` (the writer's), cert_dir and data_dir under `t/hosts/<name>/`. One CA
/// (`single`): the layout a same-key renewal applies to, and the one the move to
/// `root+issuing` starts from.
pub fn spec(t: &Path, subnet: u8) -> String {
    serde_json::json!({
        "cluster_name": format!("rotate{subnet}"),
        "ca_layout": "single",
        "etcd_version": etcd().1,
        "nodes": (1..=3).map(|i| serde_json::json!({"name": format!("etcd{i}"), "ips": [ip(subnet, i)]})).collect::<Vec<_>>(),
        "clients": [
            {"name": "etcdctl", "common_name": "root", "kind": "etcdctl"},
            {"name": "app", "common_name": "app", "kind": "etcdctl"}
        ],
        "cert_dir": format!("{}/hosts/{{name}}/pki", t.display()),
        "data_dir": format!("{}/hosts/{{name}}/data", t.display()),
    })
    .to_string()
}

/// A cluster of the bundle in `bundle` (of [`spec`]), started and healthy; logs in `t/logs`.
pub fn start(subnet: u8, t: &Path, bundle: &Path) -> LiveCluster {
    let logs = t.join("logs");
    std::fs::create_dir_all(&logs).unwrap();
    let mut cluster = LiveCluster::new(subnet, &etcd().0, &logs);
    for i in 1..=3 {
        cluster.start(&bundle.join(format!("members/etcd{i}")), &[]);
    }
    let admin = bundle.join("clients/etcdctl");
    let all = (1..=3)
        .map(|i| client_url(subnet, i))
        .collect::<Vec<_>>()
        .join(",");
    let healthy = wait_for(Duration::from_secs(60), || {
        let o = run(Command::new("etcdctl")
            .arg(format!("--endpoints={all}"))
            .arg(format!("--cacert={}/ca.crt", admin.display()))
            .arg(format!("--cert={}/client.crt", admin.display()))
            .arg(format!("--key={}/client.key", admin.display()))
            .args(["--dial-timeout=3s", "endpoint", "health", "--cluster"]));
        let (code, out) = code_and_output(&o);
        (code == 0, out)
    });
    assert!(
        healthy.is_ok(),
        "the cluster did not start: {healthy:?}\n{}",
        cluster.log_tails(15)
    );
    cluster
}

/// The writer's client on "its machine": a copy of the bundle's `clients/app` in `t/app`,
/// which the kit's client steps change, and the target it writes through (every member).
pub fn app_client(subnet: u8, t: &Path, bundle: &Path) -> (PathBuf, Target) {
    let app = t.join("app");
    must(
        Command::new("cp")
            .arg("-a")
            .arg(bundle.join("clients/app"))
            .arg(&app),
    );
    let target = Target {
        endpoints: (1..=3).map(|i| client_url(subnet, i)).collect(),
        tls: Some(crate::ClientTls::from_folder(&app)),
        netns: None,
    };
    (app, target)
}

/// One restart done for a script: member, asked at, back at (seconds since the epoch).
pub struct Restart {
    /// The member's name.
    pub member: String,
    /// When the script asked (the request file appeared).
    pub asked: f64,
    /// When its etcd was started again.
    pub started: f64,
}

/// A kit being followed on a cluster: where the bundle, the kit and the scratch folder are,
/// and the restarts done so far.
pub struct Rollout<'a> {
    /// The running cluster.
    pub cluster: &'a mut LiveCluster,
    /// The bundle it was started from, unpacked (a restart starts a member from its folder).
    pub bundle: &'a Path,
    /// The kit, unpacked.
    pub kit_dir: &'a Path,
    /// The scratch folder: restart requests, backups and the scripts' logs go there.
    pub t: &'a Path,
    /// The restarts done so far.
    pub restarts: Vec<Restart>,
}

impl Rollout<'_> {
    /// Runs `rotate/<script>` of member `name` from the kit, on its machine, as root;
    /// restarts its etcd when the script asks (through the request file `ETCD_PKI_RESTART`
    /// touches). Its exit code and output.
    pub fn step(&mut self, name: &str, script: &str, args: &[&str]) -> (i32, String) {
        self.run_step(name, script, args, None)
    }

    /// Runs `rotate/<script>` as [`Rollout::step`] does, and kills it (SIGKILL, as a lost
    /// session or a reboot would) as soon as its output says `after`: an interrupted step.
    /// Its output up to then.
    pub fn interrupted(&mut self, name: &str, script: &str, args: &[&str], after: &str) -> String {
        let (code, out) = self.run_step(name, script, args, Some(after));
        assert_eq!(
            code, -9,
            "{script} on {name} was not interrupted after {after:?}:\n{out}"
        );
        println!("--- on {name}: bash rotate/{script}, killed after {after:?}\n{out}");
        out
    }

    fn run_step(
        &mut self,
        name: &str,
        script: &str,
        args: &[&str],
        kill_after: Option<&str>,
    ) -> (i32, String) {
        let (cluster, bundle, kit_dir, t) = (&mut *self.cluster, self.bundle, self.kit_dir, self.t);
        let restarts = &mut self.restarts;
        let req_dir = t.join("restart-requests");
        std::fs::create_dir_all(&req_dir).unwrap();
        let req = req_dir.join(name);
        let restart = format!(
            "touch '{r}'; for _ in $(seq 1200); do [ -e '{r}' ] || exit 0; sleep 0.1; done; exit 1",
            r = req.display()
        );
        let log = t.join(format!("{name}-{}.log", script.replace('/', "_")));
        let mut cmd = Command::new("ip");
        cmd.args(["netns", "exec", &cluster.member(name).netns.clone(), "env"])
            .arg(format!("ETCD_PKI_RESTART={restart}"))
            .arg(format!(
                "ETCD_PKI_BACKUPS={}",
                t.join("backups").join(name).display()
            ))
            .arg("ETCD_PKI_WAIT=120")
            .arg("bash")
            .arg(kit_dir.join(format!("members/{name}/rotate/{script}")))
            .args(args);
        // Its own process group: an interruption kills the script and whatever it started
        // (as a lost session does), not the script alone.
        std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
        let mut p = Proc::spawn(&format!("{name} {script}"), &mut cmd, &log);
        let began = Instant::now();
        loop {
            if let Ok(Some(status)) = p.child.try_wait() {
                let code = status.code().unwrap_or(-1);
                let mut out = p.log_text();
                if code != 0 && code != 3 {
                    // What runs on that machine, for the failure message.
                    out.push_str(&must(Command::new("bash").arg("-c").arg(format!(
                        "ps -eo pid,lstart,stat,comm,args | grep -e {} -e PID | grep -v grep",
                        t.join("hosts").join(name).display()
                    ))));
                }
                return (code, out);
            }
            if let Some(after) = kill_after
                && p.log_text().contains(after)
            {
                crate::kill_group(&mut p);
                // A restart it asked for and never saw done is asked again by the next run.
                let _ = std::fs::remove_file(&req);
                return (-9, p.log_text());
            }
            if req.exists() {
                let asked = epoch_now();
                cluster.stop(name);
                cluster.start(&bundle.join(format!("members/{name}")), &[]);
                restarts.push(Restart {
                    member: name.into(),
                    asked,
                    started: epoch_now(),
                });
                std::fs::remove_file(&req).unwrap();
            }
            if began.elapsed() > Duration::from_secs(400) {
                p.stop();
                return (-1, format!("(timed out)\n{}", p.log_text()));
            }
            let poll = if kill_after.is_some() { 5 } else { 100 };
            std::thread::sleep(Duration::from_millis(poll));
        }
    }

    /// Runs a step that must succeed and prints what it said; its output.
    pub fn done(&mut self, name: &str, script: &str, args: &[&str]) -> String {
        let (code, out) = self.step(name, script, args);
        let shown = [&[script][..], args].concat().join(" ");
        println!("--- on {name}: bash rotate/{shown}\n{out}");
        assert_eq!(
            code,
            0,
            "{shown} on {name}:\n{out}\n{}",
            self.cluster.log_tails(20)
        );
        out
    }

    /// Runs a step that must refuse (exit 3), saying `says`, without restarting etcd.
    pub fn refused(&mut self, name: &str, script: &str, args: &[&str], says: &str) {
        let n = self.restarts.len();
        let (code, out) = self.step(name, script, args);
        assert_eq!(code, 3, "{name} {script} should refuse:\n{out}");
        assert!(out.contains(says), "{name} {script}: {out}");
        assert_eq!(self.restarts.len(), n, "a refused step restarted etcd");
    }
}

/// `rotate-client.sh STEP DIR` of client `name` from the kit (on "the client's machine": here).
pub fn client_step(kit_dir: &Path, name: &str, step: &str, dir: &Path) -> String {
    let o = run(Command::new("bash")
        .arg(kit_dir.join(format!("clients/{name}/rotate/rotate-client.sh")))
        .arg(step)
        .arg(dir));
    let (code, out) = code_and_output(&o);
    assert_eq!(code, 0, "rotate-client.sh {step} for {name}:\n{out}");
    println!("--- client {name}: rotate-client.sh {step}\n{out}");
    assert!(out.contains("accepts client"), "{out}");
    out
}

/// Whether `folder`'s client files (ca.crt, client.crt, client.key) can read from member `i`.
pub fn can_read(folder: &Path, subnet: u8, i: usize, ca: &Path) -> (bool, String) {
    let o = run(Command::new("curl")
        .args(["-sS", "--max-time", "5", "--cacert"])
        .arg(ca)
        .arg("--cert")
        .arg(folder.join("client.crt"))
        .arg("--key")
        .arg(folder.join("client.key"))
        .args(["-X", "POST", "-d", r#"{"key":"L3c="}"#])
        .arg(format!("{}/v3/kv/range", client_url(subnet, i))));
    let (code, out) = code_and_output(&o);
    (code == 0 && out.contains("\"header\""), out)
}

/// Each failed write must fall inside a restart: from the stop request to a few seconds after
/// etcd started again (it rejoins, or the cluster elects a leader). Returns the summary line,
/// `TAG etcd=LABEL longest_gap_ms=… acked=… failed=… handshake_retries=… restarts=…`.
pub fn check_writer(report: &WriterReport, restarts: &[Restart], tag: &str, label: &str) -> String {
    for a in report.failures() {
        // The restart of the member the put went to, else any (a leader election).
        let window = |r: &&Restart| a.at >= r.asked && a.at <= r.started + 6.0;
        let inside = restarts
            .iter()
            .filter(window)
            .find(|r| a.endpoint.contains(&format!(".{}:", &r.member[4..])))
            .or_else(|| restarts.iter().find(window));
        println!(
            "writer failure at {:.3} via {} ({}): {}",
            a.at,
            a.endpoint,
            inside.map_or("OUTSIDE every restart".into(), |r| format!(
                "restart of {}",
                r.member
            )),
            a.error
        );
        assert!(
            inside.is_some(),
            "a write failed outside every restart: {a:?}"
        );
    }
    for a in report.retried() {
        println!(
            "writer retried at {:.3} via {} (a handshake that failed at once): {}",
            a.at, a.endpoint, a.retried
        );
    }
    let line = format!(
        "{tag} etcd={label} {} restarts={}",
        report.summary(),
        restarts.len()
    );
    println!("{line}");
    line
}

/// A running cluster of [`spec`] from `bundle`, and the writer's client ([`app_client`])
/// writing through every member: what a kit is followed on.
pub struct Live {
    /// The cluster, started from `bundle` with [`start`].
    pub cluster: LiveCluster,
    /// Its network's third octet.
    pub subnet: u8,
    /// The scratch folder of [`spec`] (`hosts/` is there).
    pub t: PathBuf,
    /// The bundle the cluster runs from (the old CA), unpacked.
    pub bundle: PathBuf,
    /// The writer's client folder, which follows the kit's client steps.
    pub app: PathBuf,
    /// What the writer writes through.
    pub target: Target,
    /// The writer, putting a key every 50 ms.
    pub writer: Writer,
}

impl Live {
    /// Starts the cluster of `bundle` ([`start`]) and the writer ([`app_client`]).
    pub fn start(subnet: u8, t: &Path, bundle: &Path) -> Live {
        let cluster = start(subnet, t, bundle);
        let (app, target) = app_client(subnet, t, bundle);
        let writer = Writer::start(target.clone(), WriterOptions::default());
        Live {
            cluster,
            subnet,
            t: t.to_path_buf(),
            bundle: bundle.to_path_buf(),
            app,
            target,
            writer,
        }
    }
}

/// What a walk over a kit reads besides the rollout.
#[derive(Clone, Copy)]
struct Kit<'a> {
    subnet: u8,
    bundle: &'a Path,
    kit_dir: &'a Path,
    app: &'a Path,
    /// The kit's `ca.crt`.
    new_pem: &'a str,
}

/// Follows a kit on `live`: `steps` (the scripts, in order), then, once the writer has
/// written again, `end` (the end state); then no member may have died, every acknowledged
/// write must read back and each failed write must fall inside a restart. Stops the writer;
/// returns the summary line ([`check_writer`]) tagged `tag`.
fn follow(
    live: Live,
    kit_dir: &Path,
    tag: &str,
    steps: impl FnOnce(&mut Rollout, Kit),
    end: impl FnOnce(&mut Rollout, Kit),
) -> String {
    let Live {
        mut cluster,
        subnet,
        t,
        bundle,
        app,
        target,
        writer,
    } = live;
    let label = etcd().2;
    let new_pem = std::fs::read_to_string(kit_dir.join("ca.crt")).unwrap();
    let k = Kit {
        subnet,
        bundle: &bundle,
        kit_dir,
        app: &app,
        new_pem: &new_pem,
    };
    assert!(
        writer.wait_for_acks(20, Duration::from_secs(30)),
        "the writer cannot write"
    );
    let from = epoch_now();
    let mut roll = Rollout {
        cluster: &mut cluster,
        bundle: &bundle,
        kit_dir,
        t: &t,
        restarts: Vec::new(),
    };
    steps(&mut roll, k);
    assert!(
        writer.wait_for_acks(20, Duration::from_secs(30)),
        "no writes after the kit's steps ({tag})"
    );
    let to = epoch_now();
    end(&mut roll, k);
    let died = roll.cluster.died();
    assert!(died.is_empty(), "{died:?}");
    let report = writer.stop();
    let missing = verify_all_acked(&report.acked(), &target);
    assert!(missing.is_empty(), "acknowledged writes lost: {missing:?}");
    check_writer(&report.between(from, to), &roll.restarts, tag, label)
}

/// Follows the kit in `kit_dir` on `live`, its writer writing, in three phases as ROTATE.md
/// says: `1-trust-both.sh` on each member
/// (one restart each), the client's CA file old + new, `2-reissue.sh` on each member (no
/// restart), the client's new certificate, then its CA file the new CA alone, `3-drop-old.sh`
/// on each member (one restart each). Out-of-order steps are run first and must refuse,
/// naming the step to run; a step run again is done already. At the end every member's CA
/// file is the kit's, a client certificate of the old CA is refused by every member and the
/// kit's is not, no member died, every acknowledged write reads back and each failed write
/// fell inside a restart. Stops the writer; returns the summary line ([`check_writer`]) tagged
/// `tag`.
pub fn rotate_in_three_phases(live: Live, kit_dir: &Path, tag: &str) -> String {
    follow(live, kit_dir, tag, three_phases, only_the_new_ca_trusted)
}

/// The three phases, each script first out of order where it must refuse.
fn three_phases(roll: &mut Rollout, k: Kit) {
    let Kit {
        subnet,
        kit_dir,
        app,
        ..
    } = k;
    // Out of order, before anything: refused, and each says what to run.
    roll.refused(
        "etcd1",
        "2-reissue.sh",
        &["--clients-trust-both"],
        "run rotate/1-trust-both.sh on etcd1 first",
    );
    roll.refused(
        "etcd1",
        "3-drop-old.sh",
        &["--clients-reissued"],
        "run rotate/1-trust-both.sh, then rotate/2-reissue.sh",
    );
    // Another member's machine.
    let o = roll.cluster.on(
        "etcd2",
        &[],
        &format!(
            "bash '{}'",
            kit_dir
                .join("members/etcd1/rotate/1-trust-both.sh")
                .display()
        ),
    );
    let (code, out) = code_and_output(&o);
    assert_eq!(code, 3, "{out}");
    assert!(out.contains("none of member etcd1's addresses"), "{out}");

    // Phase 1, member by member.
    for i in 1..=3 {
        let name = format!("etcd{i}");
        if i == 2 {
            // Killed between writing the CA file and the restart; run again, it restarts.
            roll.interrupted(
                &name,
                "1-trust-both.sh",
                &[],
                "now holds the old and the new CA",
            );
        }
        let out = roll.done(&name, "1-trust-both.sh", &[]);
        assert!(
            out.contains(&format!("phase 1 done on {name}"))
                && out.contains("accepts certificates of the old and the new CA"),
            "{out}"
        );
        if i == 1 {
            // Not every member trusts the new CA yet.
            roll.refused(
                "etcd1",
                "2-reissue.sh",
                &["--clients-trust-both"],
                &format!("the member at {} does not accept", ip(subnet, 2)),
            );
            // Again: done already, no restart.
            let n = roll.restarts.len();
            let (code, out) = roll.step("etcd1", "1-trust-both.sh", &[]);
            assert_eq!(code, 0, "{out}");
            assert!(out.contains("phase 1 is done on etcd1 already"), "{out}");
            assert_eq!(roll.restarts.len(), n);
        }
    }
    assert_eq!(roll.restarts.len(), 3);
    client_step(kit_dir, "app", "1", app);

    // Phase 2: without the word that clients trust both, refused; then member by member,
    // no restart.
    roll.refused("etcd1", "2-reissue.sh", &[], "--clients-trust-both");
    for i in 1..=3 {
        let name = format!("etcd{i}");
        if i == 2 {
            // Killed between the server pair and the peer pair; run again, it finishes.
            roll.interrupted(
                &name,
                "2-reissue.sh",
                &["--clients-trust-both"],
                "/server.crt: serial",
            );
        }
        let out = roll.done(&name, "2-reissue.sh", &["--clients-trust-both"]);
        assert!(
            out.contains("serves certificates of the new CA")
                && out.contains("etcd was not restarted"),
            "{out}"
        );
        if i == 1 {
            roll.refused(
                "etcd1",
                "3-drop-old.sh",
                &["--clients-reissued"],
                &format!(
                    "the member at {} still serves a certificate of the old CA",
                    ip(subnet, 2)
                ),
            );
        }
    }
    assert_eq!(roll.restarts.len(), 3, "phase 2 restarted etcd");
    client_step(kit_dir, "app", "2", app);
    client_step(kit_dir, "app", "3", app);

    // Phase 3, member by member.
    roll.refused("etcd1", "3-drop-old.sh", &[], "--clients-reissued");
    for i in 1..=3 {
        let name = format!("etcd{i}");
        if i == 2 {
            // Killed between writing the CA file and the restart; run again, it restarts.
            roll.interrupted(
                &name,
                "3-drop-old.sh",
                &["--clients-reissued"],
                "now holds only the new CA",
            );
        }
        let out = roll.done(&name, "3-drop-old.sh", &["--clients-reissued"]);
        assert!(out.contains(&format!("phase 3 done on {name}")), "{out}");
    }
    assert_eq!(roll.restarts.len(), 6);
    // After the end: phase 1 refuses, phase 3 is done already.
    roll.refused(
        "etcd2",
        "1-trust-both.sh",
        &[],
        "phase 3 (rotate/3-drop-old.sh) ran here already",
    );
    let (code, out) = roll.step("etcd2", "3-drop-old.sh", &["--clients-reissued"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("phase 3 is done on etcd2 already"), "{out}");
}

/// Every member trusts only the new CA: the old CA's admin certificate is refused, the new
/// one is not.
fn only_the_new_ca_trusted(roll: &mut Rollout, k: Kit) {
    let Kit {
        subnet,
        bundle,
        kit_dir,
        new_pem,
        ..
    } = k;
    let new_ca = kit_dir.join("ca.crt");
    for i in 1..=3 {
        let name = format!("etcd{i}");
        let installed =
            std::fs::read_to_string(roll.cluster.member(&name).cert_dir.join("ca.crt")).unwrap();
        assert_eq!(installed.trim(), new_pem.trim(), "{name}'s ca.crt");
        let (ok, out) = can_read(&bundle.join("clients/etcdctl"), subnet, i, &new_ca);
        assert!(
            !ok,
            "{name} still accepts a client certificate of the old CA: {out}"
        );
        let (ok, out) = can_read(&kit_dir.join("clients/etcdctl"), subnet, i, &new_ca);
        assert!(ok, "{name} refuses the new CA's client certificate: {out}");
    }
    if kit_dir.join("issuing-ca.crt").exists() {
        chains_through_the_issuing_ca(roll, k);
    }
}

/// A kit of the root+issuing layout, followed: every member's trusted CA file is the new
/// root alone, its server and peer certificate files hold the leaf then the kit's issuing CA
/// (`issuing-ca.crt`), and etcdctl (a Go client: it sends its own chain and checks the
/// member's against the root) works with the kit's admin files and is refused with the old
/// bundle's.
fn chains_through_the_issuing_ca(roll: &mut Rollout, k: Kit) {
    let began = Instant::now();
    let Kit {
        subnet,
        bundle,
        kit_dir,
        new_pem,
        ..
    } = k;
    let issuing = std::fs::read_to_string(kit_dir.join("issuing-ca.crt")).unwrap();
    assert_eq!(pems(new_pem).len(), 1, "the kit's ca.crt is not one root");
    assert_ne!(pems(new_pem), pems(&issuing), "ca.crt is the issuing CA");
    for i in 1..=3 {
        let name = format!("etcd{i}");
        let pki = roll.cluster.member(&name).cert_dir.clone();
        let trust = std::fs::read_to_string(pki.join("ca.crt")).unwrap();
        assert_eq!(
            pems(&trust),
            pems(new_pem),
            "{name}'s ca.crt is not the root alone"
        );
        for kind in ["server", "peer"] {
            let leaf = std::fs::read_to_string(pki.join(format!("{kind}.crt"))).unwrap();
            let chain = pems(&leaf);
            assert_eq!(
                chain.len(),
                2,
                "{name}'s {kind}.crt does not hold leaf + issuing CA"
            );
            assert_eq!(
                chain[1],
                pems(&issuing)[0],
                "{name}'s {kind}.crt: the CA after the leaf is not the kit's issuing CA"
            );
        }
        let admin = kit_dir.join("clients/etcdctl");
        let (ok, out) = etcdctl_get(&admin, &admin.join("ca.crt"), subnet, i);
        assert!(
            ok,
            "etcdctl with the kit's admin files cannot read from {name}: {out}"
        );
    }
    // The old CA's admin certificate, the member checked against the new root: refused by
    // the member (curl said so for every member above; once through Go's TLS, which waits
    // out its dial timeout on a refusal).
    let old = bundle.join("clients/etcdctl");
    let (ok, out) = etcdctl_get(&old, &kit_dir.join("ca.crt"), subnet, 1);
    assert!(
        !ok,
        "etcdctl with the old CA's admin certificate still reads from etcd1: {out}"
    );
    println!(
        "root+issuing end checks: {:.1} s",
        began.elapsed().as_secs_f64()
    );
}

/// The certificates of a PEM text, each as its base64 body.
fn pems(text: &str) -> Vec<String> {
    text.split("-----BEGIN CERTIFICATE-----")
        .skip(1)
        .map(|c| {
            c.split("-----END CERTIFICATE-----")
                .next()
                .unwrap_or("")
                .split_whitespace()
                .collect()
        })
        .collect()
}

/// `etcdctl get` of one key through member `i` with `folder`'s client.crt and client.key,
/// the member's certificate checked against `ca` (Go's TLS, as every Go client of etcd):
/// whether it answered, and what it said.
fn etcdctl_get(folder: &Path, ca: &Path, subnet: u8, i: usize) -> (bool, String) {
    let o = run(Command::new("etcdctl")
        .arg(format!("--endpoints={}", client_url(subnet, i)))
        .arg(format!("--cacert={}", ca.display()))
        .arg(format!("--cert={}", folder.join("client.crt").display()))
        .arg(format!("--key={}", folder.join("client.key").display()))
        .args([
            "--dial-timeout=2s",
            "--command-timeout=4s",
            "get",
            "/w",
            "--keys-only",
            "--limit=1",
        ]));
    let (code, out) = code_and_output(&o);
    (code == 0, out)
}

/// Follows a same-key CA renewal kit (`etcd-pki rotate-ca --same-key`, or the page's *Renew
/// the CA (same key)*) in `kit_dir` on `live`, its writer writing: `rotate/renew-ca.sh` on
/// each member (one restart each; run again on etcd1 it is done already, no restart), then
/// the client's `rotate-client.sh renew`. At the end every member's CA file is the renewed
/// CA certificate, its own certificates are the bundle's (nothing else changed), the old and
/// the renewed CA file both let the old admin certificate read from every member, no member
/// died, every acknowledged write reads back and each failed write fell inside a restart.
/// Stops the writer; returns the summary line ([`check_writer`]) tagged `tag`.
pub fn renew_in_one_rolling_restart(live: Live, kit_dir: &Path, tag: &str) -> String {
    follow(live, kit_dir, tag, renew_steps, renewed_ca_in_use)
}

/// `renew-ca.sh` on each member (run twice on etcd1), then the client's `renew` step.
fn renew_steps(roll: &mut Rollout, k: Kit) {
    let Kit { kit_dir, app, .. } = k;
    for i in 1..=3 {
        let name = format!("etcd{i}");
        let out = roll.done(&name, "renew-ca.sh", &[]);
        assert!(
            out.contains(&format!(
                "done on {name}: it uses the renewed CA certificate"
            )),
            "{out}"
        );
        if i == 1 {
            let n = roll.restarts.len();
            let (code, out) = roll.step(&name, "renew-ca.sh", &[]);
            assert_eq!(code, 0, "{out}");
            assert!(out.contains("in use on etcd1 already"), "{out}");
            assert_eq!(
                roll.restarts.len(),
                n,
                "renew-ca.sh run again restarted etcd"
            );
        }
    }
    client_step(kit_dir, "app", "renew", app);
}

/// Every member uses the renewed CA certificate and nothing else changed; the old and the
/// renewed CA file both work.
fn renewed_ca_in_use(roll: &mut Rollout, k: Kit) {
    let Kit {
        subnet,
        bundle,
        kit_dir,
        new_pem,
        ..
    } = k;
    assert_eq!(roll.restarts.len(), 3);
    // The members' own certificates did not change; old and renewed CA files both work for
    // clients (same key and name), and the old client certificates are still accepted.
    for i in 1..=3 {
        let name = format!("etcd{i}");
        let pki = roll.cluster.member(&name).cert_dir.clone();
        let installed = std::fs::read_to_string(pki.join("ca.crt")).unwrap();
        assert_eq!(installed.trim(), new_pem.trim(), "{name}'s ca.crt");
        assert_eq!(
            std::fs::read(pki.join("server.crt")).unwrap(),
            std::fs::read(bundle.join(format!("members/{name}/pki/server.crt"))).unwrap(),
            "{name}'s server.crt changed"
        );
        for ca in [bundle.join("ca.crt"), kit_dir.join("ca.crt")] {
            let (ok, out) = can_read(&bundle.join("clients/etcdctl"), subnet, i, &ca);
            assert!(ok, "{name} with {}: {out}", ca.display());
        }
    }
}
