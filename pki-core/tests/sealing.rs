//! A CA key sealed the way the page seals it (the passphrase derived first, on its own, and
//! the derived key moved as bytes to where the key is encrypted) opens with the passphrase
//! alone: in openssl (`openssl pkey -passin`) and in the command line (a renewal signed with
//! it). Runs the real binary and the real openssl.

use std::path::PathBuf;
use std::process::Command;

const PASS: &str = "correct horse battery staple";

struct Scratch(PathBuf);
impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn a_key_sealed_with_a_derived_key_opens_in_openssl_and_the_cli() {
    let dir = std::env::temp_dir().join(format!("epki-sealing-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let scratch = Scratch(dir);
    let dir = &scratch.0;

    let spec = pki_core::ClusterSpec::template();
    let mut bundle = pki_core::generate(&spec).unwrap();
    let plain_ca = bundle.ca_key.contents.clone();
    // As the page does: derived in one place, moved as bytes, sealed in another.
    let derived = pki_core::SealingKey::derive(PASS).unwrap().to_bytes();
    let sealing = pki_core::SealingKey::from_bytes(&derived).unwrap();
    bundle.seal_ca_key(&sealing).unwrap();
    assert!(bundle.ca_key_encrypted());
    assert!(
        bundle
            .file("README.md")
            .unwrap()
            .text()
            .contains("encrypted with your passphrase")
    );
    std::fs::write(dir.join("b.zip"), bundle.to_zip().unwrap()).unwrap();
    std::fs::write(dir.join("ca.key"), &bundle.ca_key.contents).unwrap();
    std::fs::write(dir.join("plain.key"), &plain_ca).unwrap();
    std::fs::write(dir.join("pass.txt"), format!("{PASS}\n")).unwrap();

    let openssl = |args: &[&str]| {
        let o = Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .output()
            .unwrap();
        (
            o.status.success(),
            String::from_utf8_lossy(&o.stdout).to_string() + &String::from_utf8_lossy(&o.stderr),
        )
    };
    let pass = format!("pass:{PASS}");
    let (ok, opened) = openssl(&["pkey", "-in", "ca.key", "-passin", &pass, "-pubout"]);
    assert!(ok, "openssl did not open the sealed CA key: {opened}");
    let (_, plain) = openssl(&["pkey", "-in", "plain.key", "-pubout"]);
    assert_eq!(opened, plain, "the sealed key is not the CA key");
    let (ok, out) = openssl(&[
        "pkey",
        "-in",
        "ca.key",
        "-passin",
        "pass:not the passphrase",
        "-noout",
    ]);
    assert!(!ok, "a wrong passphrase opened it: {out}");

    // The command line signs a renewal with it, given the passphrase file.
    let o = Command::new(env!("CARGO_BIN_EXE_etcd-pki"))
        .env("ETCD_PKI_STATE_DIR", "/dev/null")
        .current_dir(dir)
        .args(["renew", "--from", "b.zip", "--ca-key", "ca.key"])
        .args(["--ca-passphrase-file", "pass.txt", "--out", "r.zip"])
        .output()
        .unwrap();
    assert!(
        o.status.success() && dir.join("r.zip").exists(),
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}
