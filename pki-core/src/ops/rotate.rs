//! A new CA for a running cluster, as a kit (`etcd-pki rotate-ca`, [`rotate_ca`]): a rotation
//! to a new CA key — the new CA and every leaf under it, deployed in three phases by the
//! scripts of [`crate::kit`] — or a same-key renewal of the CA certificate (`--same-key`).
//!
//! A renewed CA certificate keeps the old one's subject (byte for byte, string types kept),
//! key and subject key identifier, so every certificate the old one issued — issuer field =
//! subject, AKI = SKI, signature by the same key — verifies under the renewed one: only the
//! validity and the serial change. etcd reads its trusted CA file only at start, so deploying
//! it takes one rolling restart (`renew-ca.sh`) and nothing else.

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, IsCa, KeyIdMethod,
    KeyUsagePurpose, SerialNumber,
};
use time::{Duration, OffsetDateTime};

use crate::crl::ca_facts;
use crate::error::Error;
use crate::keys::{PrivateKey, random_bytes};
use crate::raw_issuer::{Unsigned, resign};

/// notBefore is set this far back, as for every certificate of etcd-pki (clock skew).
const CLOCK_SKEW: Duration = Duration::minutes(5);

fn bad(field: &str, reason: &str) -> Error {
    Error::Revocation {
        field: field.to_string(),
        value: String::new(),
        reason: reason.to_string(),
    }
}

/// The CA certificate `ca_cert_der` renewed with its key `ca_key`: same subject, key, key
/// identifier, path length and key usages; a new random serial; valid from `now` (less five
/// minutes) for `validity_days`. DER.
pub fn renew_ca_same_key(
    ca_cert_der: &[u8],
    ca_key: &PrivateKey,
    now: OffsetDateTime,
    validity_days: u32,
) -> Result<Vec<u8>, Error> {
    if validity_days == 0 || validity_days > 36500 {
        return Err(Error::Revocation {
            field: "validity_days".into(),
            value: validity_days.to_string(),
            reason: "is out of range; use 1 to 36500 days".into(),
        });
    }
    let ca = ca_facts(ca_cert_der, ca_key)?;
    // Leaves carry the old SKI as their AKI: the renewed certificate must have the same one.
    if !ca.has_ski {
        return Err(bad(
            "ca.crt",
            "has no subject key identifier, so a renewed certificate cannot promise to match \
             its leaves' authority key identifier; rotate to a new CA instead",
        ));
    }
    let mut params = CertificateParams::default();
    // A stand-in name: the old subject goes in byte for byte below.
    params.distinguished_name = DistinguishedName::new();
    params
        .distinguished_name
        .push(DnType::CommonName, "stand-in subject");
    params.is_ca = IsCa::Ca(match ca.path_len {
        Some(n) => BasicConstraints::Constrained(n.min(255) as u8),
        None => BasicConstraints::Unconstrained,
    });
    params.key_usages = ca
        .key_usages
        .clone()
        .unwrap_or_else(|| vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign]);
    params.key_identifier_method = KeyIdMethod::PreSpecified(ca.key_id.clone());
    params.not_before = now - CLOCK_SKEW;
    params.not_after = now + Duration::days(i64::from(validity_days));
    let mut serial = [0u8; 16];
    random_bytes(&mut serial)?;
    serial[0] = (serial[0] & 0x7f) | 0x01;
    params.serial_number = Some(SerialNumber::from_slice(&serial));
    let laid_out = params
        .self_signed(&Unsigned(ca_key))
        .map_err(|e| bad("ca.crt", &format!("could not be renewed: {e}")))?;
    // TBSCertificate: [0] version, serial, signature, issuer (3), validity, subject (5).
    resign(
        laid_out.der(),
        &[(3, &ca.subject_der), (5, &ca.subject_der)],
        ca_key,
    )
    .map_err(|e| bad("ca.crt", &format!("could not be signed: {e}")))
}

/// What `rotate-ca` did, for a person.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RotateSummary {
    /// A same-key renewal (else a rotation to a new key).
    pub same_key: bool,
    /// The new CA certificate's subject and notAfter (RFC 3339).
    pub new_ca: (String, String),
    /// The old one's notAfter.
    pub old_ca_not_after: String,
    /// Members, in order.
    pub members: Vec<String>,
    /// Clients, in order.
    pub clients: Vec<String>,
    /// Whether the kit carries a CRL (install it after phase 1).
    pub crl: bool,
}

impl std::fmt::Display for RotateSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let day = |s: &str| s.get(..10).unwrap_or(s).to_string();
        let m = self.members.join(", ");
        if self.same_key {
            let (new_end, old_end) = (day(&self.new_ca.1), day(&self.old_ca_not_after));
            // Renewed the day it was made (or last renewed): the end does not move.
            let was = if new_end == old_end {
                "the same day as before: a CA renewed this young gains nothing".to_string()
            } else {
                format!("was {old_end}")
            };
            writeln!(
                f,
                "Renewed the CA certificate \"{}\" with the same key: valid until {new_end} ({was}); \
                 every certificate stays as it is.",
                self.new_ca.0,
            )?;
            writeln!(
                f,
                "One rolling restart: on each member ({m}) in turn, as root, from its folder: bash \
                 rotate/renew-ca.sh (it waits until the member is back and caught up)."
            )?;
            write!(
                f,
                "Clients ({}): their CA file any time before {}: bash rotate/rotate-client.sh renew DIR.",
                self.clients.join(", "),
                day(&self.old_ca_not_after)
            )
        } else {
            writeln!(
                f,
                "Made a new CA \"{}\" (valid until {}) and every member and client certificate \
                 under it. Follow ROTATE.md of the kit, one member at a time:",
                self.new_ca.0,
                day(&self.new_ca.1)
            )?;
            writeln!(
                f,
                "  1. each member ({m}): bash rotate/1-trust-both.sh   (one restart each)"
            )?;
            writeln!(f, "     each client: bash rotate/rotate-client.sh 1 DIR")?;
            if self.crl {
                writeln!(
                    f,
                    "     each member: bash install-crl.sh   (the revocations so far, signed by the new CA)"
                )?;
            }
            writeln!(
                f,
                "  2. each member: bash rotate/2-reissue.sh --clients-trust-both   (no restart)"
            )?;
            writeln!(
                f,
                "     each client: bash rotate/rotate-client.sh 2 DIR, then 3 DIR"
            )?;
            write!(
                f,
                "  3. each member: bash rotate/3-drop-old.sh --clients-reissued   (one restart each)"
            )
        }
    }
}

/// The kit's `ROTATE.md`: the steps in order, for this cluster.
fn rotate_md(s: &RotateSummary, cluster: &str) -> String {
    let keep = if s.same_key {
        "Keep the old bundle until rotate/renew-ca.sh is done on every member (the CA key does \
         not change)."
    } else {
        "Keep the old bundle and CA key until step 3 is done everywhere."
    };
    let title = if s.same_key {
        "CA renewal kit"
    } else {
        "CA rotation kit"
    };
    format!(
        "# {title} of etcd cluster {cluster}\n\n\
         Made by `etcd-pki rotate-ca`. This is the cluster's newest bundle: the next day-two \
         operation starts from it.\n\n```text\n{s}\n```\n\n\
         Every step checks that the previous one took effect (which CAs the trusted CA file \
         holds, what each member's ports accept and serve) and otherwise refuses, exit 3, \
         naming the step to run; a step already done does nothing. Each member step waits \
         until the member is back: every member healthy and started, its raft index within 50 \
         of the leader's. `ETCD_PKI_RESTART` replaces `systemctl restart etcd` where etcd runs \
         otherwise. {keep}\n"
    )
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

/// `etcd-pki rotate-ca`: the kit that moves the cluster of `opened` (CA `ca`) to a new CA.
///
/// With `new_key` (a rotation): a new CA made with it, every member and client certificate
/// and key new under it, the JWT signing key kept (a new one would invalidate tokens while
/// members disagree), the revocations so far carried over in a CRL signed by the new CA, and
/// the three-phase scripts in every folder. With `None` (same-key renewal): the CA certificate
/// renewed with the same key ([`renew_ca_same_key`]) in every folder, everything else kept,
/// and `renew-ca.sh`. `keys` holds one key per key of the plan but the CA's (a rotation only;
/// empty for a renewal). `sealing` seals the new CA key file (a rotation whose new key has a
/// passphrase; the plan says so before the README is rendered).
pub fn rotate_ca(
    opened: &crate::package::OpenedBundle,
    ca: &crate::issue::CaMaterial,
    new_key: Option<&PrivateKey>,
    keys: crate::keys::Keys,
    now: OffsetDateTime,
    sealing: Option<&crate::SealingKey>,
) -> Result<(crate::package::Bundle, RotateSummary), Error> {
    use crate::ops::change;

    let spec = &opened.state.spec;
    let old_cert = ca.cert()?;
    let same_key = new_key.is_none();
    // The CA the kit moves to comes first: the kit's scripts carry its certificate, and they
    // are files of the plan like every other.
    let (new_ca, mut plan) = match new_key {
        Some(key) => new_ca_plan(opened, key, now)?,
        None => same_key_plan(opened, ca, now)?,
    };
    let new_cert = new_ca.cert()?;
    let members: Vec<(String, std::net::IpAddr)> = plan
        .plan
        .members
        .iter()
        .filter_map(|m| m.ips.first().map(|ip| (m.name.clone(), *ip)))
        .collect();
    let summary = RotateSummary {
        same_key,
        new_ca: (
            new_cert.info.subject.clone(),
            new_cert.info.not_after.clone(),
        ),
        old_ca_not_after: old_cert.info.not_after.clone(),
        members: members.iter().map(|(n, _)| n.clone()).collect(),
        clients: spec.clients.iter().map(|c| c.name.clone()).collect(),
        crl: opened.state.revocations.is_some(),
    };
    let mut kit = kit_files(
        &plan.plan,
        spec,
        &members,
        (&pem_of(&ca.cert_der), &new_cert.pem),
        same_key,
    )?;
    kit.push(crate::runbook::RunbookFile {
        path: "ROTATE.md".into(),
        mode: 0o644,
        contents: rotate_md(&summary, &spec.cluster_name),
    });
    plan.plan.prepare(kit.iter().map(crate::runbook::file_plan));
    // A new CA key is sealed when a passphrase was given for it; the same key is not
    // written again (the old key file stays the CA key).
    plan.plan = plan.plan.seal_ca_key(sealing.is_some());
    let (bundle, _) = change::apply_change_sealed(Some(opened), &new_ca, &plan, keys, sealing)?;
    if !same_key && let Some(rev) = &opened.state.revocations {
        check_no_serial_on_crl(&bundle, rev)?;
    }
    Ok((bundle, summary))
}

/// A rotation: a new CA from `key` and every leaf under it, planned as a new bundle that is a
/// child of `opened`.
fn new_ca_plan(
    opened: &crate::package::OpenedBundle,
    key: &PrivateKey,
    now: OffsetDateTime,
) -> Result<(crate::issue::CaMaterial, crate::ops::change::ChangePlan), Error> {
    use crate::ops::change::{self, Change};

    let mut plan = change::plan_change(None, &opened.state.spec, &Change::Generate, now)?;
    let new_ca = crate::issue::new_ca(&plan.plan.ca, key, now)?;
    // A child of the opened bundle. The removed members' records go: the new CA never signed
    // them, and no member trusts the old one afterwards. The revocations stay, re-signed.
    let mut carried = crate::revocations::carried(opened, &[]);
    carried.removed_members.clear();
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
    Ok((new_ca, plan))
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
fn resign_revocations(
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

/// A same-key renewal: the renewed CA certificate in every folder and spec.json, everything
/// else byte for byte.
fn same_key_plan(
    opened: &crate::package::OpenedBundle,
    ca: &crate::issue::CaMaterial,
    now: OffsetDateTime,
) -> Result<(crate::issue::CaMaterial, crate::ops::change::ChangePlan), Error> {
    use crate::ops::change::{self, Change};

    let spec = &opened.state.spec;
    let renewed = renew_ca_same_key(&ca.cert_der, &ca.key()?, now, spec.ca_validity_days)?;
    let mut plan = change::plan_change(Some(opened), spec, &Change::Keep, now)?;
    let mut carried = plan.plan.carried.clone();
    carried.rotation = Some(rotation_state(true));
    plan.plan.carry(carried);
    // The renewed certificate is the CA the new bundle is made under: every folder's ca.crt
    // and spec.json's record come from it in one pass.
    let renewed_ca = crate::issue::CaMaterial {
        cert_der: renewed,
        key_pkcs8_der: ca.key_pkcs8_der.clone(),
        chain: Vec::new(),
    };
    Ok((renewed_ca, plan))
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
