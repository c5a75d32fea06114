//! The key worker's day-two answers: reading an existing CA (certificate, key, passphrase)
//! and planning and applying a change (pki-core's `daytwo`) to an opened bundle or under a
//! CA from elsewhere. The secrets arrive taken already (copied into memory wiped on drop, the
//! JS buffers zeroed), as the named fields of [`Secrets`].

use pki_core::daytwo::{self, Change, ChangePlan};
use pki_core::keys::Keys;
use pki_core::package::OpenedBundle;
use pki_core::{CaMaterial, Error, OffsetDateTime, ca_import};

use protocol::{
    self, CaFacts, CaField, CertLine, ChangeDone, ChangeRequest, CrlLine, FromWorker, KeyToMake,
    Lint, OpenedFacts, OtherCaFacts, RemovedMember, Secrets,
};

pub(crate) type Reply = (FromWorker, Secrets<js_sys::Uint8Array>);

/// A reply that carries no secret.
fn bare(msg: FromWorker) -> Reply {
    (msg, Secrets::default())
}

/// Which field an existing CA's error belongs beside, and the page's wording for the two
/// passphrase errors (pki-core's name the CLI's `--ca-passphrase-file`).
pub fn ca_error(e: &Error) -> (CaField, bool, String) {
    match e {
        Error::CaPassphraseNeeded => (
            CaField::Passphrase,
            true,
            "The CA key is encrypted: type its passphrase.".into(),
        ),
        Error::CaPassphraseWrong => (
            CaField::Passphrase,
            true,
            "This passphrase does not decrypt the CA key: check it and type it again.".into(),
        ),
        Error::CaKeyMismatch { .. } => (CaField::Key, false, e.to_string()),
        Error::CaUnreadable { file, .. } if file.contains("key") => {
            (CaField::Key, false, e.to_string())
        }
        _ => (CaField::Cert, false, e.to_string()),
    }
}

/// Reads and checks the CA in `secrets` (`ca_cert`, `ca_key`, `passphrase` when given): its
/// facts, or the error beside the field at fault. An expired or not-yet-valid CA is refused
/// here.
pub fn check_ca(request: u32, secrets: &Secrets) -> Reply {
    let refused = |e: &Error| {
        let (field, needs_passphrase, error) = ca_error(e);
        bare(FromWorker::CaRefused {
            request,
            field,
            needs_passphrase,
            error,
        })
    };
    let (Some(cert), Some(key)) = (&secrets.ca_cert, &secrets.ca_key) else {
        return bare(FromWorker::Failed {
            error: "the CA certificate or key did not reach the worker".into(),
        });
    };
    let passphrase = secrets.passphrase.as_deref().map(|p| p.as_slice());
    let ca = match ca_import::import_ca(cert, key, passphrase) {
        Ok(ca) => ca,
        Err(e) => return refused(&e),
    };
    let now = OffsetDateTime::now_utc();
    if let Err(e) = ca_import::check_validity(&ca, now, now) {
        return refused(&e);
    }
    bare(FromWorker::CaChecked {
        request,
        ca: CaFacts {
            subject: ca.subject.clone(),
            algorithm: ca.algorithm,
            not_before: pki_core::bundle::rfc3339(ca.not_before),
            not_after: pki_core::bundle::rfc3339(ca.not_after),
            days_left: ca.days_left(now),
            warnings: ca.warnings.clone(),
        },
    })
}

/// The id of a rotation's new CA key among the keys the page makes.
const NEW_CA_KEY: &str = "rotate/new-ca";

/// A certificate within this many days of its end is due (check-expiry.sh's default).
const RENEW_WITHIN_DAYS: i64 = 30;

fn ymd(t: OffsetDateTime) -> String {
    pki_core::bundle::rfc3339(t)
        .get(..10)
        .unwrap_or_default()
        .to_string()
}

/// What applies to a certificate `days` from its end (`layered`: a root above the issuing CA,
/// whose replacement needs no restart).
fn action(id: &str, days: i64, revoked: bool, layered: bool) -> String {
    let warn = pki_core::package::lints::CA_WARN_DAYS;
    match (id, days) {
        _ if revoked => "none: revoked (it leaves at the next renewal)".into(),
        ("root", d) if d <= 0 => "replace the root now (rotate-ca): it has expired".into(),
        ("root", d) if d <= warn => "replace the root (rotate-ca, two rolling restarts)".into(),
        ("ca", d) if layered && d <= warn => {
            "make a new issuing CA (New issuing CA below: no restart)".into()
        }
        ("ca", d) if d <= 0 => "rotate the CA now: it has expired".into(),
        ("ca", d) if d <= warn => "renew the CA (same key) or rotate it".into(),
        (_, d) if d <= 0 => "renew now: expired".into(),
        (_, d) if d <= RENEW_WITHIN_DAYS => "renew".into(),
        _ => "none".into(),
    }
}

/// Opens a bundle's zip with pki-core (`package::open`, `lints::certs_of`, `crl::read`,
/// `lints::check_bundle`, as `etcd-pki validate --from` does) and returns, as JSON, the
/// [`OpenedFacts`] the page shows.
pub fn open_bundle(zip: &[u8]) -> Result<String, String> {
    let opened = pki_core::package::open(zip).map_err(|e| e.to_string())?;
    let now = OffsetDateTime::now_utc();
    let (ca, leaves) = pki_core::package::lints::certs_of(&opened).map_err(|e| e.to_string())?;
    let crl = crl_of(&opened)?;
    let report = pki_core::package::lints::check_bundle(&pki_core::package::lints::BundleFacts {
        spec: opened.spec.spec(),
        ca: ca.clone(),
        leaves: leaves.clone(),
        crl: crl.as_ref(),
        other_ca_leaves: vec![],
        now,
    });
    let revoked = |serial: &str| {
        crl.as_ref()
            .is_some_and(|c| c.revoked.iter().any(|r| r.serial == serial))
    };
    // root+issuing: the root first, read from its file (its record names it).
    let root = pki_core::daytwo::root_chain(&opened)
        .map_err(|e| e.to_string())?
        .first()
        .map(|der| pki_core::package::lints::CertFacts::from_der("root", der))
        .transpose()
        .map_err(|e| e.to_string())?;
    let layered = root.is_some();
    let records = opened
        .state
        .root
        .iter()
        .chain(std::iter::once(&opened.state.ca))
        .chain(&opened.state.certificates);
    let certs = root
        .iter()
        .chain(std::iter::once(&ca))
        .chain(&leaves)
        .zip(records)
        .map(|(f, r)| cert_line(f, r, now, revoked(&f.serial), layered))
        .collect();
    let facts = OpenedFacts {
        spec_json: opened.state.spec.to_json(),
        ca_path: opened
            .state
            .ca
            .paths
            .first()
            .cloned()
            .unwrap_or_else(|| "ca.crt".into()),
        certs,
        crl: crl.as_ref().and_then(|c| crl_line(c, now)),
        renew_within_days: RENEW_WITHIN_DAYS,
        today: ymd(now),
        lints: lints_of(&report),
        removed_members: removed_members(&opened.state.removed_members, revoked),
        generation: opened.state.generation(),
        line: opened
            .state
            .lineage
            .as_ref()
            .map(|l| l.root.clone())
            .unwrap_or_default(),
        bundle_id: opened.state.id().to_string(),
        pending_rotation: pki_core::rotate::pending_change(&opened).map(String::from),
    };
    serde_json::to_string(&facts).map_err(|e| e.to_string())
}

/// One certificate's line on the timeline: its owner and role (from the bundle's record),
/// serial, expiry, days left, whether the CRL lists it, and what applies.
fn cert_line(
    f: &pki_core::package::lints::CertFacts,
    r: &pki_core::package::state::CertRecord,
    now: OffsetDateTime,
    revoked: bool,
    layered: bool,
) -> CertLine {
    let days = (f.not_after - now).whole_days();
    CertLine {
        id: f.id.clone(),
        owner: r
            .member
            .clone()
            .or_else(|| r.client.clone())
            .unwrap_or_default(),
        role: r.role.clone(),
        serial: f.serial.clone(),
        expires: ymd(f.not_after),
        days_left: days,
        revoked,
        action: action(&f.id, days, revoked, layered),
    }
}

/// The CRL's line on the timeline: its next update and what applies; none without one.
fn crl_line(c: &pki_core::crl::CrlInfo, now: OffsetDateTime) -> Option<CrlLine> {
    let next = c.next_update?;
    let days = (next - now).whole_days();
    Some(CrlLine {
        next_update: ymd(next),
        days_left: days,
        revoked: c.revoked.len(),
        action: if days <= RENEW_WITHIN_DAYS {
            "revoke with nothing named: a new CRL with a later next update".into()
        } else {
            "none".into()
        },
    })
}

/// The members removed in earlier changes, each with its serials, revoked when every one is.
fn removed_members(
    records: &[pki_core::package::state::CertRecord],
    revoked: impl Fn(&str) -> bool,
) -> Vec<RemovedMember> {
    let mut removed: Vec<RemovedMember> = Vec::new();
    for r in records {
        let (Some(name), Ok(serial)) = (&r.member, pki_core::crl::parse_serial(&r.serial)) else {
            continue;
        };
        let serial = pki_core::crl::serial_hex(&serial);
        match removed.iter_mut().find(|m| m.name == *name) {
            Some(m) => m.serials.push(serial),
            None => removed.push(RemovedMember {
                name: name.clone(),
                serials: vec![serial],
                revoked: false,
            }),
        }
    }
    for m in &mut removed {
        m.revoked = m.serials.iter().all(|s| revoked(s));
    }
    removed
}

/// Checks the bundle `zip` against another CA's bundle `other` with pki-core (`package::open`,
/// `lints::other_ca_leaves`, `lints::check_shared_serials`, as `etcd-pki validate --other-ca` does) and
/// returns, as JSON, the [`OtherCaFacts`] the page shows beside the other CA's input.
pub fn check_other_ca(zip: &[u8], other: &[u8]) -> Result<String, String> {
    use pki_core::package::{self, lints};
    let opened = package::open(zip).map_err(|e| e.to_string())?;
    let theirs = package::open(other).map_err(|e| e.to_string())?;
    let (ca, leaves) = lints::certs_of(&opened).map_err(|e| e.to_string())?;
    let other_ca_leaves = lints::other_ca_leaves(&opened, &theirs).map_err(|e| e.to_string())?;
    let crl = crl_of(&opened)?;
    let count = other_ca_leaves.len();
    let report = lints::check_shared_serials(&lints::BundleFacts {
        spec: opened.spec.spec(),
        ca,
        leaves,
        crl: crl.as_ref(),
        other_ca_leaves,
        now: OffsetDateTime::now_utc(),
    });
    let facts = OtherCaFacts {
        ca_subject: theirs.state.ca.subject.clone(),
        leaves: count,
        lints: lints_of(&report),
    };
    serde_json::to_string(&facts).map_err(|e| e.to_string())
}

/// The bundle's CRL, read by pki-core, if it has one (every member folder holds the same).
fn crl_of(opened: &OpenedBundle) -> Result<Option<pki_core::crl::CrlInfo>, String> {
    opened
        .files
        .iter()
        .find(|f| f.path.ends_with("/pki/crl.der"))
        .map(|f| pki_core::crl::read(&f.contents))
        .transpose()
        .map_err(|e| e.to_string())
}

/// pki-core's lints as the page shows them.
fn lints_of(report: &pki_core::report::Report) -> Vec<Lint> {
    report
        .problems()
        .iter()
        .map(|p| Lint {
            path: p.path.clone(),
            error: p.severity == pki_core::report::Severity::Error,
            message: p.message.clone(),
        })
        .collect()
}

/// pki-core's change for the page's request.
fn core_change(c: &ChangeRequest) -> Change {
    match c {
        ChangeRequest::Generate => Change::Generate,
        ChangeRequest::AddMembers { nodes } => Change::AddMembers(nodes.clone()),
        ChangeRequest::Renew { only, keep_keys } => Change::Renew {
            only: only.clone(),
            keep_keys: *keep_keys,
            within_days: None,
        },
        // A rotation is planned as a new bundle of the same spec (as rotate_ca plans it; a new
        // issuing CA is planned by rotate_issuer's own plan, see `plan`).
        ChangeRequest::RotateCa | ChangeRequest::RotateIssuer => Change::Generate,
        // Neither makes a key: planned as a renewal of nothing (only the plan's key list is
        // read), applied by revoke.rs and rotate.rs themselves.
        ChangeRequest::Revoke { .. } | ChangeRequest::RenewCaSameKey => Change::Renew {
            only: vec![],
            keep_keys: true,
            within_days: None,
        },
    }
}

/// Plans `change`: on the opened bundle `zip` (its own spec; the form only adds rows), or
/// for `Generate` under a CA from elsewhere, the form's spec.
fn plan(
    spec_json: &str,
    change: &ChangeRequest,
    zip: Option<&[u8]>,
    layout: Option<pki_core::CaLayout>,
) -> Result<(Option<OpenedBundle>, ChangePlan), String> {
    let opened = zip
        .map(pki_core::package::open)
        .transpose()
        .map_err(|e| e.to_string())?;
    if *change == ChangeRequest::RotateIssuer {
        let o = opened
            .as_ref()
            .ok_or("a new issuing CA is made from an opened bundle: open it first")?;
        let plan = crate::issuer::plan(o)?;
        return Ok((opened, plan));
    }
    let mut form_spec = pki_core::ClusterSpec::from_json(spec_json).map_err(|e| e.to_string())?;
    if opened.is_none() {
        // A CA from elsewhere: the new bundle's layout is the CA's (`layout`: root+issuing when
        // its file held the root too), whatever the form's choice; pki-core refuses a layout
        // the CA does not have. The keys to make are the same either way (no root key).
        form_spec.ca_layout = layout.unwrap_or(pki_core::CaLayout::Single);
    }
    let spec = match (&opened, change) {
        (Some(o), c) if *c != ChangeRequest::Generate => o.state.spec.clone(),
        _ => form_spec,
    };
    let base = match change {
        ChangeRequest::RotateCa => None,
        _ => opened.as_ref(),
    };
    let mut plan =
        daytwo::plan_change(base, &spec, &core_change(change), OffsetDateTime::now_utc())
            .map_err(|e| e.to_string())?;
    if *change == ChangeRequest::RotateCa {
        plan.keys_to_make.push(pki_core::KeyRequest {
            id: NEW_CA_KEY.into(),
            label: "the new CA key".into(),
            algorithm: spec.key_algorithm,
        });
    }
    Ok((opened, plan))
}

/// The new keys `change` needs, planned on the opened bundle's `zip` when the page sent one.
pub fn plan_change(spec_json: &str, change: &ChangeRequest, secrets: &Secrets) -> Reply {
    match plan(
        spec_json,
        change,
        secrets.zip.as_deref().map(|z| z.as_slice()),
        None,
    ) {
        Ok((_, p)) => bare(FromWorker::ChangePlanned {
            keys: p
                .keys_to_make
                .iter()
                .map(|k| KeyToMake {
                    id: k.id.clone(),
                    label: k.label.clone(),
                    algorithm: k.algorithm,
                })
                .collect(),
        }),
        Err(error) => bare(FromWorker::Failed { error }),
    }
}

/// Signs and zips the change with the secrets [`protocol::ToWorker::ApplyChange`] lists: the
/// opened bundle's `zip` (or the CA's `ca_cert`), the `ca_key` and its `passphrase`, the new
/// `keys` named by `key_ids`, a rotation's `new_passphrase`. `previous_done`: the person
/// says an opened kit's rotation steps are done on every member.
pub fn apply_change(
    spec_json: &str,
    change: &ChangeRequest,
    key_ids: &[String],
    previous_done: bool,
    secrets: &Secrets,
) -> Reply {
    match apply(spec_json, change, key_ids, previous_done, secrets) {
        Ok(done) => done,
        Err(error) => bare(FromWorker::Failed { error }),
    }
}

fn apply(
    spec_json: &str,
    change: &ChangeRequest,
    key_ids: &[String],
    previous_done: bool,
    secrets: &Secrets,
) -> Result<Reply, String> {
    let zip = secrets.zip.as_deref().map(|z| z.as_slice());
    let pass = secrets.passphrase.as_deref().map(|p| p.as_slice());
    // A CA from elsewhere is read first: its layout is the new bundle's.
    let imported = match (zip, &secrets.ca_cert, &secrets.ca_key) {
        (None, Some(cert), Some(key)) => {
            Some(ca_import::import_ca(cert, key, pass).map_err(|e| ca_error(&e).2)?)
        }
        _ => None,
    };
    let layout = imported.as_ref().map(|i| i.layout());
    let (old, plan) = plan(spec_json, change, zip, layout)?;
    if let Some(kind) = old.as_ref().and_then(pki_core::rotate::pending_change)
        && !previous_done
    {
        return Err(protocol::unfinished_kit(kind));
    }
    if let (Some(o), ChangeRequest::RotateIssuer) = (&old, change) {
        // The root key signs it: the old issuing CA's key is not needed.
        let keys = keys_of(&plan, key_ids, &secrets.keys)?;
        return crate::issuer::apply(o, keys, secrets);
    }
    let Some(ca_key) = &secrets.ca_key else {
        return Err("the CA key did not reach the worker".into());
    };
    let ca = match (&old, imported) {
        (Some(o), _) => daytwo::unlock_ca(o, ca_key, pass).map_err(|e| ca_error(&e).2)?,
        // An issuing CA given with its root carries it (chain = [root]).
        (None, Some(i)) => i.material(),
        (None, None) => {
            return Err("the bundle or the CA certificate did not reach the worker".into());
        }
    };
    if let (Some(o), ChangeRequest::Revoke { .. } | ChangeRequest::RenewCaSameKey) = (&old, change)
    {
        return revoke_or_renew_ca(o, &ca, change);
    }
    let keys = keys_of(&plan, key_ids, &secrets.keys)?;
    if let Some(o) = old.as_ref().filter(|_| *change == ChangeRequest::RotateCa) {
        let new_passphrase = secrets.new_passphrase.as_deref().map(|p| p.as_slice());
        return rotate_to_new_key(o, &ca, keys, new_passphrase);
    }
    let (bundle, summary) =
        daytwo::apply_change(old.as_ref(), &ca, &plan, keys).map_err(|e| e.to_string())?;
    let done = ChangeDone {
        summary: summary.for_page(),
    };
    bundle_reply(&bundle, change, None, done)
}

/// The keys the plan asked the page for, read from the buffers in `key_ids`' order.
fn keys_of(
    plan: &ChangePlan,
    key_ids: &[String],
    ders: &[zeroize::Zeroizing<Vec<u8>>],
) -> Result<Keys, String> {
    let mut keys = Keys::new();
    for req in &plan.keys_to_make {
        let der = key_ids
            .iter()
            .position(|id| *id == req.id)
            .and_then(|i| ders.get(i))
            .ok_or_else(|| format!("the {} was never made", req.label))?;
        let key =
            pki_core::PrivateKey::from_pkcs8_der(req.algorithm, der).map_err(|e| e.to_string())?;
        keys.insert(req.id.clone(), key);
    }
    Ok(keys)
}

/// A rotation to the new CA key the page made: the kit, its new CA key encrypted with the
/// passphrase typed for it, never the old key's (a rotation may be because that key, and
/// perhaps its passphrase, leaked); unencrypted only when the person chose so.
fn rotate_to_new_key(
    o: &OpenedBundle,
    ca: &CaMaterial,
    mut keys: Keys,
    new_passphrase: Option<&[u8]>,
) -> Result<Reply, String> {
    let new_key = keys
        .remove(NEW_CA_KEY)
        .ok_or("the new CA key was never made")?;
    let sealing = new_passphrase
        .map(|p| pki_core::SealingKey::derive(utf8(p)?).map_err(|e| e.to_string()))
        .transpose()?;
    let now = OffsetDateTime::now_utc();
    let (kit, summary) =
        pki_core::rotate::rotate_ca(o, ca, Some(&new_key), keys, now, sealing.as_ref())
            .map_err(|e| e.to_string())?;
    let done = ChangeDone {
        summary: summary.to_string().trim().to_string(),
    };
    let ca_key = (
        kit.ca_key.path.clone(),
        kit.ca_key.contents.clone(),
        new_passphrase.is_some(),
    );
    bundle_reply(&kit, &ChangeRequest::RotateCa, Some(ca_key), done)
}

/// A passphrase's text.
pub(crate) fn utf8(p: &[u8]) -> Result<&str, String> {
    std::str::from_utf8(p).map_err(|_| "the passphrase is not UTF-8".to_string())
}

/// The [`FromWorker::Bundle`] answer for a changed bundle: its zip, the new CA key when there
/// is one (name, bytes, encrypted), and the listing with its texts apart.
pub(crate) fn bundle_reply(
    bundle: &pki_core::package::Bundle,
    operation: &ChangeRequest,
    ca_key: Option<(String, Vec<u8>, bool)>,
    change: ChangeDone,
) -> Result<Reply, String> {
    let zip = zeroize::Zeroizing::new(bundle.to_zip().map_err(|e| e.to_string())?);
    let mut listing = bundle.listing();
    listing.zip_name = protocol::download_name(bundle, &operation.operation());
    let (texts, text_lengths) = protocol::split_texts(&mut listing);
    let (ca_key_name, ca_key, ca_key_encrypted) = match ca_key {
        Some((name, bytes, encrypted)) => (name, Some(zeroize::Zeroizing::new(bytes)), encrypted),
        None => (String::new(), None, false),
    };
    Ok((
        FromWorker::Bundle {
            listing,
            text_lengths,
            ca_key_name,
            ca_key_encrypted,
            root_key_name: String::new(),
            assemble_ms: 0.0,
            zip_ms: 0.0,
            change: Some(change),
        },
        Secrets {
            zip: Some(protocol::buffer(&zip)),
            ca_key: ca_key.as_deref().map(|k| protocol::buffer(k)),
            texts: Some(protocol::buffer(&texts)),
            ..Default::default()
        },
    ))
}

/// A revocation (`revoke::revoke`) or a same-key CA renewal (`rotate::rotate_ca` without a new
/// key) of the opened bundle `o`: the new zip and pki-core's account of it.
fn revoke_or_renew_ca(
    o: &OpenedBundle,
    ca: &CaMaterial,
    change: &ChangeRequest,
) -> Result<Reply, String> {
    let now = OffsetDateTime::now_utc();
    let (bundle, note) = match change {
        ChangeRequest::Revoke {
            clients,
            members,
            serials,
            unlisted,
            reason,
            next_update_days,
        } => {
            use pki_core::revoke::{self, Target};
            let targets = clients
                .iter()
                .map(|c| Target::Client(c.clone()))
                .chain(members.iter().map(|m| Target::Member(m.clone())))
                .chain(serials.iter().map(|s| Target::Serial(s.clone())))
                .chain(unlisted.iter().map(|s| Target::Unlisted(s.clone())))
                .collect();
            let req = revoke::Request {
                targets,
                reason: pki_core::crl::RevocationReason::parse(reason)
                    .map_err(|e| e.to_string())?,
                next_update_days: *next_update_days,
                force: false,
            };
            let (b, s) = revoke::revoke(o, ca, &req, now).map_err(|e| e.to_string())?;
            (b, s.to_string())
        }
        _ => {
            let (b, s) = pki_core::rotate::rotate_ca(o, ca, None, Keys::new(), now, None)
                .map_err(|e| e.to_string())?;
            (b, s.to_string())
        }
    };
    let done = ChangeDone {
        summary: note.trim().to_string(),
    };
    bundle_reply(&bundle, change, None, done)
}
