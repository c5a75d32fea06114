//! The doctor on inputs made here: a bundle etcd-pki generates (every file fine, so the answer
//! is "checked and fine", not silence), the same files broken one way each, and bad input
//! (binary, truncated, huge, UTF-16, random bytes) that must give a note and never a panic
//! or a hang. The live failures etcd prints are in `tests/etcd/tests/doctor_corpus.rs`.

use std::time::{Duration, Instant};

use pki_core::doctor::{Input, diagnose};
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
        // root+issuing: the file holds the leaf (#1) and then the issuing CA.
        d.to_text()
            .contains("members/etcd2/pki/server.crt#1 (etcd2"),
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
    let der = pem::parse(cert).unwrap().into_contents();
    // A log whose last line was cut mid-word, and a UTF-16 paste (PowerShell's `>`) of the
    // line that explains the failure: both still read.
    let cut_log = format!(
        "{}\n{{\"level\":\"warn\",\"msg\":\"rejected conn",
        r#"{"level":"warn","msg":"rejected connection","remote-addr":"10.0.0.9:40122","error":"tls: failed to verify client certificate: x509: certificate has expired or is not yet valid: current time 2026-12-07T09:08:35Z is after 2025-01-01T00:00:00Z"}"#
    );
    let mut utf16_log = vec![0xff, 0xfe];
    for u in r#"{"level":"warn","msg":"rejected connection","remote-addr":"10.0.0.9:40122","error":"tls: client didn't provide a certificate"}"#.encode_utf16() {
        utf16_log.extend(u.to_le_bytes());
    }
    let started = Instant::now();
    let d = diagnose(
        &[
            Input::new("core.gz", &[0x1f, 0x8b, 0, 0, 0, 1, 2, 3]),
            Input::new("half.crt", &cert[..cert.len() / 2]),
            Input::new("huge.log", huge.as_bytes()),
            Input::new("etcd.env", &utf16),
            file(&b, "ca.crt"),
            Input::new("server.der.crt", &der),
            Input::new("cut.log", cut_log.as_bytes()),
            Input::new("ps.log", &utf16_log),
        ],
        OffsetDateTime::now_utc(),
    );
    assert!(started.elapsed() < Duration::from_secs(5));
    // The rest still gives its findings.
    let classes: Vec<&str> = d.findings.iter().map(|f| f.class).collect();
    assert!(
        classes.contains(&"client-cert-expired") && classes.contains(&"client-no-cert"),
        "{}",
        d.to_text()
    );
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
        note("server.der.crt").contains("DER certificate")
            && note("server.der.crt").contains("openssl x509 -inform DER"),
        "{}",
        d.to_text()
    );
    assert!(
        d.inputs
            .iter()
            .any(|i| i.name == "etcd.env" && i.read_as.contains("1 etcd settings"))
    );
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

/// The command line on bad input: a binary file, a truncated log, a UTF-16 paste on standard
/// input, a DER certificate, a huge file — each gets a note naming it, the rest still gives
/// its finding, exit 0, and nothing hangs. A missing file is bad input (exit 2) named.
#[test]
fn the_command_line_names_each_bad_input_and_reads_the_rest() {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let dir = std::env::temp_dir().join(format!("doctor-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let b = bundle();
    let cert = &b.file("members/etcd1/pki/server.crt").unwrap().contents;
    std::fs::write(dir.join("core.gz"), [0x1f, 0x8b, 0, 0, 0, 1, 2, 3]).unwrap();
    std::fs::write(
        dir.join("server.der"),
        pem::parse(cert).unwrap().into_contents(),
    )
    .unwrap();
    std::fs::write(
        dir.join("cut.log"),
        "{\"level\":\"warn\",\"msg\":\"rejected connection\",\"remote-addr\":\"10.0.0.9:40122\",\"error\":\"tls: failed to verify client certificate: x509: certificate specifies an incompatible key usage\"}\n{\"level\":\"warn\",\"msg\":\"rejec",
    )
    .unwrap();
    std::fs::write(
        dir.join("huge.log"),
        "x".repeat(pki_core::doctor::MAX_INPUT + 10),
    )
    .unwrap();
    let mut utf16 = vec![0xff, 0xfe];
    for u in "{\"level\":\"warn\",\"msg\":\"rejected connection\",\"remote-addr\":\"10.0.0.9:40122\",\"error\":\"tls: client didn't provide a certificate\"}\n".encode_utf16() {
        utf16.extend(u.to_le_bytes());
    }
    let started = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_etcd-pki"))
        .arg("doctor")
        .arg("-")
        .args(["core.gz", "server.der", "cut.log", "huge.log"])
        .current_dir(&dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&utf16).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(started.elapsed() < Duration::from_secs(20));
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for (input, says) in [
        ("core.gz", "binary"),
        ("server.der", "DER certificate"),
        ("huge.log", "first 8 MB"),
    ] {
        let at = text
            .find(&format!("read {input}:"))
            .unwrap_or_else(|| panic!("no note on {input}:\n{text}"));
        let note = &text[at..text[at..].find("\nread ").map_or(text.len(), |n| at + n)];
        assert!(note.contains(says), "{input} should say {says:?}:\n{text}");
    }
    assert!(text.contains("[client-eku-missing]"), "{text}");
    assert!(
        text.contains("[client-no-cert]"),
        "the UTF-16 standard input: {text}"
    );

    let out = Command::new(env!("CARGO_BIN_EXE_etcd-pki"))
        .args(["doctor", "no-such-file.log"])
        .current_dir(&dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no-such-file.log"));
    let _ = std::fs::remove_dir_all(&dir);
}
