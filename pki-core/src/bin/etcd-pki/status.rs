//! `etcd-pki status`: where each cluster's PKI stands — every certificate's days left, what to
//! do and the command that does it, the CRL's next update, the lints, the renewal due — for
//! bundles named one by one or a folder of them (the newest bundle of each cluster), as text
//! or as JSON for scripts. Reads only; the logic is [`pki_core::status`].

use std::path::{Path, PathBuf};

use pki_core::package::OpenedBundle;
use pki_core::status::{self, Action, ClusterStatus, FleetStatus, Options, Skipped, Source};

use super::Failure;

/// The options, bare paths counted as `--from`.
struct Args {
    from: Vec<PathBuf>,
    within: u32,
    ca_key: Option<String>,
    json: bool,
}

/// `etcd-pki status`.
pub(super) fn status_command(given: super::cli::StatusArgs) -> Result<(), Failure> {
    let mut from = given.from;
    from.extend(given.paths);
    if from.is_empty() {
        return Err(Failure::Usage(
            "status needs --from BUNDLE.zip or --from DIR (a folder of bundles)".into(),
        ));
    }
    let a = Args {
        from,
        within: given.within,
        ca_key: given.ca_key,
        json: given.json.json,
    };
    let (opened, skipped) = read_all(&a.from)?;
    let sources: Vec<Source<'_>> = opened
        .iter()
        .map(|(path, b)| Source {
            path: path.display().to_string(),
            ca_key: a.ca_key.clone().unwrap_or_else(|| {
                super::beside(path, &format!("{}-ca.key", b.state.spec.cluster_name))
                    .display()
                    .to_string()
            }),
            bundle: b,
        })
        .collect();
    let fleet = status::fleet(
        &sources,
        skipped,
        &Options {
            now: pki_core::OffsetDateTime::now_utc(),
            within_days: a.within,
        },
    );
    if a.json {
        super::json::print_text(&fleet.to_json());
    } else {
        print_text(&fleet);
    }
    Ok(())
}

/// Every bundle of `paths`, opened: a file given by name must be a bundle (else exit 2); in a
/// folder, a zip that is not one is skipped and listed, anything but `*.zip` ignored.
#[allow(clippy::type_complexity)]
fn read_all(paths: &[PathBuf]) -> Result<(Vec<(PathBuf, OpenedBundle)>, Vec<Skipped>), Failure> {
    let mut named = Vec::new();
    let mut found = Vec::new();
    for p in paths {
        if p.is_dir() {
            let entries = std::fs::read_dir(p).map_err(|e| {
                Failure::BadInput(format!("cannot read the folder {}: {e}", p.display()))
            })?;
            let mut zips: Vec<PathBuf> = entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| f.extension().is_some_and(|x| x == "zip") && f.is_file())
                .collect();
            zips.sort();
            if zips.is_empty() {
                return Err(Failure::BadInput(format!(
                    "the folder {} holds no .zip file; give a folder of etcd-pki bundles or the \
                     bundles themselves",
                    p.display()
                )));
            }
            found.extend(zips);
        } else {
            named.push(p.clone());
        }
    }
    let opened = open_many(named.iter().chain(&found).cloned().collect());
    let mut bundles = Vec::new();
    let mut skipped = Vec::new();
    for (path, result) in opened {
        match result {
            Ok(b) => bundles.push((path, b)),
            Err(reason) if named.contains(&path) => {
                return Err(Failure::BadInput(format!("{}: {reason}", path.display())));
            }
            Err(reason) => skipped.push(Skipped {
                path: path.display().to_string(),
                reason,
            }),
        }
    }
    if bundles.is_empty() {
        return Err(Failure::BadInput(
            "none of the zips given is an etcd-pki bundle (each is listed above as skipped); \
             give the bundles `etcd-pki generate` or a day-two command wrote"
                .to_string()
                + &skipped
                    .iter()
                    .map(|s| format!("\n  {}: {}", s.path, s.reason))
                    .collect::<String>(),
        ));
    }
    Ok((bundles, skipped))
}

/// Opens the bundles on every core (each zip is unpacked and its certificates checked: the
/// part of a fleet's status that costs).
fn open_many(paths: Vec<PathBuf>) -> Vec<(PathBuf, Result<OpenedBundle, String>)> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let open = |p: &Path| -> Result<OpenedBundle, String> {
        let bytes = std::fs::read(p).map_err(|e| format!("cannot be read ({e})"))?;
        pki_core::package::open(&bytes).map_err(|e| e.to_string())
    };
    let next = AtomicUsize::new(0);
    let threads = pki_core::parallel::cores().clamp(1, paths.len().max(1));
    let mut results: Vec<(usize, Result<OpenedBundle, String>)> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(p) = paths.get(i) else { break };
                        mine.push((i, open(p)));
                    }
                    mine
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap_or_default())
            .collect()
    });
    results.sort_by_key(|(i, _)| *i);
    results
        .into_iter()
        .map(|(i, r)| (paths[i].clone(), r))
        .collect()
}

fn day(rfc3339: &str) -> &str {
    rfc3339.get(..10).unwrap_or(rfc3339)
}

fn print_text(f: &FleetStatus) {
    for c in &f.clusters {
        print_cluster(c, f.within_days);
        say!("");
    }
    for s in &f.skipped {
        say!("skipped {}: {}", s.path, s.reason);
    }
    let s = &f.summary;
    say!(
        "{} cluster(s), {} member(s), {} certificate(s): {} to renew within {} days, {} expired, \
         {} CA(s) to renew, {} CRL(s) due; {} cluster(s) with something to do.",
        s.clusters,
        s.members,
        s.certificates,
        s.renew,
        f.within_days,
        s.expired,
        s.renew_ca,
        s.crl_due,
        s.clusters_with_actions
    );
}

fn print_cluster(c: &ClusterStatus, within: u32) {
    say!(
        "{}: {} (made {}), {} member(s), {} certificate(s){}",
        c.cluster,
        c.bundle,
        day(&c.generated_at),
        c.members,
        c.certificates.len(),
        match c.older_bundles.len() {
            0 => String::new(),
            n => format!("; {n} older bundle(s) of it not read"),
        }
    );
    let id_w = c.certificates.iter().map(|x| x.id.len()).max().unwrap_or(2);
    let subj_w = c
        .certificates
        .iter()
        .map(|x| x.subject.len())
        .max()
        .unwrap_or(7);
    for x in &c.certificates {
        let action = match x.action {
            Action::None => "ok".to_string(),
            Action::Renew => format!("renew (within {within} days)"),
            Action::Expired => "EXPIRED: renew now".to_string(),
            Action::RenewCa => "renew the CA (within a year)".to_string(),
            Action::CaExpired => "CA EXPIRED: rotate to a new CA".to_string(),
        };
        say!(
            "  {:<id_w$}  {:<subj_w$}  {}  until {}  {:>5} days  {action}",
            x.id,
            x.subject,
            x.serial,
            day(&x.not_after),
            x.days_left
        );
    }
    if let Some(crl) = &c.crl {
        say!(
            "  CRL number {}, {} revoked, next update {}{}: {}",
            crl.number.map_or("?".to_string(), |n| n.to_string()),
            crl.revoked,
            crl.next_update.as_deref().map_or("none", day),
            crl.days_left
                .map_or(String::new(), |d| format!(" ({d} days)")),
            if crl.due { &crl.why } else { "ok" }
        );
    }
    if let Some(p) = &c.pending_change {
        say!("  this bundle is the kit of a CA {p}: finish it on every member (ROTATE.md) first");
    }
    for p in &c.lints {
        say!("  {p}");
    }
    if let Some(r) = &c.renewal {
        match &r.refused {
            Some(why) => say!("  renew refuses now: {why}"),
            None => say!(
                "  the renewal renews {} certificate(s); then members/<name>/renew.sh on {}{}",
                r.renews.len(),
                if r.members.is_empty() {
                    "no member".to_string()
                } else {
                    r.members.join(", ")
                },
                if r.clients.is_empty() {
                    String::new()
                } else {
                    format!(", and new files for client(s) {}", r.clients.join(", "))
                }
            ),
        }
    }
    if !c.steps.is_empty() {
        say!("  to do, in this order:");
        for (i, s) in c.steps.iter().enumerate() {
            say!("    {}. {s}", i + 1);
        }
    }
}
