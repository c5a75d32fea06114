//! `spec.json` at the bundle's root: the state a bundle is opened again from on day two — the
//! spec it was made from and every certificate issued for it (id, role, whose, where, serial,
//! validity, fingerprint), the CA's too. It holds no private key.

use serde::{Deserialize, Serialize};

use crate::issue::{Issued, IssuedCert, rfc3339};
use crate::plan::{Content, Owner, Plan};
use crate::spec::ClusterSpec;

/// What `format` says in every bundle's `spec.json`.
pub const FORMAT: &str = "etcd-pki-bundle";
/// The version of `spec.json` this etcd-pki writes and reads.
pub const FORMAT_VERSION: u32 = 1;

/// `spec.json`, as data.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BundleState {
    /// Always [`FORMAT`].
    pub format: String,
    /// [`FORMAT_VERSION`] when written by this etcd-pki.
    pub format_version: u32,
    /// `etcd-pki <version>`.
    pub generator: String,
    /// When the bundle was made, RFC 3339.
    pub generated_at: String,
    /// The spec the bundle was made from.
    pub spec: ClusterSpec,
    /// The CA certificate.
    pub ca: CertRecord,
    /// Every leaf certificate, in the plan's order.
    pub certificates: Vec<CertRecord>,
    /// The certificates revoked so far and the last CRL (`etcd-pki revoke`); absent until the
    /// first revocation. Each CRL lists every entry, so a later one takes none back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revocations: Option<Revocations>,
    /// The certificates of members removed from the cluster (`remove-member`, `replace-member`
    /// under a new name), carried from bundle to bundle so that `revoke --member NAME` finds
    /// their serials; absent while no member has left. A rotation to a new CA drops them
    /// (the new CA never signed them, and no member trusts the old one afterwards).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub removed_members: Vec<CertRecord>,
}

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
}

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

fn record(id: &str, role: &str, owner: &Owner, c: &IssuedCert, paths: Vec<String>) -> CertRecord {
    let (member, client) = match owner {
        Owner::Member(n) => (Some(n.clone()), None),
        Owner::Client(n) => (None, Some(n.clone())),
        Owner::Cluster => (None, None),
    };
    CertRecord {
        id: id.to_string(),
        role: role.to_string(),
        member,
        client,
        subject: c.info.subject.clone(),
        paths,
        key_path: None,
        serial: c.info.serial.clone(),
        not_before: c.info.not_before.clone(),
        not_after: c.info.not_after.clone(),
        sha256_fingerprint: c.sha256_fingerprint.clone(),
    }
}

/// The state of the bundle of `plan` as issued.
pub fn state(plan: &Plan, issued: &Issued) -> BundleState {
    let paths = |want: &Content| -> Vec<String> {
        plan.files
            .iter()
            .filter(|f| f.content == *want)
            .map(|f| f.path.clone())
            .collect()
    };
    let ca = record(
        "ca",
        "ca",
        &Owner::Cluster,
        &issued.ca,
        paths(&Content::CaCert),
    );
    let certificates = plan
        .certs
        .iter()
        .filter_map(|c| {
            let cert = issued.cert(&c.id)?;
            let mut r = record(
                &c.id,
                c.profile.as_str(),
                &c.owner,
                cert,
                paths(&Content::Cert(c.id.clone())),
            );
            r.key_path = paths(&Content::Key(c.key.clone())).into_iter().next();
            Some(r)
        })
        .collect();
    BundleState {
        format: FORMAT.into(),
        format_version: FORMAT_VERSION,
        generator: format!("etcd-pki {}", env!("CARGO_PKG_VERSION")),
        generated_at: rfc3339(issued.issued_at),
        spec: plan.spec.clone(),
        ca,
        certificates,
        revocations: None,
        removed_members: Vec::new(),
    }
}

/// `spec.json`'s text.
pub fn render(plan: &Plan, issued: &Issued) -> String {
    // Plain strings, numbers and lists: serialising cannot fail.
    let mut s = serde_json::to_string_pretty(&state(plan, issued)).unwrap_or_default();
    s.push('\n');
    s
}
