//! The air-gapped promises, checked in real Chromium: the one-file page works opened from
//! disk with the network off (generate, download, openssl agrees); the hosted page asks only
//! its own origin for anything, and nothing at all once loaded; its CSP refuses connections;
//! once visited, it works with the server gone and the network off (served by its service
//! worker: generate, download, openssl agrees).

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use e2e_browser::{Browser, Site, TempDir, site_dir};
use serde_json::json;

const SECS: Duration = Duration::from_secs(60);

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

fn exceptions(b: &Browser) -> Vec<String> {
    b.events
        .iter()
        .filter(|e| e["method"] == "Runtime.exceptionThrown")
        .map(|e| e["params"]["exceptionDetails"].to_string())
        .collect()
}

#[test]
fn one_file_page_works_from_disk_with_the_network_off() {
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

    let mut b = Browser::start();
    b.send(
        "Network.emulateNetworkConditions",
        json!({"offline": true, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1}),
    );
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
    b.wait_for(
        "document.querySelector('#result-summary')",
        SECS,
        "generation from the one-file page",
    );
    let summary = b.text("#result-summary").unwrap();
    assert!(summary.contains(" workers"), "{summary}");
    b.click("#download");
    let zip = b.wait_download("airgap-etcd-pki.zip", SECS);
    let out = TempDir::new("airgap-zip");
    e2e_browser::unzip(&zip, &out.0);
    let v = openssl_ok(
        &out.0,
        &[
            "verify",
            "-CAfile",
            "ca.crt",
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
    for url in b.requests() {
        assert!(
            url.starts_with("file://") || url.starts_with("blob:") || url.starts_with("data:"),
            "the one-file page asked for {url}"
        );
    }
    assert!(exceptions(&b).is_empty(), "{:?}", exceptions(&b));
}

#[test]
fn hosted_page_asks_only_its_origin_and_nothing_after_load() {
    let site = Site::serve(site_dir());
    let mut b = Browser::start();
    b.open(&site.url, "#generate");
    // Loaded: the page and its workers are up.
    b.wait_for(
        "window.__etcdPki && window.__etcdPki.workersReady >= 1",
        SECS,
        "the key workers",
    );
    std::thread::sleep(Duration::from_millis(500));
    let at_load = b.requests();
    let blob = format!("blob:{}", site.url.trim_end_matches('/'));
    for url in &at_load {
        assert!(
            url.starts_with(&site.url) || url.starts_with(&blob),
            "a request to {url}"
        );
    }
    // A person's flow: edit, generate, open a file, download.
    b.type_into(
        "[data-testid=member-row]:nth-child(2) [data-testid=member-ips]",
        "10.0.0.22",
    );
    b.type_into("#opt-key-algorithm", "ed25519");
    b.protect_ca_key("correct horse battery staple");
    b.click("#generate");
    b.wait_for(
        "document.querySelector('#result-summary')",
        SECS,
        "generation",
    );
    b.click("[data-testid=file-entry][data-path=\"ca.crt\"]");
    b.click("#download");
    b.wait_download("etcd-etcd-pki.zip", SECS);
    let after: Vec<String> = b
        .requests()
        .into_iter()
        .skip(at_load.len())
        .filter(|u| !u.starts_with("blob:"))
        .collect();
    assert!(after.is_empty(), "requests after load: {after:?}");

    // The CSP forbids connections, even to the page's own origin.
    let r = b.eval("fetch('./index.html').then(() => 'sent', () => 'blocked')");
    assert_eq!(r, json!("blocked"), "the page could fetch");
    let csp = b.eval("document.querySelector('meta[http-equiv=Content-Security-Policy]').content");
    assert!(
        csp.as_str().unwrap().contains("connect-src 'none'"),
        "{csp}"
    );
    // Every script and the stylesheet carry subresource integrity.
    let unsigned = b.eval("[...document.querySelectorAll('script[src], link[rel=stylesheet], link[rel=modulepreload]')].filter(e => !e.integrity).map(e => e.src || e.href)");
    assert_eq!(unsigned, json!([]), "assets without integrity");
    // Nothing but the spec in storage; no cookies, no IndexedDB.
    assert_eq!(b.eval("document.cookie"), json!(""));
    assert_eq!(
        b.eval("indexedDB.databases().then(d => d.length)"),
        json!(0)
    );
    let storage = b
        .eval("JSON.stringify(Object.assign({}, localStorage))")
        .as_str()
        .unwrap()
        .to_string();
    assert!(!storage.contains("PRIVATE KEY"), "{storage}");
    assert!(exceptions(&b).is_empty(), "{:?}", exceptions(&b));
    // A plain load logs no 404: the favicon is inline, every asset exists.
    let failed: Vec<_> = b
        .responses()
        .into_iter()
        .filter(|(_, s)| *s >= 400)
        .collect();
    assert!(failed.is_empty(), "failed requests: {failed:?}");
    assert!(
        b.eval("document.querySelector('link[rel=icon]').href.startsWith('data:image/svg+xml')")
            == json!(true)
    );
    // The key worker starts from a blob: URL (under this CSP), not from a file of the site.
    assert!(
        !b.requests()
            .iter()
            .any(|u| u.contains("keygen-worker_loader")),
        "{:?}",
        b.requests()
    );
    assert!(
        csp.as_str().unwrap().contains("worker-src 'self' blob:;"),
        "{csp}"
    );
    for gone in ["keygen-worker_loader.js", "keygen-worker.js"] {
        assert!(!site_dir().join(gone).exists(), "{gone} is still in dist/");
    }
}

#[test]
fn hosted_page_works_offline_after_the_first_visit() {
    let site = Site::serve(site_dir());
    let mut b = Browser::start();
    b.open(&site.url, "#generate");
    // The service worker has stored the page's files.
    b.wait_for("window.__swReady || (navigator.serviceWorker.ready.then(() => { window.__swReady = true; }), false)", SECS, "the service worker");
    b.wait_for(
        "caches.keys().then(k => window.__cacheCount = k.length) && window.__cacheCount >= 1",
        SECS,
        "the offline cache",
    );
    // Off the network, a reload still gives a working page.
    b.send(
        "Network.emulateNetworkConditions",
        json!({"offline": true, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1}),
    );
    let url = site.url.clone();
    drop(site);
    b.open(&url, "#generate");
    b.wait_for(
        "document.querySelector('#build-status').innerText.includes('offline')",
        SECS,
        "the offline status",
    );
    // The server is gone and the network off: what loaded came from the service worker.
    assert_eq!(
        b.eval("navigator.serviceWorker.controller !== null"),
        json!(true),
        "the offline page is not served by the service worker"
    );
    b.protect_ca_key("correct horse battery staple");
    b.click("#generate");
    b.wait_for(
        "document.querySelector('#result-summary')",
        SECS,
        "generation while offline",
    );
    // And what it made offline is a sound bundle, downloaded as online.
    b.click("#download");
    let zip = b.wait_download("etcd-etcd-pki.zip", SECS);
    let out = TempDir::new("offline-zip");
    e2e_browser::unzip(&zip, &out.0);
    let v = openssl_ok(
        &out.0,
        &[
            "verify",
            "-CAfile",
            "ca.crt",
            "members/etcd1/pki/server.crt",
            "clients/etcdctl/client.crt",
        ],
    );
    assert!(
        v.contains("server.crt: OK") && v.contains("client.crt: OK"),
        "{v}"
    );
    assert!(exceptions(&b).is_empty(), "{:?}", exceptions(&b));
}
