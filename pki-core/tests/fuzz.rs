//! The long fuzz run of the spec path: arbitrary JSON and arbitrary field values through
//! parse → validate → generate (with pre-made keys, so a million cases take minutes, not
//! days) never panic, and end in a bundle or in errors that name fields.
//!
//! `FUZZ_CASES=1000000 cargo test --release -p pki-core --test fuzz -- --ignored --nocapture`
//! (the figure in the README); the test command runs the short `properties` suite instead.
//!
//! Below it, run by the test command: bundle opening and CA key reading under mutated input
//! for a bounded time (`FUZZ_SECONDS`, default 15), and hand-made hostile zips and keys.

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

// ---- Bundle opening and key reading (issue 21, defect 11) -------------------------------
//
// These run in the test command: a bounded fuzz of `package::open` and of reading a CA key
// (mutated real files, at most FUZZ_SECONDS seconds, default 15), and hostile files built by
// hand whose header fields ask for more than any real file does.

use pki_core::limits;

/// A one-member bundle's zip, its CA certificate, its CA key (PEM, unencrypted) and the same
/// key encrypted with few PBKDF2 rounds (cheap to try many times).
fn material() -> (Vec<u8>, Vec<u8>, Vec<u8>, Vec<u8>) {
    let spec = ClusterSpec::from_json(
        r#"{"cluster_name": "fz", "nodes": [{"name": "etcd1", "ips": ["10.0.0.1"]}]}"#,
    )
    .unwrap();
    let b = pki_core::generate(&spec).unwrap();
    let cert = b
        .files
        .iter()
        .find(|f| f.path == "issuing-ca.crt")
        .unwrap()
        .contents
        .to_vec();
    let key = b.ca_key.contents.to_vec();
    let encrypted = encrypted_key(&key, |_| {});
    (b.to_zip().unwrap(), cert, key, encrypted)
}

/// `key` (PKCS#8 PEM) encrypted under PBES2 with 1,000 PBKDF2 rounds, after `tweak` has had
/// its way with the parameters (the ciphertext stays that of the untweaked ones).
fn encrypted_key(key: &[u8], tweak: impl FnOnce(&mut pkcs8::pkcs5::pbes2::Parameters)) -> Vec<u8> {
    use pkcs8::der::{Decode, Encode};
    use pkcs8::pkcs5::{EncryptionScheme, pbes2};
    let der = pem::parse(key).unwrap().into_contents();
    let mut params =
        pbes2::Parameters::generate_pbkdf2_sha256_aes256cbc(1_000, &[7u8; 16], [9u8; 16]).unwrap();
    let info = pkcs8::PrivateKeyInfoRef::try_from(der.as_slice()).unwrap();
    let doc = info
        .encrypt_with_params(params.clone(), b"correct horse battery")
        .unwrap();
    let mut enc = pkcs8::EncryptedPrivateKeyInfoOwned::from_der(doc.as_bytes()).unwrap();
    tweak(&mut params);
    enc.encryption_algorithm = EncryptionScheme::Pbes2(params);
    let out = enc.to_der().unwrap();
    pem::encode(&pem::Pem::new("ENCRYPTED PRIVATE KEY", out)).into_bytes()
}

/// Byte-level mutations of `base`: flips, overwrites, cuts and insertions.
fn mutated(base: Vec<u8>) -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(
        (any::<u8>(), any::<prop::sample::Index>(), any::<u8>()),
        1..8,
    )
    .prop_map(move |muts| {
        let mut b = base.clone();
        for (kind, at, byte) in muts {
            if b.is_empty() {
                break;
            }
            let i = at.index(b.len());
            match kind % 5 {
                0 => b[i] ^= 1 << (byte % 8),
                1 => b[i] = byte,
                2 => b.truncate(i),
                3 => b.insert(i, byte),
                _ => {
                    let n = (byte as usize % 16).min(b.len() - i);
                    b.drain(i..i + n);
                }
            }
        }
        b
    })
}

#[test]
fn opening_mutated_bundles_and_keys_never_panics_within_a_time_bound() {
    let budget = std::time::Duration::from_secs(
        std::env::var("FUZZ_SECONDS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(15),
    );
    let (zip, cert, key, encrypted) = material();
    assert!(pki_core::package::open(&zip).is_ok());
    let pass: &[u8] = b"correct horse battery";
    assert!(pki_core::ca_import::import_ca(&cert, &encrypted, Some(pass)).is_ok());
    let der_key = pem::parse(&key).unwrap().into_contents();
    let start = std::time::Instant::now();
    let counts = std::cell::RefCell::new([0u32; 4]);
    let inputs = prop_oneof![
        mutated(zip).prop_map(|b| (0usize, b)),
        mutated(key).prop_map(|b| (1usize, b)),
        mutated(encrypted).prop_map(|b| (2usize, b)),
        mutated(der_key).prop_map(|b| (3usize, b)),
    ];
    let mut runner = TestRunner::new(Config {
        cases: 100_000,
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(&inputs, |(which, bytes)| {
            if start.elapsed() > budget {
                return Ok(());
            }
            counts.borrow_mut()[which] += 1;
            let message = if which == 0 {
                pki_core::package::open(&bytes).err().map(|e| e.to_string())
            } else {
                pki_core::ca_import::import_ca(&cert, &bytes, Some(pass))
                    .err()
                    .map(|e| e.to_string())
            };
            if let Some(m) = message {
                // A sentence for a person (the command line escapes what the file put in it:
                // tests/cli_safety.rs).
                prop_assert!(m.len() > 10, "{m:?}");
            }
            Ok(())
        })
        .unwrap();
    let c = counts.into_inner();
    println!(
        "fuzz: {} bundles, {} PEM keys, {} encrypted keys, {} DER keys opened in {:.1} s",
        c[0],
        c[1],
        c[2],
        c[3],
        start.elapsed().as_secs_f64()
    );
    assert!(c.iter().all(|n| *n > 10), "too few cases ran: {c:?}");
}

/// An encrypted CA key whose KDF asks for hours of work or gigabytes: refused at once, the
/// message naming the limit, before any passphrase is tried.
#[test]
fn hostile_key_derivation_parameters_are_refused_before_any_work() {
    use pkcs8::pkcs5::pbes2::{Kdf, ScryptParams};
    let (_, cert, key, _) = material();
    let pass: &[u8] = b"correct horse battery";
    let rounds = encrypted_key(&key, |p| {
        if let Kdf::Pbkdf2(k) = &mut p.kdf {
            k.iteration_count = 40_000_000;
        }
    });
    let memory = encrypted_key(&key, |p| {
        p.kdf = Kdf::Scrypt(ScryptParams {
            salt: pkcs8::pkcs5::pbes2::Salt::new([7u8; 16]).unwrap(),
            cost_parameter: 1 << 19,
            block_size: 8,
            parallelization: 1,
            key_length: Some(32),
        });
    });
    let lanes = encrypted_key(&key, |p| {
        p.kdf = Kdf::Scrypt(ScryptParams {
            salt: pkcs8::pkcs5::pbes2::Salt::new([7u8; 16]).unwrap(),
            cost_parameter: 1 << 10,
            block_size: 8,
            parallelization: 4_000,
            key_length: Some(32),
        });
    });
    for (what, bytes, want) in [
        (
            "PBKDF2 rounds",
            rounds,
            format!(
                "40000000 PBKDF2 iterations, more than the limit of {}",
                limits::MAX_PBKDF2_ITERATIONS
            ),
        ),
        (
            "scrypt memory",
            memory,
            "512 MiB of memory (N=524288, r=8), more than the limit of 256 MiB".to_string(),
        ),
        (
            "scrypt p",
            lanes,
            format!("p=4000, more than the limit of {}", limits::MAX_SCRYPT_P),
        ),
    ] {
        let start = std::time::Instant::now();
        for passphrase in [Some(pass), None] {
            let err = pki_core::ca_import::import_ca(&cert, &bytes, passphrase)
                .err()
                .unwrap_or_else(|| panic!("{what}: read"))
                .to_string();
            assert!(err.contains(&want), "{what}: {err}");
            assert!(
                err.contains("re-encrypt it with `openssl pkcs8"),
                "{what}: {err}"
            );
        }
        assert!(
            start.elapsed().as_millis() < 500,
            "{what}: took {:?}",
            start.elapsed()
        );
    }
}

/// A zip whose central directory declares more entries or bigger files than any bundle:
/// refused from the declaration, with the limit in the message (the page's worker opens
/// bundles through the same `package::open`).
#[test]
fn hostile_zip_declarations_are_refused_before_unpacking() {
    use std::io::Write;
    let stored = || {
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let o = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored);
        w.start_file("spec.json", o).unwrap();
        w.write_all(b"{}").unwrap();
        w.start_file("a\u{1b}[2Jb.txt", o).unwrap();
        w.write_all(b"hello").unwrap();
        w.finish().unwrap().into_inner()
    };
    let eocd = |z: &[u8]| {
        z.windows(4)
            .rposition(|w| w == [0x50, 0x4b, 0x05, 0x06])
            .unwrap()
    };
    let cd = |z: &[u8]| {
        z.windows(4)
            .position(|w| w == [0x50, 0x4b, 0x01, 0x02])
            .unwrap()
    };

    // 30,000 entries declared.
    let mut many = stored();
    let e = eocd(&many);
    many[e + 8..e + 10].copy_from_slice(&30_000u16.to_le_bytes());
    many[e + 10..e + 12].copy_from_slice(&30_000u16.to_le_bytes());
    let err = pki_core::package::open(&many).unwrap_err().to_string();
    assert!(
        err.contains(&format!(
            "30000 entries, more than the limit of {}",
            limits::MAX_ZIP_ENTRIES
        )),
        "{err}"
    );

    // One entry declaring 4 GB.
    let mut big = stored();
    let c = cd(&big);
    big[c + 24..c + 28].copy_from_slice(&0xF000_0000u32.to_le_bytes());
    let err = pki_core::package::open(&big).unwrap_err().to_string();
    assert!(
        err.contains(&format!(
            "\"spec.json\" says it unpacks to 4026531840 bytes, more than the limit of {} for one file",
            limits::MAX_ZIP_FILE
        )),
        "{err}"
    );

    // Twenty entries of 15 MB each: each under the file limit, together over the total.
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let o =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for i in 0..20 {
        w.start_file(format!("f{i}"), o).unwrap();
    }
    let mut total = w.finish().unwrap().into_inner();
    let mut at = 0;
    while let Some(p) = total[at..]
        .windows(4)
        .position(|w| w == [0x50, 0x4b, 0x01, 0x02])
    {
        at += p;
        total[at + 24..at + 28].copy_from_slice(&(15u32 << 20).to_le_bytes());
        at += 4;
    }
    let err = pki_core::package::open(&total).unwrap_err().to_string();
    assert!(
        err.contains(&format!(
            "more than the limit of {} bytes in all",
            limits::MAX_ZIP_TOTAL
        )),
        "{err}"
    );
    // The hostile entry name is shown escaped wherever it appears.
    let mut named = stored();
    let c = cd(&named);
    let second = c
        + 4
        + named[c + 4..]
            .windows(4)
            .position(|w| w == [0x50, 0x4b, 0x01, 0x02])
            .unwrap();
    named[second + 24..second + 28].copy_from_slice(&0xF000_0000u32.to_le_bytes());
    let err = pki_core::package::open(&named).unwrap_err().to_string();
    assert!(
        err.contains(r#""a\u{1b}[2Jb.txt""#) && !err.contains('\u{1b}'),
        "{err:?}"
    );
}
