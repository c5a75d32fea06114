//! Key material never leaks through `Debug` (log lines, panic messages, `dbg!`) or through the
//! listing the page keeps for display.

use pki_core::{ClusterSpec, generate};

#[test]
fn debug_of_a_bundle_prints_no_key_bytes() {
    let bundle = generate(&ClusterSpec::template()).unwrap();
    let key = bundle
        .files
        .iter()
        .find(|f| f.role.is_private_key())
        .expect("a key file");
    // The key's base64 body, as it would appear if Debug printed the text or the bytes.
    let body: String = key.text().lines().nth(1).unwrap().to_string();
    let bytes_start = format!("{:?}", &key.contents[40..48]);
    for shown in [
        format!("{bundle:?}"),
        format!("{bundle:#?}"),
        format!("{key:?}"),
    ] {
        assert!(!shown.contains("PRIVATE KEY"), "{shown}");
        assert!(!shown.contains(&body), "Debug printed the key's base64");
        assert!(
            !shown.contains(bytes_start.trim_matches(['[', ']'])),
            "Debug printed the key's bytes"
        );
    }
    // Still useful: the path and role are there.
    assert!(format!("{key:?}").contains(&key.path));
}

#[test]
fn the_listing_holds_no_key_text() {
    let bundle = generate(&ClusterSpec::template()).unwrap();
    let listing = bundle.listing();
    let keys: Vec<_> = listing.files.iter().filter(|f| f.private_key).collect();
    assert!(!keys.is_empty());
    for f in keys {
        assert!(f.text.is_empty(), "{} carries its key text", f.path);
    }
    let json = serde_json::to_string(&listing).unwrap();
    assert!(!json.contains("PRIVATE KEY"));
    // Certificates are still there to read.
    assert!(
        listing
            .file("ca.crt")
            .unwrap()
            .text
            .starts_with("-----BEGIN CERTIFICATE-----")
    );
}
