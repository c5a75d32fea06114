//! Day-two lints of a real bundle, opened from its zip: a fresh bundle has none; a CA ending
//! within a year says how to renew it; two bundles of two CAs with a shared serial are named.
//! (A single CA here; a root+issuing bundle's issuing CA names rotate-issuer: tests/chain.rs.)

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
        r#"{"ca_layout": "single", "ca_validity_days": 300, "cert_validity_days": 200,
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

/// The revocation lints of a real revoked bundle: CRLs on name the YAML config (etcd ignores
/// the CRL settings with --config-file), a next update within a week or past is named with the
/// command; a CA ending before a certificate issued now would names cert_validity_days.
#[test]
fn revocation_and_rotation_lints_of_real_bundles() {
    use pki_core::revoke::{self, Request};
    let spec = ClusterSpec::from_json(
        r#"{"ca_layout": "single", "ca_validity_days": 400, "cert_validity_days": 300, "etcd_version": "3.7",
            "nodes": [{"name": "etcd1", "ips": ["10.0.0.1"]}],
            "clients": [{"name": "etcdctl", "common_name": "root"}]}"#,
    )
    .unwrap();
    let b = generate(&spec).unwrap();
    let opened = package::open(&b.to_zip().unwrap()).unwrap();
    let ca = pki_core::daytwo::unlock_ca(&opened, b.ca_key.text().as_bytes(), None).unwrap();
    let now = OffsetDateTime::now_utc();
    let (revoked, _) = revoke::revoke(
        &opened,
        &ca,
        &Request {
            targets: vec![],
            reason: pki_core::crl::RevocationReason::Unspecified,
            next_update_days: 5,
            force: false,
        },
        now,
    )
    .unwrap();
    let r1 = package::open(&revoked.to_zip().unwrap()).unwrap();
    let crl_file = r1.file("members/etcd1/pki/crl.der").expect("crl");
    let crl = pki_core::crl::read(&crl_file.contents).unwrap();
    let (ca_facts, leaves) = certs_of(&r1).unwrap();
    let facts = BundleFacts {
        spec: r1.spec.spec(),
        ca: ca_facts,
        leaves,
        crl: Some(&crl),
        other_ca_leaves: vec![],
        now,
    };
    let r = check_bundle(&facts);
    assert!(!r.has_errors(), "{r:?}");
    let yaml = r.at("members.etcd.conf.yml").next().expect("the YAML lint");
    assert!(
        yaml.message.contains("--config-file") && yaml.message.contains("install-crl.sh"),
        "{yaml}"
    );
    let soon = r.at("crl.next_update").next().expect("next update soon");
    assert!(soon.message.contains("within 7 days"), "{soon}");
    // Ten days later: past; and 200 days on, the CA (400 days) ends before a 300-day
    // certificate issued then would.
    let later = BundleFacts {
        now: now + time_days(10),
        ..facts.clone()
    };
    let r = check_bundle(&later);
    assert!(
        r.at("crl.next_update")
            .any(|p| p.message.contains("has passed")),
        "{r:?}"
    );
    let r = check_bundle(&BundleFacts {
        now: now + time_days(200),
        ..facts
    });
    assert!(
        r.at("ca")
            .any(|p| p.message.contains("cert_validity_days is 300")
                && p.message.contains("rotate-ca --same-key")),
        "{r:?}"
    );
}

fn time_days(n: i64) -> std::time::Duration {
    std::time::Duration::from_secs(u64::try_from(n).unwrap() * 86_400)
}
