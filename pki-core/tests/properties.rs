//! Whatever a person types, parse → validate → generate never panics: it gives a bundle or
//! a report naming fields. (Issue 6 asks for a million-case fuzz run; this is the short run
//! kept in the test command.)

use pki_core::{ClusterSpec, Error, generate, validate};
use proptest::prelude::*;

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z0-9.-]{0,12}",
        "[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}",
        "[0-9a-f:]{0,20}",
        ".{0,16}",
        Just("10.0.0.1".to_string()),
        Just("{name}".to_string()),
    ]
}

fn json_spec() -> impl Strategy<Value = String> {
    let node = (
        text(),
        prop::collection::vec(text(), 0..3),
        prop::collection::vec(text(), 0..2),
    );
    let client = (text(), text(), prop::option::of(text()));
    (
        text(),
        prop::collection::vec(node, 0..5),
        prop::collection::vec(client, 0..3),
        prop_oneof![
            Just("ecdsa-p256"),
            Just("ed25519"),
            Just("rsa"),
            Just("ecdsa-p384")
        ],
        any::<u32>(),
        any::<u32>(),
        text(),
        any::<u16>(),
        any::<u16>(),
    )
        .prop_map(|(name, nodes, clients, alg, ca_days, days, dir, cp, pp)| {
            serde_json::json!({
                "cluster_name": name,
                "nodes": nodes.into_iter().map(|(n, ips, dns)| serde_json::json!({
                    "name": n, "ips": ips, "dns_names": dns})).collect::<Vec<_>>(),
                "clients": clients.into_iter().map(|(n, cn, o)| serde_json::json!({
                    "name": n, "common_name": cn, "organization": o})).collect::<Vec<_>>(),
                "key_algorithm": alg,
                "ca_validity_days": ca_days % 40000,
                "cert_validity_days": days % 40000,
                "cert_dir": dir,
                "client_port": cp,
                "peer_port": pp,
            })
            .to_string()
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn specs_never_panic(json in json_spec()) {
        match ClusterSpec::from_json(&json) {
            Err(e) => prop_assert!(matches!(e, Error::SpecSyntax { .. }), "{e}"),
            Ok(spec) => {
                let report = validate(&spec);
                match generate(&spec) {
                    Ok(bundle) => {
                        prop_assert!(!report.has_errors());
                        prop_assert!(bundle.to_zip().is_ok());
                    }
                    Err(Error::Invalid(r)) => {
                        prop_assert!(r.has_errors());
                        for p in r.errors() {
                            prop_assert!(!p.path.is_empty() && !p.message.is_empty());
                        }
                    }
                    Err(other) => prop_assert!(false, "unexpected error {other}"),
                }
            }
        }
    }

    #[test]
    fn arbitrary_text_never_panics(s in ".{0,200}") {
        let _ = ClusterSpec::from_json(&s);
    }
}

/// A valid template with one field replaced by arbitrary text: most cases generate, so the
/// generation path is exercised too, not only rejection.
fn mutated_template() -> impl Strategy<Value = (ClusterSpec, usize)> {
    (0usize..9, text(), any::<u16>()).prop_map(|(which, t, n)| {
        let mut s = ClusterSpec::template();
        match which {
            0 => s.nodes[(n % 3) as usize].ips[0] = t,
            1 => s.nodes[(n % 3) as usize].dns_names[0] = t,
            2 => s.nodes[(n % 3) as usize].name = t,
            3 => s.clients[(n % 2) as usize].common_name = t,
            4 => s.cluster_name = t,
            5 => s.cert_dir = t,
            6 => s.client_port = n,
            7 => s.cert_validity_days = u32::from(n),
            _ => s.ca_subject.common_name = t,
        }
        (s, which)
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn mutated_specs_generate_or_name_the_field((spec, _which) in mutated_template()) {
        let report = validate(&spec);
        match generate(&spec) {
            Ok(b) => {
                prop_assert!(!report.has_errors());
                for f in &b.files {
                    prop_assert!(!f.contents.is_empty(), "{} is empty", f.path);
                }
            }
            Err(Error::Invalid(r)) => prop_assert_eq!(r, report),
            Err(other) => prop_assert!(false, "unexpected error {}", other),
        }
    }
}
