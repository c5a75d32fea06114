//! A root+issuing bundle's chain (#22 items 4–6): the chain lints fail when a leaf file loses
//! its issuing CA, starts with the CA, or an issuing CA nears its end; the doctor names a leaf
//! file missing its issuing CA and an issuing CA another root signed; revoking an earlier
//! issuing CA writes the root's CRL (`root.crl`, checked by openssl with `-crl_check`) and
//! lists its serial in every member's `crl.der` beside the leaves, under a CRL number that
//! never goes back; `install-crl.sh` takes that CRL on a member that trusts the root only.

use std::path::Path;
use std::process::Command;

use pki_core::crl::{self, RevocationReason};
use pki_core::doctor::{Input, diagnose};
use pki_core::package::chain_lints::check_chain;
use pki_core::package::state::CertRecord;
use pki_core::package::{self, OpenedBundle};
use pki_core::revoke::{Request, Target, revoke, revoke_under_root};
use pki_core::{CaMaterial, ClusterSpec, OffsetDateTime, PrivateKey, daytwo, generate};
use sha2::{Digest, Sha256};
use x509_parser::prelude::{FromDer, X509Certificate};

fn spec(extra: &str) -> ClusterSpec {
    ClusterSpec::from_json(&format!(
        r#"{{"cluster_name": "ch", "ca_layout": "root+issuing", {extra}
            "nodes": [{{"name": "etcd1", "ips": ["10.0.0.1"]}}, {{"name": "etcd2", "ips": ["10.0.0.2"]}},
                      {{"name": "etcd3", "ips": ["10.0.0.3"]}}],
            "clients": [{{"name": "etcdctl", "common_name": "root"}}, {{"name": "alice", "common_name": "alice"}}]}}"#
    ))
    .unwrap()
}

struct Layered {
    zip: Vec<u8>,
    opened: OpenedBundle,
    ca: CaMaterial,
    root: CaMaterial,
}

fn layered(extra: &str) -> Layered {
    let b = generate(&spec(extra)).unwrap();
    let zip = b.to_zip().unwrap();
    let opened = package::open(&zip).unwrap();
    let ca = daytwo::unlock_ca(&opened, b.ca_key.text().as_bytes(), None).unwrap();
    let root_key = b
        .root_key
        .as_ref()
        .expect("a root key file")
        .text()
        .to_string();
    let root = daytwo::unlock_root(&opened, root_key.as_bytes(), None).unwrap();
    Layered {
        zip,
        opened,
        ca,
        root,
    }
}

fn file(o: &OpenedBundle, path: &str) -> Vec<u8> {
    o.file(path)
        .unwrap_or_else(|| panic!("{path} missing"))
        .contents
        .to_vec()
}

fn set_file(o: &mut OpenedBundle, path: &str, bytes: Vec<u8>) {
    let f = o.files.iter_mut().find(|f| f.path == path).unwrap();
    f.contents = bytes.into();
}

fn pem_blocks(bytes: &[u8]) -> Vec<String> {
    pem::parse_many(bytes)
        .unwrap()
        .into_iter()
        .map(|p| pem::encode(&p))
        .collect()
}

fn paths_of(r: &pki_core::Report) -> Vec<String> {
    r.problems()
        .iter()
        .map(|p| format!("{}: {}", p.path, p.message))
        .collect()
}

#[test]
fn a_healthy_chain_has_no_problem_and_each_break_is_named() {
    let l = layered("");
    let now = OffsetDateTime::now_utc();
    assert_eq!(paths_of(&check_chain(&l.opened, now)), Vec::<String>::new());
    let server = "members/etcd1/pki/server.crt";
    let blocks = pem_blocks(&file(&l.opened, server));
    assert_eq!(blocks.len(), 2, "leaf + issuing CA");

    // The leaf alone.
    let mut o = package::open(&l.zip).unwrap();
    set_file(&mut o, server, blocks[0].clone().into_bytes());
    let r = check_chain(&o, now);
    let p = r
        .at(server)
        .next()
        .unwrap_or_else(|| panic!("{:?}", paths_of(&r)));
    assert!(
        p.message.contains("holds the leaf alone") && p.message.contains("unknown authority"),
        "{p}"
    );
    assert!(r.has_errors());

    // The issuing CA first.
    set_file(
        &mut o,
        server,
        [blocks[1].clone(), blocks[0].clone()].concat().into_bytes(),
    );
    let p = check_chain(&o, now)
        .at(server)
        .next()
        .cloned()
        .expect("order lint");
    assert!(
        p.message.contains("starts with a CA certificate")
            && p.message.contains("leaf comes first"),
        "{p}"
    );

    // Another issuing CA after the leaf.
    let other = layered("");
    let foreign = pem_blocks(&file(&other.opened, "issuing-ca.crt")).remove(0);
    set_file(
        &mut o,
        server,
        [blocks[0].clone(), foreign].concat().into_bytes(),
    );
    let p = check_chain(&o, now)
        .at(server)
        .next()
        .cloned()
        .expect("mixed chain lint");
    assert!(p.message.contains("not the bundle's issuing CA"), "{p}");

    // A leaf serial equal to an issuing CA's: etcd would revoke both.
    let mut o = package::open(&l.zip).unwrap();
    let mut twin = o.state.ca.clone();
    twin.serial = o.state.certificates[0].serial.clone();
    o.state.previous_issuers.push(twin);
    let r = check_chain(&o, now);
    let id = o.state.certificates[0].id.clone();
    let p = r
        .at(&id)
        .next()
        .unwrap_or_else(|| panic!("{:?}", paths_of(&r)));
    assert!(p.message.contains("revoking either cuts off both"), "{p}");
}

#[test]
fn an_issuing_ca_ending_within_a_year_names_rotate_issuer() {
    let l = layered(r#""ca_validity_days": 300, "cert_validity_days": 90,"#);
    let r = check_chain(&l.opened, OffsetDateTime::now_utc());
    let p = r
        .at("issuing-ca")
        .next()
        .unwrap_or_else(|| panic!("{:?}", paths_of(&r)));
    assert!(
        p.message.contains("within a year") && p.message.contains("etcd-pki rotate-issuer"),
        "{p}"
    );
    // The root (20 years) is not flagged, and a year on, the root is.
    assert!(r.at("root").next().is_none(), "{:?}", paths_of(&r));
    let later = OffsetDateTime::now_utc() + time::Duration::days(7300 - 100);
    let r = check_chain(&l.opened, later);
    assert!(
        r.at("root").any(|p| p.message.contains("rotate-ca")),
        "{:?}",
        paths_of(&r)
    );
}

#[test]
fn the_doctor_names_a_leaf_file_without_its_issuing_ca_and_a_foreign_issuing_ca() {
    let l = layered("");
    let now = OffsetDateTime::now_utc();
    // The whole bundle: no chain finding (the issuing CA is in every leaf file).
    let d = diagnose(&[Input::new("ch.zip", &l.zip)], now);
    let classes: Vec<&str> = d.findings.iter().map(|f| f.class).collect();
    assert!(
        !classes.contains(&"missing-intermediate")
            && !classes.contains(&"issuing-ca-not-under-root"),
        "{classes:?}"
    );
    // The root and a server.crt holding the leaf alone.
    let leaf = pem_blocks(&file(&l.opened, "members/etcd1/pki/server.crt")).remove(0);
    let d = diagnose(
        &[
            Input::new("ca.crt", &file(&l.opened, "ca.crt")),
            Input::new("server.crt", leaf.as_bytes()),
        ],
        now,
    );
    let f = d
        .findings
        .iter()
        .find(|f| f.class == "missing-intermediate")
        .unwrap_or_else(|| panic!("{:?}", d.findings));
    assert_eq!(f.file, "server.crt");
    assert!(f.rule.contains("holds the leaf alone"), "{}", f.rule);
    assert!(
        f.fix
            .iter()
            .any(|x| x.contains("cat server.crt issuing-ca.crt")),
        "{:?}",
        f.fix
    );
    // Another cluster's issuing CA, whose root has the same name: found by signature.
    let other = layered("");
    let d = diagnose(
        &[
            Input::new("ca.crt", &file(&l.opened, "ca.crt")),
            Input::new("issuing-ca.crt", &file(&other.opened, "issuing-ca.crt")),
        ],
        now,
    );
    let f = d
        .findings
        .iter()
        .find(|f| f.class == "issuing-ca-not-under-root")
        .unwrap_or_else(|| panic!("{:?}", d.findings));
    assert!(
        f.rule.contains("another root of the same name"),
        "{}",
        f.rule
    );
    assert!(
        f.fix.iter().any(|x| x.contains("rotate-issuer")),
        "{:?}",
        f.fix
    );
}

/// An earlier issuing CA under the bundle's root (as rotate-issuer leaves one behind): made a
/// day earlier (so its name differs), recorded in `previous_issuers`; and a leaf under it.
fn earlier_issuer(l: &mut Layered) -> (String, String, String) {
    let now = OffsetDateTime::now_utc();
    let key = PrivateKey::generate(pki_core::KeyAlgorithm::EcdsaP256).unwrap();
    let plan = l.opened.plan();
    let old = pki_core::issue::new_issuing(&plan.ca, &key, &l.root, now - time::Duration::days(1))
        .unwrap();
    let (_, x) = X509Certificate::from_der(&old.cert_der).unwrap();
    let colons = |b: &[u8]| {
        b.iter()
            .map(|b| format!("{b:02x}"))
            .collect::<Vec<_>>()
            .join(":")
    };
    let record = CertRecord {
        id: format!(
            "issuing-ca/{}",
            crl::serial_hex(x.raw_serial()).to_uppercase()
        ),
        role: "issuing-ca".into(),
        member: None,
        client: None,
        subject: x.subject().to_string(),
        paths: vec![],
        key_path: None,
        serial: colons(&crl::parse_serial(&crl::serial_hex(x.raw_serial())).unwrap()),
        not_before: x.validity().not_before.to_datetime().to_string(),
        not_after: x.validity().not_after.to_datetime().to_string(),
        sha256_fingerprint: colons(&Sha256::digest(&old.cert_der)),
    };
    l.opened.state.previous_issuers.push(record.clone());
    let pem_of = |der: &[u8]| pem::encode(&pem::Pem::new("CERTIFICATE", der.to_vec()));
    let imported = pki_core::ca_import::import_ca(
        (pem_of(&old.cert_der) + &pem_of(&l.root.cert_der)).as_bytes(),
        key.to_pem().as_bytes(),
        None,
    )
    .unwrap();
    let leaf = imported
        .sign_test_leaf("old-client", "10.0.0.9".parse().unwrap(), now, 30)
        .unwrap();
    (
        pem_of(&old.cert_der),
        leaf.cert_pem + &pem_of(&old.cert_der),
        record.sha256_fingerprint,
    )
}

fn req(targets: Vec<Target>) -> Request {
    Request {
        targets,
        reason: RevocationReason::CaCompromise,
        next_update_days: 30,
        force: false,
    }
}

fn openssl(dir: &Path, args: &[&str]) -> (bool, String) {
    let o = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    (
        o.status.success(),
        String::from_utf8_lossy(&o.stdout).to_string() + &String::from_utf8_lossy(&o.stderr),
    )
}

#[test]
fn revoking_an_earlier_issuing_ca_writes_both_crls() {
    let mut l = layered("");
    let now = OffsetDateTime::now_utc();
    // Refused before there is an earlier issuing CA, and on a single-CA bundle.
    let e = revoke_under_root(
        &l.opened,
        &l.ca,
        Some(&l.root),
        &req(vec![Target::IssuingCa("old".into())]),
        now,
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("--issuing-ca") && e.contains("records no earlier issuing CA"),
        "{e}"
    );
    let (old_pem, old_leaf, old_fp) = earlier_issuer(&mut l);
    // The root's key is needed; the current issuing CA and unknown fingerprints are refused.
    let e = revoke(
        &l.opened,
        &l.ca,
        &req(vec![Target::IssuingCa("old".into())]),
        now,
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("--root-key"), "{e}");
    let current = l.opened.state.ca.sha256_fingerprint.clone();
    let e = revoke_under_root(
        &l.opened,
        &l.ca,
        Some(&l.root),
        &req(vec![Target::IssuingCa(current)]),
        now,
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("is the current issuing CA") && e.contains("rotate-issuer"),
        "{e}"
    );
    let e = revoke_under_root(
        &l.opened,
        &l.ca,
        Some(&l.root),
        &req(vec![Target::IssuingCa("ab:cd".into())]),
        now,
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("fingerprint of no issuing CA"), "{e}");

    // By fingerprint (upper case, no colons, as openssl prints it), with a client beside it.
    let fp = old_fp.replace(':', "").to_uppercase();
    let (b, summary) = revoke_under_root(
        &l.opened,
        &l.ca,
        Some(&l.root),
        &req(vec![Target::IssuingCa(fp), Target::Client("alice".into())]),
        now,
    )
    .unwrap();
    assert!(
        summary.to_string().contains("Revoked the issuing CA"),
        "{summary}"
    );
    assert!(summary.to_string().contains("root.crl"), "{summary}");
    let o = package::open(&b.to_zip().unwrap()).unwrap();
    let rev = o.state.revocations.clone().unwrap();
    assert_eq!(
        rev.revoked.len(),
        2,
        "the issuing CA and alice's certificate"
    );
    assert_eq!(rev.revoked[0].issuer.as_deref(), Some("root"));
    assert!(rev.revoked[1..].iter().all(|r| r.issuer.is_none()));
    // crl.der (etcd's) lists everything; root.crl only the issuing CA; one number.
    let merged = crl::read(&file(&o, "members/etcd1/pki/crl.der")).unwrap();
    let root_crl = crl::read(&file(&o, "root.crl")).unwrap();
    assert_eq!(merged.revoked.len(), 2);
    assert_eq!(root_crl.revoked.len(), 1);
    assert_eq!(root_crl.revoked[0].serial, merged.revoked[0].serial);
    assert_eq!((merged.number, root_crl.number), (Some(1), Some(1)));

    // openssl: crl.der is the issuing CA's, root.crl the root's; the old issuing CA is
    // revoked; the bundle's own leaves still verify with both CRLs checked at every level.
    let dir = std::env::temp_dir().join(format!("pki-chain-crl-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (name, bytes) in [
        ("root.pem", file(&o, "ca.crt")),
        ("issuing.pem", file(&o, "issuing-ca.crt")),
        ("crl.der", file(&o, "members/etcd1/pki/crl.der")),
        ("root.crl", file(&o, "root.crl")),
        ("server.crt", file(&o, "members/etcd1/pki/server.crt")),
        ("old.pem", old_pem.into_bytes()),
        ("old-leaf.crt", old_leaf.into_bytes()),
    ] {
        std::fs::write(dir.join(name), bytes).unwrap();
    }
    let (_, out) = openssl(
        &dir,
        &[
            "crl",
            "-inform",
            "DER",
            "-in",
            "crl.der",
            "-CAfile",
            "issuing.pem",
            "-noout",
        ],
    );
    assert!(
        out.contains("verify OK"),
        "crl.der under the issuing CA: {out}"
    );
    let (_, out) = openssl(
        &dir,
        &[
            "crl", "-inform", "DER", "-in", "root.crl", "-CAfile", "root.pem", "-noout",
        ],
    );
    assert!(out.contains("verify OK"), "root.crl under the root: {out}");
    openssl(
        &dir,
        &[
            "crl",
            "-inform",
            "DER",
            "-in",
            "root.crl",
            "-out",
            "root.crl.pem",
        ],
    );
    openssl(
        &dir,
        &["crl", "-inform", "DER", "-in", "crl.der", "-out", "crl.pem"],
    );
    let (ok, out) = openssl(
        &dir,
        &[
            "verify",
            "-crl_check",
            "-CAfile",
            "root.pem",
            "-CRLfile",
            "root.crl.pem",
            "old.pem",
        ],
    );
    assert!(!ok && out.contains("revoked"), "the old issuing CA: {out}");
    let (ok, out) = openssl(
        &dir,
        &[
            "verify",
            "-crl_check_all",
            "-CAfile",
            "root.pem",
            "-untrusted",
            "server.crt",
            "-CRLfile",
            "root.crl.pem",
            "-CRLfile",
            "crl.pem",
            "server.crt",
        ],
    );
    assert!(ok, "the bundle's server certificate with both CRLs: {out}");
    let (ok, out) = openssl(
        &dir,
        &[
            "verify",
            "-CAfile",
            "root.pem",
            "-untrusted",
            "old-leaf.crt",
            "old-leaf.crt",
        ],
    );
    assert!(ok, "without CRLs the old issuing CA's leaf verifies: {out}");

    install_crl_takes_the_merged_crl(&o, &dir);
    let _ = std::fs::remove_dir_all(&dir);

    // A later revocation without the root key: root.crl carried byte for byte, the number
    // goes on.
    let (b2, _) = revoke(&o, &l.ca, &req(vec![Target::Unlisted("7f01".into())]), now).unwrap();
    let o2 = package::open(&b2.to_zip().unwrap()).unwrap();
    assert_eq!(file(&o2, "root.crl"), file(&o, "root.crl"));
    let merged2 = crl::read(&file(&o2, "members/etcd1/pki/crl.der")).unwrap();
    assert_eq!((merged2.number, merged2.revoked.len()), (Some(2), 3));
    assert_eq!(o2.state.previous_issuers, o.state.previous_issuers);
}

/// `install-crl.sh` on a member whose ca.crt holds the root alone takes the issuing CA's CRL:
/// the issuing CA comes from the member folder's leaf files, checked under the root. Run as
/// root against an installation under ETCD_PKI_ROOT, no etcd running.
fn install_crl_takes_the_merged_crl(o: &OpenedBundle, dir: &Path) {
    if !Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| out.stdout.starts_with(b"0"))
    {
        eprintln!("skipped: install-crl.sh runs as root only");
        return;
    }
    for f in o
        .files
        .iter()
        .filter(|f| f.path.starts_with("members/etcd1/"))
    {
        let p = dir.join("bundle").join(&f.path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, &f.contents[..]).unwrap();
    }
    let installed = dir.join("root/etc/etcd/pki");
    std::fs::create_dir_all(&installed).unwrap();
    std::fs::write(
        installed.join("ca.crt"),
        file(o, "members/etcd1/pki/ca.crt"),
    )
    .unwrap();
    let run = || {
        let out = Command::new("bash")
            .arg(dir.join("bundle/members/etcd1/install-crl.sh"))
            .arg("--force")
            .env("ETCD_PKI_ROOT", dir.join("root"))
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr)
    };
    let said = run();
    assert_eq!(
        std::fs::read(installed.join("crl.der")).unwrap(),
        file(o, "members/etcd1/pki/crl.der"),
        "install-crl.sh did not take the issuing CA's CRL: {said}"
    );
    // Another cluster's bundle (its issuing CA under another root) is refused.
    let other = layered("");
    let (b, _) = revoke(
        &other.opened,
        &other.ca,
        &req(vec![Target::Client("alice".into())]),
        OffsetDateTime::now_utc(),
    )
    .unwrap();
    let foreign = package::open(&b.to_zip().unwrap()).unwrap();
    for f in foreign
        .files
        .iter()
        .filter(|f| f.path.starts_with("members/etcd1/pki/"))
    {
        std::fs::write(dir.join("bundle").join(&f.path), &f.contents[..]).unwrap();
    }
    let said = run();
    assert!(
        said.contains("REFUSED") && said.contains("not signed by the CA installed"),
        "{said}"
    );
}

#[test]
fn leaves_outliving_the_issuing_ca_name_rotate_issuer_not_rotate_ca() {
    let l = layered("");
    let (ca, leaves) = pki_core::package::lints::certs_of(&l.opened).unwrap();
    let now = OffsetDateTime::now_utc();
    // A year and a day before every leaf ends, the issuing CA ends first.
    let mut ca = ca;
    ca.not_after = leaves[0].not_after - time::Duration::days(1);
    let r = pki_core::package::lints::check_bundle(&pki_core::package::lints::BundleFacts {
        spec: l.opened.spec.spec(),
        ca,
        leaves,
        crl: None,
        other_ca_leaves: vec![],
        now,
    });
    let p = r
        .at("ca")
        .next()
        .unwrap_or_else(|| panic!("{:?}", paths_of(&r)));
    assert!(
        p.message.contains("the issuing CA expires") && p.message.contains("rotate-issuer"),
        "{p}"
    );
    assert!(!p.message.contains("rotate-ca"), "{p}");
}
