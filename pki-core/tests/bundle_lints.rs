//! Day-two lints of a real bundle, opened from its zip: a fresh bundle has none; a CA ending
//! within a year says how to renew it; two bundles of two CAs with a shared serial are named.

use pki_core::package::lints::{BundleFacts, certs_of, check_bundle};
use pki_core::{ClusterSpec, OffsetDateTime, generate, package};

fn opened(json: &str) -> package::OpenedBundle {
    let spec = ClusterSpec::from_json(json).unwrap();
    package::open(&generate(&spec).unwrap().to_zip().unwrap()).unwrap()
}

#[test]
fn lints_of_opened_bundles() {
    let now = OffsetDateTime::now_utc();
    let fresh = opened(r#"{"nodes": [{"name": "etcd1", "ips": ["10.0.0.1"]}]}"#);
    let (ca, leaves) = certs_of(&fresh).unwrap();
    assert_eq!(leaves.len(), fresh.state.certificates.len());
    let facts = BundleFacts {
        spec: fresh.spec.spec(),
        ca: ca.clone(),
        leaves: leaves.clone(),
        crl: None,
        other_ca_leaves: vec![],
        now,
    };
    assert_eq!(check_bundle(&facts).problems(), &[]);

    let short = opened(
        r#"{"ca_validity_days": 300, "cert_validity_days": 200,
            "nodes": [{"name": "etcd1", "ips": ["10.0.0.1"]}]}"#,
    );
    let (short_ca, short_leaves) = certs_of(&short).unwrap();
    let r = check_bundle(&BundleFacts {
        spec: short.spec.spec(),
        ca: short_ca,
        leaves: short_leaves,
        crl: None,
        other_ca_leaves: vec![],
        now,
    });
    let p = &r.problems()[0];
    assert_eq!(p.path, "ca");
    assert!(
        p.message.contains("within a year") && p.message.contains("--same-key"),
        "{p}"
    );

    // Another CA's leaf with the same serial as etcd1's server certificate.
    let mut other = leaves.clone();
    other.truncate(1);
    other[0].id = "members/etcd1/peer".into();
    let r = check_bundle(&BundleFacts {
        other_ca_leaves: other,
        ..facts
    });
    assert!(
        r.at(&leaves[0].id)
            .any(|p| p.message.contains("revoking either refuses both")),
        "{r:?}"
    );
}
