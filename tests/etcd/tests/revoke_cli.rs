//! `etcd-pki revoke`, `rotate-ca` and `validate --from` as a person runs them, without a
//! cluster: what they print, the new bundles they write, and every refusal — exit 2, the field
//! named, nothing written, the old bundle untouched.

use std::path::Path;
use std::process::Command;

use e2e_etcd::{TempDir, code_and_output, etcd_pki_bin, generate_bundle, run};

/// A state folder etcd-pki cannot write: no memory of bundles between its commands (the
/// lineage refusal is tested in tests/etcd/tests/daytwo_refusals.rs).
const NO_MEMORY: &str = "/dev/null";

fn spec() -> String {
    serde_json::json!({
        "cluster_name": "cli",
        "nodes": (1..=3).map(|i| serde_json::json!({"name": format!("etcd{i}"), "ips": [format!("10.0.0.{i}")]})).collect::<Vec<_>>(),
        "clients": [{"name": "etcdctl", "common_name": "root"}, {"name": "alice", "common_name": "alice"}]
    })
    .to_string()
}

fn cli(dir: &Path, args: &[&str]) -> (i32, String) {
    // These walks branch from older bundles on purpose (siblings, a kit and the bundle before
    // it) to check other refusals: no memory of bundles between commands, so that the
    // "never backwards" refusal (daytwo_refusals.rs) does not stand in front of them.
    code_and_output(&run(Command::new(etcd_pki_bin())
        .args(args)
        .env("ETCD_PKI_STATE_DIR", NO_MEMORY)
        .current_dir(dir)))
}

#[test]
fn revoke_rotate_and_validate_from_the_command_line() {
    let tmp = TempDir::new("revoke-cli");
    let t = tmp.path();
    generate_bundle(&spec(), t);
    let before = std::fs::read(t.join("bundle.zip")).unwrap();

    let (code, out) = cli(
        t,
        &[
            "revoke",
            "--from",
            "bundle.zip",
            "--ca-key",
            "ca.key",
            "--client",
            "alice",
            "--reason",
            "key-compromise",
            "--out",
            "r1.zip",
        ],
    );
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("Revoked clients/alice")
            && out.contains("CRL number 1: 1 revoked serial(s)")
            && out.contains("first CRL"),
        "{out}"
    );
    assert_eq!(
        std::fs::read(t.join("bundle.zip")).unwrap(),
        before,
        "the old bundle changed"
    );

    // Refusals: nothing written.
    let other = TempDir::new("revoke-cli-other");
    generate_bundle(&spec(), other.path());
    let other_key = other.path().join("ca.key");
    for (args, says) in [
        (
            vec!["--client", "mallory"],
            "\"mallory\" is not a client of this bundle",
        ),
        (vec!["--member", "etcd2"], "still a member"),
        (vec!["--serial", "0102"], "--unlisted-serial"),
        (vec!["--client", "alice"], "revoked already"),
        (vec!["--reason", "stolen"], "key-compromise"),
        (vec!["--next-update", "soon"], "--next-update"),
        (
            vec!["--ca-key", other_key.to_str().unwrap()],
            "not the key of the bundle's CA",
        ),
    ] {
        let mut a = vec![
            "revoke", "--from", "r1.zip", "--ca-key", "ca.key", "--out", "x.zip",
        ];
        a.extend(args);
        let (code, out) = cli(t, &a);
        assert_eq!(code, 2, "{a:?}: {out}");
        assert!(out.contains(says), "{a:?}: {out}");
        assert!(!t.join("x.zip").exists(), "{a:?} wrote x.zip");
    }
    let (code, out) = cli(
        t,
        &[
            "revoke",
            "--from",
            "r1.zip",
            "--ca-key",
            "ca.key",
            "--out",
            "bundle.zip",
        ],
    );
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("already exists"), "{out}");

    // validate --from: a fresh bundle is sound; its CRL is counted.
    let (code, out) = cli(t, &["validate", "--from", "r1.zip"]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("CRL number 1 with 1 revoked serial(s)"),
        "{out}"
    );

    // rotate-ca: a kit and a new CA key beside it; same-key: the CA key unchanged.
    let pass = t.join("pass.txt");
    std::fs::write(&pass, "a rotation passphrase\n").unwrap();
    let (code, out) = cli(
        t,
        &[
            "rotate-ca",
            "--from",
            "r1.zip",
            "--ca-key",
            "ca.key",
            "--out",
            "kit.zip",
            "--new-ca-passphrase-file",
            pass.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("cli-ca-new.key, encrypted with your passphrase"),
        "{out}"
    );
    let key = std::fs::read_to_string(t.join("cli-ca-new.key")).unwrap();
    assert!(key.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----"));
    // The kit is the newest bundle: the new key opens it for the next operation, once its
    // steps are done on every member (spec.json records the rotation under way).
    let revoke_from_kit = |done: bool| {
        let mut args = vec![
            "revoke",
            "--from",
            "kit.zip",
            "--ca-key",
            "cli-ca-new.key",
            "--ca-passphrase-file",
            pass.to_str().unwrap(),
            "--out",
            "k1.zip",
        ];
        if done {
            args.push("--previous-rotation-done");
        }
        cli(t, &args)
    };
    let (code, out) = revoke_from_kit(false);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("--previous-rotation-done"), "{out}");
    let (code, out) = revoke_from_kit(true);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("CRL number 3"), "{out}");
    // The old key does not open the kit.
    let (code, out) = cli(
        t,
        &[
            "rotate-ca",
            "--from",
            "kit.zip",
            "--ca-key",
            "ca.key",
            "--same-key",
            "--out",
            "y.zip",
        ],
    );
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("not the key of the bundle's CA"), "{out}");
    let (code, out) = cli(
        t,
        &[
            "rotate-ca",
            "--from",
            "r1.zip",
            "--ca-key",
            "ca.key",
            "--same-key",
            "--out",
            "renew.zip",
        ],
    );
    // A same-key renewal renews a single CA; this bundle is root+issuing (generate's
    // default): refused, naming what replaces its issuing CA (the renewal itself:
    // printed_commands.rs and tests/etcd/tests/rotate.rs, on single bundles).
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("rotate-issuer") && !t.join("renew.zip").exists(),
        "{out}"
    );
    // The kit of a root+issuing bundle has a new root too, its key beside the kit, sealed
    // under the new CA key's passphrase (no --root-passphrase-file).
    let root_key = std::fs::read_to_string(t.join("cli-root-ca-new.key")).unwrap();
    assert!(root_key.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----"));
    let (code, out) = cli(
        t,
        &[
            "rotate-ca",
            "--from",
            "r1.zip",
            "--ca-key",
            "ca.key",
            "--same-key",
            "--no-new-ca-passphrase",
            "--out",
            "z.zip",
        ],
    );
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("--same-key keeps the CA key"), "{out}");
    // Without a passphrase source and no terminal: refused, nothing written.
    let (code, out) = cli(
        t,
        &[
            "rotate-ca",
            "--from",
            "r1.zip",
            "--ca-key",
            "ca.key",
            "--new-ca-key-out",
            "w.key",
            "--new-root-key-out",
            "w-root.key",
            "--out",
            "w.zip",
        ],
    );
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("--new-ca-passphrase-file")
            && !t.join("w.zip").exists()
            && !t.join("w.key").exists()
            && !t.join("w-root.key").exists(),
        "{out}"
    );
    // The default new key path is never written over.
    let (code, out) = cli(
        t,
        &[
            "rotate-ca",
            "--from",
            "r1.zip",
            "--ca-key",
            "ca.key",
            "--no-new-ca-passphrase",
            "--out",
            "v.zip",
        ],
    );
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("cli-ca-new.key already exists"), "{out}");

    // Two CAs' bundles side by side: no shared serial, so no warning about one.
    let (code, out) = cli(
        t,
        &["validate", "--from", "kit.zip", "--other-ca", "r1.zip"],
    );
    assert_eq!(code, 0, "{out}");
    assert!(!out.contains("refuses both"), "{out}");
    // An earlier bundle of the same CA is not another CA: refused, not a warning on every
    // certificate the two share.
    let (code, out) = cli(
        t,
        &["validate", "--from", "r1.zip", "--other-ca", "bundle.zip"],
    );
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("--other-ca") && out.contains("holds this bundle's own CA"),
        "{out}"
    );
    assert!(!out.contains("refuses both"), "{out}");
}

/// What `renew` prints is what a person does next: the renewed client's folder is named
/// (no runbook installs a client's files), and the `etcd-pki revoke` line, pasted into a
/// shell as printed, names the new bundle and the CA key given (quoted where a path needs
/// it) and revokes the replaced certificate.
#[test]
fn renew_prints_the_client_step_and_a_revoke_line_that_runs_as_printed() {
    let tmp = TempDir::new("revoke-cli-printed");
    let t = tmp.path();
    generate_bundle(&spec(), t);
    e2e_etcd::unzip(&t.join("bundle.zip"), &t.join("old"));
    let old_serial = run(Command::new("openssl")
        .args(["x509", "-noout", "-serial", "-in"])
        .arg(t.join("old/clients/alice/client.crt")));
    let old_serial = String::from_utf8_lossy(&old_serial.stdout)
        .trim()
        .trim_start_matches("serial=")
        .to_string();
    let (code, out) = cli(
        t,
        &[
            "renew",
            "--from",
            "bundle.zip",
            "--ca-key",
            "ca.key",
            "--only",
            "alice",
            "--out",
            "renewed bundle.zip",
        ],
    );
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("then each renewed client") && out.contains("\n  clients/alice/"),
        "{out}"
    );
    let line = out
        .lines()
        .skip_while(|l| !l.starts_with("once the runbook is done"))
        .nth(1)
        .unwrap_or_else(|| panic!("no revoke line in:\n{out}"))
        .trim()
        .to_string();
    assert!(
        line.starts_with("etcd-pki revoke --from 'renewed bundle.zip' --ca-key ca.key "),
        "{line}"
    );
    let bin_dir = etcd_pki_bin().parent().unwrap().to_path_buf();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let o = run(Command::new("bash")
        .arg("-c")
        .arg(&line)
        .env("PATH", path)
        .current_dir(t));
    let (code, said) = code_and_output(&o);
    assert_eq!(code, 0, "{line}:\n{said}");
    let colons = old_serial
        .as_bytes()
        .chunks(2)
        .map(|c| String::from_utf8_lossy(c).to_lowercase())
        .collect::<Vec<_>>()
        .join(":");
    assert!(said.contains(&colons), "{old_serial} not revoked:\n{said}");
    assert!(
        t.join("renewed bundle-revoked.zip").exists(),
        "the printed line names its --out"
    );
}
