//! `revoke` on an opened bundle: a new full bundle with every certificate and key unchanged,
//! a CRL in every member's folder that openssl reads and that refuses exactly the revoked
//! certificate, `spec.json` keeping every revocation for the next CRL, day-two operations
//! carrying them on, and every bad request refused with its field.

use std::process::Command;

use pki_core::crl::{self, RevocationReason};
use pki_core::package::{self, OpenedBundle};
use pki_core::revoke::{self, Request, Target};
use pki_core::{ClusterSpec, OffsetDateTime, PrivateKey, daytwo, generate, keys::Keys};

fn spec() -> ClusterSpec {
    ClusterSpec::from_json(
        r#"{"cluster_name": "rv", "nodes": [
              {"name": "etcd1", "ips": ["10.0.0.1"]}, {"name": "etcd2", "ips": ["10.0.0.2"]},
              {"name": "etcd3", "ips": ["10.0.0.3"]}],
            "clients": [{"name": "etcdctl", "common_name": "root"},
                        {"name": "alice", "common_name": "alice"}, {"name": "bob", "common_name": "bob"}]}"#,
    )
    .unwrap()
}

struct Setup {
    opened: OpenedBundle,
    ca: pki_core::CaMaterial,
    ca_key_pem: String,
}

fn setup() -> Setup {
    setup_in(pki_core::options::CaLayout::default())
}

/// [`setup`] with the CA layout `layout`.
fn setup_in(layout: pki_core::options::CaLayout) -> Setup {
    let mut spec = spec();
    spec.ca_layout = layout;
    let b = generate(&spec).unwrap();
    let opened = package::open(&b.to_zip().unwrap()).unwrap();
    let ca = daytwo::unlock_ca(&opened, b.ca_key.text().as_bytes(), None).unwrap();
    Setup {
        opened,
        ca,
        ca_key_pem: b.ca_key.text().to_string(),
    }
}

fn req(targets: Vec<Target>) -> Request {
    Request {
        targets,
        reason: RevocationReason::KeyCompromise,
        next_update_days: 30,
        force: false,
    }
}

fn reopen(b: &pki_core::package::Bundle) -> OpenedBundle {
    package::open(&b.to_zip().unwrap()).expect("the new bundle opens")
}

fn text(o: &OpenedBundle, path: &str) -> Vec<u8> {
    o.file(path)
        .unwrap_or_else(|| panic!("{path} missing"))
        .contents
        .to_vec()
}

#[test]
fn revoking_a_client_keeps_everything_and_adds_the_crl() {
    let s = setup();
    let now = OffsetDateTime::now_utc();
    let (b, summary) = revoke::revoke(
        &s.opened,
        &s.ca,
        &req(vec![Target::Client("alice".into())]),
        now,
    )
    .unwrap();
    assert_eq!(summary.revoked.len(), 1);
    assert!(summary.first);
    let shown = summary.to_string();
    assert!(
        shown.contains("Revoked clients/alice") && shown.contains("install-crl.sh"),
        "{shown}"
    );
    let o = reopen(&b);
    // Every file of the old bundle is there; certificates and keys byte for byte.
    for f in &s.opened.files {
        if f.path.ends_with(".crt") || f.path.ends_with(".key") {
            assert_eq!(text(&o, &f.path), f.contents.to_vec(), "{} changed", f.path);
        }
    }
    let rev = o
        .state
        .revocations
        .as_ref()
        .expect("spec.json keeps the revocations");
    assert_eq!(rev.crl_number, 1);
    assert_eq!(rev.revoked.len(), 1);
    assert_eq!(rev.revoked[0].id.as_deref(), Some("clients/alice"));
    crl_files_in_every_member_folder(&o);
    openssl_refuses_only_the_revoked(&o);
    let (o2, ca2) = the_next_revocation_lists_both(&s, &o, now);
    a_later_change_keeps_the_revocations(&o2, &ca2, now);
}

/// Each member folder gains the CRL, its installer, the env lines and the drop-in; the
/// manifest lists the CRL.
fn crl_files_in_every_member_folder(o: &OpenedBundle) {
    for m in ["etcd1", "etcd2", "etcd3"] {
        for f in [
            "pki/crl.der",
            "install-crl.sh",
            "crl.env",
            "etcd.service.d/20-etcd-pki-crl.conf",
        ] {
            assert!(
                o.file(&format!("members/{m}/{f}")).is_some(),
                "members/{m}/{f} missing"
            );
        }
    }
    let dropin =
        String::from_utf8(text(o, "members/etcd2/etcd.service.d/20-etcd-pki-crl.conf")).unwrap();
    assert!(
        dropin.contains("Environment=\"ETCD_CLIENT_CRL_FILE=/etc/etcd/pki/crl.der\"")
            && dropin.contains("Environment=\"ETCD_PEER_CRL_FILE=/etc/etcd/pki/crl.der\""),
        "{dropin}"
    );
    let manifest = String::from_utf8(text(o, "manifest.json")).unwrap();
    assert!(
        manifest.contains("members/etcd1/pki/crl.der") && manifest.contains("\"crl\""),
        "{manifest}"
    );
}

/// openssl: the CRL is the CA's; alice is refused, bob is not.
fn openssl_refuses_only_the_revoked(o: &OpenedBundle) {
    let dir = std::env::temp_dir().join(format!("pki-revoke-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let put = |name: &str, data: Vec<u8>| {
        let p = dir.join(name);
        std::fs::write(&p, data).unwrap();
        p.to_string_lossy().into_owned()
    };
    let ca = put("ca.crt", text(o, "ca.crt"));
    let crl_der = put("crl.der", text(o, "members/etcd1/pki/crl.der"));
    let pem_crl = Command::new("openssl")
        .args(["crl", "-inform", "DER", "-in", &crl_der])
        .output()
        .unwrap()
        .stdout;
    let crl_pem = put("crl.pem", pem_crl);
    let verify = |leaf: &str| {
        let p = put("leaf.crt", text(o, leaf));
        Command::new("openssl")
            .args([
                "verify",
                "-crl_check",
                "-CAfile",
                &ca,
                "-CRLfile",
                &crl_pem,
                // The leaf file holds the issuing CA after the leaf (root+issuing).
                "-untrusted",
                &p,
                &p,
            ])
            .output()
            .unwrap()
    };
    let a = verify("clients/alice/client.crt");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&a.stdout),
        String::from_utf8_lossy(&a.stderr)
    );
    assert!(
        !a.status.success() && said.contains("certificate revoked"),
        "{said}"
    );
    assert!(verify("clients/bob/client.crt").status.success());
    let _ = std::fs::remove_dir_all(&dir);
}

/// The next revocation lists both, numbered 2; alice again is refused.
fn the_next_revocation_lists_both(
    s: &Setup,
    o: &OpenedBundle,
    now: OffsetDateTime,
) -> (OpenedBundle, pki_core::CaMaterial) {
    let ca2 = daytwo::unlock_ca(o, s.ca_key_pem.as_bytes(), None).unwrap();
    let (b2, s2) = revoke::revoke(
        o,
        &ca2,
        &req(vec![Target::Unlisted("0a:0b:0c".into())]),
        now,
    )
    .unwrap();
    assert!(!s2.first);
    let o2 = reopen(&b2);
    let r2 = o2.state.revocations.as_ref().unwrap();
    assert_eq!((r2.crl_number, r2.revoked.len()), (2, 2));
    let info = crl::read(&text(&o2, "members/etcd3/pki/crl.der")).unwrap();
    assert_eq!(info.number, Some(2));
    assert_eq!(info.revoked.len(), 2);
    assert!(info.revoked.iter().any(|e| e.serial == "0a0b0c"));
    let e = revoke::revoke(&o2, &ca2, &req(vec![Target::Client("alice".into())]), now)
        .unwrap_err()
        .to_string();
    assert!(e.contains("revoked already"), "{e}");
    (o2, ca2)
}

/// A day-two operation afterwards keeps the revocations, and the new member gets the CRL.
fn a_later_change_keeps_the_revocations(
    o2: &OpenedBundle,
    ca2: &pki_core::CaMaterial,
    now: OffsetDateTime,
) {
    let node = pki_core::Node {
        name: "etcd4".into(),
        ips: vec!["10.0.0.4".into()],
        dns_names: vec![],
    };
    let change = daytwo::Change::AddMembers(vec![node]);
    let plan = daytwo::plan_change(Some(o2), &o2.state.spec, &change, now).unwrap();
    let mut keys = Keys::new();
    for r in &plan.keys_to_make {
        keys.insert(r.id.clone(), PrivateKey::generate(r.algorithm).unwrap());
    }
    let (grown, _) = daytwo::apply_change(Some(o2), ca2, &plan, keys).unwrap();
    let g = reopen(&grown);
    assert_eq!(g.state.revocations, o2.state.revocations);
    assert_eq!(
        text(&g, "members/etcd4/pki/crl.der"),
        text(o2, "members/etcd1/pki/crl.der")
    );
    assert!(g.file("members/etcd4/install-crl.sh").is_some());
}

#[test]
fn bad_requests_are_refused_with_the_field() {
    let s = setup();
    let now = OffsetDateTime::now_utc();
    let alice = s
        .opened
        .state
        .certificates
        .iter()
        .find(|c| c.id == "clients/alice")
        .unwrap()
        .serial
        .clone();
    for (t, days, says) in [
        (
            vec![Target::Client("mallory".into())],
            30,
            "not a client of this bundle",
        ),
        (vec![Target::Member("etcd2".into())], 30, "still a member"),
        (
            vec![Target::Member("etcd9".into())],
            30,
            "no removed member",
        ),
        (
            vec![Target::Serial("0102".into())],
            30,
            "no certificate of this bundle",
        ),
        (vec![Target::Unlisted(alice.clone())], 30, "use --serial"),
        (
            vec![Target::Serial("xyz".into())],
            30,
            "not a serial number",
        ),
        (vec![Target::Serial(alice)], 0, "--next-update"),
    ] {
        let r = Request {
            targets: t,
            reason: RevocationReason::Superseded,
            next_update_days: days,
            force: false,
        };
        let e = revoke::revoke(&s.opened, &s.ca, &r, now)
            .unwrap_err()
            .to_string();
        assert!(e.contains(says), "{says}: {e}");
    }
    // Another cluster's CA key: refused before anything is made.
    let other = generate(&spec()).unwrap();
    let e = daytwo::unlock_ca(&s.opened, other.ca_key.text().as_bytes(), None)
        .unwrap_err()
        .to_string();
    assert!(e.contains("not the key of the bundle's CA"), "{e}");
}

/// `rotate-ca` on a bundle with a revocation: the kit opens as a bundle; a rotation makes a new
/// CA, every leaf new under it, the JWT key kept, the CRL re-signed by the new CA with the
/// next number; a same-key renewal changes only the CA certificate.
#[test]
fn rotate_ca_kits_open_and_carry_what_they_must() {
    for layout in pki_core::options::CaLayout::ALL {
        rotate_ca_kit_opens_and_carries_what_it_must(layout);
    }
}

fn rotate_ca_kit_opens_and_carries_what_it_must(layout: pki_core::options::CaLayout) {
    let s = setup_in(layout);
    let now = OffsetDateTime::now_utc();
    let (b, _) = revoke::revoke(
        &s.opened,
        &s.ca,
        &req(vec![Target::Client("alice".into())]),
        now,
    )
    .unwrap();
    let o = reopen(&b);
    let ca = daytwo::unlock_ca(&o, s.ca_key_pem.as_bytes(), None).unwrap();

    // A rotation.
    let plan = daytwo::plan_change(None, &o.state.spec, &daytwo::Change::Generate, now).unwrap();
    let mut keys = Keys::new();
    for r in &plan.keys_to_make {
        keys.insert(r.id.clone(), PrivateKey::generate(r.algorithm).unwrap());
    }
    let (kit, summary) = rotate_to_new_keys(&o, &ca, keys, now);
    assert!(!summary.same_key && summary.crl);
    let k = reopen(&kit);
    assert_ne!(text(&k, "ca.crt"), text(&o, "ca.crt"));
    assert_ne!(
        text(&k, "members/etcd1/pki/server.crt"),
        text(&o, "members/etcd1/pki/server.crt")
    );
    assert_eq!(
        text(&k, "members/etcd2/pki/jwt.key"),
        text(&o, "members/etcd2/pki/jwt.key")
    );
    for f in [
        "ROTATE.md",
        "members/etcd1/rotate/1-trust-both.sh",
        "members/etcd3/rotate/both-ca.crt",
        "clients/alice/rotate/rotate-client.sh",
        "members/etcd2/install-crl.sh",
    ] {
        assert!(k.file(f).is_some(), "{f} missing from the kit");
    }
    assert_eq!(
        text(&k, "members/etcd1/rotate/old-ca.crt"),
        text(&o, "ca.crt")
    );
    let rev = k.state.revocations.as_ref().unwrap();
    assert_eq!(rev.crl_number, 2);
    let info = crl::read(&text(&k, "members/etcd1/pki/crl.der")).unwrap();
    assert_eq!((info.number, info.revoked.len()), (Some(2), 1));
    assert!(info.issuer.contains("etcd CA"));
    crl_verifies_under_the_kits_ca(&k);
    if layout.is_layered() {
        // A new root and issuing CA; the same-key renewal is a single CA's.
        assert!(k.file("issuing-ca.crt").is_some() && summary.new_root.is_some());
        let e = pki_core::rotate::rotate_ca(&o, &ca, None, Keys::new(), now, None)
            .unwrap_err()
            .to_string();
        assert!(e.contains("rotate-issuer"), "{e}");
    } else {
        // (install-crl.sh under a root: the chain's tests.)
        install_crl_takes_the_kits_crl_while_both_cas_are_trusted(&o, &k);
        same_key_renewal_changes_only_the_ca(&o, &ca, now);
    }
}

/// ROTATE.md says: after phase 1, `install-crl.sh` on each member. Then the member's ca.crt
/// holds the old CA and the new one, both named "etcd CA", and the kit's CRL is the new CA's:
/// install-crl.sh takes it (it tried the first CA of the file only, and refused). Run as root
/// against an installation under ETCD_PKI_ROOT, no etcd running.
fn install_crl_takes_the_kits_crl_while_both_cas_are_trusted(o: &OpenedBundle, k: &OpenedBundle) {
    if !Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| out.stdout.starts_with(b"0"))
    {
        eprintln!("skipped: install-crl.sh runs as root only");
        return;
    }
    let dir = std::env::temp_dir().join(format!("pki-rotate-crl-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    for f in k
        .files
        .iter()
        .filter(|f| f.path.starts_with("members/etcd1/"))
    {
        let p = dir.join("kit").join(&f.path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, &f.contents[..]).unwrap();
    }
    let installed = dir.join("root/etc/etcd/pki");
    std::fs::create_dir_all(&installed).unwrap();
    // Phase 1 done: the old CA first, then the new one; the old CRL installed.
    let both = [text(o, "ca.crt"), text(k, "ca.crt")].concat();
    std::fs::write(installed.join("ca.crt"), both).unwrap();
    std::fs::write(
        installed.join("crl.der"),
        text(o, "members/etcd1/pki/crl.der"),
    )
    .unwrap();
    // --force: this machine is not etcd1 (10.0.0.1); the signature is checked regardless.
    let out = Command::new("bash")
        .arg(dir.join("kit/members/etcd1/install-crl.sh"))
        .arg("--force")
        .env("ETCD_PKI_ROOT", dir.join("root"))
        .output()
        .unwrap();
    let said =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    let now_installed = std::fs::read(installed.join("crl.der")).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(!said.contains("not signed by the CA installed"), "{said}");
    assert!(
        now_installed == text(k, "members/etcd1/pki/crl.der"),
        "install-crl.sh did not install the kit's CRL: {said}"
    );
}

/// The new CA signed the kit's CRL: it verifies under the kit's ca.crt (openssl), or with
/// root+issuing under its issuing-ca.crt, the CA that signs the leaves.
fn crl_verifies_under_the_kits_ca(k: &OpenedBundle) {
    let dir = std::env::temp_dir().join(format!("pki-rotate-kit-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let signer = if k.file("issuing-ca.crt").is_some() {
        "issuing-ca.crt"
    } else {
        "ca.crt"
    };
    std::fs::write(dir.join("ca.crt"), text(k, signer)).unwrap();
    std::fs::write(dir.join("crl.der"), text(k, "members/etcd1/pki/crl.der")).unwrap();
    let v = Command::new("openssl")
        .args(["crl", "-inform", "DER", "-noout", "-in"])
        .arg(dir.join("crl.der"))
        .arg("-CAfile")
        .arg(dir.join("ca.crt"))
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&v.stderr).contains("verify OK")
            || String::from_utf8_lossy(&v.stdout).contains("verify OK")
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// `rotate-ca --same-key`: only the CA certificate changes.
fn same_key_renewal_changes_only_the_ca(
    o: &OpenedBundle,
    ca: &pki_core::CaMaterial,
    now: OffsetDateTime,
) {
    let (kit, summary) = pki_core::rotate::rotate_ca(o, ca, None, Keys::new(), now, None).unwrap();
    assert!(summary.same_key);
    // Renewed the day the CA was made: the end date does not move, and the summary says so
    // rather than "valid until D (was D)"; a month later it moves, and the old one is named.
    let shown = summary.to_string();
    assert!(
        shown.contains("the same day as before: a CA renewed this young gains nothing"),
        "{shown}"
    );
    let later = now + time::Duration::days(30);
    let (_, summary) = pki_core::rotate::rotate_ca(o, ca, None, Keys::new(), later, None).unwrap();
    let shown = summary.to_string();
    assert!(
        shown.contains(&format!("(was {})", &summary.old_ca_not_after[..10])),
        "{shown}"
    );
    let k = reopen(&kit);
    assert_ne!(text(&k, "ca.crt"), text(o, "ca.crt"));
    assert_eq!(text(&k, "members/etcd1/pki/ca.crt"), text(&k, "ca.crt"));
    for f in [
        "members/etcd1/pki/server.crt",
        "members/etcd1/pki/server.key",
        "clients/bob/client.crt",
        "members/etcd2/pki/crl.der",
    ] {
        assert_eq!(text(&k, f), text(o, f), "{f} changed");
    }
    assert!(k.file("members/etcd1/rotate/renew-ca.sh").is_some());
    assert!(k.file("members/etcd1/rotate/1-trust-both.sh").is_none());
    assert_ne!(k.state.ca.serial, o.state.ca.serial);
    assert_eq!(k.state.revocations, o.state.revocations);
}

/// The `rbac.sh` companion: `rbac-revoke.sh` removes every revoked client's etcd user (its CN)
/// and the roles rbac.sh made for it, names quoted, root's user and role never; a bundle whose
/// revocations name no client, or only root's, has one that says so and removes nobody (every
/// bundle with revocations has the file, so no later operation loses it); a later revocation
/// keeps the earlier users.
#[test]
fn revoking_a_client_writes_the_rbac_companion() {
    let spec = ClusterSpec::from_json(
        r#"{"cluster_name": "rv", "nodes": [{"name": "etcd1", "ips": ["10.0.0.1"]}],
            "clients": [{"name": "etcdctl", "common_name": "root"},
              {"name": "alice", "common_name": "alice.app", "roles": ["shared", "root"],
               "grants": [{"key_prefix": "/alice/", "permission": "readwrite"}]},
              {"name": "bob", "common_name": "bob", "roles": ["shared"]}]}"#,
    )
    .unwrap();
    let b = generate(&spec).unwrap();
    let opened = package::open(&b.to_zip().unwrap()).unwrap();
    let ca = daytwo::unlock_ca(&opened, b.ca_key.text().as_bytes(), None).unwrap();
    let now = OffsetDateTime::now_utc();
    // No client named: no companion.
    let (none, summary) = revoke::revoke(&opened, &ca, &req(vec![]), now).unwrap();
    let nobody = |b: &pki_core::Bundle| {
        let f = b
            .file(revoke::RBAC_REVOKE)
            .expect("a bundle with revocations has rbac-revoke.sh");
        assert_eq!(f.mode, 0o755);
        let t = f.text();
        assert!(
            t.contains("nothing to remove") && !t.contains("remove_user"),
            "{t}"
        );
    };
    nobody(&none);
    assert!(summary.users.is_empty());
    // Root's own certificate: refused without --force (every runbook acts as root); forced,
    // its user stays (rbac.sh's root cannot remove itself).
    let e = revoke::revoke(
        &opened,
        &ca,
        &req(vec![Target::Client("etcdctl".into())]),
        now,
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("administrator client"), "{e}");
    let forced = Request {
        force: true,
        ..req(vec![Target::Client("etcdctl".into())])
    };
    let (rooted, summary) = revoke::revoke(&opened, &ca, &forced, now).unwrap();
    nobody(&rooted);
    assert!(summary.users.is_empty());

    let (b1, summary) = revoke::revoke(
        &opened,
        &ca,
        &req(vec![Target::Client("alice".into())]),
        now,
    )
    .unwrap();
    assert_eq!(summary.users, vec!["alice.app".to_string()]);
    assert!(
        summary.to_string().contains("bash rbac-revoke.sh"),
        "{summary}"
    );
    let o1 = reopen(&b1);
    let script = String::from_utf8(text(&o1, revoke::RBAC_REVOKE)).unwrap();
    assert!(
        script.contains("remove_user 'alice.app' 'shared' 'alice'\n"),
        "{script}"
    );
    assert!(script.contains("admin='etcdctl'"), "{script}");
    assert!(!script.contains("remove_user 'bob'"), "{script}");
    // rbac.sh of the new bundle makes no user for alice any more, bob's as before.
    let rbac = String::from_utf8(text(&o1, "rbac.sh")).unwrap();
    assert!(
        !rbac.contains("user 'alice.app'")
            && rbac.contains("# client alice: revoked")
            && rbac.contains("user 'bob'"),
        "{rbac}"
    );
    let f = b1
        .files
        .iter()
        .find(|f| f.path == revoke::RBAC_REVOKE)
        .unwrap();
    assert_eq!(f.mode, 0o755);
    shellcheck_passes(&script);
    // A later revocation that adds no client (a new CRL of what is revoked already) keeps the
    // companion but does not send the person to it again: alice's user was named when she was
    // revoked.
    let ca1 = daytwo::unlock_ca(&o1, b.ca_key.text().as_bytes(), None).unwrap();
    let (again, summary) = revoke::revoke(&o1, &ca1, &req(vec![]), now).unwrap();
    assert!(again.files.iter().any(|f| f.path == revoke::RBAC_REVOKE));
    assert_eq!(summary.users, vec!["alice.app".to_string()]);
    assert!(!summary.to_string().contains("rbac-revoke.sh"), "{summary}");
    bob_next_then_alice_renewed(&o1, b.ca_key.text(), now);
}

/// `script` passes shellcheck as bash.
fn shellcheck_passes(script: &str) {
    let sc = Command::new("shellcheck")
        .args(["-s", "bash", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            use std::io::Write;
            c.stdin.take().unwrap().write_all(script.as_bytes())?;
            c.wait_with_output()
        })
        .expect("shellcheck runs");
    assert!(
        sc.status.success(),
        "{}",
        String::from_utf8_lossy(&sc.stdout)
    );
}

/// Revoking bob next: the companion removes both. Alice renewed afterwards (a new
/// certificate, not on the CRL): rbac.sh makes her user again, and bob stays out.
fn bob_next_then_alice_renewed(o1: &OpenedBundle, ca_key: &str, now: OffsetDateTime) {
    let ca1 = daytwo::unlock_ca(o1, ca_key.as_bytes(), None).unwrap();
    let (b2, summary) =
        revoke::revoke(o1, &ca1, &req(vec![Target::Client("bob".into())]), now).unwrap();
    assert_eq!(
        summary.users,
        vec!["alice.app".to_string(), "bob".to_string()]
    );
    let o2 = reopen(&b2);
    let script = String::from_utf8(text(&o2, revoke::RBAC_REVOKE)).unwrap();
    assert!(
        script.contains("remove_user 'alice.app' 'shared' 'alice'\n")
            && script.contains("remove_user 'bob' 'shared'\n"),
        "{script}"
    );
    let ca2 = daytwo::unlock_ca(&o2, ca_key.as_bytes(), None).unwrap();
    let change = daytwo::Change::Renew {
        only: vec!["alice".into()],
        keep_keys: true,
        within_days: None,
    };
    let plan = daytwo::plan_change(Some(&o2), &o2.state.spec, &change, now).unwrap();
    let (b3, _) = daytwo::apply_change(Some(&o2), &ca2, &plan, Keys::new()).unwrap();
    let rbac = String::from_utf8(text(&reopen(&b3), "rbac.sh")).unwrap();
    assert!(
        rbac.contains("user 'alice.app'") && !rbac.contains("user 'bob'"),
        "{rbac}"
    );
}

/// A removed member is revoked by name: `remove-member` keeps its certificates in `spec.json`
/// (`removed_members`), later day-two bundles carry them, `--member NAME` puts exactly their
/// serials on the CRL, and a rotation to a new CA (which never signed them) drops them.
#[test]
fn a_removed_member_is_revoked_by_name() {
    let s = setup();
    let now = OffsetDateTime::now_utc();
    let etcd3: Vec<String> = s
        .opened
        .state
        .certificates
        .iter()
        .filter(|c| c.member.as_deref() == Some("etcd3"))
        .map(|c| c.serial.replace(':', ""))
        .collect();
    assert!(etcd3.len() >= 2, "etcd3's server and peer certificates");
    let change = daytwo::Change::RemoveMember("etcd3".into());
    let plan = daytwo::plan_change(Some(&s.opened), &s.opened.state.spec, &change, now).unwrap();
    let (removed, _) = daytwo::apply_change(Some(&s.opened), &s.ca, &plan, Keys::new()).unwrap();
    let o = reopen(&removed);
    assert!(o.state.spec.nodes.iter().all(|n| n.name != "etcd3"));
    let kept: Vec<String> = o
        .state
        .removed_members
        .iter()
        .map(|c| c.serial.replace(':', ""))
        .collect();
    assert_eq!(kept, etcd3);

    // Another change (renew a client) carries the list.
    let ca = daytwo::unlock_ca(&o, s.ca_key_pem.as_bytes(), None).unwrap();
    let renew = daytwo::Change::Renew {
        only: vec!["bob".into()],
        keep_keys: true,
        within_days: None,
    };
    let plan = daytwo::plan_change(Some(&o), &o.state.spec, &renew, now).unwrap();
    let (renewed, _) = daytwo::apply_change(Some(&o), &ca, &plan, Keys::new()).unwrap();
    let o = reopen(&renewed);
    assert_eq!(o.state.removed_members.len(), etcd3.len());

    // An unknown name is refused naming the members that left.
    let e = revoke::revoke(&o, &ca, &req(vec![Target::Member("etcd9".into())]), now)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("--member") && e.contains("its removed members: etcd3"),
        "{e}"
    );

    let (b, summary) =
        revoke::revoke(&o, &ca, &req(vec![Target::Member("etcd3".into())]), now).unwrap();
    assert_eq!(summary.revoked.len(), etcd3.len(), "{summary}");
    assert!(summary.to_string().contains("members/etcd3/"), "{summary}");
    let r = reopen(&b);
    let info = crl::read(&text(&r, "members/etcd1/pki/crl.der")).unwrap();
    let mut listed: Vec<String> = info.revoked.iter().map(|e| e.serial.clone()).collect();
    let mut want: Vec<String> = etcd3.iter().map(|s| s.to_lowercase()).collect();
    listed.sort();
    want.sort();
    assert_eq!(listed, want);
    assert!(r.file("members/etcd3/pki/crl.der").is_none());
    let e = revoke::revoke(&r, &ca, &req(vec![Target::Member("etcd3".into())]), now)
        .unwrap_err()
        .to_string();
    assert!(e.contains("revoked already"), "{e}");

    // A rotation to a new CA drops them; the CRL entries stay (etcd matches serials only).
    let plan = daytwo::plan_change(None, &r.state.spec, &daytwo::Change::Generate, now).unwrap();
    let mut keys = Keys::new();
    for k in &plan.keys_to_make {
        keys.insert(k.id.clone(), PrivateKey::generate(k.algorithm).unwrap());
    }
    let (kit, _) = rotate_to_new_keys(&r, &ca, keys, now);
    let k = reopen(&kit);
    assert!(k.state.removed_members.is_empty());
    assert_eq!(
        k.state.revocations.as_ref().unwrap().revoked.len(),
        etcd3.len()
    );
}

/// `rotate-ca` with new keys in the bundle's layout (a new root and issuing CA when it is
/// root+issuing, its key file plain).
fn rotate_to_new_keys(
    o: &pki_core::package::OpenedBundle,
    ca: &pki_core::CaMaterial,
    keys: Keys,
    now: OffsetDateTime,
) -> (pki_core::Bundle, pki_core::rotate::RotateSummary) {
    let alg = o.state.spec.key_algorithm;
    let (new_key, root_key) = (
        PrivateKey::generate(alg).unwrap(),
        PrivateKey::generate(alg).unwrap(),
    );
    let new = pki_core::rotate::NewCa {
        key: &new_key,
        root: o
            .state
            .spec
            .ca_layout
            .is_layered()
            .then_some(pki_core::rotate::NewRoot {
                key: &root_key,
                sealing: None,
            }),
    };
    pki_core::rotate::rotate_ca_to(o, ca, new, keys, now, None).unwrap()
}

/// The `etcd-pki revoke` arguments a change prints, given to `revoke` on the bundle the change
/// wrote, as the CLI would parse them.
fn targets_of(args: &[String]) -> Vec<Target> {
    args.iter()
        .map(|a| match a.split_once(' ') {
            Some(("--member", m)) => Target::Member(m.into()),
            Some(("--unlisted-serial", s)) => Target::Unlisted(s.into()),
            _ => panic!("unexpected revoke argument {a:?}"),
        })
        .collect()
}

#[test]
fn the_revoke_command_a_change_prints_revokes_exactly_the_old_certificates() {
    let s = setup();
    let now = OffsetDateTime::now_utc();
    let serials = |o: &OpenedBundle,
                   pick: &dyn Fn(&pki_core::package::state::CertRecord) -> bool| {
        let mut v: Vec<String> = o
            .state
            .certificates
            .iter()
            .filter(|c| pick(c))
            .map(|c| c.serial.replace(':', "").to_lowercase())
            .collect();
        v.sort();
        v
    };
    let crl_serials = |b: &pki_core::package::Bundle| {
        let o = reopen(b);
        let info = crl::read(&text(&o, "members/etcd1/pki/crl.der")).unwrap();
        let mut v: Vec<String> = info.revoked.iter().map(|e| e.serial.clone()).collect();
        v.sort();
        v
    };

    // A member removed: revoked by name in the new bundle.
    let etcd3 = serials(&s.opened, &|c| c.member.as_deref() == Some("etcd3"));
    let change = daytwo::Change::RemoveMember("etcd3".into());
    let plan = daytwo::plan_change(Some(&s.opened), &s.opened.state.spec, &change, now).unwrap();
    let (removed, summary) =
        daytwo::apply_change(Some(&s.opened), &s.ca, &plan, Keys::new()).unwrap();
    assert_eq!(summary.revoke_args, vec!["--member etcd3".to_string()]);
    assert!(
        summary
            .to_string()
            .contains("etcd-pki revoke --from NEW.zip --ca-key CA.key --member etcd3"),
        "{summary}"
    );
    let o = reopen(&removed);
    let (b, _) = revoke::revoke(&o, &s.ca, &req(targets_of(&summary.revoke_args)), now).unwrap();
    assert_eq!(crl_serials(&b), etcd3);

    // A client's key replaced: its old certificate is no longer in the new bundle, so by serial.
    let bob_old = serials(&s.opened, &|c| c.id == "clients/bob");
    assert_eq!(bob_old.len(), 1);
    let renew = daytwo::Change::Renew {
        only: vec!["bob".into()],
        keep_keys: false,
        within_days: None,
    };
    let plan = daytwo::plan_change(Some(&s.opened), &s.opened.state.spec, &renew, now).unwrap();
    let mut keys = Keys::new();
    for k in &plan.keys_to_make {
        keys.insert(k.id.clone(), PrivateKey::generate(k.algorithm).unwrap());
    }
    let (renewed, summary) = daytwo::apply_change(Some(&s.opened), &s.ca, &plan, keys).unwrap();
    assert_eq!(
        summary.revoke_args,
        vec![format!("--unlisted-serial {}", bob_old[0].to_uppercase())]
    );
    let o = reopen(&renewed);
    let (b, _) = revoke::revoke(&o, &s.ca, &req(targets_of(&summary.revoke_args)), now).unwrap();
    assert_eq!(crl_serials(&b), bob_old);
    // bob's new certificate is not on it.
    assert!(serials(&o, &|c| c.id == "clients/bob") != bob_old);
}
