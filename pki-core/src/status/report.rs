//! What `etcd-pki status` reports, as data: the fleet, each cluster, each certificate, the
//! CRL, the renewal ([`super::fleet`] fills them in). `--json` is these, serialised.

use serde::Serialize;

use crate::report::Problem;

/// What `format` says in `etcd-pki status --json`.
pub const FORMAT: &str = "etcd-pki-status";
/// The version of that JSON; a field removed or changed in meaning raises it.
pub const FORMAT_VERSION: u32 = 1;

/// A file that was not reported on, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Skipped {
    /// Its path.
    pub path: String,
    /// Why, as a sentence.
    pub reason: String,
}

/// The status of every cluster given: `etcd-pki status --json`.
#[derive(Clone, Debug, Serialize)]
pub struct FleetStatus {
    /// Always [`FORMAT`].
    pub format: &'static str,
    /// [`FORMAT_VERSION`].
    pub format_version: u32,
    /// When the status was taken, RFC 3339.
    pub checked_at: String,
    /// The renewal threshold in days.
    pub within_days: u32,
    /// One entry per cluster (the newest bundle of each), by cluster name.
    pub clusters: Vec<ClusterStatus>,
    /// Files that are not bundles (or not readable ones).
    pub skipped: Vec<Skipped>,
    /// Counts over all clusters.
    pub summary: Summary,
}

/// Counts over a fleet.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Clusters reported on.
    pub clusters: usize,
    /// Their members.
    pub members: usize,
    /// Their certificates, CAs included.
    pub certificates: usize,
    /// Certificates due within the threshold (not yet expired).
    pub renew: usize,
    /// Certificates past their end, CAs included.
    pub expired: usize,
    /// CAs to renew (within a year, or ending before what they sign).
    pub renew_ca: usize,
    /// CRLs whose next update has passed or is within
    /// [`crate::package::lints::CRL_WARN_DAYS`] days.
    pub crl_due: usize,
    /// Clusters with anything to do.
    pub clusters_with_actions: usize,
}

/// One cluster: its newest bundle read as data.
#[derive(Clone, Debug, Serialize)]
pub struct ClusterStatus {
    /// The cluster's name.
    pub cluster: String,
    /// The bundle reported on (the newest of the cluster's).
    pub bundle: String,
    /// When that bundle was made, RFC 3339.
    pub generated_at: String,
    /// Older bundles of the same cluster that were given too, newest first (not reported on).
    pub older_bundles: Vec<String>,
    /// How many members the cluster has.
    pub members: usize,
    /// The CA first, then every leaf in the bundle's order.
    pub certificates: Vec<CertStatus>,
    /// The CRL, once the cluster has one.
    pub crl: Option<CrlStatus>,
    /// The bundle's day-two lints ([`crate::package::lints::check_bundle`]).
    pub lints: Vec<Problem>,
    /// A CA rotation or renewal kit not yet done everywhere (`rotation`, `same-key renewal`).
    pub pending_change: Option<String>,
    /// The renewal the cluster is due, when a leaf is.
    pub renewal: Option<Renewal>,
    /// Everything due, as commands to run in this order, each opening the bundle the one
    /// before wrote: the renewal (after the CA's renewal when renew refuses until then), the
    /// CA's, a new CRL.
    pub steps: Vec<String>,
}

/// One certificate.
#[derive(Clone, Debug, Serialize)]
pub struct CertStatus {
    /// `ca`, or its id (`members/etcd1/server`, `clients/etcdctl`).
    pub id: String,
    /// `ca`, `server`, `peer` or `client`.
    pub role: String,
    /// Its member, if a member's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub member: Option<String>,
    /// Its client, if a client's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client: Option<String>,
    /// Subject, e.g. `CN=etcd1`.
    pub subject: String,
    /// Serial, lowercase hex with colons.
    pub serial: String,
    /// notAfter, RFC 3339.
    pub not_after: String,
    /// Whole days until notAfter (negative once past).
    pub days_left: i64,
    /// What to do.
    pub action: Action,
    /// The action in words, for people.
    pub why: String,
    /// The command that does it (none for [`Action::None`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
}

/// What a certificate needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    /// Nothing.
    None,
    /// Renewal: it ends within the threshold.
    Renew,
    /// It has ended: renew it now (a member with an expired certificate is refused by its
    /// peers and clients).
    Expired,
    /// The CA ends within a year, or before a certificate it signed or one issued today:
    /// renew it with the same key (one rolling restart, every certificate kept).
    RenewCa,
    /// The CA has ended: nothing of the cluster verifies any more; a new CA.
    CaExpired,
}

/// The CRL.
#[derive(Clone, Debug, Serialize)]
pub struct CrlStatus {
    /// Its number.
    pub number: Option<u64>,
    /// thisUpdate, RFC 3339.
    pub this_update: String,
    /// nextUpdate, RFC 3339.
    pub next_update: Option<String>,
    /// Whole days until the next update (negative once past).
    pub days_left: Option<i64>,
    /// How many serials it revokes.
    pub revoked: usize,
    /// Whether a new CRL is due: its next update has passed or is within
    /// [`crate::package::lints::CRL_WARN_DAYS`] days.
    pub due: bool,
    /// The due state in words.
    pub why: String,
    /// The command that issues the next one (when due).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
}

/// A cluster's renewal: what `etcd-pki renew --within D` would do now.
#[derive(Clone, Debug, Serialize)]
pub struct Renewal {
    /// The command.
    pub command: String,
    /// Its `--from`, `--ca-key` and `--out`, unquoted (for scripts that run it themselves:
    /// deploy/renewal/etcd-pki-renew.sh).
    pub from: String,
    /// See [`Renewal::from`].
    pub ca_key: String,
    /// See [`Renewal::from`].
    pub out: String,
    /// The ids of the certificates it renews.
    pub renews: Vec<String>,
    /// The members whose `renew.sh` is then run, in order.
    pub members: Vec<String>,
    /// The clients that then get new files.
    pub clients: Vec<String>,
    /// Why renew would refuse (it writes nothing then), with the fix.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refused: Option<String>,
}

impl FleetStatus {
    /// `etcd-pki status --json`: pretty JSON, a newline at the end.
    pub fn to_json(&self) -> String {
        // Strings, numbers and lists only: serialising cannot fail.
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s
    }
}
