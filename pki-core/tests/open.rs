//! Reading a bundle back (`package::open`): what day two starts from. A bundle round-trips;
//! anything else is refused with a sentence that says why.

use std::io::Write;

use pki_core::package::{self, state};
use pki_core::{ClusterSpec, Error, generate};

fn bundle_zip(spec: &ClusterSpec) -> Vec<u8> {
    generate(spec).unwrap().to_zip().unwrap()
}

/// The files of `zip`, changed by `edit`, zipped again.
fn rezip(zip: &[u8], edit: impl Fn(&str, Vec<u8>) -> Option<Vec<u8>>) -> Vec<u8> {
    let opened = package::open(zip).expect("the original opens");
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for f in &opened.files {
        if let Some(bytes) = edit(&f.path, f.contents.to_vec()) {
            w.start_file(f.path.clone(), zip::write::SimpleFileOptions::default())
                .unwrap();
            w.write_all(&bytes).unwrap();
        }
    }
    w.finish().unwrap().into_inner()
}

fn refusal(zip: &[u8]) -> String {
    match package::open(zip) {
        Err(e @ Error::BadBundle(_)) => e.to_string(),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

/// spec.json of `zip` as JSON, changed by `edit`.
fn with_state(zip: &[u8], edit: impl Fn(&mut serde_json::Value)) -> Vec<u8> {
    rezip(zip, |path, bytes| {
        if path != "spec.json" {
            return Some(bytes);
        }
        let mut v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        edit(&mut v);
        Some(serde_json::to_vec_pretty(&v).unwrap())
    })
}

#[test]
fn a_bundle_opens_with_its_spec_and_every_certificate() {
    let spec = ClusterSpec::template();
    let bundle = generate(&spec).unwrap();
    let opened = package::open(&bundle.to_zip().unwrap()).unwrap();
    assert_eq!(opened.state.format, state::FORMAT);
    assert_eq!(opened.state.format_version, state::FORMAT_VERSION);
    assert_eq!(opened.spec.spec(), &spec);
    assert_eq!(
        opened.plan(),
        bundle.plan,
        "the spec plans the same bundle again"
    );
    // Every certificate of the bundle is recorded, with its serial and fingerprint.
    let certs: Vec<_> = bundle
        .files
        .iter()
        .filter_map(|f| f.cert.as_ref().map(|c| (f, c)))
        .collect();
    for (f, c) in &certs {
        let record = std::iter::once(&opened.state.ca)
            .chain(&opened.state.root)
            .chain(&opened.state.certificates)
            .find(|r| r.paths.contains(&f.path))
            .unwrap_or_else(|| panic!("{} is not in spec.json", f.path));
        assert_eq!(
            record.sha256_fingerprint, c.sha256_fingerprint,
            "{}",
            f.path
        );
        assert_eq!(record.serial, c.info.serial, "{}", f.path);
        assert_eq!(record.not_after, c.info.not_after, "{}", f.path);
    }
    assert_eq!(opened.state.certificates.len(), bundle.plan.certs.len());
    let server = opened
        .state
        .certificates
        .iter()
        .find(|r| r.id == "members/etcd2/server")
        .unwrap();
    assert_eq!(server.role, "server");
    assert_eq!(server.member.as_deref(), Some("etcd2"));
    assert_eq!(
        server.key_path.as_deref(),
        Some("members/etcd2/pki/server.key")
    );
    // The files come back as they went in, modes included.
    for f in &bundle.files {
        let back = opened
            .file(&f.path)
            .unwrap_or_else(|| panic!("{} missing", f.path));
        assert_eq!(*back.contents, f.contents, "{}", f.path);
        assert_eq!(back.mode.map(|m| m & 0o777), Some(f.mode), "{}", f.path);
    }
    // spec.json holds no private key.
    let state_text = bundle.file("spec.json").unwrap().text();
    assert!(!state_text.contains("PRIVATE"), "{state_text}");
    for f in bundle
        .files
        .iter()
        .filter(|f| f.role.is_private_key())
        .chain([&bundle.ca_key])
    {
        let body = f.text().lines().nth(1).unwrap();
        assert!(!state_text.contains(body), "spec.json holds {}", f.path);
    }
}

#[test]
fn what_is_not_a_bundle_is_refused_with_the_reason() {
    let err = refusal(b"PK? not really");
    assert!(err.contains("not a zip archive"), "{err}");

    let zip = bundle_zip(&ClusterSpec::demo());
    let err = refusal(&rezip(&zip, |p, b| (p != "spec.json").then_some(b)));
    assert!(
        err.contains("no spec.json at its root") && err.contains("not an etcd-pki bundle"),
        "{err}"
    );

    let err = refusal(&with_state(&zip, |v| v["format"] = "something-else".into()));
    assert!(
        err.contains("format \"something-else\"") && err.contains("not an etcd-pki bundle"),
        "{err}"
    );
}

#[test]
fn an_unknown_format_version_is_refused() {
    let zip = bundle_zip(&ClusterSpec::demo());
    let err = refusal(&with_state(&zip, |v| v["format_version"] = 2.into()));
    assert!(
        err.contains("format version 2") && err.contains("reads version 1"),
        "{err}"
    );
}

#[test]
fn a_spec_json_that_does_not_validate_is_refused() {
    let zip = bundle_zip(&ClusterSpec::demo());
    let err = refusal(&with_state(&zip, |v| {
        v["spec"]["nodes"][1]["ips"][0] = "10.0.0.300".into()
    }));
    assert!(
        err.contains("does not validate") && err.contains("nodes[1].ips[0]"),
        "{err}"
    );
    let err = refusal(&with_state(&zip, |v| v["spec"]["node"] = 1.into()));
    assert!(
        err.contains("spec.json is not readable") && err.contains("spec.node"),
        "{err}"
    );
}

#[test]
fn a_certificate_other_than_the_recorded_one_is_refused() {
    let zip = bundle_zip(&ClusterSpec::demo());
    let other = generate(&ClusterSpec::demo()).unwrap();
    let swapped = other
        .file("members/etcd1/pki/server.crt")
        .unwrap()
        .contents
        .clone();
    let err = refusal(&rezip(&zip, |p, b| {
        Some(if p == "members/etcd1/pki/server.crt" {
            swapped.clone()
        } else {
            b
        })
    }));
    assert!(
        err.contains("members/etcd1/pki/server.crt is not the certificate spec.json records"),
        "{err}"
    );
}
