//! Every command the CLI prints for the operator to run next runs as printed (issue #21,
//! item 17). One cluster's history, made by the `etcd-pki` binary in a temporary folder with
//! the files each step wrote: generate, add-member, remove-member, replace-member, renew,
//! renew --keep-keys, revoke, rotate-ca (root+issuing), rotate-ca --ca-layout single, rotate-ca
//! --same-key. After each step:
//! - every printed `etcd-pki …` line is pasted into bash as it is (an `etcd-pki` on the PATH
//!   is this build) and must succeed: no unknown option, no missing file, no missing `--out`
//!   or `--ca-passphrase-file` (there is no terminal to ask on);
//! - every printed `bash SCRIPT [OPTIONS]` names a script every member (or, for
//!   `rotate-client.sh`, every client) folder of the bundle just written holds — the bundle
//!   itself when the line says "from the unpacked bundle" — passes `bash -n`, and takes each
//!   printed option;
//! - every printed runbook step (`1. runbook/add-etcd4.sh`) is a file of that bundle.
//!
//! The scripts themselves need a cluster: `tests/etcd` runs them.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

struct Scratch(PathBuf);
impl Scratch {
    fn new() -> Scratch {
        let p = std::env::temp_dir().join(format!("epki-printed-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(p.join("bin")).unwrap();
        std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_etcd-pki"), p.join("bin/etcd-pki")).unwrap();
        Scratch(p)
    }

    /// Runs `line` in bash in the folder, as an operator pasting it would, with no terminal;
    /// the exit code and everything it said.
    fn paste(&self, line: &str) -> (i32, String) {
        let path = format!(
            "{}:{}",
            self.0.join("bin").display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let o = Command::new("bash")
            .args(["-c", line])
            .current_dir(&self.0)
            .env("PATH", path)
            .env("ETCD_PKI_STATE_DIR", self.0.join("state"))
            .stdin(std::process::Stdio::null())
            .output()
            .expect("bash");
        (
            o.status.code().unwrap_or(-1),
            format!(
                "{}{}",
                String::from_utf8_lossy(&o.stdout),
                String::from_utf8_lossy(&o.stderr)
            ),
        )
    }

    /// Runs a step that must succeed; what it printed.
    fn step(&self, line: &str) -> String {
        let (code, out) = self.paste(line);
        assert_eq!(code, 0, "`{line}` failed:\n{out}");
        out
    }
}
impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The bundle a step says it wrote (`Wrote X.zip …`, `wrote X.zip`).
fn written(out: &str) -> String {
    out.lines()
        .rev()
        .find_map(|l| {
            let l = l.trim();
            let rest = l
                .strip_prefix("Wrote ")
                .or_else(|| l.strip_prefix("wrote "))?;
            let zip = rest.split_whitespace().next()?.trim_end_matches('.');
            zip.ends_with(".zip").then(|| zip.to_string())
        })
        .unwrap_or_else(|| panic!("no `wrote …zip` in:\n{out}"))
}

/// The paths of a bundle's files.
fn files_of(zip: &Path) -> BTreeSet<String> {
    let bytes = std::fs::read(zip).unwrap();
    pki_core::package::open(&bytes)
        .unwrap_or_else(|e| panic!("{}: {e}", zip.display()))
        .files
        .iter()
        .map(|f| f.path.clone())
        .collect()
}

/// Checks every command `out` prints against the bundle `zip` it wrote, runs each printed
/// `etcd-pki` line, and returns the bundles those lines wrote (the newest last).
fn check_printed(s: &Scratch, out: &str, zip: &str) -> Vec<String> {
    let files = files_of(&s.0.join(zip));
    let folders = |prefix: &str| -> BTreeSet<String> {
        files
            .iter()
            .filter_map(|f| {
                let rest = f.strip_prefix(prefix)?;
                Some(format!("{prefix}{}/", rest.split('/').next()?))
            })
            .collect()
    };
    let (members, clients) = (folders("members/"), folders("clients/"));
    let mut wrote = vec![];
    for line in out.lines().map(str::trim) {
        if line.starts_with("etcd-pki ") {
            let said = s.step(line);
            wrote.push(written(&said));
            continue;
        }
        // A numbered runbook step: `1. runbook/add-etcd4.sh`, `2. members/etcd1/renew.sh`.
        if let Some((n, path)) = line.split_once(". ")
            && n.parse::<u32>().is_ok()
            && path.ends_with(".sh")
            && !path.contains(' ')
        {
            assert!(
                files.contains(path),
                "{zip} lacks {path}, printed as a step:\n{out}"
            );
            continue;
        }
        // `bash SCRIPT [--OPTION]…` to run in each member's (or client's) folder.
        for part in line.split("bash ").skip(1) {
            let mut words = part.split_whitespace();
            let Some(script) = words.next().filter(|w| w.ends_with(".sh")) else {
                continue;
            };
            let options: Vec<&str> = words
                .take_while(|w| w.starts_with("--"))
                .map(|w| w.trim_end_matches([',', ')', '.']))
                .collect();
            // A script of the unpacked bundle (`rbac-revoke.sh`), else one every member's
            // (or, for a client's, every client's) folder holds.
            let root = BTreeSet::from([String::new()]);
            let homes = if line.contains("from the unpacked bundle") {
                &root
            } else if script.ends_with("rotate-client.sh") {
                &clients
            } else {
                &members
            };
            assert!(!homes.is_empty(), "{zip}: no folder for `bash {script}`");
            for home in homes {
                let path = format!("{home}{script}");
                assert!(
                    files.contains(&path),
                    "{zip} lacks {path}: `bash {script}` is printed for every such folder:\n{out}"
                );
                let text = pki_core::package::open(&std::fs::read(s.0.join(zip)).unwrap())
                    .unwrap()
                    .files
                    .iter()
                    .find(|f| f.path == path)
                    .map(|f| String::from_utf8_lossy(&f.contents).into_owned())
                    .unwrap();
                for o in &options {
                    assert!(
                        text.contains(&format!("{o})")) || text.contains(&format!("{o}|")),
                        "{path} does not take {o}, printed as `{line}`"
                    );
                }
                let copy = s.0.join("script.sh");
                std::fs::write(&copy, &text).unwrap();
                let (code, said) = s.paste("bash -n script.sh");
                assert_eq!(code, 0, "bash -n {path}: {said}");
            }
        }
    }
    wrote
}

#[test]
fn every_printed_command_runs_as_printed() {
    let s = Scratch::new();
    s.step("etcd-pki spec-template > spec.json && echo 'a passphrase of the test' > pass.txt");
    let mut from = written(&s.step(
        "etcd-pki generate --spec spec.json --ca-key-out ca.key --ca-passphrase-file pass.txt",
    ));
    let pass = "--ca-passphrase-file pass.txt";
    let mut pasted = 0;
    for (what, args, ca_key) in [
        ("add-member", "--name etcd4 --ip 10.0.0.4", "ca.key"),
        ("remove-member", "--name etcd3", "ca.key"),
        ("replace-member", "--name etcd2 --ip 10.0.0.22", "ca.key"),
        ("renew", "--only etcdctl", "ca.key"),
        ("renew", "--keep-keys", "ca.key"),
        ("revoke", "--client kube-apiserver", "ca.key"),
        // root+issuing (generate's default): a new root and issuing CA, the root's key
        // sealed under the new CA key's passphrase; then, from that kit, the layout back to
        // single, and a same-key renewal of that single CA.
        ("rotate-ca", "--new-ca-passphrase-file pass.txt", "ca.key"),
        (
            "rotate-ca",
            "--previous-rotation-done --ca-layout single --new-ca-passphrase-file pass.txt \
             --new-ca-key-out single-ca.key",
            "etcd-ca-new.key",
        ),
        (
            "rotate-ca",
            "--previous-rotation-done --same-key",
            "single-ca.key",
        ),
    ] {
        let out = s.step(&format!(
            "etcd-pki {what} --from {from} --ca-key {ca_key} {pass} {args}"
        ));
        let zip = written(&out);
        let later = check_printed(&s, &out, &zip);
        pasted += later.len();
        // The next step starts from the newest bundle, as an operator's would.
        from = later.last().cloned().unwrap_or(zip);
    }
    // remove-member, replace-member and both renewals print the revocation that follows.
    assert!(pasted >= 4, "only {pasted} etcd-pki commands were printed");
}
