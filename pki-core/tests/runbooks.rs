//! The runbook scripts as a reviewer and a shell see them, without a cluster: each static
//! script passes `bash -n` and shellcheck at its strictest level (style, no check excluded,
//! no `-s`: each says its shell itself); each data file is valid shell that sets exactly the
//! values given; and the scripts refuse bad invocations before touching anything.
//! The scripts' work on a live cluster is tested in `tests/etcd/tests/membership_and_renewal.rs`.
//!
//! Needs bash and shellcheck (scripts/setup.sh installs them).

use std::path::{Path, PathBuf};
use std::process::Command;

use pki_core::runbook::{self, Operation, RunbookFile};

struct Scratch(PathBuf);
impl Scratch {
    fn new(tag: &str) -> Scratch {
        let p = std::env::temp_dir().join(format!("epki-runbook-{tag}-{}", std::process::id()));
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

fn ops() -> Vec<Operation> {
    vec![
        Operation::AddMember {
            name: "etcd4".into(),
            peer_urls: vec!["https://10.0.0.4:2380".into()],
            client_url: "https://10.0.0.4:2379".into(),
            endpoints: vec![
                "https://10.0.0.1:2379".into(),
                "https://[2001:db8::2]:2379".into(),
            ],
            initial_cluster:
                "etcd1=https://10.0.0.1:2380,etcd2=https://[2001:db8::2]:2380,etcd4=https://10.0.0.4:2380"
                    .into(),
            etcdctl_env: "clients/etcdctl/etcdctl-env.sh".into(),
            one_machine: false,
        },
        Operation::RemoveMember {
            name: "etcd2".into(),
            peer_urls: vec!["https://[2001:db8::2]:2380".into()],
            endpoints: vec!["https://10.0.0.1:2379".into()],
            data_dir: "/var/lib/etcd".into(),
            cert_dir: "/etc/etcd/pki".into(),
            revoke: vec![
                ("server.crt".into(), "0A1B".into()),
                ("peer.crt".into(), "FF".into()),
            ],
            etcdctl_env: "clients/etcdctl/etcdctl-env.sh".into(),
        },
        Operation::Renew {
            name: "etcd1".into(),
            ips: vec!["10.0.0.1".parse().unwrap()],
            cert_dir: "/etc/etcd/pki".into(),
            client_port: 2379,
            peer_port: 2380,
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
fn scripts_and_data_pass_bash_and_shellcheck() {
    let s = Scratch::new("lint");
    let mut paths = Vec::new();
    for op in ops() {
        let files = runbook::files(&op).unwrap();
        write_all(&s.0, &files);
        paths.extend(files.iter().map(|f| s.0.join(&f.path)));
    }
    for p in &paths {
        let (code, out) = output(Command::new("bash").arg("-n").arg(p));
        assert_eq!(code, 0, "bash -n {}: {out}", p.display());
    }
    let (code, out) = output(
        Command::new("shellcheck")
            .args(["-S", "style", "-f", "gcc"])
            .args(&paths),
    );
    assert_eq!(code, 0, "shellcheck:\n{out}");
}

#[test]
fn data_files_set_exactly_the_values() {
    let s = Scratch::new("data");
    let files = runbook::files(&ops()[1]).unwrap();
    write_all(&s.0, &files);
    let (code, out) = output(
        Command::new("bash")
            .arg("-c")
            .arg(r#"set -u; . "$1"; printf '%s|' "$NAME" "$PEER_URLS" "$ENDPOINTS" "$DATA_DIR" "$CERT_DIR" "$REVOKE" "$ETCDCTL_ENV""#)
            .arg("data")
            .arg(s.0.join("runbook/remove-etcd2.env")),
    );
    assert_eq!(code, 0, "{out}");
    assert_eq!(
        out,
        "etcd2|https://[2001:db8::2]:2380|https://10.0.0.1:2379|/var/lib/etcd|/etc/etcd/pki|\
         server.crt=0A1B peer.crt=FF|clients/etcdctl/etcdctl-env.sh|"
    );
}

#[test]
fn scripts_refuse_bad_invocations_before_doing_anything() {
    let s = Scratch::new("usage");
    for op in ops() {
        write_all(&s.0, &runbook::files(&op).unwrap());
    }
    let add = s.0.join("runbook/add-etcd4.sh");
    let (code, out) = output(Command::new("bash").arg(&add).args(["--wait", "soon"]));
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("--wait takes a number of seconds"), "{out}");
    // No admin client in this scratch bundle: named, with the way out.
    let (code, out) = output(Command::new("bash").arg(&add));
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("etcdctl-env.sh is missing") && out.contains("ETCD_PKI_ETCDCTL_ENV"),
        "{out}"
    );
    // A script without its data file (copied alone).
    let alone = s.0.join("alone.sh");
    std::fs::copy(s.0.join("runbook/remove-etcd2.sh"), &alone).unwrap();
    let (code, out) = output(Command::new("bash").arg(&alone));
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("alone.env is missing"), "{out}");
    let (code, out) = output(
        Command::new("bash")
            .arg(s.0.join("members/etcd1/renew.sh"))
            .arg("--now"),
    );
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("unknown option --now"), "{out}");
}

/// Every shell script this crate writes (the templates and the runbooks) runs under
/// `set -o pipefail`, where `cmd | grep -q …` fails whenever grep stops at its match while cmd
/// is still writing (SIGPIPE): a check that passed reads as failed. No script pipes into
/// `grep -q`; the output is captured and matched instead.
#[test]
fn no_script_pipes_into_grep_q() {
    fn scripts(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                scripts(&p, out);
            } else if p.extension().is_some_and(|x| x == "sh") {
                out.push(p);
            }
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    scripts(&root.join("templates"), &mut files);
    assert!(files.len() > 20, "scripts found: {files:?}");
    let mut found = Vec::new();
    for f in &files {
        for (n, line) in std::fs::read_to_string(f).unwrap().lines().enumerate() {
            let code = line.split(" #").next().unwrap_or(line);
            if code.trim_start().starts_with('#') {
                continue;
            }
            let piped_grep_q = code.split('|').skip(1).any(|stage| {
                let mut words = stage.split_whitespace();
                words.next() == Some("grep")
                    && words
                        .take_while(|w| w.starts_with('-'))
                        .any(|w| !w.starts_with("--") && w.contains('q'))
            });
            if piped_grep_q {
                found.push(format!("{}:{}: {}", f.display(), n + 1, line.trim()));
            }
        }
    }
    assert!(
        found.is_empty(),
        "pipes into grep -q:\n{}",
        found.join("\n")
    );
}

/// renew.sh refuses (exit 3) a cert_dir holding another CA, or a later generation of the
/// cluster's bundles than the one it comes from, and a refusal changes nothing: cert_dir keeps
/// its owner and mode (it is taken back from etcd while the files are checked, and given back).
/// Runs as root (as CI does), under ETCD_PKI_ROOT.
#[test]
fn a_refused_renewal_changes_nothing() {
    use pki_core::daytwo::{self, Change};
    use pki_core::{ClusterSpec, OffsetDateTime, PrivateKey, generate, keys::Keys, package};
    use std::os::unix::fs::{MetadataExt, PermissionsExt};

    // etcd1 on loopback: this machine is etcd1 without --force (which would also go back).
    let spec = ClusterSpec::from_json(
        r#"{"cluster_name": "rr", "nodes": [{"name": "etcd1", "ips": ["127.0.1.1"]},
            {"name": "etcd2", "ips": ["10.0.0.2"]}],
            "clients": [{"name": "etcdctl", "common_name": "root"}]}"#,
    )
    .unwrap();
    let b = generate(&spec).unwrap();
    let opened = package::open(&b.to_zip().unwrap()).unwrap();
    let ca = daytwo::unlock_ca(&opened, b.ca_key.text().as_bytes(), None).unwrap();
    let change = Change::Renew {
        only: vec![],
        keep_keys: false,
        within_days: None,
    };
    let plan = daytwo::plan_change(
        Some(&opened),
        &opened.state.spec,
        &change,
        OffsetDateTime::now_utc(),
    )
    .unwrap();
    let keys: Keys = plan
        .keys_to_make
        .iter()
        .map(|r| (r.id.clone(), PrivateKey::generate(r.algorithm).unwrap()))
        .collect();
    let (renewed, _) = daytwo::apply_change(Some(&opened), &ca, &plan, keys).unwrap();
    let s = Scratch::new("refused");
    for f in renewed
        .files
        .iter()
        .filter(|f| f.path.starts_with("members/etcd1/"))
    {
        let p = s.0.join(&f.path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, &f.contents).unwrap();
    }
    let root = s.0.join("root");
    let cert_dir = root.join("etc/etcd/pki");
    std::fs::create_dir_all(&cert_dir).unwrap();
    std::fs::set_permissions(&cert_dir, std::fs::Permissions::from_mode(0o700)).unwrap();
    let renew = |dir: &Path| {
        output(
            Command::new("bash")
                .arg(dir.join("members/etcd1/renew.sh"))
                .env("ETCD_PKI_ROOT", &root)
                .env("ETCD_PKI_BACKUPS", s.0.join("backups")),
        )
    };
    let unchanged = |what: &str| {
        // Root's, 0700 (renew.sh would make it 0750 for etcd's group).
        let m = std::fs::metadata(&cert_dir).unwrap();
        assert_eq!(
            (m.uid(), m.mode() & 0o7777),
            (0, 0o700),
            "{what}: the refused renewal changed cert_dir's owner or mode"
        );
    };
    // Another CA's ca.crt in cert_dir.
    let other = generate(&ClusterSpec::template()).unwrap();
    std::fs::write(
        cert_dir.join("ca.crt"),
        &other.file("ca.crt").unwrap().contents,
    )
    .unwrap();
    let (code, out) = renew(&s.0);
    assert_eq!(code, 3, "{out}");
    assert!(out.contains("another CA"), "{out}");
    unchanged("another CA");
    // The machine holds a later generation of this line.
    std::fs::write(cert_dir.join("ca.crt"), &b.file("ca.crt").unwrap().contents).unwrap();
    let marker = renewed
        .file("members/etcd1/bundle.env")
        .unwrap()
        .text()
        .to_string();
    let generation = renewed.state().unwrap().generation();
    let later = marker.replace(
        &format!("GENERATION='{generation}'"),
        &format!("GENERATION='{}'", generation + 5),
    );
    assert_ne!(later, marker, "{marker}");
    std::fs::write(cert_dir.join("etcd-pki-bundle.env"), later).unwrap();
    let (code, out) = renew(&s.0);
    assert_eq!(code, 3, "{out}");
    assert!(
        out.contains(&format!("generation {}", generation + 5))
            && out.contains(&format!("generation {generation}")),
        "{out}"
    );
    unchanged("a later generation");
}
