//! `install.sh`, `verify.sh` and `check-expiry.sh` run for real: install.sh refuses a machine
//! without the member's address, and on a "machine" with it (a network namespace holding the
//! address) lays out the files under a scratch root with the right modes and the env file of
//! the distribution, twice without change; verify.sh passes, then names a swapped key. Then
//! the etcd user's attacks on a root install.sh: links planted in cert_dir, cert_dir or
//! data_dir replaced by a link, a parent owned by etcd — nothing outside cert_dir changes.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
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
        // Tests of this file run in parallel in one process: each namespace its own name.
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let name = format!("epki-inst-{}-{n}", std::process::id());
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
    let (etcd_uid, etcd_gid) = etcd_ids();
    // etcd reads its files and can change none of them: root:etcd, keys 0640, folder 0750.
    assert_eq!(owner(&pki), (0, etcd_gid));
    assert_eq!(mode(&pki), 0o750);
    assert_eq!(owner(&deb.join("var/lib/etcd")), (etcd_uid, etcd_gid));
    assert_eq!(mode(&deb.join("var/lib/etcd")), 0o700);
    assert_eq!(
        mode(&deb.join("etc/etcd")),
        0o755,
        "a parent etcd cannot traverse"
    );
    for f in ["server.key", "peer.key"] {
        assert_eq!(mode(&pki.join(f)), 0o640, "{f}");
        assert_eq!(owner(&pki.join(f)), (0, etcd_gid), "{f}");
    }
    for f in ["ca.crt", "server.crt", "peer.crt"] {
        assert_eq!(mode(&pki.join(f)), 0o644, "{f}");
        assert_eq!(owner(&pki.join(f)), (0, etcd_gid), "{f}");
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
    // install.sh puts the right key back, moving the wrong one to a root-only backup folder:
    // no old key is left in cert_dir.
    let (code, out) = ns.bash(&deb, &install, &[]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("moved the previous /etc/etcd/pki/server.key to /var/backups/etcd-pki/"),
        "{out}"
    );
    assert_eq!(ns.bash(&deb, &verify, &[]).0, 0);
    let mut in_pki: Vec<String> = std::fs::read_dir(&pki)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    in_pki.sort();
    // The member's own files only (JWT tokens are the default, so its token key pair too), and
    // which bundle they come from (etcd-pki-bundle.env, for the generation check).
    assert_eq!(
        in_pki,
        [
            "ca.crt",
            "etcd-pki-bundle.env",
            "jwt.key",
            "jwt.pub",
            "peer.crt",
            "peer.key",
            "server.crt",
            "server.key"
        ]
    );
    let backups = files_under(&deb.join("var/backups/etcd-pki"));
    assert_eq!(backups.len(), 1, "{backups:?}");
    let stamp_dir = Path::new(&backups[0]).parent().unwrap();
    assert_eq!(mode(stamp_dir), 0o700);
    assert_eq!(owner(stamp_dir), (0, 0));
}

fn etcd_ids() -> (u32, u32) {
    let id = |flag: &str| -> u32 {
        let o = run(Command::new("id").args([flag, "etcd"]));
        assert!(
            o.status.success(),
            "no user etcd (Debian's etcd-server creates it)"
        );
        String::from_utf8_lossy(&o.stdout).trim().parse().unwrap()
    };
    (id("-u"), id("-g"))
}

fn owner(p: &Path) -> (u32, u32) {
    let m = std::fs::symlink_metadata(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    (m.uid(), m.gid())
}

/// Owner, mode and contents of a file, to show that it did not change.
fn snapshot(p: &Path) -> (u32, u32, u32, Vec<u8>) {
    let m = std::fs::symlink_metadata(p).unwrap();
    (m.uid(), m.gid(), m.mode(), std::fs::read(p).unwrap())
}

/// Runs a shell command as the etcd user, as an attacker who got its rights would.
fn as_etcd(cmd: &str) {
    let o = run(Command::new("setpriv").args([
        "--reuid=etcd",
        "--regid=etcd",
        "--clear-groups",
        "sh",
        "-c",
        cmd,
    ]));
    assert!(
        o.status.success(),
        "as etcd: {cmd}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn install_cannot_be_turned_against_the_host() {
    let tmp = TempDir::new("install-links");
    let b = generate_bundle(&spec(), tmp.path());
    let install = b.join("members/etcd1/install.sh");
    let ns = Ns::new();
    let host = tmp.path().join("host");
    std::fs::create_dir_all(host.join("etc")).unwrap();
    std::fs::write(host.join("etc/os-release"), "ID=debian\n").unwrap();
    // Stand-ins for /etc/shadow and another root-only file, outside cert_dir.
    let shadow = host.join("etc/shadow");
    std::fs::write(&shadow, "root:$6$secret:19000:0:99999:7:::\n").unwrap();
    std::fs::set_permissions(&shadow, std::fs::Permissions::from_mode(0o640)).unwrap();
    let passwd = host.join("etc/passwd");
    std::fs::write(&passwd, "root:x:0:0:root:/root:/bin/bash\n").unwrap();
    let before = (snapshot(&shadow), snapshot(&passwd));
    let (code, out) = ns.bash(&host, &install, &[]);
    assert_eq!(code, 0, "{out}");
    let pki = host.join("etc/etcd/pki");
    let (_, etcd_gid) = etcd_ids();

    // 1. An earlier install.sh left cert_dir owned by etcd (0700); whoever runs as etcd plants
    // links to root's files where install.sh will write, and a dangling one.
    let o = run(Command::new("chown").arg("etcd:etcd").arg(&pki));
    assert!(o.status.success());
    std::fs::set_permissions(&pki, std::fs::Permissions::from_mode(0o700)).unwrap();
    as_etcd(&format!(
        "cd '{}' && rm -f server.key peer.crt && ln -s '{}' server.key && ln -s '{}' peer.crt",
        pki.display(),
        shadow.display(),
        passwd.display()
    ));
    assert!(
        std::fs::symlink_metadata(pki.join("server.key"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
    let (code, out) = ns.bash(&host, &install, &[]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("/etc/etcd/pki/server.key was a symbolic link")
            && out.contains("replacing the link, not what it points to"),
        "{out}"
    );
    assert_eq!(
        (snapshot(&shadow), snapshot(&passwd)),
        before,
        "a file outside cert_dir changed"
    );
    for (f, mode_want) in [("server.key", 0o640), ("peer.crt", 0o644)] {
        let p = pki.join(f);
        assert!(
            std::fs::symlink_metadata(&p).unwrap().file_type().is_file(),
            "{f}"
        );
        assert_eq!(mode(&p), mode_want, "{f}");
        assert_eq!(owner(&p), (0, etcd_gid), "{f}");
        let src = if f.ends_with(".key") {
            "server.key"
        } else {
            "peer.crt"
        };
        assert_eq!(
            std::fs::read(&p).unwrap(),
            std::fs::read(b.join("members/etcd1/pki").join(src)).unwrap()
        );
    }
    // cert_dir is root's again: etcd can no longer plant anything there.
    assert_eq!(owner(&pki), (0, etcd_gid));
    assert_eq!(mode(&pki), 0o750);
    let o = run(Command::new("setpriv")
        .args(["--reuid=etcd", "--regid=etcd", "--clear-groups", "ln", "-s"])
        .arg(&shadow)
        .arg(pki.join("x.key")));
    assert!(!o.status.success(), "etcd could write into cert_dir");

    // 2. cert_dir itself replaced by a link (to a folder holding a root file): refused, exit 3,
    // the link and its target untouched.
    let elsewhere = host.join("root-only");
    std::fs::create_dir_all(&elsewhere).unwrap();
    std::fs::set_permissions(&elsewhere, std::fs::Permissions::from_mode(0o700)).unwrap();
    std::fs::write(elsewhere.join("server.key"), "root's own file").unwrap();
    std::fs::rename(&pki, host.join("etc/etcd/pki.real")).unwrap();
    std::os::unix::fs::symlink(&elsewhere, &pki).unwrap();
    let target_before = (
        snapshot(&elsewhere.join("server.key")),
        mode(&elsewhere),
        owner(&elsewhere),
    );
    let (code, out) = ns.bash(&host, &install, &[]);
    assert_eq!(code, 3, "{out}");
    assert!(
        out.contains("REFUSED") && out.contains("etc/etcd/pki is a symbolic link"),
        "{out}"
    );
    assert_eq!(
        (
            snapshot(&elsewhere.join("server.key")),
            mode(&elsewhere),
            owner(&elsewhere)
        ),
        target_before
    );
    assert_eq!(std::fs::read_dir(&elsewhere).unwrap().count(), 1);
    std::fs::remove_file(&pki).unwrap();
    std::fs::rename(host.join("etc/etcd/pki.real"), &pki).unwrap();

    // 3. data_dir a link: refused. 4. A parent owned by etcd: refused.
    let data = host.join("var/lib/etcd");
    std::fs::rename(&data, host.join("var/lib/etcd.real")).unwrap();
    std::os::unix::fs::symlink(&elsewhere, &data).unwrap();
    let (code, out) = ns.bash(&host, &install, &[]);
    assert_eq!(code, 3, "{out}");
    assert!(out.contains("var/lib/etcd is a symbolic link"), "{out}");
    std::fs::remove_file(&data).unwrap();
    std::fs::rename(host.join("var/lib/etcd.real"), &data).unwrap();
    assert!(
        run(Command::new("chown").arg("etcd").arg(host.join("etc/etcd")))
            .status
            .success()
    );
    let (code, out) = ns.bash(&host, &install, &[]);
    assert_eq!(code, 3, "{out}");
    assert!(out.contains("etc/etcd is owned by etcd, not root"), "{out}");
    assert!(
        run(Command::new("chown").arg("root").arg(host.join("etc/etcd")))
            .status
            .success()
    );
    assert_eq!(ns.bash(&host, &install, &[]).0, 0);
    assert_eq!(
        (snapshot(&shadow), snapshot(&passwd)),
        before,
        "a file outside cert_dir changed"
    );
}

#[test]
fn check_expiry_lists_every_certificate() {
    let tmp = TempDir::new("expiry");
    let b = generate_bundle(&spec(), tmp.path());
    let o = run(Command::new("bash").arg(b.join("check-expiry.sh")));
    let out = String::from_utf8_lossy(&o.stdout).to_string();
    assert!(o.status.success(), "{out}");
    // The root and the issuing CA + 3 × (server + peer) + 1 client, the root listed once
    // though copied everywhere.
    assert_eq!(
        out.lines().filter(|l| l.contains(".crt (")).count(),
        9,
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
    let out = String::from_utf8_lossy(&o.stdout).to_string();
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(
        out.contains("7 certificate(s) or CRL(s) expire within 1000 days")
            && out.contains("etcd-pki renew --from NEWEST.zip"),
        "{out}"
    );
}

/// Issue 21, defect 13: install.sh makes data_dir etcd's (chown, 0700), so it must never take
/// over a folder that already holds someone else's files (a data_dir of `/etc/cron.hourly`
/// would have handed root's cron jobs to etcd). It refuses, exit 3, before writing anything;
/// it accepts an empty folder, an etcd data dir (member/, or Debian's default/member/ below
/// it), and a folder it created itself and etcd has since filled. --force (for a machine
/// without the member's address) changes nothing of this; no namespace needed.
#[test]
fn install_takes_over_no_folder_holding_foreign_files() {
    let tmp = TempDir::new("install-foreign");
    let spec = spec().replace(
        "\"cluster_name\"",
        "\"data_dir\":\"/srv/etcd-data\",\"cluster_name\"",
    );
    let b = generate_bundle(&spec, tmp.path());
    let install = b.join("members/etcd1/install.sh");
    let host = tmp.path().join("host");
    let data = host.join("srv/etcd-data");
    std::fs::create_dir_all(&data).unwrap();
    std::fs::write(data.join("backup-job"), "#!/bin/sh\nrm -rf /\n").unwrap();
    std::fs::set_permissions(
        data.join("backup-job"),
        std::fs::Permissions::from_mode(0o755),
    )
    .unwrap();
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).unwrap();
    let go = || {
        code_and_output(&run(Command::new("bash")
            .arg(&install)
            .arg("--force")
            .env("ETCD_PKI_ROOT", &host)))
    };
    let (code, out) = go();
    assert_eq!(code, 3, "{out}");
    assert!(
        out.contains(
            "REFUSED: data_dir /srv/etcd-data already holds files that are not etcd's (backup-job)"
        ),
        "{out}"
    );
    assert_eq!(owner(&data), (0, 0), "the refused folder changed hands");
    assert_eq!(mode(&data), 0o755);
    assert!(
        !host.join("etc/etcd/pki").exists(),
        "a refused install wrote cert_dir"
    );

    // Debian's package made the folder and etcd's data dir below it: taken.
    std::fs::remove_file(data.join("backup-job")).unwrap();
    std::fs::create_dir_all(data.join("default/member/snap")).unwrap();
    let (code, out) = go();
    assert_eq!(code, 0, "{out}");

    // A folder install.sh created itself, which etcd has since filled: taken again.
    std::fs::remove_dir_all(&data).unwrap();
    let (code, out) = go();
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("created /srv/etcd-data"), "{out}");
    std::fs::write(data.join("notes"), "etcd's own").unwrap();
    let (code, out) = go();
    assert_eq!(code, 0, "{out}");
}
