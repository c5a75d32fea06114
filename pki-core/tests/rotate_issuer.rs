//! An issuing-CA rotation kit (`pki_core::rotate::rotate_issuer`, `etcd-pki rotate-issuer`)
//! checked with openssl, without a cluster: every trusted CA file is the opened bundle's byte
//! for byte; the new issuing CA is signed by the same root; every leaf file is its new leaf
//! then the new issuing CA and verifies against the root alone; every leaf key is new, the JWT
//! key kept; the revocations carried in a CRL the new issuing CA signed; the state records the
//! rotation, the old issuing CA and the lineage; the scripts pass `bash -n` and shellcheck.
//! Refused, nothing written: a root key of another root, a single-CA bundle, a kit whose
//! rotation may be half done. The scripts' work on live clusters is
//! `tests/etcd/tests/issuer_rotation.rs`.

use std::path::{Path, PathBuf};
use std::process::Command;

use pki_core::keys::Keys;
use pki_core::package::{self, OpenedBundle};
use pki_core::{Bundle, CaMaterial, ClusterSpec, OffsetDateTime, PrivateKey, SealingKey};

const PASS: &str = "correct horse battery staple";

struct Scratch(PathBuf);
impl Scratch {
    fn new(tag: &str) -> Scratch {
        let p = std::env::temp_dir().join(format!("epki-issuer-{tag}-{}", std::process::id()));
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

fn spec() -> ClusterSpec {
    let mut s = ClusterSpec::template();
    s.ca_layout = pki_core::CaLayout::RootIssuing;
    s.auth_token = pki_core::spec::AuthToken::Jwt;
    s
}

/// A root+issuing bundle, opened, and its root with its key.
fn layered(spec: &ClusterSpec) -> (Bundle, OpenedBundle, CaMaterial) {
    let seal = SealingKey::derive(PASS).unwrap();
    let b = pki_core::generate_sealed_apart(spec, None, Some(&seal)).unwrap();
    let o = package::open(&b.to_zip().unwrap()).unwrap();
    let root_key = &b.root_key.as_ref().expect("a root key file").contents;
    let root = pki_core::rotate::unlock_root(&o, root_key, Some(PASS.as_bytes())).unwrap();
    (b, o, root)
}

fn rotate(o: &OpenedBundle, root: &CaMaterial) -> Result<Bundle, pki_core::Error> {
    let now = OffsetDateTime::now_utc();
    let plan = pki_core::rotate::plan_issuer_rotation(o, now)?;
    let mut keys = Keys::new();
    for r in &plan.keys_to_make {
        keys.insert(r.id.clone(), PrivateKey::generate(r.algorithm).unwrap());
    }
    let key = PrivateKey::generate(o.state.spec.key_algorithm).unwrap();
    pki_core::rotate::rotate_issuer(o, root, &key, keys, now, None).map(|(b, _)| b)
}

fn openssl(args: &[&str]) -> (bool, String) {
    let o = Command::new("openssl")
        .args(args)
        .output()
        .expect("openssl");
    (
        o.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        ),
    )
}

fn write(dir: &Path, b: &Bundle) {
    for f in &b.files {
        let p = dir.join(&f.path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, &f.contents).unwrap();
    }
}

fn pems(bytes: &[u8]) -> Vec<Vec<u8>> {
    pem::parse_many(bytes)
        .unwrap()
        .into_iter()
        .map(|p| p.into_contents())
        .collect()
}

#[test]
fn the_kit_keeps_every_trust_file_and_reissues_every_leaf_under_a_new_issuing_ca() {
    let s = Scratch::new("kit");
    let (old, o, root) = layered(&spec());
    let kit = rotate(&o, &root).unwrap();
    let k = package::open(&kit.to_zip().unwrap()).unwrap();

    // Trust files: the root, byte for byte.
    let root_rec = o.state.root.as_ref().expect("a root record");
    assert!(!root_rec.paths.is_empty());
    for p in &root_rec.paths {
        assert_eq!(
            kit.file(p).expect(p).contents,
            old.file(p).unwrap().contents,
            "{p} changed"
        );
    }
    // A new issuing CA under the same root.
    let (old_iss, new_iss) = (
        &old.file("issuing-ca.crt").unwrap().contents,
        &kit.file("issuing-ca.crt").unwrap().contents,
    );
    assert_ne!(old_iss, new_iss);
    // Made in the same minute as the bundle, it still has a name of its own.
    let cn = |pem_bytes: &[u8]| {
        let der = pems(pem_bytes).remove(0);
        let (_, c) = <x509_parser::certificate::X509Certificate as x509_parser::prelude::FromDer<
            '_,
            x509_parser::error::X509Error,
        >>::from_der(&der)
        .unwrap();
        c.subject().to_string()
    };
    assert_ne!(cn(old_iss), cn(new_iss), "two issuing CAs share a name");
    write(&s.0, &kit);
    let dir = s.0.to_str().unwrap();
    let (ok, out) = openssl(&[
        "verify",
        "-x509_strict",
        "-CAfile",
        &format!("{dir}/ca.crt"),
        &format!("{dir}/issuing-ca.crt"),
    ]);
    assert!(ok, "{out}");
    // Every leaf: leaf + new issuing CA, verifying against the root alone; a new key.
    let new_issuer = pems(new_iss).remove(0);
    let mut leaves = 0;
    for r in &k.state.certificates {
        for p in &r.paths {
            let chain = pems(&kit.file(p).unwrap().contents);
            assert_eq!(chain.len(), 2, "{p}: leaf + issuing CA");
            assert_eq!(chain[1], new_issuer, "{p}'s second certificate");
            let f = format!("{dir}/{p}");
            let (ok, out) = openssl(&[
                "verify",
                "-x509_strict",
                "-CAfile",
                &format!("{dir}/ca.crt"),
                "-untrusted",
                &f,
                &f,
            ]);
            assert!(ok, "{p}: {out}");
            leaves += 1;
        }
        if let Some(kp) = &r.key_path {
            assert_ne!(
                kit.file(kp).unwrap().contents,
                old.file(kp).unwrap().contents,
                "{kp} was kept"
            );
        }
    }
    assert!(leaves >= 8, "{leaves} leaf files");
    // The JWT key kept; the root key not written again; the new issuing key is the CA key.
    let jwt = old
        .files
        .iter()
        .find(|f| f.path.ends_with("jwt.key"))
        .expect("a JWT key");
    assert_eq!(kit.file(&jwt.path).unwrap().contents, jwt.contents);
    assert!(kit.root_key.is_none());
    assert_ne!(kit.ca_key.contents, old.ca_key.contents);
    // The state: the rotation, the old issuing CA, the lineage.
    let rot = k.state.rotation.as_ref().expect("the rotation recorded");
    assert_eq!(rot.kind, "issuer rotation");
    assert!(rot.last_step.contains("rotate-issuer.sh"), "{rot:?}");
    assert!(
        k.state
            .previous_issuers
            .iter()
            .any(|p| p.serial == o.state.ca.serial && p.role == "issuing-ca"),
        "{:?}",
        k.state.previous_issuers
    );
    let lineage = k.state.lineage.as_ref().unwrap();
    assert_eq!(
        lineage.parent.as_deref(),
        Some(o.state.lineage.as_ref().unwrap().id.as_str())
    );
    // The runbook, and scripts that shellcheck clean.
    assert!(
        kit.file("ROTATE-ISSUER.md")
            .is_some_and(|f| String::from_utf8_lossy(&f.contents).contains("--issuing-ca old"))
    );
    for m in &o.state.spec.nodes {
        for f in ["rotate-issuer.sh", "rotate-issuer.env"] {
            assert!(kit.file(&format!("members/{}/{f}", m.name)).is_some());
        }
    }
    for c in &o.state.spec.clients {
        assert!(
            kit.file(&format!("clients/{}/rotate-issuer.sh", c.name))
                .is_some()
        );
    }
    for f in kit
        .files
        .iter()
        .filter(|f| f.path.ends_with("rotate-issuer.sh"))
    {
        let p = format!("{dir}/{}", f.path);
        let (ok, out) = run("bash", &["-n", &p]);
        assert!(ok, "{}: {out}", f.path);
        let (ok, out) = run("shellcheck", &["-x", "-S", "style", &p]);
        assert!(ok, "{}: {out}", f.path);
    }
    // Every trust file's neighbour in a member folder is the root too (members never restart).
    assert!(
        kit.file("members/etcd1/pki/ca.crt").unwrap().contents
            == old.file("members/etcd1/pki/ca.crt").unwrap().contents
    );
}

fn run(cmd: &str, args: &[&str]) -> (bool, String) {
    let o = Command::new(cmd)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{cmd}: {e} (scripts/setup.sh installs it)"));
    (
        o.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        ),
    )
}

#[test]
fn revocations_are_carried_in_a_crl_the_new_issuing_ca_signed() {
    let s = Scratch::new("crl");
    let (old, o, root) = layered(&spec());
    let ca = pki_core::daytwo::unlock_ca(&o, &old.ca_key.contents, None).unwrap();
    let req = pki_core::revoke::Request {
        targets: vec![pki_core::revoke::Target::Client("kube-apiserver".into())],
        reason: pki_core::crl::RevocationReason::KeyCompromise,
        next_update_days: 30,
        force: false,
    };
    let (revoked, _) = pki_core::revoke::revoke(&o, &ca, &req, OffsetDateTime::now_utc()).unwrap();
    let r = package::open(&revoked.to_zip().unwrap()).unwrap();
    let serial = r.state.revocations.as_ref().unwrap().revoked[0]
        .serial
        .clone();
    let kit = rotate(&r, &root).unwrap();
    write(&s.0, &kit);
    let dir = s.0.to_str().unwrap();
    let (ok, out) = openssl(&[
        "crl",
        "-inform",
        "DER",
        "-in",
        &format!("{dir}/members/etcd1/pki/crl.der"),
        "-CAfile",
        &format!("{dir}/issuing-ca.crt"),
        "-noout",
        "-text",
    ]);
    assert!(ok && out.contains("verify OK"), "{out}");
    assert!(
        out.to_uppercase()
            .contains(&serial.replace(':', "").to_uppercase()),
        "{serial} not on the CRL:\n{out}"
    );
}

#[test]
fn refused_with_nothing_written() {
    let (_, o, root) = layered(&spec());
    // Another root's key.
    let (_, _, other_root) = layered(&spec());
    let e = rotate(&o, &other_root).unwrap_err().to_string();
    assert!(
        e.starts_with("--root-key") && e.contains("nothing was written"),
        "{e}"
    );
    // A single-CA bundle: move it first, with rotate-ca.
    let mut single = spec();
    single.ca_layout = pki_core::CaLayout::Single;
    let b = pki_core::generate(&single).unwrap();
    let so = package::open(&b.to_zip().unwrap()).unwrap();
    let e = rotate(&so, &root).unwrap_err().to_string();
    assert!(
        e.contains("single CA") && e.contains("etcd-pki rotate-ca"),
        "{e}"
    );
    // The kit itself: its rotation may be half done.
    let kit = rotate(&o, &root).unwrap();
    let ko = package::open(&kit.to_zip().unwrap()).unwrap();
    assert_eq!(
        pki_core::rotate::pending_change(&ko),
        Some("issuer rotation")
    );
    let e = rotate(&ko, &root).unwrap_err().to_string();
    assert!(
        e.contains("issuer rotation") && e.contains("rotate-issuer.sh"),
        "{e}"
    );
}

/// The CLI: the kit and the new issuing key written; run again from the kit, refused with the
/// step named and nothing written; a wrong root key, exit 2.
#[test]
fn the_command_writes_the_kit_and_the_new_key_and_refuses_a_half_done_kit() {
    let s = Scratch::new("cli");
    let d = &s.0;
    std::fs::write(d.join("spec.json"), spec().to_json()).unwrap();
    std::fs::write(d.join("pass"), PASS).unwrap();
    let bin = env!("CARGO_BIN_EXE_etcd-pki");
    let cli = |args: &[&str]| {
        let o = Command::new(bin)
            .args(args)
            .current_dir(d)
            .output()
            .unwrap();
        (
            o.status.code().unwrap_or(-1),
            format!(
                "{}{}",
                String::from_utf8_lossy(&o.stdout),
                String::from_utf8_lossy(&o.stderr)
            ),
        )
    };
    let (code, out) = cli(&[
        "generate",
        "--spec",
        "spec.json",
        "--out",
        "b.zip",
        "--ca-passphrase-file",
        "pass",
        "--root-passphrase-file",
        "pass",
    ]);
    assert_eq!(code, 0, "{out}");
    let cluster = spec().cluster_name;
    let root_key = format!("{cluster}-root-ca.key");
    let rotate = |from: &str, key: &str, out: &str| {
        cli(&[
            "rotate-issuer",
            "--from",
            from,
            "--root-key",
            key,
            "--root-passphrase-file",
            "pass",
            "--ca-passphrase-file",
            "pass",
            "--out",
            out,
        ])
    };
    // A wrong root key (the issuing CA's): exit 2, nothing written.
    let (code, out) = rotate("b.zip", &format!("{cluster}-ca.key"), "kit.zip");
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("root"), "{out}");
    assert!(!d.join("kit.zip").exists() && !d.join(format!("{cluster}-ca-new.key")).exists());
    let (code, out) = rotate("b.zip", &root_key, "kit.zip");
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("rotate-issuer.sh") && out.contains("no restart"),
        "{out}"
    );
    let new_key = std::fs::read_to_string(d.join(format!("{cluster}-ca-new.key"))).unwrap();
    assert!(new_key.contains("ENCRYPTED PRIVATE KEY"), "{new_key}");
    // --json: one object on stdout, the kit and key named, both issuing CAs said.
    let o = Command::new(bin)
        .args([
            "rotate-issuer",
            "--from",
            "b.zip",
            "--root-key",
            &root_key,
            "--root-passphrase-file",
            "pass",
            "--no-ca-passphrase",
            "--new-ca-key-out",
            "j.key",
            "--out",
            "j.zip",
            "--force",
            "--json",
        ])
        .current_dir(d)
        .env("ETCD_PKI_STATE_DIR", d.join("state"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).expect("one JSON object");
    assert_eq!(j["format"], "etcd-pki-rotate-issuer", "{j}");
    assert_eq!(j["wrote"]["ca_key"], "j.key", "{j}");
    assert_eq!(j["new_ca_key_encrypted"], false, "{j}");
    assert!(
        j["old_issuing_ca"]["serial"].is_string() && j["new_issuing_ca"]["subject"].is_string(),
        "{j}"
    );
    // From the kit: refused, naming the step and --previous-rotation-done.
    let (code, out) = rotate("kit.zip", &root_key, "kit2.zip");
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("rotate-issuer.sh") && out.contains("--previous-rotation-done"),
        "{out}"
    );
    assert!(!d.join("kit2.zip").exists());
}

/// `--keep-keys`: every certificate new under the new issuing CA, every key file the one it
/// was, byte for byte (each swap renames a certificate only: no window).
#[test]
fn keep_keys_issues_every_certificate_on_the_key_it_has() {
    let (old, o, root) = layered(&spec());
    let now = OffsetDateTime::now_utc();
    let plan = pki_core::rotate::plan_issuer_rotation_with(&o, now, true).unwrap();
    assert!(plan.keys_to_make.is_empty(), "{:?}", plan.keys_to_make);
    let key = PrivateKey::generate(o.state.spec.key_algorithm).unwrap();
    let (kit, summary) =
        pki_core::rotate::rotate_issuer_with(&o, &root, &key, Keys::new(), now, None, true)
            .unwrap();
    assert!(summary.keys_kept && summary.to_string().contains("on the key it had"));
    let k = package::open(&kit.to_zip().unwrap()).unwrap();
    let new_issuer = pems(&kit.file("issuing-ca.crt").unwrap().contents).remove(0);
    for r in &k.state.certificates {
        let p = &r.paths[0];
        assert_ne!(
            kit.file(p).unwrap().contents,
            old.file(p).unwrap().contents,
            "{p}"
        );
        assert_eq!(pems(&kit.file(p).unwrap().contents)[1], new_issuer, "{p}");
        if let Some(kp) = &r.key_path {
            assert_eq!(
                kit.file(kp).unwrap().contents,
                old.file(kp).unwrap().contents,
                "{kp} changed"
            );
        }
    }
}
