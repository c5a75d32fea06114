//! Same-key CA renewal checked with openssl: the renewed CA certificate has the old subject,
//! key and key identifier and a later expiry, and every leaf of the old one verifies under it
//! alone (`openssl verify -x509_strict`).

use std::process::Command;

use pki_core::{ClusterSpec, OffsetDateTime, PrivateKey};

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

fn ca(alg: &str) -> (pki_core::Bundle, Vec<u8>, PrivateKey) {
    let spec = ClusterSpec::from_json(&format!(
        r#"{{"key_algorithm": "{alg}", "ca_layout": "single", "ca_validity_days": 30, "cert_validity_days": 30,
            "ca_subject": {{"common_name": "Renew CA", "organization": "ops", "country": "FR"}},
            "nodes": [{{"name": "etcd1", "ips": ["10.0.0.1"]}}]}}"#
    ))
    .unwrap();
    let b = pki_core::generate(&spec).unwrap();
    let der = pem::parse(&b.file("ca.crt").unwrap().contents)
        .unwrap()
        .into_contents();
    let key = PrivateKey::from_pkcs8_der(
        spec.key_algorithm,
        pem::parse(&b.ca_key.contents).unwrap().contents(),
    )
    .unwrap();
    (b, der, key)
}

fn check(alg: &str) {
    let dir = std::env::temp_dir().join(format!("pki-renew-ca-{alg}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (b, der, key) = ca(alg);
    let renewed =
        pki_core::rotate::renew_ca_same_key(&der, &key, OffsetDateTime::now_utc(), 3650).unwrap();
    let old = dir.join("old.der");
    let new = dir.join("new.der");
    std::fs::write(&old, &der).unwrap();
    std::fs::write(&new, &renewed).unwrap();
    let show = |p: &std::path::Path, what: &[&str]| {
        let mut a = vec![
            "x509",
            "-inform",
            "DER",
            "-in",
            p.to_str().unwrap(),
            "-noout",
        ];
        a.extend_from_slice(what);
        let (ok, out) = openssl(&a);
        assert!(ok, "{out}");
        out
    };
    for what in [
        &["-subject", "-nameopt", "RFC2253"][..],
        &["-subject_hash"],
        &["-pubkey"],
        &["-ext", "subjectKeyIdentifier,basicConstraints,keyUsage"],
    ] {
        assert_eq!(show(&old, what), show(&new, what), "{what:?} differs");
    }
    assert_ne!(show(&old, &["-serial"]), show(&new, &["-serial"]));
    let (ok, _) = openssl(&[
        "x509",
        "-inform",
        "DER",
        "-in",
        new.to_str().unwrap(),
        "-noout",
        "-checkend",
        &(3000u64 * 86400).to_string(),
    ]);
    assert!(ok, "the renewed CA does not outlive 3000 days");
    // Leaves of the old certificate verify under the renewed one alone, strictly.
    let pem_new = dir.join("new.pem");
    let (_, text) = openssl(&["x509", "-inform", "DER", "-in", new.to_str().unwrap()]);
    std::fs::write(&pem_new, text).unwrap();
    for leaf in [
        "members/etcd1/pki/server.crt",
        "members/etcd1/pki/peer.crt",
        "clients/etcdctl/client.crt",
    ] {
        let p = dir.join("leaf.crt");
        std::fs::write(&p, &b.file(leaf).unwrap().contents).unwrap();
        let (ok, out) = openssl(&[
            "verify",
            "-x509_strict",
            "-CAfile",
            pem_new.to_str().unwrap(),
            p.to_str().unwrap(),
        ]);
        assert!(ok, "{leaf} does not verify under the renewed CA: {out}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn renewed_ca_keeps_subject_key_and_id_and_verifies_old_leaves_p256() {
    check("ecdsa-p256");
}

#[test]
fn renewed_ca_keeps_subject_key_and_id_and_verifies_old_leaves_rsa() {
    check("rsa-2048");
}

#[test]
fn renewal_with_another_key_is_refused() {
    let (_, der, _) = ca("ecdsa-p256");
    let (_, _, other) = ca("ecdsa-p256");
    let e = pki_core::rotate::renew_ca_same_key(&der, &other, OffsetDateTime::now_utc(), 3650)
        .unwrap_err()
        .to_string();
    assert!(e.contains("ca key") && e.contains("does not belong"), "{e}");
}
