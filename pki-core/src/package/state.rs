//! `spec.json` at the bundle's root: the state a bundle is opened again from on day two — the
//! spec it was made from and every certificate issued for it (id, role, whose, where, serial,
//! validity, fingerprint), the CA's too. It holds no private key.

use serde::{Deserialize, Serialize};

use crate::issue::{Issued, IssuedCert, rfc3339};
use crate::plan::{Content, Owner, Plan};
pub use crate::record::{CertRecord, Lineage, Revocations, RevokedRecord, Rotation};
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
    /// The CA certificate: the one that signs the leaves (the issuing CA, with
    /// `root+issuing`; then its path is `issuing-ca.crt`).
    pub ca: CertRecord,
    /// `root+issuing`: the root, which every folder's `ca.crt` holds. Absent for a single CA
    /// (and in every bundle made before etcd-pki offered the layout): a bundle's layout is
    /// read from here, not from the spec.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub root: Option<CertRecord>,
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
    /// `root+issuing`: the issuing CAs this one replaced under the same root
    /// (`rotate-issuer`), oldest first, role `issuing-ca`, no file in the bundle; what
    /// `revoke --issuing-ca old|SHA256` finds. Absent while there was one issuing CA.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub previous_issuers: Vec<CertRecord>,
    /// Its id, its parent's and its generation; absent in bundles made before etcd-pki
    /// recorded lineage (read as generation 1, no parent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lineage: Option<Lineage>,
    /// The CA change this bundle is the kit of, while its steps may still run on the cluster.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rotation: Option<Rotation>,
}

impl BundleState {
    /// The bundle's CA layout, read from its certificates: `root+issuing` when a root
    /// stands above the CA that signs the leaves.
    pub fn ca_layout(&self) -> crate::spec::CaLayout {
        match self.root {
            Some(_) => crate::spec::CaLayout::RootIssuing,
            None => crate::spec::CaLayout::Single,
        }
    }

    /// The bundle's generation: 1 for `generate`, one more for each operation since.
    pub fn generation(&self) -> u64 {
        self.lineage.as_ref().map_or(1, |l| l.generation)
    }

    /// The bundle's id (empty for a bundle made before lineage was recorded).
    pub fn id(&self) -> &str {
        self.lineage.as_ref().map_or("", |l| l.id.as_str())
    }
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
    let (ca, root) = match &issued.root {
        None => (
            record(
                "ca",
                "ca",
                &Owner::Cluster,
                &issued.ca,
                paths(&Content::CaCert),
            ),
            None,
        ),
        Some(root) => (
            // Role "ca" as in every bundle: the CA that signs the leaves, which day two asks
            // the key of; the root is the new record.
            record(
                "ca",
                "ca",
                &Owner::Cluster,
                &issued.ca,
                paths(&Content::IssuingCaCert),
            ),
            Some(record(
                "root",
                "root-ca",
                &Owner::Cluster,
                root,
                paths(&Content::CaCert),
            )),
        ),
    };
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
    let carried = &plan.carried;
    let lineage = Lineage::of(carried, crate::issue::bundle_id(plan, issued));
    BundleState {
        format: FORMAT.into(),
        format_version: FORMAT_VERSION,
        generator: format!("etcd-pki {}", env!("CARGO_PKG_VERSION")),
        generated_at: rfc3339(issued.issued_at),
        spec: plan.spec.clone(),
        ca,
        root,
        certificates,
        revocations: carried.revocations.clone(),
        removed_members: carried.removed_members.clone(),
        previous_issuers: carried.previous_issuers.clone(),
        lineage: Some(lineage),
        rotation: carried.rotation.clone(),
    }
}

/// `spec.json`'s text.
pub fn render(plan: &Plan, issued: &Issued) -> String {
    // Plain strings, numbers and lists: serialising cannot fail.
    let mut s = serde_json::to_string_pretty(&state(plan, issued)).unwrap_or_default();
    s.push('\n');
    s
}
