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
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (what, serial) in &self.revoked {
            writeln!(f, "Revoked {what} (serial {serial}).")?;
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

/// The new entries of `req` against `state`: (id, serial bytes), refusing what is unknown,
/// still in use in a way a revocation would break silently, or revoked already.
/// A certificate to put on the CRL: its id when the bundle knows it, and its serial.
type Entry = (Option<String>, Vec<u8>);

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
    out.retain(|(_, s)| {
        let keep = !seen.contains(s);
        seen.push(s.clone());
        keep
    });
    if let Some((id, s)) = out.iter().find(|(_, s)| already.contains(s)) {
        return Err(refuse(
            "revoke",
            format!(
                "{} (serial {}) is revoked already; nothing to do",
                id.as_deref().unwrap_or("this certificate"),
                colons(s)
            ),
        ));
    }
    Ok(out)
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
    for (id, serial) in entries {
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
            out.push((Some(c.id.clone()), s));
        }
        Target::Unlisted(hex) => {
            let s = crl::parse_serial(hex)?;
            if let Some(c) = known(&s) {
                return Err(refuse(
                    "--unlisted-serial",
                    format!("{hex:?} is {}'s serial in this bundle: use --serial", c.id),
                ));
            }
            out.push((None, s));
        }
    }
    Ok(out)
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
        out.push((Some(c.id.clone()), crl::parse_serial(&c.serial)?));
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
        out.push((Some(c.id.clone()), serial));
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
    check_request(req)?;
    let new = resolve(&opened.state, req)?;
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
    plan.plan.carry(carried);
    plan.crl = Some(der);
    let (bundle, _) = change::apply_change(Some(opened), ca, &plan, Keys::new())?;
    let users = revoked_users(&opened.state, &revocations, &bundle);
    let summary = summarise(&bundle, &new, &revocations, previous.is_none(), users);
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
            .map(|(id, s)| {
                (
                    id.clone()
                        .unwrap_or_else(|| "a certificate of an earlier bundle".into()),
                    colons(s),
                )
            })
            .collect(),
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
    for (id, s) in new {
        revoked.push(RevokedRecord {
            serial: colons(s),
            id: id.clone(),
            revoked_at: at.clone(),
            reason,
        });
    }
    Revocations {
        crl_number: previous.map_or(1, |p| p.crl_number + 1),
        this_update: at,
        next_update: rfc3339(next),
        revoked,
    }
}

/// The DER CRL of `revocations`, signed by `ca`, issued `now` and valid until `next`.
fn sign_crl(
    ca: &CaMaterial,
    revocations: &Revocations,
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
