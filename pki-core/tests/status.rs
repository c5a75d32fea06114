//! `etcd-pki status` and `pki_core::status`: each certificate's action and the command that
//! performs it, the renewal due (exactly what `renew --within` renews), the CRL's next update,
//! the newest bundle of each cluster in a folder, and `renew --within` run twice in a row
//! writing nothing the second time.

use std::path::{Path, PathBuf};
use std::process::Command;

use pki_core::status::{self, Action, Options, Source};
use pki_core::{Bundle, ClusterSpec, OffsetDateTime, PrivateKey, daytwo, package};

fn spec(name: &str, cert_days: u32, ca_days: u32) -> ClusterSpec {
    let mut s = ClusterSpec::template();
    s.cluster_name = name.into();
    s.cert_validity_days = cert_days;
    s.ca_validity_days = ca_days;
    s
}

/// A bundle as if generated at `at`.
fn made_at(spec: &ClusterSpec, at: OffsetDateTime) -> Bundle {
    pki_core::generate_with_keys(spec, at, |r| PrivateKey::generate(r.algorithm)).unwrap()
}

fn opened(b: &Bundle) -> package::OpenedBundle {
    package::open(&b.to_zip().unwrap()).unwrap()
}

fn source<'a>(path: &str, b: &'a package::OpenedBundle) -> Source<'a> {
    Source {
        path: path.into(),
        ca_key: format!("{}-ca.key", b.state.spec.cluster_name),
        bundle: b,
    }
}

fn scratch(tag: &str) -> PathBuf {
    let p = std::env::temp_dir().join(format!("epki-status-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&p);
    std::fs::create_dir_all(&p).unwrap();
    p
}

fn etcd_pki(args: &[&str], dir: &Path) -> (Option<i32>, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_etcd-pki"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Leaves ending within the threshold are `renew`, past their end `expired`; a CA within a
/// year is `renew-ca` with `rotate-ca --same-key`, an ended one `ca-expired`; each with its
/// command filled in with the bundle's paths.
#[test]
fn each_certificate_gets_its_action_and_command() {
    let now = OffsetDateTime::now_utc();
    let due = opened(&made_at(&spec("due", 20, 3650), now));
    let old = opened(&made_at(&spec("old", 825, 3650), now - status::days(900)));
    let young_ca = opened(&made_at(&spec("young", 100, 200), now));
    let sources = [
        source("b/due-1.zip", &due),
        source("b/old-7.zip", &old),
        source("b/young.zip", &young_ca),
    ];
    let opts = Options {
        now,
        within_days: 30,
    };
    let fleet = status::fleet(&sources, Vec::new(), &opts);
    let by = |name: &str| fleet.clusters.iter().find(|c| c.cluster == name).unwrap();

    let c = by("due");
    assert_eq!(c.certificates[0].action, Action::None, "the CA: 10 years");
    for x in &c.certificates[1..] {
        assert_eq!(x.action, Action::Renew, "{}", x.id);
        assert!(
            (19..=20).contains(&x.days_left),
            "{}: {}",
            x.id,
            x.days_left
        );
        let owner = x.member.as_deref().or(x.client.as_deref()).unwrap();
        assert_eq!(
            x.command.as_deref(),
            Some(
                format!(
                    "etcd-pki renew --from b/due-1.zip --ca-key due-ca.key --only {owner} \
                     --within 30 --out b/due-2.zip"
                )
                .as_str()
            )
        );
    }
    let r = c.renewal.as_ref().expect("a renewal is due");
    assert_eq!(
        r.command,
        "etcd-pki renew --from b/due-1.zip --ca-key due-ca.key --within 30 --out b/due-2.zip"
    );
    assert_eq!(r.refused, None);
    assert_eq!(r.renews.len(), c.certificates.len() - 1);
    assert_eq!(r.members, ["etcd1", "etcd2", "etcd3"]);
    assert_eq!(c.steps, std::slice::from_ref(&r.command));

    let c = by("old");
    assert_eq!(c.certificates[0].action, Action::None);
    for x in &c.certificates[1..] {
        assert_eq!(x.action, Action::Expired, "{}", x.id);
        assert!(x.days_left < -70, "{}", x.days_left);
    }
    assert!(c.renewal.is_some());

    let c = by("young");
    let ca = &c.certificates[0];
    assert_eq!(ca.action, Action::RenewCa);
    assert_eq!(
        ca.command.as_deref(),
        Some(
            "etcd-pki rotate-ca --same-key --from b/young.zip --ca-key young-ca.key --out b/young-2.zip"
        )
    );
    assert!(
        c.certificates[1..].iter().all(|x| x.action == Action::None),
        "100-day leaves are not due within 30 days"
    );
    assert!(c.renewal.is_none());
    assert_eq!(c.steps, [ca.command.clone().unwrap()]);
    assert!(
        // root+issuing: the issuing CA's lint (tests/chain.rs checks its wording).
        c.lints
            .iter()
            .any(|p| p.path == "ca" || p.path == "issuing-ca"),
        "the CA lint is carried along: {:?}",
        c.lints
    );

    // Ten years on, the CA itself has ended: a new CA, not a renewal.
    let later = status::fleet(
        &sources[..1],
        Vec::new(),
        &Options {
            now: now + status::days(3651),
            within_days: 30,
        },
    );
    let ca = &later.clusters[0].certificates[0];
    assert_eq!(ca.action, Action::CaExpired);
    assert!(
        ca.command
            .as_deref()
            .unwrap()
            .starts_with("etcd-pki rotate-ca --from"),
        "{ca:?}"
    );

    assert_eq!(fleet.summary.clusters, 3);
    assert_eq!(fleet.summary.members, 9);
    assert_eq!(fleet.summary.renew_ca, 1);
    assert_eq!(fleet.summary.clusters_with_actions, 3);
    assert_eq!(fleet.summary.renew + fleet.summary.expired, 2 * 8);
}

/// Status's renewal is what renew does: after `etcd1` alone was renewed, only the others are
/// due, and once the renewal is applied, nothing is.
#[test]
fn the_renewal_is_what_renew_within_renews() {
    let t0 = OffsetDateTime::now_utc() - status::days(80);
    let first = made_at(&spec("mixed", 100, 3650), t0);
    let ca = daytwo::unlock_ca(&opened(&first), first.ca_key.text().as_bytes(), None).unwrap();
    let renew = |b: &package::OpenedBundle, change: daytwo::Change, at: OffsetDateTime| {
        let plan = daytwo::plan_change(Some(b), &b.state.spec, &change, at).unwrap();
        let keys = pki_core::parallel::generate_keys(&plan.keys_to_make, 2).unwrap();
        daytwo::apply_change(Some(b), &ca, &plan, keys).unwrap().0
    };
    let only_etcd1 = daytwo::Change::Renew {
        only: vec!["etcd1".into()],
        keep_keys: false,
        within_days: None,
    };
    let second = opened(&renew(&opened(&first), only_etcd1, t0 + status::days(50)));
    let now = OffsetDateTime::now_utc();
    let opts = Options {
        now,
        within_days: 30,
    };
    let st = status::fleet(&[source("mixed-2.zip", &second)], Vec::new(), &opts);
    let c = &st.clusters[0];
    let due: Vec<&str> = c
        .certificates
        .iter()
        .filter(|x| x.action == Action::Renew)
        .map(|x| x.id.as_str())
        .collect();
    assert!(
        !due.is_empty() && !due.iter().any(|id| id.contains("etcd1")),
        "{due:?}"
    );
    let r = c.renewal.as_ref().unwrap();
    assert_eq!(r.renews, due, "status's due list is renew's");
    assert_eq!(r.members, ["etcd2", "etcd3"]);

    let within = daytwo::Change::Renew {
        only: vec![],
        keep_keys: false,
        within_days: Some(30),
    };
    let third = opened(&renew(&second, within, now));
    let st = status::fleet(&[source("mixed-3.zip", &third)], Vec::new(), &opts);
    let c = &st.clusters[0];
    assert!(c.renewal.is_none(), "{:?}", c.renewal);
    assert_eq!(st.summary.clusters_with_actions, 0);
    assert!(c.certificates.iter().all(|x| x.command.is_none()));
}

/// A CRL whose next update is within 7 days is due, with the `revoke` (nothing named) that
/// issues the next one.
#[test]
fn a_crl_near_its_next_update_is_due() {
    let now = OffsetDateTime::now_utc();
    let b = made_at(&spec("crl", 825, 3650), now);
    let o = opened(&b);
    let ca = daytwo::unlock_ca(&o, b.ca_key.text().as_bytes(), None).unwrap();
    let req = pki_core::revoke::Request {
        targets: vec![],
        reason: pki_core::crl::RevocationReason::Unspecified,
        next_update_days: 3,
        force: false,
    };
    let (revoked, _) = pki_core::revoke::revoke(&o, &ca, &req, now).unwrap();
    let o = opened(&revoked);
    let opts = Options {
        now,
        within_days: 30,
    };
    let st = status::fleet(&[source("crl-2.zip", &o)], Vec::new(), &opts);
    let crl = st.clusters[0].crl.as_ref().expect("a CRL");
    assert!(
        crl.due && matches!(crl.days_left, Some(2) | Some(3)),
        "{crl:?}"
    );
    assert_eq!(
        crl.command.as_deref(),
        Some("etcd-pki revoke --from crl-2.zip --ca-key crl-ca.key --out crl-3.zip")
    );
    assert_eq!(st.summary.crl_due, 1);
    // Two years on, the renewal comes first and the new CRL is made from the bundle it wrote.
    let later = status::fleet(
        &[source("crl-2.zip", &o)],
        Vec::new(),
        &Options {
            now: now + status::days(800),
            within_days: 30,
        },
    );
    assert_eq!(
        later.clusters[0].steps,
        [
            "etcd-pki renew --from crl-2.zip --ca-key crl-ca.key --within 30 --out crl-3.zip",
            "etcd-pki revoke --from crl-3.zip --ca-key crl-ca.key --out crl-4.zip"
        ]
    );
    assert!(
        st.clusters[0]
            .lints
            .iter()
            .any(|p| p.path == "crl.next_update")
    );
    // A week on, it is still due (past), and a month later it is not due at a fresh CRL.
    let fresh = pki_core::revoke::Request {
        next_update_days: 30,
        ..req
    };
    let (fresh, _) = pki_core::revoke::revoke(&o, &ca, &fresh, now).unwrap();
    let o = opened(&fresh);
    let st = status::fleet(&[source("crl-3.zip", &o)], Vec::new(), &opts);
    assert!(!st.clusters[0].crl.as_ref().unwrap().due);
}

fn write_bundle(dir: &Path, file: &str, b: &Bundle) {
    std::fs::write(dir.join(file), b.to_zip().unwrap()).unwrap();
}

/// A folder: the newest bundle of each cluster is read, older ones named, a zip that is not a
/// bundle skipped and listed, other files ignored; `--json` is the library's JSON.
#[test]
fn cli_reads_a_folder_newest_bundle_per_cluster() {
    let dir = scratch("folder");
    let now = OffsetDateTime::now_utc();
    let a = spec("alpha", 825, 3650);
    write_bundle(&dir, "alpha-1.zip", &made_at(&a, now - status::days(10)));
    write_bundle(&dir, "alpha-2.zip", &made_at(&a, now - status::days(1)));
    write_bundle(&dir, "beta.zip", &made_at(&spec("beta", 20, 3650), now));
    std::fs::write(dir.join("junk.zip"), b"not a zip").unwrap();
    std::fs::write(dir.join("alpha-ca.key"), b"ignored").unwrap();

    let (code, out, err) = etcd_pki(&["status", "--from", ".", "--json"], &dir);
    assert_eq!(code, Some(0), "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["format"], "etcd-pki-status");
    let clusters = v["clusters"].as_array().unwrap();
    assert_eq!(clusters.len(), 2);
    assert_eq!(clusters[0]["cluster"], "alpha");
    assert_eq!(clusters[0]["bundle"], "./alpha-2.zip");
    assert_eq!(clusters[0]["older_bundles"][0], "./alpha-1.zip");
    assert!(clusters[0]["renewal"].is_null());
    assert_eq!(
        clusters[1]["renewal"]["command"],
        "etcd-pki renew --from ./beta.zip --ca-key ./beta-ca.key --within 30 --out ./beta-2.zip"
    );
    let cert = &clusters[1]["certificates"][1];
    for field in [
        "id",
        "subject",
        "serial",
        "not_after",
        "days_left",
        "action",
        "command",
    ] {
        assert!(!cert[field].is_null(), "{field} in {cert}");
    }
    assert_eq!(v["skipped"][0]["path"], "./junk.zip");
    assert_eq!(v["summary"]["clusters_with_actions"], 1);

    // Text, --within=N, and bare paths: beta is not due within 10 days.
    let (code, out, err) = etcd_pki(&["status", "beta.zip", "--within=10"], &dir);
    assert_eq!(code, Some(0), "{err}");
    assert!(out.starts_with("beta: beta.zip (made "), "{out}");
    assert!(out.contains("CN=etcd1") && out.contains(" ok"), "{out}");
    assert!(!out.contains("to do, in this order"), "{out}");
    let (code, out, _) = etcd_pki(&["status", "--from", "beta.zip"], &dir);
    assert_eq!(code, Some(0));
    assert!(
        out.contains("renew (within 30 days)")
            && out.contains("to do, in this order:\n    1. etcd-pki renew --from beta.zip"),
        "{out}"
    );

    // Bad input: a named file that is no bundle, a bad --within, nothing given.
    let (code, _, err) = etcd_pki(&["status", "--from", "junk.zip"], &dir);
    assert_eq!(code, Some(2));
    assert!(
        err.contains("junk.zip: ") && err.contains("not a zip archive"),
        "{err}"
    );
    let (code, _, err) = etcd_pki(&["status", "--from", ".", "--within", "soon"], &dir);
    assert_eq!(code, Some(2));
    assert!(
        err.contains("--within \"soon\" is not a number of days"),
        "{err}"
    );
    let (code, _, err) = etcd_pki(&["status"], &dir);
    assert_eq!(code, Some(2));
    assert!(err.contains("status needs --from"), "{err}");
    let (code, out, _) = etcd_pki(&["status", "--help"], &dir);
    assert_eq!(code, Some(0));
    assert!(out.contains("--within DAYS"), "{out}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// The scheduled renewal (docs/RENEWAL.md): `renew --within 30` renews what is due; run again
/// on its output, nothing is due, nothing is written, and it exits 0.
#[test]
fn cli_renew_within_twice_writes_nothing_the_second_time() {
    let dir = scratch("twice");
    let now = OffsetDateTime::now_utc();
    let b = made_at(&spec("sched", 40, 3650), now - status::days(15));
    write_bundle(&dir, "sched-1.zip", &b);
    std::fs::write(dir.join("sched-ca.key"), b.ca_key.text()).unwrap();
    let renew = |from: &str, out: &str| {
        etcd_pki(
            &[
                "renew",
                "--from",
                from,
                "--ca-key",
                "sched-ca.key",
                "--within",
                "30",
                "--out",
                out,
            ],
            &dir,
        )
    };
    let (code, out, err) = renew("sched-1.zip", "sched-2.zip");
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("8 certificates renewed"), "{out}");
    let listing = |d: &Path| {
        let mut v: Vec<(String, Vec<u8>)> = std::fs::read_dir(d)
            .unwrap()
            .map(|e| {
                let p = e.unwrap().path();
                (p.display().to_string(), std::fs::read(&p).unwrap())
            })
            .collect();
        v.sort();
        v
    };
    let before = listing(&dir);
    let (code, out, err) = renew("sched-2.zip", "sched-3.zip");
    assert_eq!(code, Some(0), "{err}");
    assert!(
        out.contains("nothing is due within 30 days") && out.contains("nothing was written"),
        "{out}"
    );
    assert_eq!(listing(&dir), before, "the second run changed nothing");
    let (code, out, _) = etcd_pki(&["status", "--from", ".", "--json"], &dir);
    assert_eq!(code, Some(0));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["clusters"][0]["bundle"], "./sched-2.zip");
    assert_eq!(v["summary"]["clusters_with_actions"], 0);
    let _ = std::fs::remove_dir_all(&dir);
}

/// deploy/renewal/etcd-pki-renew.sh, the timer's job of docs/RENEWAL.md, over a folder of two
/// clusters (one due): the first run renews the due one only and hands the new bundle to the
/// hook; the second run changes nothing (every file byte for byte) and runs no hook.
#[test]
fn the_scheduled_renewal_script_twice_changes_nothing_the_second_time() {
    let dir = scratch("script");
    let now = OffsetDateTime::now_utc();
    let due = made_at(&spec("due", 40, 3650), now - status::days(15));
    let fine = made_at(&spec("fine", 825, 3650), now);
    for (name, b) in [("due", &due), ("fine", &fine)] {
        write_bundle(&dir, &format!("{name}-1.zip"), b);
        std::fs::write(dir.join(format!("{name}-ca.key")), b.ca_key.text()).unwrap();
    }
    let hook = dir.join("hook.log");
    let hook_script = std::env::temp_dir().join(format!("epki-hook-{}.sh", std::process::id()));
    std::fs::write(
        &hook_script,
        format!("#!/bin/sh\necho \"$1\" >> '{}'\n", hook.display()),
    )
    .unwrap();
    std::fs::set_permissions(
        &hook_script,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy/renewal/etcd-pki-renew.sh");
    let run = || {
        let out = Command::new("bash")
            .arg(&script)
            .arg(&dir)
            .arg("30")
            .env("ETCD_PKI", env!("CARGO_BIN_EXE_etcd-pki"))
            .env("ETCD_PKI_AFTER_RENEW", &hook_script)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned()
                + &String::from_utf8_lossy(&out.stderr),
        )
    };
    let (code, out) = run();
    assert_eq!(code, Some(0), "{out}");
    assert!(
        dir.join("due-2.zip").exists() && !dir.join("fine-2.zip").exists(),
        "{out}"
    );
    assert_eq!(
        std::fs::read_to_string(&hook).unwrap(),
        format!("{}/due-2.zip\n", dir.display())
    );
    let snapshot = || {
        let mut v: Vec<(PathBuf, Vec<u8>)> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| {
                let p = e.unwrap().path();
                let bytes = std::fs::read(&p).unwrap();
                (p, bytes)
            })
            .collect();
        v.sort();
        v
    };
    let before = snapshot();
    let (code, out) = run();
    assert_eq!(code, Some(0), "{out}");
    assert_eq!(snapshot(), before, "the second run changed nothing: {out}");
    let _ = std::fs::remove_file(&hook_script);
    let _ = std::fs::remove_dir_all(&dir);
}
