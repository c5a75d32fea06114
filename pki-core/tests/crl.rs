//! CRLs checked by an independent parser and verifier: openssl reads the DER CRL, sees the
//! CA's issuer, the dates, the number, the AKI and each revoked serial with its reason, and
//! `openssl verify -crl_check` refuses the revoked leaf while accepting another.

use std::path::{Path, PathBuf};
use std::process::Command;

use pki_core::crl::{self, CrlParams, RevocationReason, RevokedCert};
use pki_core::{Bundle, ClusterSpec, OffsetDateTime, PrivateKey};

struct Tmp(PathBuf);
impl Tmp {
    fn new(label: &str) -> Tmp {
        let p = std::env::temp_dir().join(format!("pki-crl-{label}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        Tmp(p)
    }
}
impl Drop for Tmp {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
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

fn bundle(alg: &str) -> (Bundle, Vec<u8>, PrivateKey) {
    let spec = ClusterSpec::from_json(&format!(
        r#"{{"cluster_name": "crl", "key_algorithm": "{alg}", "ca_layout": "single",
            "ca_subject": {{"common_name": "CRL test CA", "organization": "ops", "country": "DE"}},
            "nodes": [{{"name": "etcd1", "ips": ["10.0.0.1"]}}],
            "clients": [{{"name": "alice", "common_name": "alice"}}, {{"name": "bob", "common_name": "bob"}}]}}"#
    ))
    .unwrap();
    let b = pki_core::generate(&spec).unwrap();
    let ca_der = pem::parse(&b.file("ca.crt").unwrap().contents)
        .unwrap()
        .into_contents();
    let key = PrivateKey::from_pkcs8_der(
        spec.key_algorithm,
        pem::parse(&b.ca_key.contents).unwrap().contents(),
    )
    .unwrap();
    (b, ca_der, key)
}

fn serial_of(b: &Bundle, path: &str) -> Vec<u8> {
    let info = &b.file(path).unwrap().cert.as_ref().unwrap().info;
    crl::parse_serial(&info.serial).unwrap()
}

fn write(dir: &Path, name: &str, data: &[u8]) -> String {
    let p = dir.join(name);
    std::fs::write(&p, data).unwrap();
    p.to_string_lossy().into_owned()
}

fn check(alg: &str) {
    let tmp = Tmp::new(alg);
    let (b, ca_der, key) = bundle(alg);
    let now = OffsetDateTime::now_utc();
    let alice = serial_of(&b, "clients/alice/client.crt");
    let der = crl::sign(
        &ca_der,
        &key,
        &CrlParams {
            this_update: now,
            next_update: now + crl::days(30),
            number: 7,
            revoked: vec![RevokedCert {
                serial: alice.clone(),
                revoked_at: now,
                reason: RevocationReason::KeyCompromise,
            }],
        },
    )
    .unwrap();
    let crl_path = write(&tmp.0, "crl.der", &der);
    let ca = write(&tmp.0, "ca.crt", &b.file("ca.crt").unwrap().contents);
    check_openssl_reads(&crl_path, &ca, &alice);
    check_verify_refuses_alice(&tmp.0, &b, &crl_path, &ca);
    check_read_back(&der, &alice, now);
}

/// openssl reads the CRL at `crl_path` (v2, the CA's issuer, number 7, an AKI that is the
/// CA's SKI, alice's serial as a key compromise, a next update) and verifies it under `ca`.
fn check_openssl_reads(crl_path: &str, ca: &str, alice: &[u8]) {
    let (ok, text) = openssl(&["crl", "-inform", "DER", "-in", crl_path, "-noout", "-text"]);
    assert!(ok, "openssl cannot read the CRL: {text}");
    let alice_hex = crl::serial_hex(alice).to_uppercase();
    for want in [
        "Version 2 (0x1)",
        "Issuer: C=DE, O=ops, CN=CRL test CA",
        "X509v3 CRL Number: \n                7",
        "X509v3 Authority Key Identifier:",
        &format!("Serial Number: {alice_hex}"),
        "Key Compromise",
        "Next Update:",
    ] {
        let flat = text.replace(' ', "");
        assert!(
            flat.contains(&want.replace(' ', "")),
            "openssl crl -text lacks {want:?}:\n{text}"
        );
    }
    // The CRL's AKI is the CA's SKI, and the issuer field is the CA's subject byte for byte.
    let (_, ski) = openssl(&["x509", "-in", ca, "-noout", "-ext", "subjectKeyIdentifier"]);
    let ski = ski.lines().nth(1).unwrap().trim().to_string();
    assert!(
        text.contains(&ski),
        "AKI is not the CA's SKI {ski}:\n{text}"
    );
    let (ok, hash_crl) = openssl(&["crl", "-inform", "DER", "-in", crl_path, "-noout", "-hash"]);
    assert!(ok);
    let (_, hash_ca) = openssl(&["x509", "-in", ca, "-noout", "-subject_hash"]);
    assert_eq!(hash_crl, hash_ca);
    // Signed by the CA.
    let (ok, text) = openssl(&[
        "crl", "-inform", "DER", "-in", crl_path, "-CAfile", ca, "-noout",
    ]);
    assert!(ok && text.contains("verify OK"), "{text}");
}

/// `openssl verify -crl_check` with the CRL: alice refused, bob accepted; without it alice
/// verifies, so the refusal is the CRL's doing.
fn check_verify_refuses_alice(dir: &Path, b: &Bundle, crl_path: &str, ca: &str) {
    let (_, pem_crl) = openssl(&["crl", "-inform", "DER", "-in", crl_path]);
    let crl_pem = write(dir, "crl.pem", pem_crl.as_bytes());
    let alice_crt = write(
        dir,
        "alice.crt",
        &b.file("clients/alice/client.crt").unwrap().contents,
    );
    let bob_crt = write(
        dir,
        "bob.crt",
        &b.file("clients/bob/client.crt").unwrap().contents,
    );
    let verify = |leaf: &str| {
        openssl(&[
            "verify",
            "-x509_strict",
            "-crl_check",
            "-CAfile",
            ca,
            "-CRLfile",
            &crl_pem,
            leaf,
        ])
    };
    let (ok, text) = verify(&alice_crt);
    assert!(
        !ok && text.contains("certificate revoked"),
        "alice was not refused: {text}"
    );
    let (ok, text) = verify(&bob_crt);
    assert!(ok && text.contains(": OK"), "bob was refused: {text}");
    // Without the CRL alice verifies: the refusal above is the CRL's doing.
    let (ok, _) = openssl(&["verify", "-CAfile", ca, &alice_crt]);
    assert!(ok);
}

/// Read back by our own parser: number 7, alice's serial alone, as a key compromise.
fn check_read_back(der: &[u8], alice: &[u8], now: OffsetDateTime) {
    let info = crl::read(der).unwrap();
    assert_eq!(info.number, Some(7));
    assert_eq!(info.revoked.len(), 1);
    assert_eq!(info.revoked[0].serial, crl::serial_hex(alice));
    assert_eq!(info.revoked[0].reason_code, Some(1));
    assert!(info.next_update.unwrap() > now + crl::days(29));
}

#[test]
fn openssl_reads_the_crl_and_refuses_only_the_revoked_leaf_p256() {
    check("ecdsa-p256");
}

#[test]
fn openssl_reads_the_crl_and_refuses_only_the_revoked_leaf_ed25519() {
    check("ed25519");
}

#[test]
fn openssl_reads_the_crl_and_refuses_only_the_revoked_leaf_rsa() {
    check("rsa-2048");
}

#[test]
fn an_empty_crl_has_no_revoked_list_and_verifies() {
    let tmp = Tmp::new("empty");
    let (b, ca_der, key) = bundle("ecdsa-p384");
    let now = OffsetDateTime::now_utc();
    let der = crl::sign(
        &ca_der,
        &key,
        &CrlParams {
            this_update: now,
            next_update: now + crl::days(1),
            number: 1,
            revoked: vec![],
        },
    )
    .unwrap();
    let p = write(&tmp.0, "crl.der", &der);
    let ca = write(&tmp.0, "ca.crt", &b.file("ca.crt").unwrap().contents);
    let (ok, text) = openssl(&["crl", "-inform", "DER", "-in", &p, "-noout", "-text"]);
    assert!(ok && text.contains("No Revoked Certificates."), "{text}");
    let (ok, text) = openssl(&["crl", "-inform", "DER", "-in", &p, "-CAfile", &ca, "-noout"]);
    assert!(ok && text.contains("verify OK"), "{text}");
}

#[test]
fn bad_input_is_refused_with_the_field() {
    let (_, ca_der, key) = bundle("ecdsa-p256");
    let (_, _, other_key) = bundle("ecdsa-p256");
    let now = OffsetDateTime::now_utc();
    let params = CrlParams {
        this_update: now,
        next_update: now + crl::days(30),
        number: 2,
        revoked: vec![],
    };
    let e = crl::sign(&ca_der, &other_key, &params)
        .unwrap_err()
        .to_string();
    assert!(e.contains("ca key") && e.contains("does not belong"), "{e}");
    let e = crl::sign(
        &ca_der,
        &key,
        &CrlParams {
            next_update: now,
            ..params.clone()
        },
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("next_update") && e.contains("not after"), "{e}");
    let r = RevokedCert {
        serial: vec![1, 2, 3],
        revoked_at: now,
        reason: RevocationReason::Superseded,
    };
    let e = crl::sign(
        &ca_der,
        &key,
        &CrlParams {
            revoked: vec![r.clone(), r],
            ..params
        },
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("010203") && e.contains("twice"), "{e}");
    let e = crl::read(b"-----BEGIN X509 CRL-----")
        .unwrap_err()
        .to_string();
    assert!(e.contains("not a DER"), "{e}");
}

/// A CA made by openssl whose subject rcgen could not write back (two DC attributes, a
/// multi-valued RDN): the CRL's issuer is its subject byte for byte, so openssl finds the CA
/// and verifies the CRL; the same-key renewal keeps the name too.
#[test]
fn crl_and_renewal_of_an_openssl_ca_with_an_unusual_name() {
    let tmp = Tmp::new("openssl-ca");
    let d = &tmp.0;
    let ca = OpensslCa::new(d);
    let now = OffsetDateTime::now_utc();
    let crl_der = crl::sign(
        &ca.der,
        &ca.key,
        &CrlParams {
            this_update: now,
            next_update: now + crl::days(2),
            number: 1,
            revoked: vec![RevokedCert {
                serial: vec![0x42],
                revoked_at: now,
                reason: RevocationReason::CessationOfOperation,
            }],
        },
    )
    .unwrap();
    let p = write(d, "crl.der", &crl_der);
    let (ok, text) = openssl(&[
        "crl", "-inform", "DER", "-in", &p, "-CAfile", &ca.crt, "-noout",
    ]);
    assert!(ok && text.contains("verify OK"), "{text}");
    let (_, issuer) = openssl(&["crl", "-inform", "DER", "-in", &p, "-noout", "-issuer"]);
    assert!(
        issuer.contains("DC = com, DC = example, O = Corp + OU = etcd, CN = Corp etcd CA"),
        "{issuer}"
    );

    let renewed = pki_core::rotate::renew_ca_same_key(&ca.der, &ca.key, now, 400).unwrap();
    let r = write(d, "renewed.der", &renewed);
    let subject = |f: &str, form: &str| {
        openssl(&[
            "x509", "-inform", form, "-in", f, "-noout", "-subject", "-issuer",
        ])
        .1
    };
    assert_eq!(subject(&r, "DER"), subject(&ca.crt, "PEM"));
    // A leaf openssl signed under the old certificate verifies under the renewed one alone.
    let (_, pem_text) = openssl(&["x509", "-inform", "DER", "-in", &r]);
    let rp = write(d, "renewed.pem", pem_text.as_bytes());
    let leaf = ca.openssl_leaf(d);
    let (ok, out) = openssl(&["verify", "-x509_strict", "-CAfile", &rp, &leaf]);
    assert!(
        ok,
        "a leaf of the old CA certificate does not verify under the renewed one: {out}"
    );
}

/// A CA made by `openssl req -x509` in `d`, with a name rcgen cannot write: two DCs and a
/// multi-valued RDN. Its files and, read back, its DER and key.
struct OpensslCa {
    key_path: String,
    crt: String,
    der: Vec<u8>,
    key: PrivateKey,
}

impl OpensslCa {
    fn new(d: &Path) -> OpensslCa {
        let key_path = d.join("ca.key").to_string_lossy().into_owned();
        let crt = d.join("ca.crt").to_string_lossy().into_owned();
        let (ok, out) = openssl(&[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            &key_path,
            "-out",
            &crt,
            "-days",
            "30",
            "-multivalue-rdn",
            "-subj",
            "/DC=com/DC=example/O=Corp+OU=etcd/CN=Corp etcd CA",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        ]);
        assert!(ok, "{out}");
        let der = |args: &[&str]| {
            let o = Command::new("openssl").args(args).output().unwrap();
            assert!(o.status.success());
            o.stdout
        };
        let ca_der = der(&["x509", "-in", &crt, "-outform", "DER"]);
        let key = PrivateKey::from_pkcs8_der_any(&der(&[
            "pkcs8", "-topk8", "-nocrypt", "-in", &key_path, "-outform", "DER",
        ]))
        .unwrap();
        OpensslCa {
            key_path,
            crt,
            der: ca_der,
            key,
        }
    }

    /// A leaf (`CN=leaf`, P-256) that openssl signs with this CA; its path.
    fn openssl_leaf(&self, d: &Path) -> String {
        let leaf_key = d.join("leaf.key").to_string_lossy().into_owned();
        let csr = d.join("leaf.csr").to_string_lossy().into_owned();
        let leaf = d.join("leaf.crt").to_string_lossy().into_owned();
        let (ok, out) = openssl(&[
            "req",
            "-new",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            &leaf_key,
            "-out",
            &csr,
            "-subj",
            "/CN=leaf",
        ]);
        assert!(ok, "{out}");
        let (ok, out) = openssl(&[
            "x509",
            "-req",
            "-in",
            &csr,
            "-CA",
            &self.crt,
            "-CAkey",
            &self.key_path,
            "-days",
            "10",
            "-out",
            &leaf,
        ]);
        assert!(ok, "{out}");
        leaf
    }
}

/// check-expiry.sh lists a CRL by its next update, once however many folders hold it, among
/// the certificates, soonest first, and flags it within --days.
#[test]
fn check_expiry_lists_the_crl_next_update() {
    let tmp = Tmp::new("expiry");
    let (b, ca_der, key) = bundle("ecdsa-p256");
    for f in &b.files {
        let p = tmp.0.join(&f.path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, &f.contents).unwrap();
    }
    let now = OffsetDateTime::now_utc();
    let der = crl::sign(
        &ca_der,
        &key,
        &CrlParams {
            this_update: now,
            next_update: now + crl::days(10) + time_hours(1),
            number: 4,
            revoked: vec![RevokedCert {
                serial: vec![0x12, 0x34],
                revoked_at: now,
                reason: RevocationReason::Superseded,
            }],
        },
    )
    .unwrap();
    for m in ["members/etcd1/pki/crl.der", "clients/alice/crl.der"] {
        std::fs::write(tmp.0.join(m), &der).unwrap();
    }
    let o = Command::new("bash")
        .arg(tmp.0.join("check-expiry.sh"))
        .args(["--days", "30"])
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{out}");
    let rows: Vec<&str> = out.lines().filter(|l| l.contains("crl.der")).collect();
    assert_eq!(rows.len(), 1, "{out}");
    assert!(
        rows[0].starts_with("10 ")
            && rows[0].contains("CRL next update, 1 revoked")
            && rows[0].contains("<- within 30 days"),
        "{out}"
    );
    // Soonest first: the CRL row comes before every certificate.
    assert!(out.lines().nth(1).unwrap().contains("crl.der"), "{out}");
    let o = Command::new("bash")
        .arg(tmp.0.join("check-expiry.sh"))
        .args(["--days", "5"])
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
}

fn time_hours(n: i64) -> time::Duration {
    crl::days(1) / 24 * n as i32
}
