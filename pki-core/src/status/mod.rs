//! Where a cluster's PKI stands, as data: every certificate with its days left, the action
//! that applies and the `etcd-pki` command that performs it, the CRL's next update, the
//! bundle's lints, and the renewal the cluster is due — for one bundle or a whole fleet
//! (`etcd-pki status`). Certificates expire because nobody owned their renewal; this is the
//! one answer a person, a cron job or a dashboard reads to own it.
//!
//! Pure: bundles come in opened ([`crate::package::open`]), the clock comes in as
//! [`Options::now`], paths come in as text (the command line finds the files), so the page
//! can call it too. The renewal is planned with [`crate::ops::change::plan_change`], the very
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

use time::{Duration, OffsetDateTime};

use crate::crl;
use crate::issue::rfc3339;
use crate::package::OpenedBundle;
use crate::report::Problem;

mod actions;
mod commands;
mod report;

use actions::{bundle_lints, ca_action, cert_status, crl_status, leaf_action, renewal};
use commands::Commands;
pub use commands::next_bundle_path;
pub use report::{
    Action, CertStatus, ClusterStatus, CrlStatus, FORMAT, FORMAT_VERSION, FleetStatus, Renewal,
    Skipped, Summary,
};

/// `--within`'s default: the days before its end a certificate is renewed (the alerting
/// rules warn at the same mark).
pub const DEFAULT_WITHIN_DAYS: u32 = 30;

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
    let mut commands = Commands::at(&source.path, &source.ca_key, opts.within_days);
    if b.state.root.is_some() {
        commands = commands.layered(&b.state.spec.cluster_name);
    }
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
    if let Some(root) = &b.state.root {
        // The root is replaced by rotate-ca (two rolling restarts) when it ends; the lints
        // say so a year ahead.
        let action = match leaf_action(root, opts.now, 0) {
            Action::Expired => Action::CaExpired,
            _ => Action::None,
        };
        certificates.push(cert_status(
            root,
            action,
            &commands,
            opts.now,
            opts.within_days,
        ));
    }
    for r in &b.state.certificates {
        let action = leaf_action(r, opts.now, opts.within_days);
        certificates.push(cert_status(
            r,
            action,
            &commands,
            opts.now,
            opts.within_days,
        ));
    }
    let due = certificates.iter().any(|c| {
        matches!(c.action, Action::Renew | Action::Expired) && c.id != "ca" && c.id != "root"
    });
    let renewal = due.then(|| renewal(b, &commands, opts.now, opts.within_days));
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
        pending_change: crate::ops::rotate::pending_change(b).map(str::to_string),
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
    at.root_key = first.root_key.clone();
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
