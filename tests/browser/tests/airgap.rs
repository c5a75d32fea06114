//! The air-gapped promises, checked in real Chromium: the one-file page works opened from
//! disk with the network off (generate, download, openssl agrees, the renewal calendar is the
//! bundle's renewal.ics); the hosted page asks only
//! its own origin for anything, and nothing at all once loaded; its CSP refuses connections;
//! once visited, it works with the server gone and the network off (served by its service
//! worker: generate, download, openssl agrees).

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use e2e_browser::{Browser, Engine, Site, TempDir, in_both_browsers, site_dir};
use serde_json::json;

const SECS: Duration = Duration::from_secs(60);

mod common;

in_both_browsers!(
    one_file_page_works_from_disk_with_the_network_off,
    hosted_page_asks_only_its_origin_and_nothing_after_load,
    hosted_page_works_offline_after_the_first_visit,
);

fn openssl_ok(dir: &Path, args: &[&str]) -> String {
    let o = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(o.status.success(), "openssl {}: {text}", args.join(" "));
    text
}

fn one_file_page_works_from_disk_with_the_network_off(engine: Engine) {
    // Carry the file somewhere else, alone, and check it against its published hash.
    let dist = site_dir();
    let carried = TempDir::new("airgap");
    let file = carried.0.join("etcd-pki.html");
    std::fs::copy(dist.join("etcd-pki.html"), &file).unwrap();
    let published = std::fs::read_to_string(dist.join("etcd-pki.html.sha256")).unwrap();
    let sum = Command::new("sha256sum").arg(&file).output().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&sum.stdout)
            .split_whitespace()
            .next(),
        published.split_whitespace().next(),
        "the one-file page does not match its published SHA-256"
    );

    let mut b = Browser::launch(engine);
    b.set_offline(true);
    b.open(&format!("file://{}", file.display()), "#generate");
    assert_eq!(b.eval("location.protocol"), json!("file:"));
    let status = b.text("#build-status").unwrap();
    assert!(
        status.contains("opened from a file") && status.contains("offline"),
        "{status}"
    );
    b.type_into("#opt-cluster-name", "airgap");
    b.protect_ca_key("correct horse battery staple");
    b.click("#generate");
    b.wait_result(SECS, "generation from the one-file page");
    let summary = b.text("#result-summary").unwrap();
    assert!(summary.contains(" workers"), "{summary}");
    b.click("#download");
    let zip = b.wait_download("airgap-generate-g1.zip", SECS);
    let out = TempDir::new("airgap-zip");
    e2e_browser::unzip(&zip, &out.0);
    let v = openssl_ok(
        &out.0,
        &[
            "verify",
            "-CAfile",
            "ca.crt",
            // root+issuing: the leaf files carry the issuing CA after the leaf.
            "-untrusted",
            "members/etcd1/pki/server.crt",
            "members/etcd1/pki/server.crt",
            "clients/etcdctl/client.crt",
        ],
    );
    assert!(
        v.contains("server.crt: OK") && v.contains("client.crt: OK"),
        "{v}"
    );
    openssl_ok(
        &out.0,
        &["pkey", "-in", "members/etcd2/pki/peer.key", "-noout"],
    );
    // The renewal calendar, offered beside the zip: the bundle's own renewal.ics.
    b.click("#download-calendar");
    let ics = b.wait_download("airgap-generate-g1-renewal.ics", SECS);
    let ics = std::fs::read(&ics).unwrap();
    assert!(
        ics.starts_with(b"BEGIN:VCALENDAR"),
        "{}",
        String::from_utf8_lossy(&ics)
    );
    assert_eq!(
        ics,
        std::fs::read(out.0.join("renewal.ics")).unwrap(),
        "the page's calendar is not the bundle's renewal.ics"
    );
    // The Doctor works offline from the one file too: a recorded etcd log, pasted.
    let log = std::fs::read_to_string(
        e2e_browser::workspace_root().join("tests/doctor-corpus/file-missing/inputs/etcd1.log"),
    )
    .unwrap();
    b.type_into("#doctor-paste", &log);
    b.click("#doctor-run");
    b.wait_for(
        "document.querySelector('#doctor-answer')?.dataset.answers === '1'",
        SECS,
        "the doctor's answer in the one-file page",
    );
    let classes = b.eval("document.querySelector('#doctor-answer').dataset.classes");
    assert!(
        classes
            .as_str()
            .is_some_and(|c| c.split(',').any(|x| x == "file-missing")),
        "{}: the one-file page's doctor: {classes}",
        engine.name()
    );
    let requests = b.requests();
    // The recording works: Chromium reports the file:// load itself, Firefox only the
    // inline favicon's data: URL (it reports no file:// request).
    assert!(
        requests
            .iter()
            .any(|u| u.starts_with("file://") || u.starts_with("data:image/svg+xml")),
        "{}: the page's own load was not recorded: {requests:?}",
        engine.name()
    );
    for url in requests {
        assert!(
            url.starts_with("file://") || url.starts_with("blob:") || url.starts_with("data:"),
            "the one-file page asked for {url}"
        );
    }
    assert!(b.exceptions().is_empty(), "{:?}", b.exceptions());
}

fn hosted_page_asks_only_its_origin_and_nothing_after_load(engine: Engine) {
    let site = Site::serve(site_dir());
    common::asks_only_its_origin_and_nothing_after_load(engine, &site.url, &site_dir(), None);
}

fn hosted_page_works_offline_after_the_first_visit(engine: Engine) {
    let site = Site::serve(site_dir());
    let url = site.url.clone();
    common::works_offline_after_the_first_visit(engine, &url, move || drop(site));
}
