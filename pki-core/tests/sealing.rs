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
    // As the page does: derived in one place, moved as bytes, sealed in another — inside
    // the pipeline, with keys made elsewhere (the CA's comes first).
    let derived = pki_core::SealingKey::derive(PASS).unwrap().to_bytes();
    let sealing = pki_core::SealingKey::from_bytes(&derived).unwrap();
    let mut plain_ca: Option<Vec<u8>> = None;
    let bundle = pki_core::generate_with_keys_sealed(
        &spec,
        pki_core::OffsetDateTime::now_utc(),
        Some(&sealing),
        |req| {
            let key = pki_core::PrivateKey::generate(req.algorithm)?;
            plain_ca.get_or_insert_with(|| key.to_pem().as_bytes().to_vec());
            Ok(key)
        },
    )
    .unwrap();
    let plain_ca = plain_ca.unwrap();
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

/// A rotation to a new CA key with a passphrase seals the new key in the one pass that writes
/// the kit: the key file is encrypted PKCS#8 that opens with the passphrase alone, and the
/// kit's README says so (it is rendered once, never re-written after the sealing).
#[test]
fn a_rotation_seals_the_new_ca_key_and_its_readme_says_so() {
    use pki_core::{PrivateKey, daytwo, keys::Keys, package};
    let now = pki_core::OffsetDateTime::now_utc();
    let first = pki_core::generate(&pki_core::ClusterSpec::template()).unwrap();
    let opened = package::open(&first.to_zip().unwrap()).unwrap();
    let ca = daytwo::unlock_ca(&opened, &first.ca_key.contents, None).unwrap();
    let plan =
        daytwo::plan_change(None, &opened.state.spec, &daytwo::Change::Generate, now).unwrap();
    let mut keys = Keys::new();
    for r in &plan.keys_to_make {
        keys.insert(r.id.clone(), PrivateKey::generate(r.algorithm).unwrap());
    }
    let new_key = PrivateKey::generate(opened.state.spec.key_algorithm).unwrap();
    let root_key = PrivateKey::generate(opened.state.spec.key_algorithm).unwrap();
    let sealing = pki_core::SealingKey::derive(PASS).unwrap();
    // The template is root+issuing: a new root too, its key sealed under the same passphrase.
    let new = pki_core::rotate::NewCa {
        key: &new_key,
        root: Some(pki_core::rotate::NewRoot {
            key: &root_key,
            sealing: Some(&sealing),
        }),
    };
    let (kit, _) =
        pki_core::rotate::rotate_ca_to(&opened, &ca, new, keys, now, Some(&sealing)).unwrap();
    let root_file = kit.root_key.as_ref().expect("the new root key");
    assert!(
        root_file.text().contains("BEGIN ENCRYPTED PRIVATE KEY"),
        "the new root key is written unencrypted"
    );
    assert!(
        kit.ca_key_encrypted(),
        "the new CA key is written unencrypted"
    );
    let readme = kit.file("README.md").unwrap().text();
    assert!(
        readme.contains("encrypted with your passphrase"),
        "the kit's README does not say the new CA key is encrypted"
    );
    assert!(!readme.contains("**unencrypted**"));
    // The kit's CA is the new one: its key file opens with the passphrase and matches it.
    let kit_opened = package::open(&kit.to_zip().unwrap()).unwrap();
    let unsealed =
        daytwo::unlock_ca(&kit_opened, &kit.ca_key.contents, Some(PASS.as_bytes())).unwrap();
    assert_eq!(
        unsealed.key().unwrap().public_key_pem(),
        new_key.public_key_pem(),
        "the sealed key is not the new CA key"
    );
}
