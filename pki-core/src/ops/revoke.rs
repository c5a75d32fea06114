//! `etcd-pki revoke`: stop trusting a client, a removed member or any certificate now, not at
//! its expiry. Pure, like [`crate::ops::change`]: an opened bundle and its CA in, a new full bundle
//! out, which holds:
//!
//! - every certificate and key of the old bundle, byte for byte;
//! - a DER CRL signed by the CA ([`crate::crl`]) in every member's folder, `pki/crl.der`,
//!   listing every certificate revoked so far (`spec.json` keeps the list, so the next CRL
//!   takes none back), with the next update the person chose;
//! - per member `install-crl.sh` (+ `crl.env`): the CRL renamed into cert_dir under a running
//!   etcd, no restart ([`crate::kit`]);
//! - per member `etcd.service.d/20-etcd-pki-crl.conf`: the systemd drop-in that turns CRLs on
//!   (`ETCD_CLIENT_CRL_FILE`, `ETCD_PEER_CRL_FILE`; etcd's YAML config has no such key). A file
//!   of its own, so that `install.sh` of a later bundle, which writes `10-etcd-pki.conf`, never
//!   turns CRLs off. Turning them on takes one restart per member, once;
//! - in the kubeadm layout, each member's static pod manifest (`kubernetes/etcd.yaml`) with
//!   `--client-crl-file` and `--peer-crl-file` on etcd's command line: the CRL is in cert_dir,
//!   which the pod mounts at the same path.

use std::fmt;

use time::{Duration, OffsetDateTime};

use crate::crl::{self, CrlParams, RevocationReason, RevokedCert};
use crate::error::Error;
use crate::issue::{CaMaterial, rfc3339};
use crate::keys::Keys;
use crate::ops::change::{self, Change};
use crate::package::state::{BundleState, Revocations, RevokedRecord};
use crate::package::{Bundle, OpenedBundle};
use crate::spec::Layout;

/// The companion of `rbac.sh` that removes revoked clients' etcd users, at the bundle's top.
pub use crate::plan::RBAC_REVOKE;
/// The drop-in that turns CRLs on, in a member's `etcd.service.d/`.
pub use crate::revocations::CRL_DROPIN;
/// The id prefix of an earlier issuing CA's record (`issuing-ca/<serial hex>`,
/// [`crate::package::state::BundleState::previous_issuers`]).
pub const ISSUING_CA_ID: &str = "issuing-ca/";
/// The next update of a CRL when none is chosen, in days.
pub const DEFAULT_NEXT_UPDATE_DAYS: u32 = 30;

/// What to revoke.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// Every certificate of this client of the bundle.
    Client(String),
    /// The certificates of a member that has left, by name: found in `spec.json`'s
    /// `removed_members` (`remove-member` keeps them there); refused while it is still a member.
    Member(String),
    /// A certificate of the bundle, by serial.
    Serial(String),
    /// A serial no certificate of this bundle has: one of an earlier bundle (a removed
    /// member's, a renewed certificate's old key), as `remove-member` or `renew` printed it.
    Unlisted(String),
    /// `root+issuing`: an earlier issuing CA of this root, revoked by the root (its key is
    /// needed, [`revoke_under_root`]): `old`, the one `rotate-issuer` replaced last, or its
    /// SHA-256 fingerprint. etcd then refuses every certificate under it.
    IssuingCa(String),
}

/// A revocation: what, why, and until when the CRL holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    /// What to revoke; none: a new CRL of what is revoked already (the first, empty one that
    /// turns CRLs on, or one with a later next update).
    pub targets: Vec<Target>,
    /// Why.
    pub reason: RevocationReason,
    /// Days from now to the CRL's next update (1 to 3650).
    pub next_update_days: u32,
    /// Revoke even what cuts off a running part of the cluster: a current member's
    /// certificate (`--serial`), or the administrator client every runbook acts as.
    pub force: bool,
}

/// What a revocation did, for a person.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Summary {
    /// Newly revoked: (what, serial).
    pub revoked: Vec<(String, String)>,
    /// Serials on the CRL in all.
    pub total: usize,
    /// The CRL's number.
    pub crl_number: u64,
    /// Its next update, RFC 3339.
    pub next_update: String,
    /// Members whose folder holds `install-crl.sh`.
    pub members: Vec<String>,
    /// Whether this is the bundle's first CRL (members need one restart to read it).
    pub first: bool,
    /// The etcd users (CNs) of revoked clients that the bundle's `rbac-revoke.sh` removes.
    pub users: Vec<String>,
    /// The kubeadm layout: etcd runs as a static pod, whose manifest carries the CRL flags.
    pub kubeadm: bool,
    /// The root signed a new `root.crl` (`root+issuing`, [`revoke_under_root`]).
    pub root_crl: bool,
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (what, serial) in &self.revoked {
            if what.starts_with(ISSUING_CA_ID) {
                writeln!(
                    f,
                    "Revoked the issuing CA {what} (serial {serial}): once the CRL is installed, \
                     etcd refuses every certificate under it at its next handshake."
                )?;
            } else {
                writeln!(f, "Revoked {what} (serial {serial}).")?;
            }
        }
        if self.root_crl {
            writeln!(
                f,
                "root.crl (at the bundle's top) is the root's CRL of the revoked issuing CAs, \
                 for verifiers other than etcd (openssl verify -crl_check_all -CRLfile \
                 root.crl -CRLfile members/<name>/pki/crl.der)."
            )?;
        }
        if self.revoked.is_empty() {
            writeln!(
                f,
                "Nothing newly revoked: a new CRL of what is revoked already."
            )?;
        }
        writeln!(
            f,
            "CRL number {}: {} revoked serial(s), next update {} (make the next one before then).",
            self.crl_number,
            self.total,
            &self.next_update[..10.min(self.next_update.len())]
        )?;
        writeln!(
            f,
            "On each member ({}), as root, from its folder: bash install-crl.sh",
            self.members.join(", ")
        )?;
        // Only when this revocation adds a client: an earlier one's users were named then,
        // and a member's revocation has no etcd user to remove.
        let new_client = self
            .revoked
            .iter()
            .any(|(what, _)| what.starts_with("clients/"));
        if new_client && !self.users.is_empty() {
            writeln!(
                f,
                "Then remove their etcd user(s) ({}), as rbac.sh's root client, from the \
                 unpacked bundle: bash {RBAC_REVOKE}",
                self.users.join(", ")
            )?;
        }
        if self.first && self.kubeadm {
            write!(
                f,
                "This is the cluster's first CRL: etcd reads a CRL only if started with one. On \
                 each member in turn, after install-crl.sh (the CRL must be in place first: \
                 etcd refuses every connection while its CRL file is missing): install \
                 kubernetes/etcd.yaml, which now passes --client-crl-file and --peer-crl-file, \
                 as {}, kubelet restarts etcd; wait until it is healthy. (etcd run by systemd \
                 instead: etcd.service.d/{CRL_DROPIN}.) Later CRLs need no restart.",
                crate::render::kubeadm::MANIFEST_PATH
            )
        } else if self.first {
            write!(
                f,
                "This is the cluster's first CRL: etcd reads a CRL only if started with one. On \
                 each member in turn, after install-crl.sh: copy etcd.service.d/{CRL_DROPIN} to \
                 /etc/systemd/system/etcd.service.d/, systemctl daemon-reload, systemctl restart \
                 etcd, and wait until it is healthy. Later CRLs need no restart."
            )
        } else {
            write!(
                f,
                "The members read the new CRL at their next connection: no restart."
            )
        }
    }
}

fn refuse(field: &str, reason: impl Into<String>) -> Error {
    Error::Revocation {
        field: field.to_string(),
        value: String::new(),
        reason: reason.into(),
    }
}

/// Lowercase hex with colons, as `spec.json` writes serials.
fn colons(serial: &[u8]) -> String {
    crl::serial_hex(serial)
        .as_bytes()
        .chunks(2)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(":")
}

/// A certificate to put on the CRL: its id when the bundle knows it, its serial, and whether
/// the root revokes it (an issuing CA) rather than the issuing CA (a leaf).
#[derive(Clone, Debug, PartialEq, Eq)]
struct Entry {
    id: Option<String>,
    serial: Vec<u8>,
    by_root: bool,
}

impl Entry {
    fn leaf(id: Option<String>, serial: Vec<u8>) -> Entry {
        Entry {
            id,
            serial,
            by_root: false,
        }
    }
}

/// The new entries of `req` against `state`, refusing what is unknown, still in use in a way
/// a revocation would break silently, or revoked already.
fn resolve(state: &BundleState, req: &Request) -> Result<Vec<Entry>, Error> {
    let mut out: Vec<Entry> = Vec::new();
    for t in &req.targets {
        let entries = resolve_target(state, t)?;
        if !req.force {
            check_consequence(state, t, &entries)?;
        }
        out.extend(entries);
    }
    let already: Vec<Vec<u8>> = state
        .revocations
        .iter()
        .flat_map(|r| r.revoked.iter())
        .filter_map(|r| crl::parse_serial(&r.serial).ok())
        .collect();
    let mut seen = Vec::new();
    out.retain(|e| {
        let keep = !seen.contains(&e.serial);
        seen.push(e.serial.clone());
        keep
    });
    if let Some(e) = out.iter().find(|e| already.contains(&e.serial)) {
        return Err(refuse(
            "revoke",
            format!(
                "{} (serial {}) is revoked already; nothing to do",
                e.id.as_deref().unwrap_or("this certificate"),
                colons(&e.serial)
            ),
        ));
    }
    check_no_shared_serial(state, &out)?;
    Ok(out)
}

/// Refuses to list an issuing CA whose serial a leaf of this lineage also has (or a leaf whose
/// serial an issuing CA has): etcd matches serials only, and would refuse both.
fn check_no_shared_serial(state: &BundleState, new: &[Entry]) -> Result<(), Error> {
    let issuers: Vec<&crate::record::CertRecord> = std::iter::once(&state.ca)
        .chain(&state.previous_issuers)
        .collect();
    let leaves: Vec<&crate::record::CertRecord> = state
        .certificates
        .iter()
        .chain(&state.removed_members)
        .collect();
    for e in new {
        let (others, what) = if e.by_root {
            (&leaves, "the certificate")
        } else {
            (&issuers, "the issuing CA")
        };
        if let Some(other) = others
            .iter()
            .find(|c| crl::parse_serial(&c.serial).is_ok_and(|s| s == e.serial))
        {
            return Err(refuse(
                "revoke",
                format!(
                    "{} has serial {}, like {what} {} ({}): etcd matches a CRL's serials against \
                     every certificate of a chain, so listing it would cut off both; renew the \
                     certificate first (etcd-pki renew), then revoke",
                    e.id.as_deref().unwrap_or("this certificate"),
                    colons(&e.serial),
                    other.id,
                    other.subject
                ),
            ));
        }
    }
    Ok(())
}

/// Refuses, unless forced, a revocation that cuts off what the cluster runs on: a current
/// member's certificate (its peers or clients refuse it at the next handshake), or the
/// administrator client (CN root) that rbac.sh and every runbook act as.
fn check_consequence(state: &BundleState, t: &Target, entries: &[Entry]) -> Result<(), Error> {
    if let Target::Client(name) = t
        && state.spec.admin_client().is_some_and(|c| &c.name == name)
    {
        return Err(refuse(
            "--client",
            format!(
                "{name:?} is the administrator client (CN root) that rbac.sh and every runbook \
                 of this bundle act as: revoked, it locks them out of the cluster. Add another \
                 administrator first, or give --force if that is what you want"
            ),
        ));
    }
    for Entry { id, serial, .. } in entries {
        let member = state
            .certificates
            .iter()
            .find(|c| Some(&c.id) == id.as_ref())
            .and_then(|c| c.member.as_ref());
        if let Some(m) = member {
            return Err(refuse(
                "--serial",
                format!(
                    "{} is the certificate of {}, which is a current member of the cluster \
                     (serial {}): revoked, {m} is refused by its peers or clients at its next \
                     connection. Replace or remove it first (replace-member, remove-member, \
                     then revoke --member {m}), or give --force if that is what you want",
                    colons(serial),
                    id.as_deref().unwrap_or(m),
                    colons(serial),
                ),
            ));
        }
    }
    Ok(())
}

/// The serials one `--client`, `--member`, `--serial` or `--unlisted-serial` names.
fn resolve_target(state: &BundleState, t: &Target) -> Result<Vec<Entry>, Error> {
    let known = |s: &[u8]| {
        state
            .certificates
            .iter()
            .find(|c| crl::parse_serial(&c.serial).is_ok_and(|x| x == s))
    };
    let mut out: Vec<Entry> = Vec::new();
    match t {
        Target::Client(name) => out = client_entries(state, name)?,
        Target::Member(name) => out = removed_member_entries(state, name)?,
        Target::Serial(hex) => {
            let s = crl::parse_serial(hex)?;
            let c = known(&s).ok_or_else(|| {
                refuse(
                    "--serial",
                    format!(
                        "{hex:?} is no certificate of this bundle; for an earlier bundle's \
                             certificate (a removed member's, a renewed key's), say so with \
                             --unlisted-serial {hex}"
                    ),
                )
            })?;
            out.push(Entry::leaf(Some(c.id.clone()), s));
        }
        Target::Unlisted(hex) => {
            let s = crl::parse_serial(hex)?;
            if let Some(c) = known(&s) {
                return Err(refuse(
                    "--unlisted-serial",
                    format!("{hex:?} is {}'s serial in this bundle: use --serial", c.id),
                ));
            }
            out.push(Entry::leaf(None, s));
        }
        Target::IssuingCa(which) => out.push(issuing_ca_entry(state, which)?),
    }
    Ok(out)
}

/// The earlier issuing CA `which` names (`old`, or a SHA-256 fingerprint in any case, with or
/// without colons), to be revoked by the root.
fn issuing_ca_entry(state: &BundleState, which: &str) -> Result<Entry, Error> {
    if state.root.is_none() {
        return Err(refuse(
            "--issuing-ca",
            "this bundle has a single CA and no root: there is no issuing CA to revoke (a \
             single CA is replaced with etcd-pki rotate-ca)",
        ));
    }
    let plain = |f: &str| f.replace(':', "").to_ascii_lowercase();
    let earlier = || {
        let names: Vec<String> = state
            .previous_issuers
            .iter()
            .map(|c| format!("{} ({})", c.subject, c.sha256_fingerprint))
            .collect();
        if names.is_empty() {
            "this bundle records no earlier issuing CA; rotate-issuer records the one it \
             replaces"
                .to_string()
        } else {
            format!("its earlier issuing CAs: {}", names.join(", "))
        }
    };
    let found = if which == "old" {
        state
            .previous_issuers
            .last()
            .ok_or_else(|| refuse("--issuing-ca", format!("old: {}", earlier())))?
    } else {
        let want = plain(which);
        if want == plain(&state.ca.sha256_fingerprint) {
            return Err(refuse(
                "--issuing-ca",
                format!(
                    "{which} is the current issuing CA ({}), under which every certificate of \
                     this bundle is: make a new one first (etcd-pki rotate-issuer), swap the \
                     leaf files, then revoke this one",
                    state.ca.subject
                ),
            ));
        }
        state
            .previous_issuers
            .iter()
            .find(|c| plain(&c.sha256_fingerprint) == want)
            .ok_or_else(|| {
                refuse(
                    "--issuing-ca",
                    format!(
                        "{which:?} is the SHA-256 fingerprint of no issuing CA of this bundle's \
                         root ({}); give `old` or one of those fingerprints",
                        earlier()
                    ),
                )
            })?
    };
    Ok(Entry {
        id: Some(found.id.clone()),
        serial: crl::parse_serial(&found.serial)?,
        by_root: true,
    })
}

/// A client's certificates, by its name in the bundle.
fn client_entries(state: &BundleState, name: &str) -> Result<Vec<Entry>, Error> {
    let mut out: Vec<Entry> = Vec::new();
    let certs: Vec<_> = state
        .certificates
        .iter()
        .filter(|c| c.client.as_deref() == Some(name))
        .collect();
    if certs.is_empty() {
        let names: Vec<&str> = state.spec.clients.iter().map(|c| c.name.as_str()).collect();
        return Err(refuse(
            "--client",
            format!(
                "{name:?} is not a client of this bundle (its clients: {})",
                names.join(", ")
            ),
        ));
    }
    for c in certs {
        out.push(Entry::leaf(
            Some(c.id.clone()),
            crl::parse_serial(&c.serial)?,
        ));
    }
    Ok(out)
}

/// A removed member's certificates, by its name in the bundle's record of removed members; a
/// current member is refused (revoking it would cut it off at once).
fn removed_member_entries(state: &BundleState, name: &str) -> Result<Vec<Entry>, Error> {
    let mut out: Vec<Entry> = Vec::new();
    if state.spec.nodes.iter().any(|n| n.name == name) {
        return Err(refuse(
            "--member",
            format!(
                "{name:?} is still a member of this bundle, and revoking its \
                 certificates would cut it off at once: remove it first (etcd-pki \
                 remove-member), then revoke it by name in the new bundle; for a leaked \
                 key, renew it (etcd-pki renew --only {name}) and revoke the old serial \
                 with --unlisted-serial"
            ),
        ));
    }
    let certs: Vec<_> = state
        .removed_members
        .iter()
        .filter(|c| c.member.as_deref() == Some(name))
        .collect();
    if certs.is_empty() {
        let mut gone: Vec<&str> = state
            .removed_members
            .iter()
            .filter_map(|c| c.member.as_deref())
            .collect();
        gone.dedup();
        let known = if gone.is_empty() {
            "this bundle records no removed member".to_string()
        } else {
            format!("its removed members: {}", gone.join(", "))
        };
        return Err(refuse(
            "--member",
            format!(
                "{name:?} is neither a member of this bundle nor one removed from it \
                 ({known}); a certificate of an earlier bundle that does not record it \
                 is revoked by serial, --unlisted-serial HEX, as remove-member printed it"
            ),
        ));
    }
    for c in certs {
        let serial = crl::parse_serial(&c.serial)?;
        // A removed member's records come from spec.json alone (its certificates left with
        // it): one that names a certificate this bundle still holds is an edited spec.json,
        // and revoking it would cut off a running member or client.
        if let Some(current) = state
            .certificates
            .iter()
            .find(|k| crl::parse_serial(&k.serial).is_ok_and(|s| s == serial))
        {
            return Err(refuse(
                "--member",
                format!(
                    "spec.json records {} of removed member {name:?} with serial {}, which is \
                     the serial of {} in this bundle: revoking it would cut that certificate \
                     off; spec.json was edited or is not this bundle's: open the bundle \
                     remove-member wrote",
                    c.id, c.serial, current.id
                ),
            ));
        }
        out.push(Entry::leaf(Some(c.id.clone()), serial));
    }
    Ok(out)
}

/// Revokes what `req` names: a new bundle of `opened` (every certificate and key kept) with
/// the CRL, its runbook and drop-in in every member's folder, and `spec.json` listing every
/// revocation. `ca` must be the bundle's CA ([`change::unlock_ca`]).
pub fn revoke(
    opened: &OpenedBundle,
    ca: &CaMaterial,
    req: &Request,
    now: OffsetDateTime,
) -> Result<(Bundle, Summary), Error> {
    revoke_under_root(opened, ca, None, req, now)
}

/// [`revoke`], with the root's key at hand (`root`, [`crate::ca_import::unlock_root`]) for a
/// `root+issuing` bundle: what only the root may revoke, an earlier issuing CA
/// ([`Target::IssuingCa`]), is listed in the root's own CRL (`root.crl` at the top, signed
/// by the root, for verifiers other than etcd) and, like every leaf, in every member's
/// `crl.der` (signed by the issuing CA `ca`; etcd matches serials of the whole chain and checks
/// no signature). With `root` and nothing to revoke, `root.crl` is signed again (a later next
/// update). Both CRLs take the same, ever-growing number.
pub fn revoke_under_root(
    opened: &OpenedBundle,
    ca: &CaMaterial,
    root: Option<&CaMaterial>,
    req: &Request,
    now: OffsetDateTime,
) -> Result<(Bundle, Summary), Error> {
    check_request(req)?;
    let new = resolve(&opened.state, req)?;
    if root.is_none() && new.iter().any(|e| e.by_root) {
        return Err(refuse(
            "--root-key",
            "an issuing CA is revoked by the root, in the root's CRL: give the root's key \
             (--root-key ROOT.key, the <cluster>-root-ca.key saved when the bundle was made)",
        ));
    }
    if root.is_some() && opened.state.root.is_none() {
        return Err(refuse(
            "--root-key",
            "this bundle has a single CA and no root: leave --root-key out",
        ));
    }
    let previous = opened.state.revocations.as_ref();
    let next = now + Duration::days(i64::from(req.next_update_days));
    let revocations = next_revocations(previous, &new, req.reason, now, next);
    check_no_rollback(opened, &revocations)?;
    // install-crl.sh needs every member's absolute cert_dir (a one-machine demo's relative
    // paths cannot take a CRL): the same allowlist checks as the script's data file.
    for m in &opened.plan().members {
        crate::kit::files(&crate::kit::KitOp::InstallCrl {
            name: m.name.clone(),
            ips: m.ips.clone(),
            cert_dir: m.cert_dir.clone(),
            client_port: opened.state.spec.client_port,
        })?;
    }
    let der = sign_crl(ca, &revocations, now, next)?;
    // Every certificate and key as it was, and the new CRL in every member's folder.
    let mut plan = change::plan_change(Some(opened), &opened.state.spec, &Change::Keep, now)?;
    let mut carried = plan.plan.carried.clone();
    carried.revocations = Some(revocations.clone());
    if let Some(root) = root {
        carried.root_crl = Some(sign_root_crl(root, &revocations, now, next)?);
    }
    plan.plan.carry(carried);
    plan.crl = Some(der);
    let (bundle, _) = change::apply_change(Some(opened), ca, &plan, Keys::new())?;
    let users = revoked_users(&opened.state, &revocations, &bundle);
    let mut summary = summarise(&bundle, &new, &revocations, previous.is_none(), users);
    summary.root_crl = root.is_some();
    Ok((bundle, summary))
}

/// What `revoke` did, for a person: `new` is what this revocation added.
fn summarise(
    bundle: &Bundle,
    new: &[Entry],
    revocations: &Revocations,
    first: bool,
    users: Vec<String>,
) -> Summary {
    Summary {
        revoked: new
            .iter()
            .map(|e| {
                (
                    e.id.clone()
                        .unwrap_or_else(|| "a certificate of an earlier bundle".into()),
                    colons(&e.serial),
                )
            })
            .collect(),
        root_crl: false,
        total: revocations.revoked.len(),
        crl_number: revocations.crl_number,
        next_update: revocations.next_update.clone(),
        members: bundle.plan.members.iter().map(|m| m.name.clone()).collect(),
        first,
        users,
        kubeadm: bundle.plan.spec.layout == Layout::Kubeadm,
    }
}

/// Refuses to make a CRL that would take back a revocation: its number must be above the one
/// the opened bundle's CRL carries and its serials a superset of that CRL's — read from the
/// CRL itself, not from `spec.json`, so a hand-edited or stale `spec.json` cannot un-revoke.
fn check_no_rollback(opened: &OpenedBundle, next: &Revocations) -> Result<(), Error> {
    let Some(der) = crate::revocations::crl_of(opened)? else {
        return Ok(());
    };
    let old = crl::read(&der)?;
    let refuse_rollback = |reason: String| Error::Revocation {
        field: "--from".into(),
        value: String::new(),
        reason,
    };
    let old_number = old.number.unwrap_or(u64::MAX);
    if next.crl_number <= old_number {
        return Err(refuse_rollback(format!(
            "holds CRL number {old_number}, and the new CRL would be number {}: the bundle's \
             spec.json is older than its CRL; open the bundle that made CRL {old_number} or a \
             newer one",
            next.crl_number
        )));
    }
    let new: Vec<String> = next
        .revoked
        .iter()
        .filter_map(|r| crl::parse_serial(&r.serial).ok())
        .map(|s| crl::serial_hex(&s))
        .collect();
    let lost: Vec<String> = old
        .revoked
        .iter()
        .filter(|r| !new.contains(&r.serial))
        .filter_map(|r| crl::parse_serial(&r.serial).ok())
        .map(|s| colons(&s))
        .collect();
    if !lost.is_empty() {
        return Err(refuse_rollback(format!(
            "holds a CRL revoking {}, which the new CRL would no longer list (un-revoking \
             them): spec.json does not match the bundle's CRL; open the newest bundle",
            lost.join(", ")
        )));
    }
    Ok(())
}

/// Refuses a next update out of range, before anything is resolved.
fn check_request(req: &Request) -> Result<(), Error> {
    if req.next_update_days == 0 || req.next_update_days > 3650 {
        return Err(Error::Revocation {
            field: "--next-update".into(),
            value: req.next_update_days.to_string(),
            reason: "is out of range: give the days until the next CRL, 1 to 3650 (e.g. 30)".into(),
        });
    }
    Ok(())
}

/// The revocation state after this one: every earlier entry, then `new` (revoked `now` for
/// `reason`), under the next CRL number, valid until `next`.
fn next_revocations(
    previous: Option<&Revocations>,
    new: &[Entry],
    reason: RevocationReason,
    now: OffsetDateTime,
    next: OffsetDateTime,
) -> Revocations {
    let mut revoked: Vec<RevokedRecord> = previous.map(|p| p.revoked.clone()).unwrap_or_default();
    let at = rfc3339(now);
    for e in new {
        revoked.push(RevokedRecord {
            serial: colons(&e.serial),
            id: e.id.clone(),
            revoked_at: at.clone(),
            reason,
            issuer: e.by_root.then(|| crate::record::ROOT_ISSUER.to_string()),
        });
    }
    Revocations {
        crl_number: previous.map_or(1, |p| p.crl_number + 1),
        this_update: at,
        next_update: rfc3339(next),
        revoked,
    }
}

/// The DER CRL of `revocations` (every entry: what etcd reads), signed by `ca`, issued `now`
/// and valid until `next`.
fn sign_crl(
    ca: &CaMaterial,
    revocations: &Revocations,
    now: OffsetDateTime,
    next: OffsetDateTime,
) -> Result<Vec<u8>, Error> {
    sign_entries(ca, revocations, |_| true, now, next)
}

/// The root's CRL: the entries the root revoked (issuing CAs), signed by `root`.
fn sign_root_crl(
    root: &CaMaterial,
    revocations: &Revocations,
    now: OffsetDateTime,
    next: OffsetDateTime,
) -> Result<Vec<u8>, Error> {
    let by_root = |r: &RevokedRecord| r.issuer.as_deref() == Some(crate::record::ROOT_ISSUER);
    sign_entries(root, revocations, by_root, now, next)
}

fn sign_entries(
    ca: &CaMaterial,
    revocations: &Revocations,
    keep: impl Fn(&RevokedRecord) -> bool,
    now: OffsetDateTime,
    next: OffsetDateTime,
) -> Result<Vec<u8>, Error> {
    let params = CrlParams {
        this_update: now,
        next_update: next,
        number: revocations.crl_number,
        revoked: revocations
            .revoked
            .iter()
            .filter(|r| keep(r))
            .map(|r| {
                Ok(RevokedCert {
                    serial: crl::parse_serial(&r.serial)?,
                    // Entries keep their own date; spec.json's is RFC 3339 as written above.
                    revoked_at: parse_rfc3339(&r.revoked_at).unwrap_or(now),
                    reason: r.reason,
                })
            })
            .collect::<Result<_, Error>>()?,
    };
    crl::sign(&ca.cert_der, &ca.key()?, &params)
}

/// The etcd users `rbac-revoke.sh` of the new bundle removes: the CNs of the clients with a
/// revoked certificate (this revocation's and earlier ones'), root left out.
fn revoked_users(state: &BundleState, revocations: &Revocations, bundle: &Bundle) -> Vec<String> {
    let names = crate::revocations::revoked_clients(state, revocations);
    bundle
        .plan
        .spec
        .clients
        .iter()
        .filter(|c| names.contains(&c.name) && c.common_name != crate::spec::ADMIN_CN)
        .map(|c| c.common_name.clone())
        .collect()
}

fn parse_rfc3339(s: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()
}
