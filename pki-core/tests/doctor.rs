//! The doctor on inputs made here: a bundle etcd-pki generates (every file fine, so the answer
//! is "checked and fine", not silence), the same files broken one way each, and bad input
//! (binary, truncated, huge, UTF-16, random bytes) that must give a note and never a panic
//! or a hang. The live failures etcd prints are in `tests/etcd/tests/doctor_corpus.rs`.

use std::time::{Duration, Instant};

use pki_core::doctor::{Input, Level, diagnose};
use pki_core::{ClusterSpec, OffsetDateTime, generate};
use proptest::prelude::*;

fn bundle() -> pki_core::Bundle {
    let spec = ClusterSpec::from_json(
        r#"{"cluster_name":"prod","nodes":[
            {"name":"etcd1","ips":["10.0.0.1"]},{"name":"etcd2","ips":["10.0.0.2"]},
            {"name":"etcd3","ips":["10.0.0.3"]}],
            "clients":[{"name":"app","common_name":"app","kind":"etcdctl"}]}"#,
    )
    .unwrap();
    generate(&spec).unwrap()
}

fn file(b: &pki_core::Bundle, path: &str) -> Input {
    Input::new(path, &b.file(path).unwrap().contents)
}

#[test]
fn a_whole_bundle_is_checked_and_found_fine() {
    let b = bundle();
    let zip = b.to_zip().unwrap();
    let d = diagnose(&[Input::new("prod.zip", &zip)], OffsetDateTime::now_utc());
    assert!(d.all_clear(), "{}", d.to_text());
    // Each member's server and peer certificate and the client's: listed as fine.
    assert!(d.fine.len() >= 7, "{}", d.to_text());
    assert!(
        d.to_text().contains("members/etcd2/pki/server.crt (etcd2"),
        "{}",
        d.to_text()
    );
}

#[test]
fn a_key_of_another_certificate_is_named_with_its_file() {
    let b = bundle();
    let d = diagnose(
        &[
            file(&b, "members/etcd1/pki/server.crt"),
            Input::new(
                "members/etcd1/pki/server.key",
                &b.file("members/etcd2/pki/server.key").unwrap().contents,
            ),
        ],
        OffsetDateTime::now_utc(),
    );
    let f = &d.findings[0];
    assert_eq!(f.class, "key-mismatch");
    assert_eq!(f.who, "etcd1");
    assert!(f.fix.iter().any(|s| s.contains("--only etcd1")), "{f:?}");
}

#[test]
fn a_dialled_address_missing_from_the_server_certificate_is_named() {
    let b = bundle();
    let log = r#"{"level":"warn","ts":"2026-12-07T09:08:13.456Z","caller":"clientv3/retry_interceptor.go:62","msg":"retrying of unary invoker failed","target":"endpoint://client-1/10.0.0.9:2379","attempt":0,"error":"rpc error: code = Unavailable desc = connection error: desc = \"transport: authentication handshake failed: x509: certificate is valid for localhost, 10.0.0.2, 127.0.0.1, not 10.0.0.9\""}"#;
    let d = diagnose(
        &[
            file(&b, "members/etcd2/pki/server.crt"),
            Input::new("etcdctl.txt", log.as_bytes()),
        ],
        OffsetDateTime::now_utc(),
    );
    let f = d.findings.iter().find(|f| f.class == "server-san-missing");
    assert!(f.is_some_and(|f| f.log_line.is_some()), "{}", d.to_text());
}

#[test]
fn bad_input_gets_a_note_and_the_rest_is_still_read() {
    let b = bundle();
    let huge = "x".repeat(pki_core::doctor::MAX_INPUT + 10);
    let mut utf16 = vec![0xff, 0xfe];
    for u in "ETCD_NAME=etcd1\n".encode_utf16() {
        utf16.extend(u.to_le_bytes());
    }
    let cert = &b.file("members/etcd1/pki/server.crt").unwrap().contents;
    let started = Instant::now();
    let d = diagnose(
        &[
            Input::new("core.gz", &[0x1f, 0x8b, 0, 0, 0, 1, 2, 3]),
            Input::new("half.crt", &cert[..cert.len() / 2]),
            Input::new("huge.log", huge.as_bytes()),
            Input::new("etcd.env", &utf16),
            file(&b, "ca.crt"),
        ],
        OffsetDateTime::now_utc(),
    );
    assert!(started.elapsed() < Duration::from_secs(5));
    let note = |n: &str| {
        d.inputs
            .iter()
            .find(|i| i.name == n)
            .and_then(|i| i.problem.clone())
            .unwrap_or_default()
    };
    assert!(note("core.gz").contains("binary"), "{}", d.to_text());
    assert!(note("half.crt").contains("cut short"), "{}", d.to_text());
    assert!(note("huge.log").contains("first 8 MB"), "{}", d.to_text());
    assert!(
        d.inputs
            .iter()
            .any(|i| i.name == "etcd.env" && i.read_as.contains("1 etcd settings"))
    );
    assert!(d.fine.is_empty() || d.findings.iter().all(|f| f.level != Level::Error));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]
    #[test]
    fn any_bytes_are_answered_without_panic(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
        let _ = diagnose(&[Input::new("paste", &bytes)], OffsetDateTime::now_utc());
    }

    #[test]
    fn any_text_is_answered_without_panic(text in "(\\PC|\n|-----BEGIN CERTIFICATE-----|x509: certificate is valid for |, not |remote-addr\":\"){0,60}") {
        let _ = diagnose(&[Input::new("paste", text.as_bytes())], OffsetDateTime::now_utc());
    }
}
