//! The stages one by one, as day two will call them: a CA given to the issuing stage as bytes
//! (made now or long ago), keys looked up by id, modes from the role, and what a leaf says
//! about its issuer as an independent parser (x509-parser) reads it.

use pki_core::issue::{self, CaMaterial};
use pki_core::keys::Keys;
use pki_core::plan::{self, Plan};
use pki_core::validate::ValidatedSpec;
use pki_core::{ClusterSpec, Error, KeyAlgorithm, OffsetDateTime, PrivateKey, render};
use x509_parser::extensions::ParsedExtension;
use x509_parser::prelude::*;

fn plan_of(spec: &ClusterSpec) -> Plan {
    plan::plan(&ValidatedSpec::new(spec).expect("valid spec"))
}

fn keys_for(plan: &Plan) -> Keys {
    plan.keys
        .iter()
        .map(|r| (r.id.clone(), PrivateKey::generate(r.algorithm).unwrap()))
        .collect()
}

fn ski(c: &X509Certificate<'_>) -> Option<Vec<u8>> {
    c.extensions()
        .iter()
        .find_map(|e| match e.parsed_extension() {
            ParsedExtension::SubjectKeyIdentifier(k) => Some(k.0.to_vec()),
            _ => None,
        })
}

fn aki(c: &X509Certificate<'_>) -> Option<Vec<u8>> {
    c.extensions()
        .iter()
        .find_map(|e| match e.parsed_extension() {
            ParsedExtension::AuthorityKeyIdentifier(a) => {
                a.key_identifier.as_ref().map(|k| k.0.to_vec())
            }
            _ => None,
        })
}

/// Every leaf of `issued` names `ca` as its issuer byte for byte, carries the CA's SKI as its
/// AKI, and verifies under the CA's key.
fn assert_issued_under(issued: &issue::Issued, ca: &CaMaterial) {
    let (_, ca_cert) = X509Certificate::from_der(&ca.cert_der).unwrap();
    let ca_ski = ski(&ca_cert).expect("the CA has an SKI");
    assert!(!issued.certs.is_empty());
    for (id, leaf) in &issued.certs {
        let (_, c) = X509Certificate::from_der(&leaf.der).unwrap();
        assert_eq!(
            c.issuer().as_raw(),
            ca_cert.subject().as_raw(),
            "{id}: the issuer field is the CA's subject field, byte for byte"
        );
        assert_eq!(aki(&c).as_ref(), Some(&ca_ski), "{id}: AKI = CA SKI");
    }
    openssl_verifies(issued, ca);
}

/// `openssl verify` accepts every leaf under the CA.
fn openssl_verifies(issued: &issue::Issued, ca: &CaMaterial) {
    static RUN: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let run = RUN.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("epki-stages-{}-{run}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let ca_pem = dir.join("ca.pem");
    std::fs::write(&ca_pem, &ca.cert().unwrap().pem).unwrap();
    for (i, leaf) in issued.certs.values().enumerate() {
        let p = dir.join(format!("{i}.pem"));
        std::fs::write(&p, &leaf.pem).unwrap();
        let out = std::process::Command::new("openssl")
            .arg("verify")
            .arg("-CAfile")
            .arg(&ca_pem)
            .arg(&p)
            .output()
            .expect("openssl is needed (scripts/setup.sh installs it)");
        assert!(
            out.status.success(),
            "{}: {}",
            leaf.info.subject,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn leaves_name_their_ca_byte_for_byte() {
    // The template's CA subject has C (PrintableString) and UTF8String attributes: both kept.
    for alg in [
        KeyAlgorithm::EcdsaP256,
        KeyAlgorithm::Ed25519,
        KeyAlgorithm::EcdsaP384,
    ] {
        let mut spec = ClusterSpec::template();
        spec.key_algorithm = alg;
        let plan = plan_of(&spec);
        let keys = keys_for(&plan);
        let now = OffsetDateTime::now_utc();
        let ca = issue::new_ca(&plan.ca, keys.get(plan::CA_KEY).unwrap(), now).unwrap();
        let issued = issue::issue(&plan, &ca, &keys, now).unwrap();
        assert_eq!(
            issued.ca.der, ca.cert_der,
            "{alg}: the CA certificate is the one given"
        );
        assert_issued_under(&issued, &ca);
    }
}

#[test]
fn a_ca_made_earlier_issues_a_later_plan() {
    // Day two's seam: the CA enters as bytes, here kept from a first bundle.
    let first = plan_of(&ClusterSpec::template());
    let keys = keys_for(&first);
    let long_ago = OffsetDateTime::now_utc() - pki_core::issue::CLOCK_SKEW * 1000;
    let ca = issue::new_ca(&first.ca, keys.get(plan::CA_KEY).unwrap(), long_ago).unwrap();
    let kept = CaMaterial {
        cert_der: ca.cert_der.clone(),
        key_pkcs8_der: ca.key_pkcs8_der.clone(),
        chain: Vec::new(),
    };

    let mut spec = ClusterSpec::template();
    spec.nodes.truncate(1);
    spec.nodes[0].name = "etcd9".into();
    let later = plan_of(&spec);
    let later_keys = keys_for(&later);
    let issued = issue::issue(&later, &kept, &later_keys, OffsetDateTime::now_utc()).unwrap();
    assert_issued_under(&issued, &kept);
    assert_eq!(
        issued.ca.sha256_fingerprint,
        issue::issue(&first, &kept, &keys, long_ago)
            .unwrap()
            .ca
            .sha256_fingerprint
    );
    let files = render::render(&later, &issued).unwrap();
    let ca_copy = files
        .iter()
        .find(|f| f.path == "members/etcd9/pki/ca.crt")
        .unwrap();
    assert_eq!(ca_copy.cert.as_ref().unwrap().der, kept.cert_der);
}

#[test]
fn a_ca_key_of_another_certificate_is_refused() {
    let plan = plan_of(&ClusterSpec::template());
    let keys = keys_for(&plan);
    let now = OffsetDateTime::now_utc();
    let ca = issue::new_ca(&plan.ca, keys.get(plan::CA_KEY).unwrap(), now).unwrap();
    let stranger = PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap();
    let wrong = CaMaterial {
        cert_der: ca.cert_der.clone(),
        key_pkcs8_der: zeroize::Zeroizing::new(stranger.pkcs8_der().to_vec()),
        chain: Vec::new(),
    };
    let err = issue::issue(&plan, &wrong, &keys, now)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("the CA key does not belong to this certificate"),
        "{err}"
    );
    // A leaf is no CA.
    let issued = issue::issue(&plan, &ca, &keys, now).unwrap();
    let leaf = CaMaterial {
        cert_der: issued.cert("clients/etcdctl").unwrap().der.clone(),
        key_pkcs8_der: zeroize::Zeroizing::new(
            keys.get("clients/etcdctl").unwrap().pkcs8_der().to_vec(),
        ),
        chain: Vec::new(),
    };
    let err = issue::issue(&plan, &leaf, &keys, now)
        .unwrap_err()
        .to_string();
    assert!(err.contains("not a CA certificate"), "{err}");
}

#[test]
fn keys_are_looked_up_by_id_not_by_order() {
    let plan = plan_of(&ClusterSpec::template());
    // Made in reverse order, handed over in a map: the same bundle comes out.
    let mut keys = Keys::new();
    for r in plan.keys.iter().rev() {
        keys.insert(r.id.clone(), PrivateKey::generate(r.algorithm).unwrap());
    }
    let now = OffsetDateTime::now_utc();
    let ca = issue::new_ca(&plan.ca, keys.get(plan::CA_KEY).unwrap(), now).unwrap();
    let issued = issue::issue(&plan, &ca, &keys, now).unwrap();
    let server = keys.get("members/etcd2/server").unwrap();
    let (_, c) =
        X509Certificate::from_der(&issued.cert("members/etcd2/server").unwrap().der).unwrap();
    let spki = ::pem::parse(server.public_key_pem()).unwrap();
    assert_eq!(
        spki.contents(),
        c.public_key().raw,
        "members/etcd2/server's certificate carries members/etcd2/server's key"
    );
    // A missing key is named.
    keys.remove("clients/kube-apiserver");
    match issue::issue(&plan, &ca, &keys, now) {
        Err(Error::BadKey { key, reason }) => {
            assert_eq!(key, "key of client kube-apiserver");
            assert_eq!(reason, "it was never made");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn modes_follow_roles() {
    for spec in [ClusterSpec::template(), ClusterSpec::demo()] {
        let b = pki_core::generate(&spec).unwrap();
        for f in b.files.iter().chain([&b.ca_key]) {
            assert_eq!(f.mode, f.role.mode(), "{}", f.path);
            let want = if f.role.is_private_key() {
                0o600
            } else if f.path.ends_with(".sh") && !f.path.ends_with("lib.sh") {
                0o755
            } else {
                0o644
            };
            assert_eq!(f.mode, want, "{}: {:04o}", f.path, f.mode);
        }
    }
}
