//! `install.sh`, `verify.sh` and `check-expiry.sh` run for real: install.sh refuses a machine
//! without the member's address, and on a "machine" with it (a network namespace holding the
//! address) lays out the files under a scratch root with the right modes and the env file of
//! the distribution, twice without change; verify.sh passes, then names a swapped key.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use e2e_etcd::{TempDir, code_and_output, generate_bundle, run};

fn spec() -> String {
    serde_json::json!({
        "cluster_name": "inst",
        "nodes": (1..=3).map(|i| serde_json::json!({
            "name": format!("etcd{i}"), "ips": [format!("198.18.70.{i}")]
        })).collect::<Vec<_>>(),
    })
    .to_string()
}

/// A namespace holding 198.18.70.1, as member etcd1's machine would.
struct Ns(String);
impl Ns {
    fn new() -> Ns {
        let name = format!("epki-inst-{}", std::process::id());
        let ip = |args: &[&str]| {
            let o = run(Command::new("ip").args(args));
            assert!(
                o.status.success(),
                "ip {}: {}",
                args.join(" "),
                String::from_utf8_lossy(&o.stderr)
            );
        };
        ip(&["netns", "add", &name]);
        let ns = Ns(name.clone());
        ip(&[
            "-n", &name, "link", "add", "m0", "type", "veth", "peer", "name", "m1",
        ]);
        ip(&["-n", &name, "addr", "add", "198.18.70.1/24", "dev", "m0"]);
        ip(&["-n", &name, "link", "set", "m0", "up"]);
        ns
    }
    fn bash(&self, root: &Path, script: &Path, args: &[&str]) -> (i32, String) {
        let o = run(Command::new("ip")
            .args(["netns", "exec", &self.0, "env"])
            .arg(format!("ETCD_PKI_ROOT={}", root.display()))
            .arg("bash")
            .arg(script)
            .args(args));
        code_and_output(&o)
    }
}
impl Drop for Ns {
    fn drop(&mut self) {
        let _ = Command::new("ip").args(["netns", "del", &self.0]).status();
    }
}

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p)
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        .permissions()
        .mode()
        & 0o777
}

fn files_under(p: &Path) -> Vec<String> {
    let out = run(Command::new("find").arg(p).arg("-type").arg("f"));
    let mut v: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(String::from)
        .collect();
    v.sort();
    v
}

#[test]
fn install_refuses_a_foreign_host_and_lays_out_files_on_the_member() {
    let tmp = TempDir::new("install");
    let b = generate_bundle(&spec(), tmp.path());
    let install = b.join("members/etcd1/install.sh");
    let verify = b.join("members/etcd1/verify.sh");

    // This machine (the root namespace) is not etcd1: refused, nothing written.
    let scratch = tmp.path().join("root-host");
    std::fs::create_dir_all(scratch.join("etc")).unwrap();
    std::fs::write(scratch.join("etc/os-release"), "ID=debian\n").unwrap();
    let o = run(Command::new("bash")
        .arg(&install)
        .env("ETCD_PKI_ROOT", &scratch));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(o.status.code(), Some(3), "{text}");
    assert!(
        text.contains("none of member etcd1's addresses (198.18.70.1)") && text.contains("--force"),
        "{text}"
    );
    assert_eq!(
        files_under(&scratch).len(),
        1,
        "a refused install wrote files"
    );

    // On etcd1 (a namespace holding its address), Debian flavour.
    let ns = Ns::new();
    let deb = tmp.path().join("debian-host");
    std::fs::create_dir_all(deb.join("etc")).unwrap();
    std::fs::write(
        deb.join("etc/os-release"),
        "PRETTY_NAME=\"Debian\"\nID=debian\n",
    )
    .unwrap();
    let (code, out) = ns.bash(&deb, &install, &[]);
    assert_eq!(code, 0, "{out}");
    let pki = deb.join("etc/etcd/pki");
    assert_eq!(mode(&pki), 0o700);
    assert_eq!(mode(&deb.join("var/lib/etcd")), 0o700);
    for f in ["server.key", "peer.key"] {
        assert_eq!(mode(&pki.join(f)), 0o600, "{f}");
    }
    for f in ["ca.crt", "server.crt", "peer.crt"] {
        assert_eq!(mode(&pki.join(f)), 0o644, "{f}");
    }
    assert_eq!(
        std::fs::read(deb.join("etc/default/etcd")).unwrap(),
        std::fs::read(b.join("members/etcd1/debian/etcd")).unwrap()
    );
    assert!(
        deb.join("etc/systemd/system/etcd.service.d/10-etcd-pki.conf")
            .is_file()
    );
    assert!(
        !deb.join("etc/etcd/etcd.conf").exists(),
        "RHEL's file on Debian"
    );
    // Again: nothing changes.
    let before: Vec<_> = files_under(&deb)
        .iter()
        .map(|f| (f.clone(), std::fs::metadata(f).unwrap().modified().unwrap()))
        .collect();
    let (code, out) = ns.bash(&deb, &install, &[]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("/etc/etcd/pki/server.key already in place"),
        "{out}"
    );
    assert!(!out.contains("wrote"), "second run wrote something:\n{out}");
    let after: Vec<_> = files_under(&deb)
        .iter()
        .map(|f| (f.clone(), std::fs::metadata(f).unwrap().modified().unwrap()))
        .collect();
    assert_eq!(before, after);

    // RHEL flavour.
    let rhel = tmp.path().join("rhel-host");
    std::fs::create_dir_all(rhel.join("etc")).unwrap();
    std::fs::write(
        rhel.join("etc/os-release"),
        "ID=\"rocky\"\nID_LIKE=\"rhel centos fedora\"\n",
    )
    .unwrap();
    let (code, out) = ns.bash(&rhel, &install, &[]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(
        std::fs::read(rhel.join("etc/etcd/etcd.conf")).unwrap(),
        std::fs::read(b.join("members/etcd1/rhel/etcd.conf")).unwrap()
    );
    assert!(!rhel.join("etc/default/etcd").exists());

    // verify.sh: passes on the installation, names a swapped key.
    let (code, out) = ns.bash(&deb, &verify, &[]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("ok    server.crt names this machine's address 198.18.70.1"),
        "{out}"
    );
    std::fs::copy(pki.join("peer.key"), pki.join("server.key")).unwrap();
    let (code, out) = ns.bash(&deb, &verify, &[]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("FAIL") && out.contains("server.key does not belong to"),
        "{out}"
    );
    // install.sh puts the right key back, keeping the wrong one aside.
    let (code, out) = ns.bash(&deb, &install, &[]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("kept the previous /etc/etcd/pki/server.key as"),
        "{out}"
    );
    assert_eq!(ns.bash(&deb, &verify, &[]).0, 0);
}

#[test]
fn check_expiry_lists_every_certificate() {
    let tmp = TempDir::new("expiry");
    let b = generate_bundle(&spec(), tmp.path());
    let o = run(Command::new("bash").arg(b.join("check-expiry.sh")));
    let out = String::from_utf8_lossy(&o.stdout).to_string();
    assert!(o.status.success(), "{out}");
    // 1 CA + 3 × (server + peer) + 1 client, the CA listed once though copied everywhere.
    assert_eq!(
        out.lines().filter(|l| l.contains(".crt (")).count(),
        8,
        "{out}"
    );
    assert!(
        // 825 days, or 824 once a second has passed since issuing (days left round down).
        ["825 ", "824 "]
            .iter()
            .any(|d| out.lines().nth(1).unwrap().starts_with(d)),
        "soonest first:\n{out}"
    );
    assert!(out.contains("nothing expires within 30 days"));
    let o = run(Command::new("bash")
        .arg(b.join("check-expiry.sh"))
        .args(["--days", "1000"]));
    assert_eq!(o.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("7 certificate(s) expire within 1000 days")
    );
}
