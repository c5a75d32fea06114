//! Fleet scale: `etcd-pki status` over a folder of many clusters' bundles, and the renewal of
//! every due cluster, timed through the real binary. The 100 × 5 figure of
//! docs/BENCHMARKS.md ("Fleet status") is the ignored test (`./scripts/bench.sh fleet`, or
//! `cargo test --release -p pki-core --test fleet -- --ignored --nocapture`); the test command
//! runs the same walk over 10 clusters.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use pki_core::{ClusterSpec, Node, OffsetDateTime};

/// A cluster of `members` members. Two clusters in three have 40-day certificates issued 15
/// days ago (25 days left: due within 30, and not due again once renewed); the third, 825
/// days issued today (nothing due).
fn spec(i: usize, members: usize) -> ClusterSpec {
    let mut s = ClusterSpec::template();
    s.cluster_name = format!("c{i:03}");
    s.nodes = (1..=members)
        .map(|m| Node {
            name: format!("etcd{m}"),
            ips: vec![format!("10.{}.{}.{m}", i / 250, i % 250)],
            dns_names: vec![],
        })
        .collect();
    s.cert_validity_days = if due(i) { 40 } else { 825 };
    s
}

fn due(i: usize) -> bool {
    !i.is_multiple_of(3)
}

struct Fleet {
    dir: PathBuf,
    clusters: usize,
    made: Duration,
}

/// `clusters` bundles in a fresh folder, with their CA keys beside them (unencrypted: a
/// benchmark's throwaway CAs), each cluster also with an older bundle that status must pass
/// over.
fn make_fleet(tag: &str, clusters: usize, members: usize) -> Fleet {
    let dir = std::env::temp_dir().join(format!("epki-fleet-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let start = Instant::now();
    let today = OffsetDateTime::now_utc();
    for i in 0..clusters {
        let s = spec(i, members);
        let now = if due(i) {
            today - pki_core::status::days(15)
        } else {
            today
        };
        let key = |r: &pki_core::KeyRequest| pki_core::PrivateKey::generate(r.algorithm);
        // The older bundle: the same spec a day earlier (another CA: status only skips it).
        let old = pki_core::generate_with_keys(&s, now - pki_core::status::days(1), key).unwrap();
        let new = pki_core::generate_with_keys(&s, now, key).unwrap();
        let name = &s.cluster_name;
        std::fs::write(dir.join(format!("{name}-1.zip")), old.to_zip().unwrap()).unwrap();
        std::fs::write(dir.join(format!("{name}-2.zip")), new.to_zip().unwrap()).unwrap();
        std::fs::write(dir.join(format!("{name}-ca.key")), new.ca_key.text()).unwrap();
    }
    Fleet {
        dir,
        clusters,
        made: start.elapsed(),
    }
}

fn etcd_pki(args: &[&str], dir: &Path) -> (String, Duration) {
    let start = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_etcd-pki"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    let took = start.elapsed();
    assert!(
        out.status.success(),
        "etcd-pki {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (String::from_utf8_lossy(&out.stdout).into_owned(), took)
}

/// Status over the folder, checked; then every due cluster renewed with the command status
/// printed for it, and status again (nothing due). Returns (status, renewals, status again).
fn walk(f: &Fleet) -> (Duration, Duration, Duration) {
    let (out, status_took) = etcd_pki(&["status", "--from", ".", "--json"], &f.dir);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let clusters = v["clusters"].as_array().unwrap();
    assert_eq!(clusters.len(), f.clusters, "one entry per cluster");
    let mut renewals = Duration::ZERO;
    for (i, c) in clusters.iter().enumerate() {
        assert_eq!(c["bundle"], format!("./c{i:03}-2.zip"), "the newest bundle");
        assert_eq!(c["older_bundles"][0], format!("./c{i:03}-1.zip"));
        if !due(i) {
            assert!(c["renewal"].is_null(), "{c}");
            continue;
        }
        let r = &c["renewal"];
        assert!(r["refused"].is_null(), "{r}");
        let command = r["command"].as_str().unwrap();
        let args: Vec<&str> = command.split(' ').skip(1).collect();
        let (_, took) = etcd_pki(&args, &f.dir);
        renewals += took;
    }
    let (out, again) = etcd_pki(&["status", "--from", ".", "--json"], &f.dir);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["summary"]["clusters_with_actions"], 0, "all renewed");
    assert_eq!(v["clusters"].as_array().unwrap().len(), f.clusters);
    (status_took, renewals, again)
}

/// The test command's run: 10 clusters of 5 members.
#[test]
fn fleet_status_and_renewal_of_10_clusters() {
    let f = make_fleet("10", 10, 5);
    let (status, renewals, again) = walk(&f);
    eprintln!(
        "FLEET 10x5: status {} ms, {} renewals {} ms, status again {} ms",
        status.as_millis(),
        (0..10).filter(|&i| due(i)).count(),
        renewals.as_millis(),
        again.as_millis()
    );
    // A tenth of the fleet's budget (10 s for 100 clusters), with room for a loaded machine.
    assert!(status < Duration::from_secs(5), "status took {status:?}");
    let _ = std::fs::remove_dir_all(&f.dir);
}

/// The figure: 100 clusters × 5 members, status over all of them (200 bundles in the
/// folder) and the renewal plan of each due cluster in at most 10 s.
#[test]
#[ignore = "benchmark: ./scripts/bench.sh fleet"]
fn fleet_status_of_100_clusters_of_5_members() {
    let f = make_fleet("100", 100, 5);
    let (status, renewals, again) = walk(&f);
    let due = (0..100).filter(|&i| due(i)).count();
    println!(
        "FLEET 100x5 ({} bundles, {} load {}): made in {} ms; status + renewal plans {} ms; \
         {due} renewals (etcd-pki renew, one process each) {} ms, {} ms each; status again {} ms",
        200,
        if cfg!(debug_assertions) {
            "debug build,"
        } else {
            "release build,"
        },
        std::fs::read_to_string("/proc/loadavg")
            .unwrap_or_default()
            .trim(),
        f.made.as_millis(),
        status.as_millis(),
        renewals.as_millis(),
        renewals.as_millis() / due as u128,
        again.as_millis()
    );
    assert!(status < Duration::from_secs(10), "status took {status:?}");
    let _ = std::fs::remove_dir_all(&f.dir);
}
