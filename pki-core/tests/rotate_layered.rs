//! `rotate-ca` with the `root+issuing` layout (issue #22 item 3), checked with openssl and by
//! opening the kits again: the move of a `single` bundle to a root and an issuing CA, then a
//! rotation of that bundle to a new root, and what is refused. The kits' scripts on a running
//! cluster: `tests/etcd/tests/rotate.rs`.

use std::path::Path;
use std::process::Command;

use pki_core::options::CaLayout;
use pki_core::package::{self, OpenedBundle};
use pki_core::rotate::{NewCa, NewRoot, RotateSummary};
use pki_core::{Bundle, CaMaterial, ClusterSpec, OffsetDateTime, PrivateKey, daytwo, keys::Keys};

const ROOT_PASS: &str = "the root's own passphrase";

fn spec(layout: CaLayout) -> ClusterSpec {
    let mut s = ClusterSpec::from_json(
        r#"{"cluster_name": "mv", "nodes": [
              {"name": "etcd1", "ips": ["10.0.0.1"]}, {"name": "etcd2", "ips": ["10.0.0.2"]},
              {"name": "etcd3", "ips": ["10.0.0.3"]}],
            "clients": [{"name": "etcdctl", "common_name": "root"},
                        {"name": "app", "common_name": "app"}]}"#,
    )
    .unwrap();
    s.ca_layout = layout;
    s
}

fn reopen(b: &Bundle) -> OpenedBundle {
    package::open(&b.to_zip().unwrap()).expect("the kit opens")
}

fn text(o: &OpenedBundle, path: &str) -> String {
    String::from_utf8(
        o.file(path)
            .unwrap_or_else(|| panic!("{path} is missing"))
            .contents
            .to_vec(),
    )
    .unwrap()
}

/// The certificates of a PEM text, DER.
fn certs(pem_text: &str) -> Vec<Vec<u8>> {
    pem::parse_many(pem_text)
        .unwrap()
        .into_iter()
        .map(|p| p.into_contents())
        .collect()
}

/// rotate-ca with new keys to `layout` (the root key sealed under [`ROOT_PASS`]): the kit,
/// what it said, and the new CA key (the one later operations unlock the kit with).
fn rotate(
    o: &OpenedBundle,
    ca: &CaMaterial,
    layout: CaLayout,
) -> (Bundle, RotateSummary, PrivateKey) {
    let now = OffsetDateTime::now_utc();
    let spec = pki_core::rotate::rotation_spec(o, layout);
    let plan = daytwo::plan_change(None, &spec, &daytwo::Change::Generate, now).unwrap();
    let mut keys = Keys::new();
    for r in &plan.keys_to_make {
        keys.insert(r.id.clone(), PrivateKey::generate(r.algorithm).unwrap());
    }
    let alg = spec.key_algorithm;
    let (new_key, root_key) = (
        PrivateKey::generate(alg).unwrap(),
        PrivateKey::generate(alg).unwrap(),
    );
    let sealing = pki_core::SealingKey::derive(ROOT_PASS).unwrap();
    let new = NewCa {
        key: &new_key,
        root: layout.is_layered().then_some(NewRoot {
            key: &root_key,
            sealing: Some(&sealing),
        }),
    };
    let (kit, summary) = pki_core::rotate::rotate_ca_to(o, ca, new, keys, now, None).unwrap();
    (kit, summary, new_key)
}

fn openssl_verify(dir: &Path, ca: &str, file: &str) -> (bool, String) {
    let o = Command::new("openssl")
        .current_dir(dir)
        .args([
            "verify",
            "-x509_strict",
            "-CAfile",
            ca,
            "-untrusted",
            file,
            file,
        ])
        .output()
        .unwrap();
    (
        o.status.success(),
        String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr),
    )
}

/// Every file of `o` the layout rules name: each trusted CA file is the root alone, each leaf
/// file the leaf then `issuing-ca.crt`, and each leaf verifies under the root alone (openssl,
/// the issuing CA taken from the file).
fn root_and_issuing_in_every_file(o: &OpenedBundle) {
    let root = text(o, "ca.crt");
    let issuing = text(o, "issuing-ca.crt");
    assert_eq!(certs(&root).len(), 1, "ca.crt is not one certificate");
    assert_ne!(certs(&root), certs(&issuing));
    let dir = std::env::temp_dir().join(format!("epki-rotate-layered-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("root.crt"), &root).unwrap();
    for f in &o.files {
        let p = &f.path;
        if p.ends_with("/ca.crt") && !p.contains("/rotate/") {
            assert_eq!(text(o, p), root, "{p} is not the root alone");
        }
        let leaf = p.ends_with("/server.crt")
            || p.ends_with("/peer.crt")
            || p.starts_with("clients/") && p.ends_with("/client.crt");
        if leaf {
            let chain = certs(&text(o, p));
            assert_eq!(chain.len(), 2, "{p} is not leaf + issuing CA");
            assert_eq!(chain[1], certs(&issuing)[0], "{p}: not the issuing CA");
            std::fs::write(dir.join("leaf.crt"), text(o, p)).unwrap();
            let (ok, said) = openssl_verify(&dir, "root.crt", "leaf.crt");
            assert!(ok, "{p} does not verify under the root alone: {said}");
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// The move: a single bundle's rotation kit to root+issuing. Its trust files are a new root,
/// its leaves chain through a new issuing CA, the kit's scripts tell the old single CA from
/// the new root, the root key is written apart and sealed, the state says root+issuing (so
/// the next operation unlocks the new issuing CA with its chain), and what it says names the
/// move. Then that bundle's own rotation (its layout kept) makes another root.
#[test]
fn a_single_bundle_moves_to_root_and_issuing_then_rotates_its_root() {
    let first = pki_core::generate(&spec(CaLayout::Single)).unwrap();
    let o = reopen(&first);
    let ca = daytwo::unlock_ca(&o, first.ca_key.text().as_bytes(), None).unwrap();
    assert!(!ca.is_layered());
    let (kit, summary, new_key) = rotate(&o, &ca, CaLayout::RootIssuing);
    let k = reopen(&kit);

    // The state: root+issuing, a root record, and a rotation under way.
    assert_eq!(k.state.spec.ca_layout, CaLayout::RootIssuing);
    assert!(k.state.root.is_some(), "the kit records no root");
    assert_eq!(pki_core::rotate::pending_change(&k), Some("rotation"));
    root_and_issuing_in_every_file(&k);

    // The scripts' CAs: the old single CA and the new root, by fingerprint.
    let (old_ca, root) = (text(&o, "ca.crt"), text(&k, "ca.crt"));
    assert_eq!(text(&k, "members/etcd1/rotate/old-ca.crt"), old_ca);
    assert_eq!(text(&k, "members/etcd2/rotate/new-ca.crt"), root);
    assert_eq!(
        certs(&text(&k, "clients/app/rotate/both-ca.crt")),
        [certs(&old_ca), certs(&root)].concat()
    );
    let env = text(&k, "members/etcd3/rotate/rotate.env");
    for (name, pem_text) in [("OLD_CA_SHA256", &old_ca), ("NEW_CA_SHA256", &root)] {
        let fp = pki_core::kit::openssl_fingerprint(&certs(pem_text)[0]);
        assert!(env.contains(&format!("{name}='{fp}'")), "{name}: {env}");
    }

    // The root key: apart, sealed, the root's.
    let root_file = kit.root_key.as_ref().expect("no root key was written");
    assert!(root_file.text().contains("BEGIN ENCRYPTED PRIVATE KEY"));
    assert!(!kit.files.iter().any(|f| f.path.ends_with("root-ca.key")));
    let root_ca = pki_core::ca_import::import_ca(
        root.as_bytes(),
        root_file.text().as_bytes(),
        Some(ROOT_PASS.as_bytes()),
    )
    .expect("the sealed root key opens with its passphrase and is the root's");
    assert_eq!(root_ca.cert_der, certs(&root)[0]);

    // What it says: the move, and that issuer rotations need no restart afterwards.
    assert!(summary.is_move() && summary.new_root.is_some());
    let said = summary.to_string();
    assert!(
        said.contains("moves the cluster from one CA to a root and an issuing CA")
            && said.contains("rotate-issuer"),
        "{said}"
    );
    assert!(
        text(&k, "ROTATE.md").contains("replaces the issuing CA with no restart"),
        "{}",
        text(&k, "ROTATE.md")
    );

    // The next operation: the new issuing CA key unlocks the kit, with the root as its chain.
    let issuing = daytwo::unlock_ca(&k, new_key.to_pem().as_bytes(), None).unwrap();
    assert!(issuing.is_layered());
    assert_eq!(issuing.trust_anchor_der(), certs(&root)[0].as_slice());

    // The old entry point keeps single bundles single and does not guess a root's passphrase.
    let e = pki_core::rotate::rotate_ca(
        &k,
        &issuing,
        Some(&new_key),
        Keys::new(),
        OffsetDateTime::now_utc(),
        None,
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("root+issuing") && e.contains("NewRoot"), "{e}");

    // A root+issuing bundle's rotation (its steps done): another root, another issuing CA;
    // the scripts move from the first root to the second.
    let (kit2, summary2, _) = rotate(&k, &issuing, CaLayout::RootIssuing);
    let k2 = reopen(&kit2);
    assert!(!summary2.is_move());
    assert_eq!(k2.state.spec.ca_layout, CaLayout::RootIssuing);
    root_and_issuing_in_every_file(&k2);
    assert_ne!(text(&k2, "ca.crt"), root);
    assert_eq!(text(&k2, "members/etcd1/rotate/old-ca.crt"), root);
    assert_eq!(
        text(&k2, "members/etcd1/rotate/new-ca.crt"),
        text(&k2, "ca.crt")
    );
}

/// Back to one CA (`--ca-layout single` from root+issuing): the old root and the new single
/// CA in the scripts, no issuing CA, no root key, leaves of one certificate.
#[test]
fn a_root_and_issuing_bundle_can_go_back_to_one_ca() {
    let first = pki_core::generate(&spec(CaLayout::RootIssuing)).unwrap();
    let o = reopen(&first);
    let ca = daytwo::unlock_ca(&o, first.ca_key.text().as_bytes(), None).unwrap();
    let (kit, summary, _) = rotate(&o, &ca, CaLayout::Single);
    let k = reopen(&kit);
    assert_eq!(k.state.spec.ca_layout, CaLayout::Single);
    assert!(k.state.root.is_none() && k.file("issuing-ca.crt").is_none());
    assert!(kit.root_key.is_none());
    assert_eq!(
        text(&k, "members/etcd1/rotate/old-ca.crt"),
        text(&o, "ca.crt")
    );
    assert_eq!(certs(&text(&k, "members/etcd1/pki/server.crt")).len(), 1);
    assert!(summary.to_string().contains("back to one CA"), "{summary}");
}
