//! Where a cluster's PKI stands, as data: every certificate with its days left, the action
//! that applies and the `etcd-pki` command that performs it, the CRL's next update, the
//! bundle's lints, and the renewal the cluster is due — for one bundle or a whole fleet
//! (`etcd-pki status`). Certificates expire because nobody owned their renewal; this is the
//! one answer a person, a cron job or a dashboard reads to own it.
//!
//! Pure: bundles come in opened ([`crate::package::open`]), the clock comes in as
//! [`Options::now`], paths come in as text (the command line finds the files), so the page
//! can call it too. The renewal is planned with [`crate::daytwo::plan_change`], the very
//! function `etcd-pki renew --within D` runs, so what status says is due is what renew renews.
//!
//! ```
//! use pki_core::{ClusterSpec, OffsetDateTime, generate, package, status};
//!
//! let bundle = generate(&ClusterSpec::template())?;
//! let opened = package::open(&bundle.to_zip()?)?;
//! let source = status::Source { path: "prod-1.zip".into(), ca_key: "prod-ca.key".into(), bundle: &opened };
//! // Two years on, every 825-day certificate is due within 30 days.
//! let later = OffsetDateTime::now_utc() + status::days(800);
//! let fleet = status::fleet(&[source], Vec::new(), &status::Options { now: later, within_days: 30 });
//! let cluster = &fleet.clusters[0];
//! assert!(cluster.certificates.iter().skip(1).all(|c| c.action == status::Action::Renew));
//! assert_eq!(
//!     cluster.renewal.as_ref().unwrap().command,
//!     "etcd-pki renew --from prod-1.zip --ca-key prod-ca.key --within 30 --out prod-2.zip"
//! );
//! # Ok::<(), pki_core::Error>(())
//! ```

use serde::Serialize;
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

use crate::crl::{self, CrlInfo};
use crate::daytwo::{self, Change};
use crate::issue::rfc3339;
use crate::package::OpenedBundle;
use crate::package::lints::{self, BundleFacts, CRL_WARN_DAYS};
use crate::package::state::CertRecord;
use crate::report::Problem;

/// `--within`'s default: the days before its end a certificate is renewed (the alerting
/// rules warn at the same mark).
pub const DEFAULT_WITHIN_DAYS: u32 = 30;
/// What `format` says in `etcd-pki status --json`.
pub const FORMAT: &str = "etcd-pki-status";
/// The version of that JSON; a field removed or changed in meaning raises it.
pub const FORMAT_VERSION: u32 = 1;

/// `n` days (so callers need no `time` dependency).
pub fn days(n: i64) -> Duration {
    Duration::days(n)
}

/// What the status is taken against.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// Now.
    pub now: OffsetDateTime,
    /// A certificate ending within this many days is due for renewal.
    pub within_days: u32,
}

/// One bundle to report on, and where the commands should point.
#[derive(Debug)]
pub struct Source<'a> {
    /// The bundle's path as the user gave or found it (the commands' `--from`).
    pub path: String,
    /// The CA key's path (the commands' `--ca-key`).
    pub ca_key: String,
    /// The bundle, opened.
    pub bundle: &'a OpenedBundle,
}

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
    /// CRLs whose next update has passed or is within [`CRL_WARN_DAYS`].
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
    /// Whether a new CRL is due: its next update has passed or is within [`CRL_WARN_DAYS`].
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

/// The status of `sources`: the newest bundle of each cluster (by the time it was made;
/// between two of the same second, the later path), the others listed as older.
pub fn fleet(sources: &[Source<'_>], skipped: Vec<Skipped>, opts: &Options) -> FleetStatus {
    let mut order: Vec<&Source<'_>> = sources.iter().collect();
    // Per cluster, newest first.
    order.sort_by(|a, b| {
        let key = |s: &Source<'_>| {
            (
                s.bundle.state.spec.cluster_name.clone(),
                s.bundle.state.generated_at.clone(),
                s.path.clone(),
            )
        };
        let (ka, kb) = (key(a), key(b));
        ka.0.cmp(&kb.0).then(kb.1.cmp(&ka.1)).then(kb.2.cmp(&ka.2))
    });
    let mut clusters: Vec<ClusterStatus> = Vec::new();
    let mut i = 0;
    while i < order.len() {
        let name = &order[i].bundle.state.spec.cluster_name;
        let mut j = i + 1;
        while j < order.len() && &order[j].bundle.state.spec.cluster_name == name {
            j += 1;
        }
        let older = order[i + 1..j].iter().map(|s| s.path.clone()).collect();
        clusters.push(cluster(order[i], older, opts));
        i = j;
    }
    let summary = summarize(&clusters);
    FleetStatus {
        format: FORMAT,
        format_version: FORMAT_VERSION,
        checked_at: rfc3339(opts.now),
        within_days: opts.within_days,
        clusters,
        skipped,
        summary,
    }
}

fn summarize(clusters: &[ClusterStatus]) -> Summary {
    let mut s = Summary {
        clusters: clusters.len(),
        ..Summary::default()
    };
    for c in clusters {
        s.members += c.members;
        s.certificates += c.certificates.len();
        let mut any = false;
        for cert in &c.certificates {
            match cert.action {
                Action::None => continue,
                Action::Renew => s.renew += 1,
                Action::Expired | Action::CaExpired => s.expired += 1,
                Action::RenewCa => s.renew_ca += 1,
            }
            any = true;
        }
        if c.crl.as_ref().is_some_and(|crl| crl.due) {
            s.crl_due += 1;
            any = true;
        }
        s.clusters_with_actions += usize::from(any);
    }
    s
}

/// The status of one bundle; `older` are the paths of the cluster's older bundles.
pub fn cluster(source: &Source<'_>, older: Vec<String>, opts: &Options) -> ClusterStatus {
    let b = source.bundle;
    let commands = Commands::new(source, opts.within_days);
    let crl_info = b
        .files
        .iter()
        .find(|f| f.path.starts_with("members/") && f.path.ends_with("/pki/crl.der"))
        .and_then(|f| crl::read(&f.contents).ok());
    let mut lints = bundle_lints(b, crl_info.as_ref(), opts.now);
    let validity = b.state.spec.cert_validity_days;
    if opts.within_days >= validity {
        lints.push(Problem {
            severity: crate::report::Severity::Warning,
            path: "--within".into(),
            value: opts.within_days.to_string(),
            message: format!(
                "certificates of this cluster are issued for {validity} days, so with --within \
                 {} every renewed certificate is due again at once; renew within fewer days \
                 than cert_validity_days (a third of it is usual)",
                opts.within_days
            ),
        });
    }
    let ca_action = ca_action(b, opts.now);
    let mut certificates = vec![cert_status(
        &b.state.ca,
        ca_action,
        &commands,
        opts.now,
        opts.within_days,
    )];
    for r in &b.state.certificates {
        let action = leaf_action(r, opts);
        certificates.push(cert_status(
            r,
            action,
            &commands,
            opts.now,
            opts.within_days,
        ));
    }
    let due = certificates
        .iter()
        .any(|c| matches!(c.action, Action::Renew | Action::Expired) && c.id != "ca");
    let renewal = due.then(|| renewal(b, &commands, opts));
    let crl = crl_info.map(|c| crl_status(&c, &commands, opts.now));
    let steps = steps(&commands, ca_action, renewal.as_ref(), crl.as_ref());
    ClusterStatus {
        cluster: b.state.spec.cluster_name.clone(),
        bundle: source.path.clone(),
        generated_at: b.state.generated_at.clone(),
        older_bundles: older,
        members: b.state.spec.nodes.len(),
        certificates,
        crl,
        lints,
        pending_change: crate::rotate::pending_change(b).map(str::to_string),
        renewal,
        steps,
    }
}

/// What is due, in order, each command from the bundle the one before wrote.
fn steps(
    first: &Commands,
    ca: Action,
    renewal: Option<&Renewal>,
    crl: Option<&CrlStatus>,
) -> Vec<String> {
    // Renew first, unless renew refuses until the CA is renewed.
    let order = if renewal.is_some_and(|r| r.refused.is_some()) {
        ["ca", "renew", "crl"]
    } else {
        ["renew", "ca", "crl"]
    };
    let mut at = Commands::at(&first.raw.0, &first.raw.1, first.within);
    let mut out = Vec::new();
    for step in order {
        let command = match step {
            "renew" => renewal.map(|_| at.renew(None)),
            "ca" if ca == Action::RenewCa => Some(at.renew_ca()),
            "ca" if ca == Action::CaExpired => Some(at.rotate_ca()),
            "crl" if crl.is_some_and(|x| x.due) => Some(at.new_crl()),
            _ => None,
        };
        if let Some(command) = command {
            out.push(command);
            at = at.then();
        }
    }
    out
}

/// The day-two lints; a bundle whose certificates cannot be read again (open() checked them,
/// so only a damaged one) gets that as its one lint.
fn bundle_lints(b: &OpenedBundle, crl: Option<&CrlInfo>, now: OffsetDateTime) -> Vec<Problem> {
    match lints::certs_of(b) {
        Ok((ca, leaves)) => lints::check_bundle(&BundleFacts {
            spec: b.spec.spec(),
            ca,
            leaves,
            crl,
            other_ca_leaves: Vec::new(),
            now,
        })
        .problems()
        .to_vec(),
        Err(e) => vec![Problem {
            severity: crate::report::Severity::Error,
            path: "certificates".into(),
            value: String::new(),
            message: e.to_string(),
        }],
    }
}

fn parse_time(s: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(s, &Rfc3339).ok()
}

/// Whole days from `now` to `t`, rounded toward the past (a certificate ending in 23 hours
/// has 0 days left; one ended an hour ago, -1).
fn days_left(t: OffsetDateTime, now: OffsetDateTime) -> i64 {
    let d = t - now;
    let whole = d.whole_days();
    if d.is_negative() && d != Duration::days(whole) {
        whole - 1
    } else {
        whole
    }
}

/// A leaf's action, with the comparison `renew --within` makes (an unreadable date counts as
/// due there, and as expired here).
fn leaf_action(r: &CertRecord, opts: &Options) -> Action {
    match parse_time(&r.not_after) {
        Some(t) if t <= opts.now => Action::Expired,
        Some(t) if t - opts.now <= Duration::days(i64::from(opts.within_days)) => Action::Renew,
        Some(_) => Action::None,
        None => Action::Expired,
    }
}

/// The CA's action, by the same marks as the CA lints: ended; within a year, before a leaf it
/// signed, or before a certificate issued today would end.
fn ca_action(b: &OpenedBundle, now: OffsetDateTime) -> Action {
    let Some(end) = parse_time(&b.state.ca.not_after) else {
        return Action::CaExpired;
    };
    if end <= now {
        return Action::CaExpired;
    }
    let outlived = b
        .state
        .certificates
        .iter()
        .filter_map(|c| parse_time(&c.not_after))
        .any(|t| t > end);
    let fresh = Duration::days(i64::from(b.state.spec.cert_validity_days));
    if outlived || end - now < fresh || end - now < Duration::days(lints::CA_WARN_DAYS) {
        Action::RenewCa
    } else {
        Action::None
    }
}

fn cert_status(
    r: &CertRecord,
    action: Action,
    commands: &Commands,
    now: OffsetDateTime,
    within: u32,
) -> CertStatus {
    let end = parse_time(&r.not_after);
    let days_left = end.map_or(0, |t| days_left(t, now));
    let owner = r.member.as_deref().or(r.client.as_deref());
    let (why, command) = match action {
        Action::None => ("nothing to do".to_string(), None),
        Action::Renew => (
            format!("ends within {within} days: renew"),
            Some(commands.renew(owner)),
        ),
        Action::Expired => (
            "expired: renew it now (its peers and clients refuse it)".to_string(),
            Some(commands.renew(owner)),
        ),
        Action::RenewCa => (
            "the CA ends within a year (or before what it signs): renew it with the same key, \
             one rolling restart, every certificate kept"
                .to_string(),
            Some(commands.renew_ca()),
        ),
        Action::CaExpired => (
            "the CA has expired: nothing of the cluster verifies; rotate to a new CA and \
             restart every member"
                .to_string(),
            Some(commands.rotate_ca()),
        ),
    };
    CertStatus {
        id: r.id.clone(),
        role: r.role.clone(),
        member: r.member.clone(),
        client: r.client.clone(),
        subject: r.subject.clone(),
        serial: r.serial.clone(),
        not_after: r.not_after.clone(),
        days_left,
        action,
        why,
        command,
    }
}

fn crl_status(c: &CrlInfo, commands: &Commands, now: OffsetDateTime) -> CrlStatus {
    let days = c.next_update.map(|t| days_left(t, now));
    let (due, why) = match c.next_update {
        Some(t) if t <= now => (
            true,
            "its next update has passed: openssl and other verifiers refuse it (etcd still \
             uses it); issue the next one and install it on every member"
                .to_string(),
        ),
        Some(t) if t - now < Duration::days(CRL_WARN_DAYS) => (
            true,
            format!(
                "its next update is within {CRL_WARN_DAYS} days: issue the next one and install \
                 it on every member (install-crl.sh, no restart)"
            ),
        ),
        Some(_) => (false, "nothing to do".to_string()),
        None => (false, "it has no next update".to_string()),
    };
    CrlStatus {
        number: c.number,
        this_update: rfc3339(c.this_update),
        next_update: c.next_update.map(rfc3339),
        days_left: days,
        revoked: c.revoked.len(),
        due,
        why,
        command: due.then(|| commands.new_crl()),
    }
}

/// What `renew --within D` would do now: planned by daytwo itself, no key made.
fn renewal(b: &OpenedBundle, commands: &Commands, opts: &Options) -> Renewal {
    let change = Change::Renew {
        only: Vec::new(),
        keep_keys: false,
        within_days: Some(opts.within_days),
    };
    let command = commands.renew(None);
    let (from, ca_key, out) = commands.raw.clone();
    match daytwo::plan_change(Some(b), &b.state.spec, &change, opts.now) {
        Ok(plan) => {
            let owner = |id: &String| -> Option<(bool, String)> {
                let r = b.state.certificates.iter().find(|c| &c.id == id)?;
                match (&r.member, &r.client) {
                    (Some(m), _) => Some((true, m.clone())),
                    (_, Some(c)) => Some((false, c.clone())),
                    _ => None,
                }
            };
            let mut members = Vec::new();
            let mut clients = Vec::new();
            for (is_member, name) in plan.renewed.iter().filter_map(owner) {
                let list = if is_member {
                    &mut members
                } else {
                    &mut clients
                };
                if !list.contains(&name) {
                    list.push(name);
                }
            }
            Renewal {
                command,
                from,
                ca_key,
                out,
                renews: plan.renewed,
                members,
                clients,
                refused: None,
            }
        }
        Err(e) => Renewal {
            command,
            from,
            ca_key,
            out,
            renews: Vec::new(),
            members: Vec::new(),
            clients: Vec::new(),
            refused: Some(e.to_string()),
        },
    }
}

/// The commands of one bundle, filled in with its paths.
struct Commands {
    /// `--from`, `--ca-key`, `--out` as given (unquoted).
    raw: (String, String, String),
    from: String,
    ca_key: String,
    out: String,
    within: u32,
}

impl Commands {
    fn new(source: &Source<'_>, within: u32) -> Commands {
        Commands::at(&source.path, &source.ca_key, within)
    }

    fn at(from: &str, ca_key: &str, within: u32) -> Commands {
        let out = next_bundle_path(from);
        Commands {
            raw: (from.to_string(), ca_key.to_string(), out.clone()),
            from: shell_word(from),
            ca_key: shell_word(ca_key),
            out: shell_word(&out),
            within,
        }
    }

    /// The commands of the bundle this one's command writes.
    fn then(&self) -> Commands {
        Commands::at(&self.raw.2, &self.raw.1, self.within)
    }

    /// `renew --within D`, of one member or client (`--only NAME`) or of every due one.
    fn renew(&self, only: Option<&str>) -> String {
        let only = only.map_or(String::new(), |n| format!(" --only {}", shell_word(n)));
        format!(
            "etcd-pki renew --from {} --ca-key {}{only} --within {} --out {}",
            self.from, self.ca_key, self.within, self.out
        )
    }

    fn renew_ca(&self) -> String {
        format!(
            "etcd-pki rotate-ca --same-key --from {} --ca-key {} --out {}",
            self.from, self.ca_key, self.out
        )
    }

    fn rotate_ca(&self) -> String {
        format!(
            "etcd-pki rotate-ca --from {} --ca-key {} --out {}",
            self.from, self.ca_key, self.out
        )
    }

    /// A new CRL of what is revoked already: `revoke` with nothing named.
    fn new_crl(&self) -> String {
        format!(
            "etcd-pki revoke --from {} --ca-key {} --out {}",
            self.from, self.ca_key, self.out
        )
    }
}

/// The path of the bundle after `path`: its trailing number one up (`prod-6.zip` →
/// `prod-7.zip`), else `-2` added (`prod-etcd-pki.zip` → `prod-etcd-pki-2.zip`), in the same
/// folder.
pub fn next_bundle_path(path: &str) -> String {
    let (dir, file) = match path.rfind('/') {
        Some(i) => path.split_at(i + 1),
        None => ("", path),
    };
    let stem = file.strip_suffix(".zip").unwrap_or(file);
    let digits = stem.len() - stem.trim_end_matches(|c: char| c.is_ascii_digit()).len();
    let next = if digits > 0 && digits < 10 {
        let (head, n) = stem.split_at(stem.len() - digits);
        let n: u64 = n.parse().unwrap_or(0);
        format!("{head}{}", n + 1)
    } else {
        format!("{stem}-2")
    };
    format!("{dir}{next}.zip")
}

/// `s` as one shell word: as it is when plain, else single-quoted.
fn shell_word(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "._/:@%+=,-".contains(c));
    if plain {
        s.to_string()
    } else {
        crate::render::quote::sh(s)
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_bundle_counts_up_or_adds_two() {
        assert_eq!(next_bundle_path("prod-6.zip"), "prod-7.zip");
        assert_eq!(next_bundle_path("b/prod-9.zip"), "b/prod-10.zip");
        assert_eq!(
            next_bundle_path("/x/prod-etcd-pki.zip"),
            "/x/prod-etcd-pki-2.zip"
        );
        assert_eq!(next_bundle_path("bundle"), "bundle-2.zip");
    }

    #[test]
    fn days_left_rounds_toward_the_past() {
        let now = OffsetDateTime::UNIX_EPOCH;
        assert_eq!(days_left(now + Duration::hours(23), now), 0);
        assert_eq!(days_left(now + Duration::days(2), now), 2);
        assert_eq!(days_left(now - Duration::hours(1), now), -1);
        assert_eq!(days_left(now - Duration::days(3), now), -3);
    }
}
