//! A property test of day two (issue #21): random sequences of operations on small clusters —
//! add, remove and replace members, renew with and without `--keep-keys`, revoke a client, a
//! removed member or a serial, renew the CA with the same key, rotate to a new CA — each
//! planned from the bundle the step before made, as the CLI and the page do. After every step
//! the new bundle is checked as an operator would check it, with openssl where one would:
//!
//! - every leaf certificate verifies under the bundle's CA (`openssl verify`);
//! - every member's config starts etcd with the CRL exactly when the bundle has one, and each
//!   member folder holds that CRL, signed by the CA (`openssl crl -CAfile`);
//! - a new CRL has a higher number than the one before and, under the same CA key, revokes
//!   everything the one before did; a step that revokes nothing carries the CRL byte for byte;
//! - no private key changed unless the operation said so (its plan's keys to make; a rotation
//!   to a new CA changes every key but the JWT signing key);
//! - manifest.json lists exactly the bundle's files, and every mode is its role's;
//! - the bundle's parent is the bundle before it, one generation on;
//! - the state read back from the zip equals the state written.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use pki_core::crl::RevocationReason;
use pki_core::daytwo::{self, Change};
use pki_core::package::{self, Bundle, OpenedBundle};
use pki_core::plan::{Content, Role};
use pki_core::revoke::{self, Request, Target};
use pki_core::{ClusterSpec, Node, OffsetDateTime, PrivateKey, keys::Keys};
use proptest::prelude::*;

#[derive(Clone, Debug)]
enum Op {
    Add,
    Remove(usize),
    Replace(usize),
    Renew { keep_keys: bool },
    RevokeClient,
    RevokeRemovedMember,
    RevokeSerial,
    RenewCaSameKey,
    RotateCa,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => Just(Op::Add),
        2 => (0usize..5).prop_map(Op::Remove),
        2 => (0usize..5).prop_map(Op::Replace),
        2 => any::<bool>().prop_map(|keep_keys| Op::Renew { keep_keys }),
        2 => Just(Op::RevokeClient),
        1 => Just(Op::RevokeRemovedMember),
        1 => Just(Op::RevokeSerial),
        1 => Just(Op::RenewCaSameKey),
        1 => Just(Op::RotateCa),
    ]
}

fn spec(members: usize, kubeadm: bool, jwt: bool) -> ClusterSpec {
    let nodes: Vec<String> = (1..=members)
        .map(|i| format!(r#"{{"name": "etcd{i}", "ips": ["10.0.0.{i}"]}}"#))
        .collect();
    ClusterSpec::from_json(&format!(
        r#"{{"cluster_name": "seq", "layout": "{}", "auth_token": "{}", "nodes": [{}],
            "clients": [{{"name": "etcdctl", "common_name": "root"}},
                        {{"name": "app", "common_name": "app"}}]}}"#,
        if kubeadm { "kubeadm" } else { "etcd" },
        if jwt { "jwt" } else { "simple" },
        nodes.join(",")
    ))
    .unwrap()
}

/// The line of bundles a person works through: the newest opened, its CA key, a counter for
/// new member names.
struct Line {
    opened: OpenedBundle,
    ca_key_pem: String,
    next: usize,
}

/// What a step did: the new bundle and which keys it said it makes (`None`: every key).
struct Step {
    bundle: Bundle,
    keys_made: Option<Vec<String>>,
    same_ca_key: bool,
}

fn reopen(b: &Bundle) -> OpenedBundle {
    package::open(&b.to_zip().unwrap()).unwrap()
}

fn keys_for(reqs: &[pki_core::plan::KeyRequest]) -> Keys {
    reqs.iter()
        .map(|r| (r.id.clone(), PrivateKey::generate(r.algorithm).unwrap()))
        .collect()
}

impl Line {
    fn ca(&self) -> pki_core::CaMaterial {
        daytwo::unlock_ca(&self.opened, self.ca_key_pem.as_bytes(), None).unwrap()
    }

    fn new_node(&mut self) -> Node {
        self.next += 1;
        Node {
            name: format!("etcd{}", self.next),
            ips: vec![format!("10.0.1.{}", self.next)],
            dns_names: vec![],
        }
    }

    fn change(&self, c: Change) -> Result<Step, String> {
        let now = OffsetDateTime::now_utc();
        let o = &self.opened;
        let plan =
            daytwo::plan_change(Some(o), &o.state.spec, &c, now).map_err(|e| e.to_string())?;
        let keys = keys_for(&plan.keys_to_make);
        let made = plan.keys_to_make.iter().map(|r| r.id.clone()).collect();
        let (bundle, _) =
            daytwo::apply_change(Some(o), &self.ca(), &plan, keys).map_err(|e| e.to_string())?;
        Ok(Step {
            bundle,
            keys_made: Some(made),
            same_ca_key: true,
        })
    }

    fn revoke(&self, targets: Vec<Target>) -> Result<Step, String> {
        let req = Request {
            targets,
            reason: RevocationReason::KeyCompromise,
            next_update_days: 30,
            force: false,
        };
        let (bundle, _) = revoke::revoke(&self.opened, &self.ca(), &req, OffsetDateTime::now_utc())
            .map_err(|e| e.to_string())?;
        Ok(Step {
            bundle,
            keys_made: Some(Vec::new()),
            same_ca_key: true,
        })
    }

    fn member(&self, i: usize) -> String {
        let m = &self.opened.state.spec.nodes;
        m[i % m.len()].name.clone()
    }

    /// Runs `op`; `Ok(None)` when it does not apply to this bundle, `Err` for a refusal.
    fn run(&mut self, op: &Op) -> Result<Option<Step>, String> {
        let now = OffsetDateTime::now_utc();
        let step = match op {
            Op::Add => {
                let n = self.new_node();
                self.change(Change::AddMembers(vec![n]))?
            }
            Op::Remove(i) => self.change(Change::RemoveMember(self.member(*i)))?,
            Op::Replace(i) => {
                let old = self.member(*i);
                let new = self.new_node();
                self.change(Change::ReplaceMember { old, new })?
            }
            Op::Renew { keep_keys } => self.change(Change::Renew {
                only: vec![],
                keep_keys: *keep_keys,
                within_days: None,
            })?,
            Op::RevokeClient => self.revoke(vec![Target::Client("app".into())])?,
            Op::RevokeRemovedMember => {
                let Some(m) = self.opened.state.removed_members.first() else {
                    return Ok(None);
                };
                let m = m.member.clone().unwrap();
                self.revoke(vec![Target::Member(m)])?
            }
            Op::RevokeSerial => {
                let s = self
                    .opened
                    .state
                    .certificates
                    .iter()
                    .find(|c| c.id == "clients/app");
                let Some(s) = s else { return Ok(None) };
                self.revoke(vec![Target::Serial(s.serial.clone())])?
            }
            Op::RenewCaSameKey => {
                let (bundle, _) = pki_core::rotate::rotate_ca(
                    &self.opened,
                    &self.ca(),
                    None,
                    Keys::new(),
                    now,
                    None,
                )
                .map_err(|e| e.to_string())?;
                Step {
                    bundle,
                    keys_made: Some(Vec::new()),
                    same_ca_key: true,
                }
            }
            Op::RotateCa => {
                let alg = self.opened.state.spec.key_algorithm;
                let new_key = PrivateKey::generate(alg).unwrap();
                let plan = self.opened.plan();
                let others: Vec<_> = plan.keys.iter().skip(1).cloned().collect();
                let (bundle, _) = pki_core::rotate::rotate_ca(
                    &self.opened,
                    &self.ca(),
                    Some(&new_key),
                    keys_for(&others),
                    now,
                    None,
                )
                .map_err(|e| e.to_string())?;
                self.ca_key_pem = new_key.to_pem().to_string();
                Step {
                    bundle,
                    keys_made: None,
                    same_ca_key: false,
                }
            }
        };
        Ok(Some(step))
    }
}

/// Key files by path: (key id, bytes).
fn key_files(o: &OpenedBundle) -> BTreeMap<String, (String, Vec<u8>)> {
    let plan = o.plan();
    plan.files
        .iter()
        .filter_map(|f| match &f.content {
            Content::Key(id) => o
                .file(&f.path)
                .map(|b| (f.path.clone(), (id.clone(), b.contents.to_vec()))),
            _ => None,
        })
        .collect()
}

fn openssl(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl runs");
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Every check of the module's list, on the step from `before` to `step`.
fn check_step(before: &OpenedBundle, step: &Step, op: &Op, dir: &Path) {
    let b = &step.bundle;
    let after = reopen(b);
    let what = format!("after {op:?}");
    // The state read back equals the state written.
    assert_eq!(
        b.state().unwrap(),
        after.state,
        "{what}: spec.json read back"
    );
    // Lineage: the parent is the bundle before, one generation on.
    let lineage = after
        .state
        .lineage
        .clone()
        .expect("every bundle records its lineage");
    assert_eq!(lineage.parent.as_deref(), Some(before.state.id()), "{what}");
    assert_eq!(lineage.generation, before.state.generation() + 1, "{what}");
    // Manifest: exactly the files, modes from roles.
    let manifest: serde_json::Value =
        serde_json::from_slice(&after.file("manifest.json").unwrap().contents).unwrap();
    let listed: BTreeMap<String, String> = manifest["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["path"].as_str().unwrap().to_string(),
                e["mode"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    for f in &b.files {
        assert_eq!(f.mode, f.role.mode(), "{what}: {} mode", f.path);
        if f.role != Role::Manifest {
            assert_eq!(
                listed.get(&f.path),
                Some(&format!("{:04o}", f.mode)),
                "{what}: manifest entry of {}",
                f.path
            );
        }
    }
    let files = b.files.iter().filter(|f| f.role != Role::Manifest).count();
    assert_eq!(
        listed.len(),
        files,
        "{what}: the manifest lists other files"
    );

    // Every leaf verifies under the bundle's CA, with openssl.
    std::fs::remove_dir_all(dir).ok();
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("ca.crt"), &after.file("ca.crt").unwrap().contents).unwrap();
    let mut leaves = Vec::new();
    for (i, f) in b
        .files
        .iter()
        .filter(|f| matches!(f.role, Role::ServerCert | Role::PeerCert | Role::ClientCert))
        .enumerate()
    {
        let name = format!("leaf{i}.crt");
        std::fs::write(dir.join(&name), &f.contents).unwrap();
        leaves.push((name, f.path.clone()));
    }
    // root+issuing: ca.crt is the root alone; the issuing CA is the intermediate.
    let mut args = vec!["verify", "-CAfile", "ca.crt"];
    if let Some(issuing) = after.file("issuing-ca.crt") {
        std::fs::write(dir.join("issuing-ca.crt"), &issuing.contents).unwrap();
        args.extend(["-untrusted", "issuing-ca.crt"]);
    }
    args.extend(leaves.iter().map(|(n, _)| n.as_str()));
    let out = openssl(dir, &args);
    for (n, path) in &leaves {
        assert!(
            out.contains(&format!("{n}: OK")),
            "{what}: {path} does not verify under the bundle's CA:\n{out}"
        );
    }

    // The CRL: in every member's folder and config exactly when the bundle has revocations.
    let has_crl = after.state.revocations.is_some();
    let mut crl: Option<Vec<u8>> = None;
    for m in &after.state.spec.nodes {
        let base = format!("members/{}", m.name);
        let der = after.file(&format!("{base}/pki/crl.der"));
        assert_eq!(der.is_some(), has_crl, "{what}: {base}/pki/crl.der");
        let env =
            String::from_utf8_lossy(&after.file(&format!("{base}/etcd.env")).unwrap().contents)
                .to_string();
        assert_eq!(
            env.contains("ETCD_CLIENT_CRL_FILE") && env.contains("ETCD_PEER_CRL_FILE"),
            has_crl,
            "{what}: {base}/etcd.env and the CRL:\n{env}"
        );
        if after.state.spec.layout == pki_core::Layout::Kubeadm {
            let pod = b
                .files
                .iter()
                .find(|f| f.role == Role::StaticPod && f.path.starts_with(&format!("{base}/")))
                .expect("a kubeadm member has a static pod");
            assert_eq!(
                pod.text().contains("--client-crl-file"),
                has_crl,
                "{what}: {}",
                pod.path
            );
        }
        if let Some(d) = der {
            match &crl {
                None => crl = Some(d.contents.to_vec()),
                Some(c) => assert_eq!(c, &d.contents.to_vec(), "{what}: one CRL for all"),
            }
        }
    }
    if let Some(der) = &crl {
        std::fs::write(dir.join("crl.der"), der).unwrap();
        let out = openssl(
            dir,
            &[
                "crl",
                "-inform",
                "DER",
                "-in",
                "crl.der",
                "-CAfile",
                // The CA that signs the leaves signs their CRL: the issuing CA, with a root.
                if after.file("issuing-ca.crt").is_some() {
                    "issuing-ca.crt"
                } else {
                    "ca.crt"
                },
                "-noout",
            ],
        );
        assert!(
            out.contains("verify OK"),
            "{what}: the CRL is not the CA's:\n{out}"
        );
        let now = pki_core::crl::read(der).unwrap();
        let old = before
            .file(&format!(
                "members/{}/pki/crl.der",
                before.state.spec.nodes[0].name
            ))
            .map(|f| pki_core::crl::read(&f.contents).unwrap());
        if let Some(old) = old {
            let old_bytes = &before
                .file(&format!(
                    "members/{}/pki/crl.der",
                    before.state.spec.nodes[0].name
                ))
                .unwrap()
                .contents;
            if old_bytes.as_slice() != der.as_slice() {
                assert!(
                    now.number > old.number,
                    "{what}: CRL number {:?} → {:?}",
                    old.number,
                    now.number
                );
            }
            for r in &old.revoked {
                assert!(
                    now.revoked.iter().any(|n| n.serial == r.serial),
                    "{what}: serial {} was revoked and is no longer on the CRL",
                    r.serial
                );
            }
        }
    } else {
        assert!(
            before.state.revocations.is_none(),
            "{what}: the revocations were lost"
        );
    }

    // No private key changed unless the operation said so.
    let old_keys = key_files(before);
    for (path, (id, bytes)) in key_files(&after) {
        let Some((_, old)) = old_keys.get(&path) else {
            continue;
        };
        let changed = *old != bytes;
        match &step.keys_made {
            Some(made) => assert!(
                !changed || made.contains(&id),
                "{what}: {path} changed, and the operation did not say it makes key {id}"
            ),
            None => assert_eq!(
                changed,
                id != pki_core::plan::JWT_KEY,
                "{what}: {path} (a rotation changes every key but the JWT signing key)"
            ),
        }
    }
    if step.same_ca_key {
        let spki = |o: &OpenedBundle| {
            let f = o.file("ca.crt").unwrap();
            let der = pem::parse(f.contents.as_slice()).unwrap().into_contents();
            let (_, c) = x509_parser::parse_x509_certificate(&der).unwrap();
            c.public_key().raw.to_vec()
        };
        assert_eq!(spki(before), spki(&after), "{what}: the CA key changed");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn every_step_of_day_two_keeps_the_state_of_record(
        members in 1usize..=3,
        kubeadm in any::<bool>(),
        jwt in any::<bool>(),
        ops in prop::collection::vec(op(), 3..=8),
    ) {
        let first = pki_core::generate(&spec(members, kubeadm, jwt)).unwrap();
        let mut line = Line {
            opened: reopen(&first),
            ca_key_pem: first.ca_key.text().to_string(),
            next: 10,
        };
        let dir = std::env::temp_dir().join(format!("epki-seq-{}", std::process::id()));
        let mut applied = 0;
        for op in &ops {
            match line.run(op) {
                Ok(Some(step)) => {
                    check_step(&line.opened, &step, op, &dir);
                    line.opened = reopen(&step.bundle);
                    applied += 1;
                }
                Ok(None) => {}
                // A refusal is a sentence naming what to do, never a panic (below quorum,
                // nothing left to revoke...).
                Err(e) => prop_assert!(e.len() > 20, "a terse refusal of {:?}: {}", op, e),
            }
        }
        std::fs::remove_dir_all(&dir).ok();
        prop_assert!(applied > 0 || ops.len() < 2, "no operation of {:?} applied", ops);
    }
}
