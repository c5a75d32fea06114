//! `etcd-pki demo` as a user meets it: unpack, follow the README's steps on this machine (no
//! root, loopback only), check the cluster as the README says, stop it; then the same with
//! `demo/run.sh` and `demo/stop.sh`.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use e2e_etcd::{TempDir, etcd_pki_bin, must, run, tls_rejections, wait_until};

fn unpack_demo(tmp: &Path) -> std::path::PathBuf {
    let zip = tmp.join("demo.zip");
    must(
        Command::new(etcd_pki_bin())
            .args(["demo", "--out"])
            .arg(&zip),
    );
    let dir = tmp.join("demo");
    e2e_etcd::unzip(&zip, &dir);
    dir
}

fn bash(dir: &Path, script: &str) -> std::process::Output {
    run(Command::new("bash").arg("-c").arg(script).current_dir(dir))
}

fn out(o: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn alive(pid: &str) -> bool {
    Path::new(&format!("/proc/{}", pid.trim())).exists()
}

/// Kills whatever pids are listed in `file` (a safety net if an assertion fails midway).
struct KillPids(std::path::PathBuf);
impl Drop for KillPids {
    fn drop(&mut self) {
        for pid in std::fs::read_to_string(&self.0).unwrap_or_default().lines() {
            let _ = Command::new("kill").arg("-9").arg(pid.trim()).status();
        }
    }
}

#[test]
fn readme_steps_bring_up_a_tls_cluster() {
    let tmp = TempDir::new("demo-readme");
    let dir = unpack_demo(tmp.path());
    let readme = std::fs::read_to_string(dir.join("README.md")).unwrap();
    let starts: Vec<&str> = readme
        .lines()
        .filter(|l| l.starts_with("bash -c 'set -a; . members/"))
        .collect();
    assert_eq!(
        starts.len(),
        3,
        "the README starts three members:\n{readme}"
    );
    let _guard = KillPids(dir.join("etcd.pids"));
    for line in &starts {
        let o = bash(&dir, line);
        assert!(o.status.success(), "{line}: {}", out(&o));
    }
    let check = ". clients/etcdctl/etcdctl-env.sh && etcdctl endpoint health --cluster";
    assert!(readme.contains(". clients/etcdctl/etcdctl-env.sh\netcdctl endpoint health --cluster"));
    let up = wait_until(Duration::from_secs(30), || {
        bash(&dir, check).status.success()
    });
    let logs = || {
        ["etcd1", "etcd2", "etcd3"]
            .iter()
            .map(|m| {
                format!(
                    "--- {m}.log\n{}",
                    std::fs::read_to_string(dir.join(format!("{m}.log")))
                        .unwrap_or_default()
                        .lines()
                        .rev()
                        .take(8)
                        .collect::<Vec<_>>()
                        .join("\n")
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert!(
        up,
        "the README's cluster did not become healthy:\n{}\n{}",
        out(&bash(&dir, check)),
        logs()
    );
    let o = bash(
        &dir,
        ". clients/etcdctl/etcdctl-env.sh && etcdctl put /etcd-pki/check ok && etcdctl get /etcd-pki/check",
    );
    assert!(out(&o).contains("OK\n/etcd-pki/check\nok"), "{}", out(&o));
    for m in ["etcd1", "etcd2", "etcd3"] {
        let log = std::fs::read_to_string(dir.join(format!("{m}.log"))).unwrap();
        let bad = tls_rejections(&log);
        assert!(
            bad.is_empty(),
            "{m} refused a peer or client:\n{}",
            bad.join("\n")
        );
    }
    // The README's refusal check: without a certificate, no entry.
    let o = bash(
        &dir,
        ". clients/etcdctl/etcdctl-env.sh && ETCDCTL_DIAL_TIMEOUT=2s ETCDCTL_COMMAND_TIMEOUT=3s env -u ETCDCTL_CERT -u ETCDCTL_KEY etcdctl endpoint health",
    );
    assert!(!o.status.success(), "a client without a certificate got in");
    // Stop as the README says, and nothing is left running.
    let pids = std::fs::read_to_string(dir.join("etcd.pids")).unwrap();
    assert!(readme.contains("kill $(cat etcd.pids); rm etcd.pids"));
    bash(&dir, "kill $(cat etcd.pids); rm etcd.pids");
    assert!(
        wait_until(Duration::from_secs(15), || !pids.lines().any(alive)),
        "members still running after the README's stop command"
    );
}

#[test]
fn demo_scripts_start_check_and_stop() {
    let tmp = TempDir::new("demo-scripts");
    let dir = unpack_demo(tmp.path());
    let _guard = KillPids(dir.join("demo/run/all.pids"));
    let o = bash(&dir, "bash demo/run.sh");
    // Record the pids for the safety net before asserting.
    let pids: Vec<String> = ["etcd1", "etcd2", "etcd3"]
        .iter()
        .filter_map(|m| std::fs::read_to_string(dir.join(format!("demo/run/{m}.pid"))).ok())
        .collect();
    std::fs::write(dir.join("demo/run/all.pids"), pids.join("")).unwrap();
    assert!(o.status.success(), "demo/run.sh failed:\n{}", out(&o));
    assert!(
        out(&o).contains("put and read back through TLS as client etcdctl: hello over TLS"),
        "{}",
        out(&o)
    );
    let again = bash(&dir, "bash demo/run.sh");
    assert!(
        again.status.success() && out(&again).contains("etcd2 already runs"),
        "{}",
        out(&again)
    );
    let stop = bash(&dir, "bash demo/stop.sh --clean");
    assert!(stop.status.success(), "{}", out(&stop));
    assert!(out(&stop).contains("stopped etcd3"));
    assert_eq!(pids.len(), 3);
    assert!(
        !pids.iter().any(|p| alive(p)),
        "demo/stop.sh left a member running"
    );
    assert!(!dir.join("data").exists(), "--clean removes data/");
}

/// Day two on the demo bundle is refused with the reason (its paths are relative: its members
/// run from the unpacked folder, the runbooks install as root into absolute paths), and
/// nothing is written.
#[test]
fn day_two_on_the_demo_says_why_not() {
    let tmp = TempDir::new("demo-daytwo");
    let t = tmp.path();
    must(
        Command::new(etcd_pki_bin())
            .args(["demo", "--out", "demo.zip", "--ca-key-out", "ca.key"])
            .current_dir(t),
    );
    for args in [
        // (--force: etcdctl is the demo's administrator client, which revoke otherwise keeps.)
        &["revoke", "--client", "etcdctl", "--force"][..],
        &["renew", "--only", "etcd1"][..],
    ] {
        let o = run(Command::new(etcd_pki_bin())
            .args(&args[..1])
            .args([
                "--from", "demo.zip", "--ca-key", "ca.key", "--out", "next.zip",
            ])
            .args(&args[1..])
            .current_dir(t));
        let said = out(&o);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {said}");
        assert!(
            said.contains("cert_dir \"members/etcd1/pki\" is relative")
                && said.contains("absolute")
                && said.contains("nothing was written"),
            "{args:?}: {said}"
        );
        assert!(!t.join("next.zip").exists(), "{args:?} wrote next.zip");
    }
}
