//! What a bundle records of itself beyond its spec, as plain data: every certificate issued
//! for it, what is revoked and the CRL's number, the members that left, and its lineage (its
//! id, its parent's, its generation). Low in the stages so that a plan can carry the prior
//! state into a new bundle: every file that depends on it (the CRL settings of each member,
//! rbac.sh without the revoked clients, `spec.json`) is rendered from it in one pass, never
//! patched into a finished bundle.

use serde::{Deserialize, Serialize};

/// The revocation state of a bundle.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Revocations {
    /// The number of the last CRL (the next one is one more).
    pub crl_number: u64,
    /// The last CRL's thisUpdate, RFC 3339.
    pub this_update: String,
    /// The last CRL's nextUpdate, RFC 3339.
    pub next_update: String,
    /// Every revoked certificate, oldest first.
    pub revoked: Vec<RevokedRecord>,
}

/// One revoked certificate.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RevokedRecord {
    /// Serial number, lowercase hex with colons (as [`CertRecord::serial`]).
    pub serial: String,
    /// The certificate's id when this bundle knew it (`clients/alice`); none for a serial of an
    /// earlier bundle's certificate (a removed member's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// When it was revoked, RFC 3339.
    pub revoked_at: String,
    /// Why.
    pub reason: crate::crl::RevocationReason,
    /// Which CA revoked it: none for the CA that signs the leaves; [`ROOT_ISSUER`] for an
    /// issuing CA revoked by the root (listed in `root.crl` too). etcd's `crl.der` lists both.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
}

/// [`RevokedRecord::issuer`] of an issuing CA revoked by the root.
pub const ROOT_ISSUER: &str = "root";

/// One certificate of the bundle.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CertRecord {
    /// `ca`, or the certificate's id in the plan: `members/etcd1/server`, `clients/etcdctl`.
    pub id: String,
    /// `ca`, `server`, `peer` or `client`.
    pub role: String,
    /// The member it belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member: Option<String>,
    /// The client it belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client: Option<String>,
    /// Subject, e.g. `CN=etcd1`.
    pub subject: String,
    /// Every path in the bundle holding this certificate.
    pub paths: Vec<String>,
    /// The path of its private key in the bundle (none for the CA, whose key is saved apart).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_path: Option<String>,
    /// Serial number, lowercase hex with colons.
    pub serial: String,
    /// notBefore, RFC 3339.
    pub not_before: String,
    /// notAfter, RFC 3339.
    pub not_after: String,
    /// SHA-256 of the DER, lowercase hex with colons.
    pub sha256_fingerprint: String,
}

/// Where a bundle stands among the bundles of one cluster: each operation makes a child of the
/// bundle it opened. Scripts and commands compare generations to refuse going backwards.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lineage {
    /// This bundle's id: lowercase hex, derived from its certificates, CRL and parent.
    pub id: String,
    /// The id of the bundle it was made from; none for a bundle made by `generate`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    /// 1 for a bundle made by `generate`, one more than its parent's otherwise.
    pub generation: u64,
    /// The id of the first bundle of the line (generation 1): every bundle of one cluster's
    /// history shares it, so that a machine can tell an older bundle of its own line from a
    /// bundle of another cluster.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub root: String,
}

impl Lineage {
    /// The lineage of a bundle whose parent carried `carried`, whose id is `id`.
    pub fn of(carried: &Carried, id: String) -> Lineage {
        Lineage {
            root: carried.root.clone().unwrap_or_else(|| id.clone()),
            parent: carried.parent.clone(),
            generation: carried.generation.max(1),
            id,
        }
    }
}

/// A bundle's id: the first 16 bytes of a SHA-256 over its parent's id, when it was made, its
/// certificates' fingerprints and its CRL, lowercase hex — two bundles differ in id exactly
/// when they differ in what they deploy or where they come from.
pub fn bundle_id<'a>(
    parent: Option<&str>,
    generated_at: &str,
    fingerprints: impl Iterator<Item = &'a str>,
    crl: Option<&[u8]>,
) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(parent.unwrap_or("").as_bytes());
    h.update(generated_at.as_bytes());
    for f in fingerprints {
        h.update(f.as_bytes());
    }
    if let Some(crl) = crl {
        h.update(crl);
    }
    h.finalize()[..16]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A CA change under way: the bundle is the kit of a `rotate-ca`, whose steps run on the
/// cluster after it is made. Explicit state, so that no command has to guess it from the
/// scripts a bundle holds; a bundle made from the kit later does not carry it (that command
/// is refused until the person says the steps are done).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rotation {
    /// `rotation` (a new CA key, three phases) or `same-key renewal` (one rolling restart).
    pub kind: String,
    /// The last step, on every member: `rotate/3-drop-old.sh` or `rotate/renew-ca.sh`.
    pub last_step: String,
}

/// What a new bundle carries from the bundle it is made from, decided when it is planned and
/// rendered with everything else.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Carried {
    /// The revocations the new bundle's CRL lists (every member then starts with the CRL).
    pub revocations: Option<Revocations>,
    /// The certificates of members that left, for `revoke --member NAME`.
    pub removed_members: Vec<CertRecord>,
    /// The parent's id (its own id is derived from what it issues, [`bundle_id`]).
    pub parent: Option<String>,
    /// The id of the first bundle of the line; none for a new line.
    pub root: Option<String>,
    /// The new bundle's generation.
    pub generation: u64,
    /// The CA change the new bundle is the kit of (`rotate-ca` only).
    pub rotation: Option<Rotation>,
    /// The CA key is the one of the bundle before (day two): the operation writes none, and
    /// the README says so rather than describing a key file it did not make.
    pub ca_key_kept: bool,
    /// The earlier issuing CAs under the same root, oldest first (`rotate-issuer` adds the one
    /// it replaces), for `revoke --issuing-ca`. A new root empties the list.
    pub previous_issuers: Vec<CertRecord>,
    /// The root's CRL (DER), `root.crl` at the top of the bundle: the issuing CAs the root
    /// revoked, signed by the root, for verifiers other than etcd. Carried byte for byte until
    /// the root signs another.
    pub root_crl: Option<Vec<u8>>,
}

impl Carried {
    /// Whether the bundle has a CRL, so that every member must start with it.
    pub fn has_crl(&self) -> bool {
        self.revocations.is_some()
    }
}
