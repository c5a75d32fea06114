//! A new CA for a running cluster, as a kit (`etcd-pki rotate-ca`, [`rotate_ca`],
//! [`rotate_ca_to`]): a rotation to new CA keys — the new CA (with `root+issuing`, a new root
//! and a new issuing CA under it) and every leaf under it, deployed in three phases by the
//! scripts of [`crate::kit`] — or a same-key renewal of a single CA's certificate
//! (`--same-key`, [`renew_ca_same_key`]).
//!
//! A rotation is the one change of what members and clients trust, and etcd reads its trusted
//! CA file only at start: two rolling restarts. It is also how a `single` cluster moves to
//! `root+issuing` (the old CA and the new root trusted side by side, then the new root
//! alone); from then on a new issuing CA under the same root is a swap of leaf files with no
//! restart (`rotate-issuer`). docs/ROTATION.md says it for people.

use time::{Duration, OffsetDateTime};

use crate::error::Error;
use crate::keys::PrivateKey;
use crate::options::CaLayout;

mod renew;
mod summary;

pub use renew::renew_ca_same_key;
use renew::same_key_plan;
pub use summary::RotateSummary;
use summary::rotate_md;

pub use crate::ops::rotate_issuer::{
    ISSUER_ROTATION, IssuerRotationSummary, RevokeFiles, plan_issuer_rotation,
    plan_issuer_rotation_with, rotate_issuer, rotate_issuer_with, unlock_root,
};

/// notBefore is set this far back, as for every certificate of etcd-pki (clock skew).
const CLOCK_SKEW: Duration = Duration::minutes(5);

fn bad(field: &str, reason: &str) -> Error {
    Error::Revocation {
        field: field.to_string(),
        value: String::new(),
        reason: reason.to_string(),
    }
}

/// The kind of CA change `opened` is the kit of, if it is one: `"rotation"` (its member
/// folders hold `rotate/1-trust-both.sh`) or `"same-key renewal"` (`rotate/renew-ca.sh`). A
/// kit is the newest bundle while its steps run on the cluster; another `rotate-ca` from it
/// before they are done on every member would give members a CA file with neither of the CAs
/// the next kit expects.
pub fn pending_change(opened: &crate::package::OpenedBundle) -> Option<&'static str> {
    match opened.state.rotation.as_ref().map(|r| r.kind.as_str()) {
        Some(ROTATION) => return Some(ROTATION),
        Some(RENEWAL) => return Some(RENEWAL),
        Some(ISSUER_ROTATION) => return Some(ISSUER_ROTATION),
        Some(_) => return Some(ROTATION),
        None if opened.state.lineage.is_some() => return None,
        None => {}
    }
    // A kit made before spec.json recorded rotations: its member folders say which.
    let has = |name: &str| {
        opened
            .files
            .iter()
            .any(|f| f.path.starts_with("members/") && f.path.ends_with(&format!("/rotate/{name}")))
    };
    if has("1-trust-both.sh") {
        Some(ROTATION)
    } else if has("renew-ca.sh") {
        Some(RENEWAL)
    } else {
        None
    }
}

/// [`crate::record::Rotation::kind`] of a rotation to a new CA key.
const ROTATION: &str = "rotation";
/// [`crate::record::Rotation::kind`] of a same-key renewal.
const RENEWAL: &str = "same-key renewal";

/// The rotation state a kit records.
fn rotation_state(same_key: bool) -> crate::record::Rotation {
    crate::record::Rotation {
        kind: if same_key { RENEWAL } else { ROTATION }.into(),
        last_step: if same_key {
            "rotate/renew-ca.sh"
        } else {
            "rotate/3-drop-old.sh --clients-reissued"
        }
        .into(),
    }
}

/// The CAs a rotation to new keys moves the cluster to.
#[derive(Clone, Copy, Debug)]
pub struct NewCa<'a> {
    /// The key of the CA that signs the leaves: the new single CA's, or with `root+issuing`
    /// the new issuing CA's (the CA key of every later day-two operation).
    pub key: &'a PrivateKey,
    /// `root+issuing`: the new root. `None`: the kit's layout is `single`.
    pub root: Option<NewRoot<'a>>,
}

/// The new root of a `root+issuing` rotation: its key, and the sealing of its key file (the
/// root's own passphrase; `None` writes it plain, as `generate --no-ca-passphrase` does).
#[derive(Clone, Copy, Debug)]
pub struct NewRoot<'a> {
    /// The root's key.
    pub key: &'a PrivateKey,
    /// Seals [`crate::Bundle::root_key`].
    pub sealing: Option<&'a crate::SealingKey>,
}

impl NewCa<'_> {
    /// The layout of the kit.
    pub fn layout(&self) -> CaLayout {
        if self.root.is_some() {
            CaLayout::RootIssuing
        } else {
            CaLayout::Single
        }
    }
}

/// The spec of the kit that moves the cluster of `opened` to `layout`: the bundle's, with
/// that layout. Its plan's [`crate::ops::change::ChangePlan::keys_to_make`] are the keys a
/// caller makes before [`rotate_ca_to`] (the new CA's and root's keys are not among them).
pub fn rotation_spec(
    opened: &crate::package::OpenedBundle,
    layout: CaLayout,
) -> crate::spec::ClusterSpec {
    let mut spec = opened.state.spec.clone();
    spec.ca_layout = layout;
    spec
}

/// `etcd-pki rotate-ca` in the bundle's own layout: with `new_key`, a rotation to a new CA
/// ([`rotate_ca_to`], `single` bundles only: a `root+issuing` bundle's rotation makes a new
/// root too, whose key needs its own passphrase); with `None`, a same-key renewal of the CA
/// certificate ([`renew_ca_same_key`]) in every folder, everything else kept, and
/// `renew-ca.sh`. `keys` holds one key per key of the plan but the CA's (a rotation only;
/// empty for a renewal). `sealing` seals the new CA key file.
pub fn rotate_ca(
    opened: &crate::package::OpenedBundle,
    ca: &crate::issue::CaMaterial,
    new_key: Option<&PrivateKey>,
    keys: crate::keys::Keys,
    now: OffsetDateTime,
    sealing: Option<&crate::SealingKey>,
) -> Result<(crate::package::Bundle, RotateSummary), Error> {
    match new_key {
        Some(key) => {
            if opened.state.spec.ca_layout.is_layered() {
                return Err(refuse(
                    "--ca-layout",
                    "the bundle is root+issuing: its rotation makes a new root as well as a new \
                     issuing CA, and the root's key needs its own passphrase \
                     (rotate::rotate_ca_to with a NewRoot); to go back to one CA, ask for \
                     --ca-layout single",
                ));
            }
            rotate_ca_to(opened, ca, NewCa { key, root: None }, keys, now, sealing)
        }
        None => renew_same_key(opened, ca, now),
    }
}

/// `etcd-pki rotate-ca` with new keys: the kit that moves the cluster of `opened` (its CA
/// `ca`, the one that signs its leaves) to `new`, in `new`'s layout — the bundle's own, or
/// the move from `single` to `root+issuing` (or back).
///
/// The new CA (a new root, and a new issuing CA under it, with `root+issuing`), every member
/// and client certificate and key new under it, the JWT signing key kept (a new one would
/// invalidate tokens while members disagree), the revocations so far carried over in a CRL
/// signed by the new CA, and the three-phase scripts in every folder. The scripts tell the
/// trusted CA files apart by their trust anchors: the old CA (the old root) and the new one
/// (the new root). `keys` holds one key per key of the plan of [`rotation_spec`] but the
/// CA's and the root's. `sealing` seals the new CA key file; the root's is sealed as `new`
/// says ([`crate::Bundle::root_key`]).
pub fn rotate_ca_to(
    opened: &crate::package::OpenedBundle,
    ca: &crate::issue::CaMaterial,
    new: NewCa,
    keys: crate::keys::Keys,
    now: OffsetDateTime,
    sealing: Option<&crate::SealingKey>,
) -> Result<(crate::package::Bundle, RotateSummary), Error> {
    use crate::ops::change;

    let (new_ca, root, mut plan) = new_ca_plan(opened, new, now)?;
    let members = member_addresses(&plan.plan);
    let summary = RotateSummary {
        same_key: false,
        new_ca: subject_and_end(&new_ca.cert()?),
        new_root: root
            .as_ref()
            .map(|r| Ok::<_, Error>(subject_and_end(&r.cert()?)))
            .transpose()?,
        old_ca_not_after: anchor_end(ca)?,
        layouts: (opened.state.spec.ca_layout, new.layout()),
        members: members.iter().map(|(n, _)| n.clone()).collect(),
        clients: opened
            .state
            .spec
            .clients
            .iter()
            .map(|c| c.name.clone())
            .collect(),
        crl: opened.state.revocations.is_some(),
    };
    // The trust anchors the scripts tell the CA files apart by: the old single CA or root,
    // and the new one.
    let cas = (
        pem_of(ca.trust_anchor_der()),
        pem_of(new_ca.trust_anchor_der()),
    );
    let mut kit = kit_files(
        &plan.plan,
        &opened.state.spec,
        &members,
        (&cas.0, &cas.1),
        false,
    )?;
    kit.push(rotate_md_file(&summary, &opened.state.spec.cluster_name));
    plan.plan.prepare(kit.iter().map(crate::runbook::file_plan));
    // A new CA key is sealed when a passphrase was given for it.
    plan.plan = plan.plan.seal_ca_key(sealing.is_some());
    let (mut bundle, _) = change::apply_change_sealed(Some(opened), &new_ca, &plan, keys, sealing)?;
    // The new root's key, saved apart like the CA key (never in the zip): apply writes none,
    // as no other day-two operation makes a root.
    bundle.root_key =
        crate::render::root_key_file(&plan.plan, root.as_ref(), new.root.and_then(|r| r.sealing))?;
    if let Some(rev) = &opened.state.revocations {
        check_no_serial_on_crl(&bundle, rev)?;
    }
    Ok((bundle, summary))
}

/// `--same-key`: the renewed CA certificate in every folder, and `renew-ca.sh`. A single CA
/// only: a `root+issuing` bundle's issuing CA is replaced by `rotate-issuer` (no restart),
/// its root by a rotation.
fn renew_same_key(
    opened: &crate::package::OpenedBundle,
    ca: &crate::issue::CaMaterial,
    now: OffsetDateTime,
) -> Result<(crate::package::Bundle, RotateSummary), Error> {
    use crate::ops::change;

    if ca.is_layered() || opened.state.spec.ca_layout.is_layered() {
        return Err(refuse(
            "--same-key",
            "renews a single CA, and this bundle is root+issuing: its issuing CA is replaced \
             with no restart by etcd-pki rotate-issuer (with the root key), its root by \
             rotate-ca without --same-key (a new root, three phases); nothing was written",
        ));
    }
    let (renewed, mut plan) = same_key_plan(opened, ca, now)?;
    let members = member_addresses(&plan.plan);
    let summary = RotateSummary {
        same_key: true,
        new_ca: subject_and_end(&renewed.cert()?),
        new_root: None,
        old_ca_not_after: anchor_end(ca)?,
        layouts: (CaLayout::Single, CaLayout::Single),
        members: members.iter().map(|(n, _)| n.clone()).collect(),
        clients: opened
            .state
            .spec
            .clients
            .iter()
            .map(|c| c.name.clone())
            .collect(),
        crl: opened.state.revocations.is_some(),
    };
    let new_pem = renewed.cert()?.pem;
    let mut kit = kit_files(
        &plan.plan,
        &opened.state.spec,
        &members,
        (&pem_of(&ca.cert_der), &new_pem),
        true,
    )?;
    kit.push(rotate_md_file(&summary, &opened.state.spec.cluster_name));
    plan.plan.prepare(kit.iter().map(crate::runbook::file_plan));
    // The same key is not written again (the old key file stays the CA key).
    plan.plan = plan.plan.seal_ca_key(false);
    let (bundle, _) = change::apply_change_sealed(
        Some(opened),
        &renewed,
        &plan,
        crate::keys::Keys::new(),
        None,
    )?;
    Ok((bundle, summary))
}

/// Each member's name and first address (the one the scripts ask its ports on).
fn member_addresses(plan: &crate::plan::Plan) -> Vec<(String, std::net::IpAddr)> {
    plan.members
        .iter()
        .filter_map(|m| m.ips.first().map(|ip| (m.name.clone(), *ip)))
        .collect()
}

fn subject_and_end(c: &crate::issue::IssuedCert) -> (String, String) {
    (c.info.subject.clone(), c.info.not_after.clone())
}

/// The notAfter of the CA the cluster trusts now (the root, with `root+issuing`).
fn anchor_end(ca: &crate::issue::CaMaterial) -> Result<String, Error> {
    Ok(match ca.root_cert()? {
        Some(root) => root.info.not_after,
        None => ca.cert()?.info.not_after,
    })
}

fn rotate_md_file(summary: &RotateSummary, cluster: &str) -> crate::runbook::RunbookFile {
    crate::runbook::RunbookFile {
        path: "ROTATE.md".into(),
        mode: 0o644,
        contents: rotate_md(summary, cluster),
    }
}

/// A refusal of rotate-ca: `field` names the option, `reason` the fix.
fn refuse(field: &str, reason: &str) -> Error {
    Error::Change {
        field: field.to_string(),
        reason: reason.to_string(),
    }
}

/// A rotation: the new CA (with `root+issuing`, the new root from `new.root` and the issuing
/// CA under it) and every leaf under it, planned as a new bundle that is a child of `opened`.
#[allow(clippy::type_complexity)]
fn new_ca_plan(
    opened: &crate::package::OpenedBundle,
    new: NewCa,
    now: OffsetDateTime,
) -> Result<
    (
        crate::issue::CaMaterial,
        Option<crate::issue::CaMaterial>,
        crate::ops::change::ChangePlan,
    ),
    Error,
> {
    use crate::ops::change::{self, Change};

    let spec = rotation_spec(opened, new.layout());
    let mut plan = change::plan_change(None, &spec, &Change::Generate, now)?;
    let (new_ca, root) = match (new.root, &plan.plan.root) {
        (Some(r), Some(root_plan)) => {
            let root = crate::issue::new_root(root_plan, r.key, now)?;
            let issuing = crate::issue::new_issuing(&plan.plan.ca, new.key, &root, now)?;
            (issuing, Some(root))
        }
        _ => (crate::issue::new_ca(&plan.plan.ca, new.key, now)?, None),
    };
    // A child of the opened bundle. The removed members' records go: the new CA never signed
    // them, and no member trusts the old one afterwards; so do the earlier issuing CAs of the
    // old root and the old root's CRL (a new root has revoked nothing). The revocations stay,
    // re-signed: etcd matches serials only, and the old CA is trusted until phase 3.
    let mut carried = crate::revocations::carried(opened, &[]);
    carried.removed_members.clear();
    carried.previous_issuers.clear();
    carried.root_crl = None;
    carried.rotation = Some(rotation_state(false));
    carried.ca_key_kept = false;
    if let Some(rev) = &opened.state.revocations {
        let (next, der) = resign_revocations(rev, &new_ca, now)?;
        carried.revocations = Some(next);
        plan.crl = Some(der);
    }
    plan.plan.carry(carried);
    plan.ca_changes = true;
    // The JWT signing key stays, byte for byte: tokens of any member must verify on every
    // member throughout the rotation.
    let jwt = crate::plan::JWT_KEY;
    if plan.plan.key(jwt).is_some() && opened.plan().key(jwt).is_some() {
        plan.keys_to_make.retain(|r| r.id != jwt);
        plan.keys_changed.retain(|id| id != jwt);
        plan.keys_kept.push(jwt.to_string());
    }
    Ok((new_ca, root, plan))
}

/// Refuses a new bundle one of whose certificates drew a serial on the CRL (etcd matches
/// serials only, so it would be refused from the start).
fn check_no_serial_on_crl(
    b: &crate::package::Bundle,
    rev: &crate::package::state::Revocations,
) -> Result<(), Error> {
    let serials: Vec<String> = rev.revoked.iter().map(|r| r.serial.clone()).collect();
    if let Some(c) = b
        .files
        .iter()
        .filter_map(|f| f.cert.as_ref())
        .find(|c| serials.contains(&c.info.serial))
    {
        return Err(bad(
            "rotate-ca",
            &format!(
                "a new certificate drew serial {}, which is on the CRL; run rotate-ca again",
                c.info.serial
            ),
        ));
    }
    Ok(())
}

/// Revocations so far, re-signed by the new CA (etcd matches serials only), with the next
/// number so install-crl.sh takes it over the installed one: the state and the DER CRL.
pub(crate) fn resign_revocations(
    rev: &crate::package::state::Revocations,
    new_ca: &crate::issue::CaMaterial,
    now: OffsetDateTime,
) -> Result<(crate::package::state::Revocations, Vec<u8>), Error> {
    let mut next = rev.clone();
    next.crl_number += 1;
    next.this_update = crate::issue::rfc3339(now);
    let days = parse(&rev.next_update)
        .zip(parse(&rev.this_update))
        .map_or(30, |(n, t)| (n - t).whole_days().max(1));
    let next_update = now + Duration::days(days);
    next.next_update = crate::issue::rfc3339(next_update);
    let revoked = next
        .revoked
        .iter()
        .map(|r| {
            Ok(crate::crl::RevokedCert {
                serial: crate::crl::parse_serial(&r.serial)?,
                revoked_at: parse(&r.revoked_at).unwrap_or(now),
                reason: r.reason,
            })
        })
        .collect::<Result<_, Error>>()?;
    let der = crate::crl::sign(
        &new_ca.cert_der,
        &new_ca.key()?,
        &crate::crl::CrlParams {
            this_update: now,
            next_update,
            number: next.crl_number,
            revoked,
        },
    )?;
    Ok((next, der))
}

/// The kit's scripts: one set per member and per client. `cas` is (old, new) CA PEM.
fn kit_files(
    plan: &crate::plan::Plan,
    spec: &crate::spec::ClusterSpec,
    members: &[(String, std::net::IpAddr)],
    cas: (&str, &str),
    same_key: bool,
) -> Result<Vec<crate::runbook::RunbookFile>, Error> {
    use crate::kit::{self, KitOp};
    let (old_pem, new_pem) = (cas.0.to_string(), cas.1.to_string());
    let mut add = Vec::new();
    for m in &plan.members {
        add.extend(kit::files(&KitOp::RotateMember {
            name: m.name.clone(),
            ips: m.ips.clone(),
            cert_dir: m.cert_dir.clone(),
            client_port: spec.client_port,
            peer_port: spec.peer_port,
            members: members.to_vec(),
            old_ca_pem: old_pem.clone(),
            new_ca_pem: new_pem.clone(),
            same_key,
        })?);
    }
    let endpoints = crate::plan::client_endpoints(&plan.members);
    for c in &spec.clients {
        add.extend(kit::files(&KitOp::RotateClient {
            name: c.name.clone(),
            kind: c.kind.as_str().to_string(),
            endpoints: endpoints.clone(),
            old_ca_pem: old_pem.clone(),
            new_ca_pem: new_pem.clone(),
            same_key,
        })?);
    }
    Ok(add)
}

fn parse(s: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()
}

fn pem_of(der: &[u8]) -> String {
    pem::encode_config(
        &pem::Pem::new("CERTIFICATE", der.to_vec()),
        pem::EncodeConfig::new().set_line_ending(pem::LineEnding::LF),
    )
}
