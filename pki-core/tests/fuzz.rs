//! The long fuzz run of the spec path: arbitrary JSON and arbitrary field values through
//! parse → validate → generate (with pre-made keys, so a million cases take minutes, not
//! days) never panic, and end in a bundle or in errors that name fields.
//!
//! `FUZZ_CASES=1000000 cargo test --release -p pki-core --test fuzz -- --ignored --nocapture`
//! (the figure in the README); the test command runs the short `properties` suite instead.

use std::cell::Cell;
use std::collections::HashMap;

use pki_core::{ClusterSpec, Error, KeyAlgorithm, PrivateKey, generate_with_keys, validate};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

fn json_value() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::Bool),
        any::<i64>().prop_map(|n| serde_json::json!(n)),
        any::<f64>().prop_map(|n| serde_json::json!(n)),
        ".{0,12}".prop_map(serde_json::Value::String),
        Just(serde_json::json!("10.0.0.1")),
        Just(serde_json::json!("ecdsa-p256")),
        Just(serde_json::json!("{name}")),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::Array),
            prop::collection::hash_map(
                prop_oneof![
                    Just("nodes".to_string()),
                    Just("name".to_string()),
                    Just("ips".to_string()),
                    Just("dns_names".to_string()),
                    Just("clients".to_string()),
                    Just("common_name".to_string()),
                    Just("key_algorithm".to_string()),
                    Just("cert_dir".to_string()),
                    Just("client_port".to_string()),
                    "[a-z_]{1,10}",
                ],
                inner,
                0..6
            )
            .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}

fn input() -> impl Strategy<Value = String> {
    let node = (
        "[a-z0-9.-]{0,8}",
        prop::collection::vec(
            prop_oneof![
                "[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}",
                "[0-9a-f:]{2,16}",
                ".{0,10}"
            ],
            0..3,
        ),
        prop::collection::vec("[a-z0-9.-]{0,12}", 0..2),
    );
    let spec = (
        prop::collection::vec(node, 0..6),
        prop_oneof![Just("ecdsa-p256"), Just("ed25519"), Just("rsa-2048"), Just("ecdsa-p384"), Just("x")],
        any::<u32>(), any::<u32>(), any::<u16>(), any::<u16>(), ".{0,12}", ".{0,12}",
        prop_oneof![Just("3.4"), Just("3.5"), Just("3.6")], prop_oneof![Just("etcd"), Just("kubeadm")],
        prop_oneof![Just("simple"), Just("jwt")],
    )
        .prop_map(|(nodes, alg, ca, days, cp, pp, dir, token, ver, layout, auth)| {
            serde_json::json!({
                "nodes": nodes.into_iter().map(|(n, ips, dns)| serde_json::json!({"name": n, "ips": ips, "dns_names": dns})).collect::<Vec<_>>(),
                "key_algorithm": alg, "ca_validity_days": ca % 40000, "cert_validity_days": days % 40000,
                "client_port": cp, "peer_port": pp, "cert_dir": dir, "initial_cluster_token": token,
                "etcd_version": ver, "layout": layout, "auth_token": auth,
            })
            .to_string()
        });
    // A valid template with one or two fields replaced: most of these generate, so the
    // certificate and rendering code sees odd-but-valid values too.
    let field = || {
        prop_oneof![
            ".{0,16}",
            "[a-z0-9.-]{1,12}",
            "[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}",
            "[0-9a-f:]{2,20}"
        ]
    };
    let mutated =
        (0usize..12, field(), 0usize..12, field(), any::<u16>()).prop_map(|(a, x, b, y, n)| {
            let mut v = serde_json::to_value(ClusterSpec::template()).unwrap();
            for (which, t) in [(a, x), (b, y)] {
                let i = (n % 3) as usize;
                match which {
                    0 => v["nodes"][i]["ips"][0] = t.into(),
                    1 => v["nodes"][i]["dns_names"][0] = t.into(),
                    2 => v["nodes"][i]["name"] = t.into(),
                    3 => v["clients"][i % 2]["common_name"] = t.into(),
                    4 => v["clients"][i % 2]["organization"] = t.into(),
                    5 => v["cluster_name"] = t.into(),
                    6 => v["ca_subject"]["common_name"] = t.into(),
                    7 => v["cert_dir"] = t.into(),
                    8 => v["metrics_url"] = format!("http://{t}:2381").into(),
                    9 => v["cipher_suites"] = serde_json::json!([t]),
                    10 => v["nodes"][i]["ips"].as_array_mut().unwrap().push(t.into()),
                    _ => {
                        v["clients"][i % 2]["grants"] =
                            serde_json::json!([{"key_prefix": t, "permission": "read"}])
                    }
                }
            }
            v.to_string()
        });
    prop_oneof![
        4 => mutated,
        3 => spec,
        2 => json_value().prop_map(|v| v.to_string()),
        1 => ".{0,64}",
    ]
}

#[test]
#[ignore = "long fuzz run: FUZZ_CASES=1000000 cargo test --release -p pki-core --test fuzz -- --ignored --nocapture"]
fn a_million_specs_never_panic() {
    let cases: u32 = std::env::var("FUZZ_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(100_000);
    let keys: HashMap<KeyAlgorithm, PrivateKey> = KeyAlgorithm::ALL
        .into_iter()
        .filter(|a| !matches!(a, KeyAlgorithm::Rsa3072 | KeyAlgorithm::Rsa4096))
        .map(|a| (a, PrivateKey::generate(a).unwrap()))
        .collect();
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let (syntax, invalid, generated) = (Cell::new(0u64), Cell::new(0u64), Cell::new(0u64));
    let start = std::time::Instant::now();
    runner
        .run(&input(), |text| {
            match ClusterSpec::from_json(&text) {
                Err(
                    Error::SpecSyntax { .. }
                    | Error::SpecLimits { .. }
                    | Error::SpecTooLarge { .. },
                ) => syntax.set(syntax.get() + 1),
                Err(e) => prop_assert!(false, "unexpected parse error {e}"),
                Ok(spec) => {
                    let report = validate(&spec);
                    let now = pki_core::OffsetDateTime::now_utc();
                    let result = generate_with_keys(&spec, now, |req| {
                        let k = &keys[&req.algorithm];
                        PrivateKey::from_pkcs8_der(req.algorithm, k.pkcs8_der())
                    });
                    match result {
                        Ok(b) => {
                            prop_assert!(!report.has_errors());
                            prop_assert!(b.to_zip().is_ok());
                            generated.set(generated.get() + 1);
                        }
                        Err(Error::Invalid(r)) => {
                            prop_assert!(
                                r.errors()
                                    .all(|p| !p.path.is_empty() && !p.message.is_empty())
                            );
                            invalid.set(invalid.get() + 1);
                        }
                        Err(e) => prop_assert!(false, "unexpected error {e}"),
                    }
                }
            }
            Ok(())
        })
        .unwrap();
    println!(
        "fuzz: {cases} cases in {:.0} s: {} rejected at parse, {} with field errors, {} bundles",
        start.elapsed().as_secs_f64(),
        syntax.get(),
        invalid.get(),
        generated.get()
    );
}
