//! A new issuing CA under the same root, deployed with no restart (`etcd-pki rotate-issuer`,
//! [`rotate_issuer`]).
//!
//! etcd reads its trusted CA file only at start, but its certificate and key files at every
//! new handshake, and Go's TLS takes the certificates a peer sends after its leaf as
//! intermediates. In the root+issuing layout every trusted CA file holds the root alone and
//! every leaf file holds `leaf + issuing CA`, so a new issuing CA under the same root changes
//! leaf files only: the kit's scripts rename them in place, member by member, then client by
//! client ([`crate::issuer_kit`]). Certificates of both issuing CAs verify under the root
//! meanwhile; the old issuing CA is revoked in the root's CRL afterwards.
//!
//! Like every operation the kit is planned whole — a new bundle of the same spec, every leaf
//! and key new, the JWT key and the revocations carried, the root's trust files kept byte for
//! byte, the scripts prepared files of the plan — then issued, rendered and packaged once.

use time::OffsetDateTime;

use crate::error::Error;
use crate::issue::CaMaterial;
use crate::keys::{Keys, PrivateKey};
use crate::ops::change::{self, Change, ChangePlan};
use crate::package::{Bundle, OpenedBundle};

/// [`crate::record::Rotation::kind`] of an issuing-CA rotation.
pub const ISSUER_ROTATION: &str = "issuer rotation";

/// The last step of an issuing-CA rotation, on every member and client.
const LAST_STEP: &str = "members/<name>/rotate-issuer.sh on every member, then clients/<name>/rotate-issuer.sh DIR for every client";

pub use crate::issuer_kit::IssuerRotationSummary;

/// The files the revoke step's command names: the kit, the new issuing CA key and the root
/// key, each key with its passphrase file when it has one. Shell-quoted by
/// [`IssuerRotationSummary::with_paths`].
#[derive(Clone, Copy, Debug)]
pub struct RevokeFiles<'a> {
    /// The kit (`--from`).
    pub kit: &'a str,
    /// The new issuing CA key (`--ca-key`).
    pub ca_key: &'a str,
    /// Its passphrase file, if it is sealed and one was given.
    pub ca_passphrase_file: Option<&'a str>,
    /// The root key (`--root-key`).
    pub root_key: &'a str,
    /// Its passphrase file, if one was given.
    pub root_passphrase_file: Option<&'a str>,
}

impl IssuerRotationSummary {
    /// The summary with the revoke step's command written for these files, ready to paste.
    pub fn with_paths(&self, files: RevokeFiles) -> String {
        let w = crate::render::quote::word;
        let mut revoke = format!(
            "etcd-pki revoke --from {} --ca-key {}",
            w(files.kit),
            w(files.ca_key)
        );
        if let Some(p) = files.ca_passphrase_file {
            revoke.push_str(&format!(" --ca-passphrase-file {}", w(p)));
        }
        revoke.push_str(&format!(
            " --issuing-ca old --root-key {}",
            w(files.root_key)
        ));
        if let Some(p) = files.root_passphrase_file {
            revoke.push_str(&format!(" --root-passphrase-file {}", w(p)));
        }
        revoke.push_str(" --previous-rotation-done");
        let mut out = String::new();
        self.write(&mut out, &revoke).expect("writing to a String");
        out
    }

    fn write(&self, f: &mut impl std::fmt::Write, revoke: &str) -> std::fmt::Result {
        let day = |s: &str| s.get(..10).unwrap_or(s).to_string();
        writeln!(
            f,
            "Made a new issuing CA \"{}\" (valid until {}) under the same root \"{}\", and every \
             member and client certificate under it{}; every trusted CA file stays as it is, so \
             there is no restart. Follow ROTATE-ISSUER.md of the kit:",
            self.new_issuer.0,
            day(&self.new_issuer.1),
            self.root,
            if self.keys_kept {
                " on the key it had"
            } else {
                ", each with a new key"
            }
        )?;
        writeln!(
            f,
            "  1. each member, one at a time ({}), as root from its folder of the kit \
             (members/<name>/): bash rotate-issuer.sh   (no restart)",
            self.members.join(", ")
        )?;
        let clients: Vec<&str> = self.clients.iter().map(|(n, _)| n.as_str()).collect();
        writeln!(
            f,
            "  2. then each client ({}), from its folder (clients/<name>/): bash rotate-issuer.sh \
             DIR   (DIR: where its ca.crt, client.crt and client.key are installed)",
            clients.join(", ")
        )?;
        write!(
            f,
            "  3. then revoke the old issuing CA \"{}\" (serial {}):\n     {revoke}",
            self.old_issuer.0, self.old_issuer.1
        )
    }
}

impl std::fmt::Display for IssuerRotationSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.write(
            f,
            "etcd-pki revoke --from KIT.zip --ca-key NEW-ISSUING.key --issuing-ca old \
             --root-key ROOT.key --previous-rotation-done",
        )
    }
}

/// The plan of an issuing-CA rotation of `opened`: a new bundle of the same spec, every leaf
/// and key new but the JWT signing key, a child of `opened`. Its
/// [`ChangePlan::keys_to_make`] are the keys to make before [`rotate_issuer`] (neither CA's).
/// Refuses a bundle of the `single` layout and a kit whose rotation is half done.
pub fn plan_issuer_rotation(
    opened: &OpenedBundle,
    now: OffsetDateTime,
) -> Result<ChangePlan, Error> {
    plan_issuer_rotation_with(opened, now, false)
}

/// [`plan_issuer_rotation`]; with `keep_keys`, every member and client certificate is issued
/// again on the key it has (`--keep-keys`): each swap then renames a certificate whose key
/// file does not change, so no handshake can ever read a certificate with the other key.
pub fn plan_issuer_rotation_with(
    opened: &OpenedBundle,
    now: OffsetDateTime,
    keep_keys: bool,
) -> Result<ChangePlan, Error> {
    refuse_unready(opened)?;
    let mut plan = change::plan_change(None, &opened.state.spec, &Change::Generate, now)?;
    // Neither CA key is made: the root stays, the new issuing key is the caller's.
    plan.keys_to_make
        .retain(|r| r.id != crate::plan::CA_KEY && r.id != crate::plan::ROOT_KEY);
    // The JWT signing key stays, byte for byte: tokens of any member must verify on every
    // member while members are swapped one by one.
    let jwt = crate::plan::JWT_KEY;
    if plan.plan.key(jwt).is_some() && opened.plan().key(jwt).is_some() {
        plan.keys_to_make.retain(|r| r.id != jwt);
        plan.keys_changed.retain(|id| id != jwt);
        plan.keys_kept.push(jwt.to_string());
    }
    if keep_keys {
        let old = opened.plan();
        let same = |id: &str, alg| old.key(id).is_some_and(|k| k.algorithm == alg);
        let kept: Vec<String> = plan
            .keys_to_make
            .iter()
            .filter(|r| same(&r.id, r.algorithm))
            .map(|r| r.id.clone())
            .collect();
        plan.keys_to_make.retain(|r| !kept.contains(&r.id));
        plan.keys_changed.retain(|id| !kept.contains(id));
        plan.keys_kept.extend(kept);
    }
    plan.ca_changes = true;
    Ok(plan)
}

/// Refuses what no issuing-CA rotation can start from: a `single` bundle (no root to keep)
/// and the kit of a CA change whose steps may still be running.
fn refuse_unready(opened: &OpenedBundle) -> Result<(), Error> {
    if opened.state.root.is_none() {
        return Err(refuse(
            "--from",
            "this bundle has a single CA (no root above an issuing CA), so every trusted CA file \
             holds the CA that signs the leaves and a new one would need restarts: move the \
             cluster to root + issuing CA first (etcd-pki rotate-ca, two rolling restarts), then \
             rotate issuing CAs with no restart; nothing was written",
        ));
    }
    if let Some(kind) = crate::rotate::pending_change(opened) {
        let last = opened
            .state
            .rotation
            .as_ref()
            .map_or("the kit's last step", |r| r.last_step.as_str());
        return Err(refuse(
            "--from",
            &format!(
                "this bundle is the kit of a CA {kind} that may be half done; a new issuing CA \
                 before it is done everywhere would leave members with certificates of neither \
                 CA the next kit expects. Finish it first ({last}), then make the kit again \
                 from a bundle made after it; nothing was written"
            ),
        ));
    }
    Ok(())
}

/// The root of the `root+issuing` bundle `opened`, with its key (`--root-key`): the root
/// certificate from the bundle (spec.json's root record) and `key`, in any form
/// [`crate::ca_import::import_ca`] reads (`passphrase` for a sealed one). Refuses a key that is
/// not the root's, and a bundle with a single CA (no root).
pub fn unlock_root(
    opened: &OpenedBundle,
    key: &[u8],
    passphrase: Option<&[u8]>,
) -> Result<CaMaterial, Error> {
    let chain = crate::ops::change::root_chain(opened)?;
    let Some(root_der) = chain.first() else {
        return Err(Error::Change {
            field: "--root-key".into(),
            reason: "this bundle has a single CA, no root above it: there is no root key to \
                     give"
                .into(),
        });
    };
    let root = crate::ca_import::import_ca(root_der, key, passphrase).map_err(|e| match e {
        Error::CaKeyMismatch { .. } => Error::Change {
            field: "--root-key".into(),
            reason: "this key is not the key of the bundle's root (ca.crt): give the root key \
                     saved when the bundle was first made (<cluster>-root-ca.key); nothing was \
                     written"
                .into(),
        },
        other => other,
    })?;
    Ok(CaMaterial {
        cert_der: root.cert_der.clone(),
        key_pkcs8_der: root.key_pkcs8_der.clone(),
        chain: Vec::new(),
    })
}

/// `etcd-pki rotate-issuer`: the kit that moves the cluster of `opened` to a new issuing CA
/// made with `new_issuing_key` under `root` (the bundle's root with its key,
/// [`unlock_root`]), with no restart.
///
/// `keys` holds one key per [`plan_issuer_rotation`]`(opened, now).keys_to_make`; `sealing`
/// seals the new issuing CA key file (none: written unencrypted). Refuses, writing nothing, a
/// `root` that is not the bundle's, a `single` bundle and a half-done rotation kit.
pub fn rotate_issuer(
    opened: &OpenedBundle,
    root: &CaMaterial,
    new_issuing_key: &PrivateKey,
    keys: Keys,
    now: OffsetDateTime,
    sealing: Option<&crate::SealingKey>,
) -> Result<(Bundle, IssuerRotationSummary), Error> {
    rotate_issuer_with(opened, root, new_issuing_key, keys, now, sealing, false)
}

/// [`rotate_issuer`]; with `keep_keys`, every certificate on the key it has
/// ([`plan_issuer_rotation_with`], whose `keys_to_make` `keys` then answers).
pub fn rotate_issuer_with(
    opened: &OpenedBundle,
    root: &CaMaterial,
    new_issuing_key: &PrivateKey,
    keys: Keys,
    now: OffsetDateTime,
    sealing: Option<&crate::SealingKey>,
    keep_keys: bool,
) -> Result<(Bundle, IssuerRotationSummary), Error> {
    let mut plan = plan_issuer_rotation_with(opened, now, keep_keys)?;
    let bundle_root = file_der(opened, root_path(opened))?;
    if bundle_root != root.cert_der {
        return Err(refuse(
            "--root-key",
            "this key is not the key of the bundle's root (ca.crt): give the root key saved \
             when the bundle was first made (<cluster>-root-ca.key); nothing was written",
        ));
    }
    let root_cert = root.cert()?;
    let old = opened.state.ca.clone();
    let old_issuer_der = file_der(
        opened,
        old.paths.first().map_or("issuing-ca.crt", String::as_str),
    )?;
    // Two issuing CAs of one root never share a name (a CRL is found by its issuer's name, so
    // an openssl-style check of an old leaf would pick the new issuing CA's CRL): the name
    // says the minute, so a rotation in the minute its bundle was made is dated a minute
    // later (its notBefore is five minutes back anyway).
    let mut made_at = now;
    while crate::issue::issuing_common_name(&plan.plan.ca, made_at) == common_name(&old_issuer_der)
    {
        made_at += time::Duration::minutes(1);
    }
    let new_issuing = crate::issue::new_issuing(&plan.plan.ca, new_issuing_key, root, made_at)?;
    if new_issuing.cert_der == old_issuer_der {
        return Err(refuse(
            "new issuing CA",
            "it is the old one itself; run again",
        ));
    }
    let new_cert = new_issuing.cert()?;

    // A child of the opened bundle; its removed members' records go (the new issuing CA never
    // signed them), the revocations stay, re-signed by the new issuing CA, and the old issuing
    // CA joins the earlier ones, for `revoke --issuing-ca old`.
    let mut carried = crate::revocations::carried(opened, &[]);
    carried.removed_members.clear();
    carried.rotation = Some(crate::record::Rotation {
        kind: ISSUER_ROTATION.into(),
        last_step: LAST_STEP.into(),
    });
    carried.ca_key_kept = false;
    let mut previous = old.clone();
    previous.role = "issuing-ca".into();
    previous.id = format!("issuing-ca/{}", old.serial.replace(':', "").to_uppercase());
    previous.paths.clear();
    carried.previous_issuers.retain(|p| p.id != previous.id);
    carried.previous_issuers.push(previous);
    if let Some(rev) = &opened.state.revocations {
        let (next, der) = crate::rotate::resign_revocations(rev, &new_issuing, now)?;
        carried.revocations = Some(next);
        plan.crl = Some(der);
    }
    plan.plan.carry(carried);
    // The root is kept: its key file is not written again.
    plan.plan.root_key_file = None;

    let spec = &opened.state.spec;
    let summary = IssuerRotationSummary {
        root: root_cert.info.subject.clone(),
        new_issuer: (
            new_cert.info.subject.clone(),
            new_cert.info.not_after.clone(),
        ),
        old_issuer: (
            old.subject.clone(),
            old.serial.clone(),
            old.not_after.clone(),
        ),
        members: plan.plan.members.iter().map(|m| m.name.clone()).collect(),
        clients: spec
            .clients
            .iter()
            .map(|c| (c.name.clone(), c.kind.as_str().to_string()))
            .collect(),
        crl: opened.state.revocations.is_some(),
        keys_kept: keep_keys,
    };
    let chain = crate::issuer_kit::Chain {
        root: &root.cert_der,
        issuer: &new_issuing.cert_der,
    };
    let mut kit = kit_files(&plan.plan, chain)?;
    kit.push(crate::issuer_kit::guide(&spec.cluster_name, &summary)?);
    plan.plan.prepare(kit.iter().map(crate::runbook::file_plan));
    plan.plan = plan.plan.seal_ca_key(sealing.is_some());
    let (bundle, _) =
        change::apply_change_sealed(Some(opened), &new_issuing, &plan, keys, sealing)?;
    check_trust_files_kept(opened, &bundle)?;
    Ok((bundle, summary))
}

/// One script and its data per member and per client.
fn kit_files(
    plan: &crate::plan::Plan,
    chain: crate::issuer_kit::Chain,
) -> Result<Vec<crate::runbook::RunbookFile>, Error> {
    let addresses: Vec<std::net::IpAddr> = plan
        .members
        .iter()
        .filter_map(|m| m.ips.first().copied())
        .collect();
    let mut out = Vec::new();
    for m in &plan.members {
        out.extend(crate::issuer_kit::member_files(
            &crate::issuer_kit::MemberStep {
                name: m.name.clone(),
                ips: m.ips.clone(),
                cert_dir: m.cert_dir.clone(),
                client_port: plan.spec.client_port,
                peer_port: plan.spec.peer_port,
                addresses: addresses.clone(),
            },
            chain,
        )?);
    }
    let endpoints = crate::plan::client_endpoints(&plan.members);
    for c in &plan.spec.clients {
        out.extend(crate::issuer_kit::client_files(
            &c.name,
            c.kind.as_str(),
            &endpoints,
            chain,
        )?);
    }
    Ok(out)
}

/// The promise of the rotation: every trusted CA file of the kit is the opened bundle's, byte
/// for byte (members never restart because their CA file never changes).
fn check_trust_files_kept(opened: &OpenedBundle, kit: &Bundle) -> Result<(), Error> {
    let Some(root) = &opened.state.root else {
        return Ok(());
    };
    for path in &root.paths {
        let (Some(old), Some(new)) = (opened.file(path), kit.file(path)) else {
            continue;
        };
        if old.contents.as_slice() != new.contents.as_slice() {
            return Err(Error::BadBundle(format!(
                "{path} of the kit would differ from the installed one; an issuing-CA rotation \
                 must keep every trusted CA file (a bug: nothing was written)"
            )));
        }
    }
    Ok(())
}

/// The common name of a certificate (DER), empty when it has none or cannot be read.
fn common_name(der: &[u8]) -> String {
    use x509_parser::prelude::{FromDer, X509Certificate};
    X509Certificate::from_der(der)
        .ok()
        .and_then(|(_, c)| {
            c.subject()
                .iter_common_name()
                .next()
                .and_then(|cn| cn.as_str().ok().map(str::to_string))
        })
        .unwrap_or_default()
}

/// The path of the root's certificate in `opened` (its first trust file).
fn root_path(opened: &OpenedBundle) -> &str {
    opened
        .state
        .root
        .as_ref()
        .and_then(|r| r.paths.first())
        .map_or("ca.crt", String::as_str)
}

/// The DER of the first certificate of file `path` of `opened`.
fn file_der(opened: &OpenedBundle, path: &str) -> Result<Vec<u8>, Error> {
    let f = opened
        .file(path)
        .ok_or_else(|| Error::BadBundle(format!("{path} is missing from the zip")))?;
    pem::parse(f.contents.as_slice())
        .map(|p| p.into_contents())
        .map_err(|e| Error::BadBundle(format!("{path} is not PEM: {e}")))
}

fn refuse(field: &str, reason: &str) -> Error {
    Error::Change {
        field: field.to_string(),
        reason: reason.to_string(),
    }
}
