//! Day two: change the PKI of a running cluster from its newest bundle. Pure (no files, no
//! clock, no randomness beyond the keys handed in): the CLI and the page both call it.
//!
//! 1. [`crate::package::open`] reads the old bundle, [`unlock_ca`] checks the CA key against
//!    the bundle's `ca.crt`;
//! 2. [`plan_change`] says what the [`Change`] does — which certificates are kept (copied byte
//!    for byte), issued or renewed, which keys must be made ([`ChangePlan::keys_to_make`]),
//!    which members join or leave — and refuses what cannot be done (a name that exists, an
//!    address in use, a removal below quorum) with the field and the fix;
//! 3. the caller makes the keys of [`ChangePlan::keys_to_make`] (CSPRNG, on workers or cores);
//! 4. [`apply_change`] issues what is new, renders every file, adds the runbook of the
//!    operation ([`crate::runbook`]) and writes `spec.json` again: a new full bundle, which
//!    the next operation opens.
//!
//! ```
//! use pki_core::{ClusterSpec, Node, OffsetDateTime, PrivateKey, daytwo, generate, keys::Keys, package};
//!
//! let bundle = generate(&ClusterSpec::template())?;
//! let opened = package::open(&bundle.to_zip()?)?;
//! let ca = daytwo::unlock_ca(&opened, bundle.ca_key.text().as_bytes(), None)?;
//! let node = Node { name: "etcd4".into(), ips: vec!["10.0.0.4".into()], dns_names: vec![] };
//! let change = daytwo::Change::AddMembers(vec![node]);
//! let plan = daytwo::plan_change(Some(&opened), &opened.state.spec, &change, OffsetDateTime::now_utc())?;
//! let mut keys = Keys::new();
//! for r in &plan.keys_to_make {
//!     keys.insert(r.id.clone(), PrivateKey::generate(r.algorithm)?);
//! }
//! let (grown, summary) = daytwo::apply_change(Some(&opened), &ca, &plan, keys)?;
//! assert!(grown.file("runbook/add-etcd4.sh").is_some());
//! assert_eq!(summary.members_added, 1);
//! // etcd1's certificate is the one it had.
//! assert_eq!(
//!     grown.file("members/etcd1/pki/server.crt").unwrap().contents,
//!     bundle.file("members/etcd1/pki/server.crt").unwrap().contents,
//! );
//! # Ok::<(), pki_core::Error>(())
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use time::OffsetDateTime;

use crate::error::Error;
use crate::issue::{self, CaMaterial, IssuedCert};
use crate::keys::{Keys, PrivateKey};
use crate::package::{self, Bundle, OpenedBundle};
use crate::plan::{self, CertPlan, Content, KeyRequest, MemberPlan, Plan, Role};
use crate::render;
use crate::runbook::{self, Operation};
use crate::spec::{ClusterSpec, Node};
use crate::validate::ValidatedSpec;

mod certificates;
mod kept;
mod spec_change;
mod steps;
mod summary;

use certificates::*;
use kept::*;
use spec_change::*;
pub use spec_change::{quorum, removes_first};
use steps::*;
pub use summary::ChangeSummary;
use summary::*;

/// What to do to the cluster.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    /// A bundle for `spec` under an existing CA: every certificate and key new. With an
    /// opened bundle, its CA (`generate --from`).
    Generate,
    /// Add these members, in this order, one `etcdctl member add` each.
    AddMembers(Vec<Node>),
    /// Remove the member with this name.
    RemoveMember(String),
    /// Replace member `old` by `new` (the same name on a new address, or a new name).
    ReplaceMember {
        /// The member that goes.
        old: String,
        /// The member that comes.
        new: Node,
    },
    /// Keep every certificate and key as it is: a new bundle of the same PKI, to which an
    /// operation adds files ([`crate::ops::revoke`] adds the CRL).
    Keep,
    /// Issue certificates again.
    Renew {
        /// Member or client names whose certificates are renewed; empty: all.
        only: Vec<String>,
        /// Keep each certificate's key (only the certificate changes).
        keep_keys: bool,
        /// Renew only certificates that expire within this many days.
        within_days: Option<u32>,
    },
}

/// What a [`Change`] will do, decided before any key is made.
#[derive(Clone, Debug)]
pub struct ChangePlan {
    /// The change.
    pub change: Change,
    /// The spec after the change.
    pub spec: ClusterSpec,
    /// The plan of the new bundle.
    pub plan: Plan,
    /// When the new certificates are issued.
    pub now: OffsetDateTime,
    /// Certificates copied from the old bundle, byte for byte (ids).
    pub kept: Vec<String>,
    /// Certificates that did not exist (ids).
    pub issued: Vec<String>,
    /// Certificates that existed and are issued again (ids).
    pub renewed: Vec<String>,
    /// Keys to make (CSPRNG) before [`apply_change`], by id.
    pub keys_to_make: Vec<KeyRequest>,
    /// Keys copied from the old bundle (ids).
    pub keys_kept: Vec<String>,
    /// Of [`ChangePlan::keys_to_make`], those replacing a key the old bundle had.
    pub keys_changed: Vec<String>,
    /// Members that join, in order.
    pub members_added: Vec<String>,
    /// Members that leave.
    pub members_removed: Vec<String>,
    /// Certificates of the old bundle to revoke (they belong to a member that leaves, or were
    /// replaced along with their key): `(path in the old bundle, serial)`.
    pub revoke: Vec<(String, String)>,
    /// The runbook steps, in the order to run them.
    pub operations: Vec<Operation>,
    /// The CRL (DER) of the new bundle while [`Plan::carried`] has revocations: the old
    /// bundle's, byte for byte, or the one a revocation signed.
    pub crl: Option<Vec<u8>>,
    /// The new bundle is made under another CA than the opened one's (a rotation,
    /// [`crate::ops::rotate`]): [`apply_change`] does not ask for the opened bundle's CA.
    pub ca_changes: bool,
}

/// Decides what `change` does to the cluster of `opened` (its spec being `spec`, normally
/// `opened.state.spec`; for [`Change::Generate`], the spec to generate). `opened` is `None`
/// only for `Generate` under a CA from elsewhere.
pub fn plan_change(
    opened: Option<&OpenedBundle>,
    spec: &ClusterSpec,
    change: &Change,
    now: OffsetDateTime,
) -> Result<ChangePlan, Error> {
    if opened.is_none() && *change != Change::Generate {
        return Err(refuse(
            "--from",
            "this operation changes an existing bundle: give the newest bundle with --from",
        ));
    }
    let new_spec = changed_spec(spec, change)?;
    let mut new_plan = plan::plan(&ValidatedSpec::new(&new_spec)?);
    let old_plan = opened.map(OpenedBundle::plan);
    let sorted = sort_certificates(
        &new_plan,
        old_plan.as_ref(),
        &records_by_id(opened),
        change,
        now,
    );
    let mut key_reused = sorted.key_reused;
    if *change != Change::Generate
        && let Some(old) = &old_plan
    {
        key_reused.extend(other_keys_kept(&new_plan, old));
    }
    let (keys_to_make, keys_changed) = keys_to_make(&new_plan, old_plan.as_ref(), &key_reused);

    let (old_members, members_added, members_removed) =
        members_changed(change, old_plan.as_ref(), &new_plan);
    let revoke = opened.map_or_else(Vec::new, |o| {
        certificates_to_revoke(o, &new_plan, &sorted.renewed, &members_removed)
    });
    let (kept, issued, renewed) = (sorted.kept, sorted.issued, sorted.renewed);
    // What the new bundle carries is decided here, with everything else: a member added after
    // a revocation starts with the CRL like the others.
    let mut crl = None;
    if let Some(o) = opened {
        new_plan.carry(crate::revocations::carried(o, &members_removed));
        crl = crate::revocations::crl_of(o)?;
    }

    let operations = operations(
        change,
        &old_members,
        &mut new_plan,
        &members_added,
        &members_removed,
        &renewed,
        opened,
    )?;
    prepare_runbooks(&mut new_plan, &operations)?;

    Ok(ChangePlan {
        change: change.clone(),
        spec: new_spec,
        plan: new_plan,
        now,
        kept,
        issued,
        renewed,
        keys_to_make,
        keys_kept: key_reused.into_iter().collect(),
        keys_changed,
        members_added,
        members_removed,
        revoke,
        operations,
        crl,
        ca_changes: false,
    })
}

/// Reads the CA key `ca_key` (any form [`crate::ca_import::import_ca`] reads) for the bundle
/// `opened`, refusing a key that is not the key of the bundle's `ca.crt`.
pub fn unlock_ca(
    opened: &OpenedBundle,
    ca_key: &[u8],
    passphrase: Option<&[u8]>,
) -> Result<CaMaterial, Error> {
    let ca_path = opened
        .state
        .ca
        .paths
        .first()
        .cloned()
        .unwrap_or_else(|| "ca.crt".into());
    let cert = opened
        .file(&ca_path)
        .ok_or_else(|| Error::BadBundle(format!("{ca_path} is missing from the zip")))?;
    let ca =
        crate::ca_import::import_ca(&cert.contents, ca_key, passphrase).map_err(|e| match e {
            Error::CaKeyMismatch { .. } => refuse(
                "--ca-key",
                "this key is not the key of the bundle's CA (ca.crt): give the CA key saved \
                 beside the bundle when it was first made (<cluster>-ca.key), the one rotate-ca \
                 wrote if this bundle is its kit or came after it (<cluster>-ca-new.key), or \
                 the imported CA's own key",
            ),
            other => other,
        })?;
    Ok(CaMaterial {
        cert_der: ca.cert_der.clone(),
        key_pkcs8_der: ca.key_pkcs8_der.clone(),
        chain: root_chain(opened)?,
    })
}

/// `root+issuing`: the root's certificate from the bundle's `ca.crt` (spec.json's root
/// record names it), the chain every leaf of the bundle's CA is issued with. Empty for a
/// single CA.
pub fn root_chain(opened: &OpenedBundle) -> Result<Vec<Vec<u8>>, Error> {
    let Some(root) = &opened.state.root else {
        return Ok(Vec::new());
    };
    let path = root
        .paths
        .first()
        .cloned()
        .unwrap_or_else(|| "ca.crt".into());
    let file = opened
        .file(&path)
        .ok_or_else(|| Error::BadBundle(format!("{path} (the root) is missing from the zip")))?;
    let block = pem::parse(file.contents.as_slice())
        .map_err(|e| Error::BadBundle(format!("{path} is not a PEM certificate: {e}")))?;
    Ok(vec![block.into_contents()])
}

/// The root of a `root+issuing` bundle with its key (any form [`crate::ca_import::import_ca`] reads), for what
/// only the root signs: a new issuing CA (`rotate-issuer`), the root's CRL (`revoke
/// --issuing-ca`). Refuses a single-CA bundle and a key that is not the root's.
pub fn unlock_root(
    opened: &OpenedBundle,
    root_key: &[u8],
    passphrase: Option<&[u8]>,
) -> Result<CaMaterial, Error> {
    let refuse = |reason: &str| Error::Change {
        field: "--root-key".into(),
        reason: reason.into(),
    };
    let chain = root_chain(opened)?;
    let Some(root) = chain.first() else {
        return Err(refuse(
            "this bundle has a single CA and no root; a root key has nothing to sign here",
        ));
    };
    let ca = crate::ca_import::import_ca(root, root_key, passphrase).map_err(|e| match e {
        Error::CaKeyMismatch { .. } => refuse(
            "this key is not the key of the bundle's root (ca.crt): give the root key saved \
             when the bundle was first made (<cluster>-root-ca.key), not the issuing CA's",
        ),
        other => other,
    })?;
    Ok(ca.material())
}

/// Makes the new bundle of `plan` under `ca`: kept certificates and keys copied from
/// `opened` byte for byte, the others issued with `keys` (one for every
/// [`ChangePlan::keys_to_make`]), every file rendered, the runbook added, `spec.json` new.
pub fn apply_change(
    opened: Option<&OpenedBundle>,
    ca: &CaMaterial,
    plan: &ChangePlan,
    keys: Keys,
) -> Result<(Bundle, ChangeSummary), Error> {
    apply_change_sealed(opened, ca, plan, keys, None)
}

/// [`apply_change`] for a plan that writes a new CA key file sealed under `sealing`
/// ([`crate::Plan::ca_key_sealed`]: a CA rotation to a new key with a passphrase).
pub fn apply_change_sealed(
    opened: Option<&OpenedBundle>,
    ca: &CaMaterial,
    plan: &ChangePlan,
    mut keys: Keys,
    sealing: Option<&crate::SealingKey>,
) -> Result<(Bundle, ChangeSummary), Error> {
    let new_plan = &plan.plan;
    if new_plan.spec.ca_layout.is_layered() != ca.is_layered() {
        return Err(refuse(
            "ca_layout",
            format!(
                "the spec says {}, but the CA given is {}: {}",
                new_plan.spec.ca_layout.as_str(),
                if ca.is_layered() {
                    "an issuing CA under a root"
                } else {
                    "a single CA (no root above it)"
                },
                if ca.is_layered() {
                    "set ca_layout to \"root+issuing\""
                } else {
                    "set ca_layout to \"single\", or give the CA certificate file with its \
                     root after it"
                }
            ),
        ));
    }
    let old_plan = opened.map(OpenedBundle::plan);
    if let Some(o) = opened
        && !plan.ca_changes
    {
        check_same_ca(o, ca)?;
    }
    for req in &plan.keys_to_make {
        issue::plan_key(new_plan, &keys, &req.id)?;
    }
    if let (Some(o), Some(old)) = (opened, &old_plan) {
        for id in &plan.keys_kept {
            if let Some(req) = new_plan.key(id) {
                keys.insert(id.clone(), read_key(o, old, req)?);
            }
        }
    }
    // Issue only what is new; the kept certificates join afterwards.
    let mut to_issue = new_plan.clone();
    to_issue.certs.retain(|c| !plan.kept.contains(&c.id));
    if !to_issue.certs.is_empty() {
        check_within_ca(ca, new_plan.spec.cert_validity_days, plan.now)?;
    }
    let mut issued = issue::issue(&to_issue, ca, &keys, plan.now)?;
    issued.crl = plan.crl.clone();
    if let (Some(o), Some(old)) = (opened, &old_plan) {
        add_kept_certificates(&mut issued, o, old, plan, &keys)?;
        keep_key_bytes(&mut issued, o, old, &plan.keys_kept);
    }
    let files = render::render(new_plan, &issued)?;
    let ca_key_file = render::ca_key_file(new_plan, ca, sealing)?;
    // A day-two operation never writes a root key: the root, if any, is the bundle's.
    let bundle = package::assemble(new_plan, &issued, files, ca_key_file, None);
    let steps = plan
        .operations
        .iter()
        .map(|op| Ok(runbook::files(op)?[0].path.clone()))
        .collect::<Result<Vec<_>, Error>>()?;
    let summary = ChangeSummary {
        members_added: plan.members_added.len(),
        members_removed: plan.members_removed.len(),
        certificates_issued: plan.issued.len(),
        certificates_renewed: plan.renewed.len(),
        certificates_kept: plan.kept.len(),
        keys_changed: plan.keys_changed.len(),
        steps,
        revoke: plan
            .revoke
            .iter()
            .map(|(p, s)| format!("{p} serial {s}"))
            .collect(),
        revoke_args: revoke_args(plan),
        revoke_serials: plan.revoke.iter().map(|(_, s)| s.clone()).collect(),
        clients_renewed: plan
            .renewed
            .iter()
            .filter(|id| id.starts_with("clients/"))
            .cloned()
            .collect(),
    };
    Ok((bundle, summary))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::ClusterSpec;

    fn opened() -> (OpenedBundle, Bundle) {
        let b = crate::generate(&ClusterSpec::template()).unwrap();
        (package::open(&b.to_zip().unwrap()).unwrap(), b)
    }

    fn node(name: &str, ip: &str) -> Node {
        Node {
            name: name.into(),
            ips: vec![ip.into()],
            dns_names: vec![],
        }
    }

    fn run(o: &OpenedBundle, ca: &CaMaterial, c: Change) -> Result<(Bundle, ChangeSummary), Error> {
        let p = plan_change(Some(o), &o.state.spec, &c, OffsetDateTime::now_utc())?;
        let mut keys = Keys::new();
        for r in &p.keys_to_make {
            keys.insert(r.id.clone(), PrivateKey::generate(r.algorithm)?);
        }
        apply_change(Some(o), ca, &p, keys)
    }

    #[test]
    fn bad_changes_name_the_field() {
        let (o, b) = opened();
        let now = OffsetDateTime::now_utc();
        let spec = &o.state.spec;
        let e = plan_change(
            Some(&o),
            spec,
            &Change::AddMembers(vec![node("etcd1", "10.0.0.9")]),
            now,
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.starts_with("--name") && e.contains("exists already"),
            "{e}"
        );
        let e = plan_change(
            Some(&o),
            spec,
            &Change::AddMembers(vec![node("etcd9", "10.0.0.2")]),
            now,
        )
        .unwrap_err()
        .to_string();
        assert!(e.starts_with("--ip") && e.contains("etcd2"), "{e}");
        // 3 → 2 keeps quorum; 2 → 1 does not.
        let (two, _) = run(
            &o,
            &unlock_ca(&o, b.ca_key.text().as_bytes(), None).unwrap(),
            Change::RemoveMember("etcd3".into()),
        )
        .unwrap();
        let two = package::open(&two.to_zip().unwrap()).unwrap();
        let e = plan_change(
            Some(&two),
            &two.state.spec,
            &Change::RemoveMember("etcd2".into()),
            now,
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("below the quorum"), "{e}");
        let other = crate::generate(&ClusterSpec::template()).unwrap();
        let e = unlock_ca(&o, other.ca_key.text().as_bytes(), None)
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("--ca-key"), "{e}");
    }

    #[test]
    fn add_keeps_existing_and_renew_keep_keys_changes_no_key() {
        let (o, b) = opened();
        let ca = unlock_ca(&o, b.ca_key.text().as_bytes(), None).unwrap();
        let (grown, s) = run(&o, &ca, Change::AddMembers(vec![node("etcd4", "10.0.0.4")])).unwrap();
        assert_eq!(
            (s.members_added, s.certificates_renewed, s.keys_changed),
            (1, 0, 0),
            "{s}"
        );
        let env = grown
            .files
            .iter()
            .find(|f| f.role == Role::EtcdEnv && f.owner == plan::Owner::Member("etcd4".into()))
            .unwrap()
            .text()
            .to_string();
        assert!(
            env.contains("ETCD_INITIAL_CLUSTER_STATE=existing")
                || env.contains("ETCD_INITIAL_CLUSTER_STATE='existing'"),
            "{env}"
        );
        for p in ["members/etcd1/pki/server.key", "members/etcd2/pki/peer.crt"] {
            assert_eq!(
                grown.file(p).unwrap().contents,
                b.file(p).unwrap().contents,
                "{p}"
            );
        }
        let g = package::open(&grown.to_zip().unwrap()).unwrap();
        let (renewed, s) = run(
            &g,
            &ca,
            Change::Renew {
                only: vec![],
                keep_keys: true,
                within_days: None,
            },
        )
        .unwrap();
        assert_eq!(s.keys_changed, 0, "{s}");
        assert!(s.certificates_renewed >= 9, "{s}");
        assert!(
            s.to_string()
                .contains("certificates renewed, 0 keys changed"),
            "{s}"
        );
        // No runbook installs a client's files: the summary names each renewed client.
        assert!(
            s.clients_renewed.contains(&"clients/etcdctl".to_string()),
            "{s}"
        );
        assert!(s.to_string().contains("\n  clients/etcdctl/"), "{s}");
        assert!(
            s.to_string()
                .contains("once the runbook is done and each renewed client has its new files,"),
            "{s}"
        );
        assert!(
            s.with_paths("new one.zip", "/keys/ca.key", Some("/keys/pass"))
                .contains(
                    "etcd-pki revoke --from 'new one.zip' --ca-key /keys/ca.key \
                     --ca-passphrase-file /keys/pass --"
                ),
            "{s}"
        );
        let p = "members/etcd1/pki/server.key";
        assert_eq!(
            renewed.file(p).unwrap().contents,
            b.file(p).unwrap().contents
        );
        assert!(renewed.file("members/etcd1/renew.sh").is_some());
    }

    #[test]
    fn the_page_and_the_cli_show_one_summary() {
        let (o, b) = opened();
        let ca = unlock_ca(&o, b.ca_key.text().as_bytes(), None).unwrap();
        let (_, s) = run(
            &o,
            &ca,
            Change::Renew {
                only: vec!["etcd1".into()],
                keep_keys: false,
                within_days: None,
            },
        )
        .unwrap();
        let (cli, page) = (s.to_string(), s.for_page());
        assert!(!s.revoke_serials.is_empty(), "{cli}");
        // The same text up to how the old certificates are revoked.
        let cut = |t: &str| {
            t.split("\nonce the runbook is done")
                .next()
                .unwrap()
                .to_string()
        };
        assert_eq!(cut(&cli), cut(&page));
        assert!(cli.contains("etcd-pki revoke --from NEW.zip"), "{cli}");
        assert!(
            page.contains("under Revoke, as serials of an earlier bundle")
                && s.revoke_serials.iter().all(|x| page.contains(x.as_str()))
                && !page.contains("etcd-pki revoke"),
            "{page}"
        );
    }
}
