//! The revocation and CA rotation scripts as a reviewer and a shell see them, without a
//! cluster: each passes `bash -n` and shellcheck at its strictest level (style, no check
//! excluded, sourced files followed); each data file is valid shell that sets exactly the
//! values given; bad invocations are refused before anything is touched. Their work on live
//! clusters is tested in `tests/etcd/tests/revoke.rs` and `rotate.rs`.

use std::path::{Path, PathBuf};
use std::process::Command;

use pki_core::kit::{self, KitOp};
use pki_core::runbook::RunbookFile;

struct Scratch(PathBuf);
impl Scratch {
    fn new(tag: &str) -> Scratch {
        let p = std::env::temp_dir().join(format!("epki-kit-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        Scratch(p)
    }
}
impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn ca_pem(cn: &str, dir: &Path) -> String {
    let o = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
        ])
        .arg("-keyout")
        .arg(dir.join(format!("{cn}.key")))
        .args(["-days", "3", "-subj", &format!("/CN={cn}")])
        .output()
        .expect("openssl");
    assert!(o.status.success());
    String::from_utf8(o.stdout).unwrap()
}

fn ops(dir: &Path) -> Vec<KitOp> {
    let (old, new) = (ca_pem("old", dir), ca_pem("new", dir));
    let members: Vec<(String, std::net::IpAddr)> = vec![
        ("etcd1".into(), "10.0.0.1".parse().unwrap()),
        ("etcd2".into(), "2001:db8::2".parse().unwrap()),
    ];
    let member = |name: &str, same_key| KitOp::RotateMember {
        name: name.into(),
        ips: vec![members.iter().find(|m| m.0 == name).unwrap().1],
        cert_dir: "/etc/etcd/pki".into(),
        client_port: 2379,
        peer_port: 2380,
        members: members.clone(),
        old_ca_pem: old.clone(),
        new_ca_pem: new.clone(),
        same_key,
    };
    vec![
        KitOp::InstallCrl {
            name: "etcd1".into(),
            ips: vec!["10.0.0.1".parse().unwrap()],
            cert_dir: "/etc/etcd/pki".into(),
            client_port: 2379,
        },
        member("etcd1", false),
        member("etcd2", true),
        KitOp::RotateClient {
            name: "etcdctl".into(),
            kind: "etcdctl".into(),
            endpoints: vec![
                "https://10.0.0.1:2379".into(),
                "https://[2001:db8::2]:2379".into(),
            ],
            old_ca_pem: old.clone(),
            new_ca_pem: new.clone(),
            same_key: false,
        },
    ]
}

fn write_all(dir: &Path, files: &[RunbookFile]) {
    for f in files {
        let p = dir.join(&f.path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, &f.contents).unwrap();
    }
}

fn output(cmd: &mut Command) -> (i32, String) {
    let o = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e} (bash and shellcheck are needed)"));
    (
        o.status.code().unwrap_or(-1),
        format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        ),
    )
}

#[test]
fn kit_scripts_and_data_pass_bash_and_shellcheck() {
    let s = Scratch::new("lint");
    let mut scripts = Vec::new();
    for op in ops(&s.0) {
        let files = kit::files(&op).unwrap();
        write_all(&s.0, &files);
        scripts.extend(
            files
                .iter()
                .filter(|f| f.path.ends_with(".sh") || f.path.ends_with(".env"))
                .map(|f| f.path.clone()),
        );
    }
    for p in &scripts {
        let (code, out) = output(Command::new("bash").arg("-n").arg(s.0.join(p)));
        assert_eq!(code, 0, "bash -n {p}: {out}");
    }
    // From each script's folder, so that `source=lib.sh`-style directives resolve as in the kit.
    for p in scripts.iter().filter(|p| p.ends_with(".sh")) {
        let path = s.0.join(p);
        let (code, out) = output(
            Command::new("shellcheck")
                .args(["-x", "-S", "style", "-f", "gcc"])
                .arg(path.file_name().unwrap())
                .current_dir(path.parent().unwrap()),
        );
        assert_eq!(code, 0, "shellcheck {p}:\n{out}");
    }
}

#[test]
fn data_files_set_exactly_the_values() {
    let s = Scratch::new("data");
    let ops = ops(&s.0);
    write_all(&s.0, &kit::files(&ops[1]).unwrap());
    let (code, out) = output(
        Command::new("bash")
            .arg("-c")
            .arg(r#"set -u; . "$1"; printf '%s|' "$MEMBER" "$IPS" "$ADDRESS" "$CERT_DIR" "$CLIENT_PORT" "$PEER_PORT" "$MEMBERS" "$ADDRESSES""#)
            .arg("data")
            .arg(s.0.join("members/etcd1/rotate/rotate.env")),
    );
    assert_eq!(code, 0, "{out}");
    assert_eq!(
        out,
        "etcd1|10.0.0.1|10.0.0.1|/etc/etcd/pki|2379|2380|etcd1 etcd2|10.0.0.1 2001:db8::2|"
    );
    // The fingerprints are what openssl prints for the two CA files.
    let fp = |f: &str| {
        output(
            Command::new("openssl")
                .args(["x509", "-noout", "-fingerprint", "-sha256", "-in"])
                .arg(s.0.join("members/etcd1/rotate").join(f)),
        )
        .1
        .trim()
        .split('=')
        .nth(1)
        .unwrap()
        .to_string()
    };
    let env = std::fs::read_to_string(s.0.join("members/etcd1/rotate/rotate.env")).unwrap();
    assert!(
        env.contains(&format!("OLD_CA_SHA256='{}'", fp("old-ca.crt"))),
        "{env}"
    );
    assert!(
        env.contains(&format!("NEW_CA_SHA256='{}'", fp("new-ca.crt"))),
        "{env}"
    );
    let both = std::fs::read_to_string(s.0.join("members/etcd1/rotate/both-ca.crt")).unwrap();
    assert_eq!(both.matches("BEGIN CERTIFICATE").count(), 2);
}

#[test]
fn scripts_refuse_bad_invocations_before_doing_anything() {
    let s = Scratch::new("usage");
    for op in ops(&s.0) {
        write_all(&s.0, &kit::files(&op).unwrap());
    }
    for (script, arg, says) in [
        (
            "members/etcd1/install-crl.sh",
            "--now",
            "unknown option --now",
        ),
        (
            "members/etcd1/rotate/1-trust-both.sh",
            "--yes",
            "unknown option --yes",
        ),
        (
            "members/etcd1/rotate/2-reissue.sh",
            "--clients",
            "unknown option --clients",
        ),
        (
            "members/etcd1/rotate/3-drop-old.sh",
            "-x",
            "unknown option -x",
        ),
        (
            "members/etcd2/rotate/renew-ca.sh",
            "now",
            "unknown option now",
        ),
        (
            "clients/etcdctl/rotate/rotate-client.sh",
            "4",
            "say which step",
        ),
    ] {
        let (code, out) = output(Command::new("bash").arg(s.0.join(script)).arg(arg));
        assert_eq!(code, 2, "{script} {arg}: {out}");
        assert!(out.contains(says), "{script} {arg}: {out}");
    }
    // A rotation script without its folder's data: named.
    let alone = s.0.join("alone");
    std::fs::create_dir_all(&alone).unwrap();
    std::fs::copy(
        s.0.join("members/etcd1/rotate/lib.sh"),
        alone.join("lib.sh"),
    )
    .unwrap();
    std::fs::copy(
        s.0.join("members/etcd1/rotate/1-trust-both.sh"),
        alone.join("1.sh"),
    )
    .unwrap();
    let (code, out) = output(Command::new("bash").arg(alone.join("1.sh")));
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("rotate.env is missing"), "{out}");
    // The client script on a folder that is not the client's.
    let (code, out) = output(
        Command::new("bash")
            .arg(s.0.join("clients/etcdctl/rotate/rotate-client.sh"))
            .arg("1")
            .arg(&alone),
    );
    assert_eq!(code, 3, "{out}");
    assert!(out.contains("ca.crt is missing"), "{out}");
}

/// install-crl.sh refuses a member whose etcd runs with --config-file (etcd then ignores the
/// CRL flags and variables, and its YAML has no CRL key), before writing anything. The etcd is
/// a stand-in: a copy of bash named `etcd` with `--config-file` among its arguments. As root
/// only (the script refuses anyone else first).
#[test]
fn install_crl_refuses_an_etcd_started_with_config_file() {
    if !output(Command::new("id").arg("-u")).1.starts_with('0') {
        eprintln!("skipped: install-crl.sh runs as root only");
        return;
    }
    let s = Scratch::new("yaml");
    let cert_dir = "/etc/etcd/pki";
    let files = kit::files(&KitOp::InstallCrl {
        name: "etcd1".into(),
        ips: vec!["127.0.0.1".parse().unwrap()],
        cert_dir: cert_dir.into(),
        client_port: 2379,
    })
    .unwrap();
    let bundle = s.0.join("bundle");
    write_all(&bundle, &files);
    let root = s.0.join("root");
    let installed = root.join(cert_dir.trim_start_matches('/'));
    std::fs::create_dir_all(&installed).unwrap();
    std::fs::write(installed.join("ca.crt"), ca_pem("yaml", &s.0)).unwrap();
    let bin = s.0.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::fs::copy("/bin/bash", bin.join("etcd")).unwrap();
    let mut fake = Command::new(bin.join("etcd"))
        .args([
            "-c",
            "sleep 20; :",
            "--config-file",
            "/etc/etcd/etcd.conf.yml",
        ])
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(200));
    let (code, out) = output(
        Command::new("bash")
            .arg(bundle.join("members/etcd1/install-crl.sh"))
            .env("ETCD_PKI_ROOT", &root),
    );
    let _ = fake.kill();
    let _ = fake.wait();
    assert_eq!(code, 3, "{out}");
    assert!(
        out.contains(&format!("etcd (pid {}) runs with a YAML config", fake.id()))
            && out.contains("env file"),
        "{out}"
    );
    assert!(!installed.join("crl.der").exists(), "a CRL was written");
}

/// Every file and folder under `dir`: path, mode, owner, group and contents, sorted.
fn tree(dir: &Path) -> Vec<(String, u32, u32, u32, Vec<u8>)> {
    use std::os::unix::fs::MetadataExt;
    let mut out = vec![];
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let m = std::fs::symlink_metadata(&d).unwrap();
        let contents = if m.is_file() {
            std::fs::read(&d).unwrap()
        } else {
            vec![]
        };
        out.push((
            d.display().to_string(),
            m.mode(),
            m.uid(),
            m.gid(),
            contents,
        ));
        if m.is_dir() {
            stack.extend(std::fs::read_dir(&d).unwrap().map(|e| e.unwrap().path()));
        }
    }
    out.sort();
    out
}

/// A rotation step that refuses (exit 3) changes nothing on the machine: not cert_dir's
/// owner or mode (a refused 2-reissue.sh used to have re-owned it already), not a file, no
/// backup folder. Each script of a rotation kit and of a same-key renewal kit, run as root
/// against an installation under ETCD_PKI_ROOT (cert_dir root:root 0755, as an older install
/// may have left it) whose ca.crt is the old CA (phase 1 not done) or a CA the kit does not
/// know; etcdctl is `true` (every refusal here comes before the cluster is asked).
#[test]
fn a_refused_step_changes_nothing() {
    if !output(Command::new("id").arg("-u")).1.starts_with('0') {
        eprintln!("skipped: the rotation scripts run as root only");
        return;
    }
    let s = Scratch::new("refused");
    let (old, new, other) = (
        ca_pem("old", &s.0),
        ca_pem("new", &s.0),
        ca_pem("other", &s.0),
    );
    let cert_dir = "/etc/etcd/pki";
    let kit = s.0.join("kit");
    for (name, same_key) in [("etcd1", false), ("etcd2", true)] {
        let op = KitOp::RotateMember {
            name: name.into(),
            ips: vec!["127.0.0.1".parse().unwrap()],
            cert_dir: cert_dir.into(),
            client_port: 2379,
            peer_port: 2380,
            members: vec![(name.into(), "127.0.0.1".parse().unwrap())],
            old_ca_pem: old.clone(),
            new_ca_pem: new.clone(),
            same_key,
        };
        write_all(&kit, &kit::files(&op).unwrap());
    }
    let root = s.0.join("root");
    let installed = root.join(cert_dir.trim_start_matches('/'));
    std::fs::create_dir_all(&installed).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&installed, std::fs::Permissions::from_mode(0o755)).unwrap();
    for f in ["server.crt", "server.key", "peer.crt", "peer.key"] {
        std::fs::write(installed.join(f), format!("{f} as installed\n")).unwrap();
    }
    let mut refused = 0;
    for (ca, script, args) in [
        (
            &old,
            "members/etcd1/rotate/2-reissue.sh",
            "--clients-trust-both",
        ),
        (
            &other,
            "members/etcd1/rotate/2-reissue.sh",
            "--clients-trust-both",
        ),
        (&other, "members/etcd1/rotate/1-trust-both.sh", ""),
        (
            &old,
            "members/etcd1/rotate/3-drop-old.sh",
            "--clients-reissued",
        ),
        (&other, "members/etcd2/rotate/renew-ca.sh", ""),
    ] {
        std::fs::write(installed.join("ca.crt"), ca).unwrap();
        let before = tree(&root);
        let (code, out) = output(
            Command::new("bash")
                .arg(kit.join(script))
                .args(args.split_whitespace())
                .env("ETCD_PKI_ROOT", &root)
                .env("ETCDCTL", "true")
                .env("ETCD_PKI_RESTART", "false"),
        );
        assert_eq!(code, 3, "{script} {args}: {out}");
        assert!(out.contains("REFUSED"), "{script}: {out}");
        assert_eq!(
            tree(&root),
            before,
            "{script} {args} refused ({out}) but changed the machine"
        );
        assert!(
            !root.join("var/backups").exists(),
            "{script}: a backup folder"
        );
        refused += 1;
    }
    assert_eq!(refused, 5);
}
