//! The page's speed in real headless Chromium, from the timings the page itself records with
//! performance.now() (`window.__etcdPki.runs`), and the longest main-thread task while
//! generating (PerformanceObserver `longtask`, which reports tasks over 50 ms).
//!
//! A benchmark, not a test: `cargo test -p e2e-browser --release --test page_bench --
//! --ignored --nocapture` after `./scripts/build-site.sh`; it prints a table for the README.

use std::time::Duration;

use e2e_browser::{Browser, Site, site_dir};
use serde_json::Value;

const RUNS: usize = 15;

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn bench(alg: &str) -> String {
    let site = Site::serve(site_dir());
    let mut b = Browser::start();
    b.open(&site.url, "#generate");
    // The standard bundle: the example spec's 3 members and 2 clients.
    assert_eq!(
        b.eval("document.querySelectorAll('[data-testid=member-row]').length"),
        3
    );
    assert_eq!(
        b.eval("document.querySelectorAll('[data-testid=client-row]').length"),
        2
    );
    b.type_into("#opt-key-algorithm", alg);
    // Comparable with earlier figures: no PBKDF2 for the CA key in the timed runs.
    b.click("#ca-unencrypted");
    b.eval(
        "window.__longTasks = []; new PerformanceObserver(l => { for (const e of l.getEntries()) window.__longTasks.push(e.duration); }).observe({entryTypes: ['longtask']}); true",
    );
    // Let the workers come up (as they do while a person fills in the form).
    std::thread::sleep(Duration::from_secs(2));
    for i in 0..RUNS {
        b.wait_for(
            "!document.querySelector('#generate').disabled",
            Duration::from_secs(60),
            "Generate enabled",
        );
        b.click("#generate");
        b.wait_for(
            &format!(
                "window.__etcdPki && window.__etcdPki.runs.length === {} && !window.__etcdPki.busy",
                i + 1
            ),
            Duration::from_secs(120),
            "a generation to finish",
        );
    }
    let runs = b.eval("window.__etcdPki.runs");
    let runs: Vec<&Value> = runs.as_array().unwrap().iter().collect();
    assert!(
        runs.iter().all(|r| r["algorithm"] == alg && r["keys"] == 9),
        "{runs:?}"
    );
    let field = |k: &str| {
        runs.iter()
            .map(|r| r[k].as_f64().unwrap())
            .collect::<Vec<f64>>()
    };
    let mut total = field("total_ms");
    let mut keygen = field("keygen_ms");
    let mut assemble = field("assemble_ms");
    let workers = runs[0]["workers"].as_f64().unwrap();
    let (min, max) = (
        total.iter().cloned().fold(f64::MAX, f64::min),
        total.iter().cloned().fold(0.0, f64::max),
    );
    let long: Vec<f64> = b
        .eval("window.__longTasks")
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_f64)
        .collect();
    let longest = long.iter().cloned().fold(0.0, f64::max);
    format!(
        "| {alg} | {:.0} ms | {min:.0} ms | {max:.0} ms | {:.0} ms | {:.0} ms | {workers} | {} |",
        median(&mut total),
        median(&mut keygen),
        median(&mut assemble),
        if long.is_empty() {
            "none over 50 ms".to_string()
        } else {
            format!("{} tasks, longest {longest:.0} ms", long.len())
        }
    )
}

#[test]
#[ignore = "benchmark: run with --ignored --nocapture"]
fn standard_bundle_in_chromium() {
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    println!(
        "\nStandard bundle (3 members, 2 clients, 9 keys, zip included), {RUNS} runs each, headless Chromium, {cores} cores:\n"
    );
    println!(
        "| algorithm | median | fastest | slowest | keys (median) | sign + zip (median) | workers | main-thread long tasks |"
    );
    println!("| --- | --- | --- | --- | --- | --- | --- | --- |");
    for alg in ["ecdsa-p256", "rsa-2048"] {
        println!("{}", bench(alg));
    }
}
