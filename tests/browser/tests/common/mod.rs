//! Checks of the hosted page shared by the tests that serve it (airgap.rs with the test
//! server, hosting.rs with nginx).

use std::path::Path;
use std::time::Duration;

use e2e_browser::{Browser, Engine};
use serde_json::json;

const SECS: Duration = Duration::from_secs(60);

/// The hosted page at `site` (served from `dist`): only its own origin is asked for anything,
/// nothing at all once loaded, no 4xx; its CSP refuses connections; SRI on every script.
/// `header_csp`: the policy the server sends as a header, when the page carries none in a
/// `<meta>` tag (else the `<meta>` tag's policy is checked).
pub fn asks_only_its_origin_and_nothing_after_load(
    engine: Engine,
    site: &str,
    dist: &Path,
    header_csp: Option<&str>,
) {
    let mut b = Browser::launch(engine);
    b.open(site, "#generate");
    // Loaded: the page and its workers are up.
    b.wait_for(
        "window.__etcdPki && window.__etcdPki.workersReady >= 1",
        SECS,
        "the key workers",
    );
    std::thread::sleep(Duration::from_millis(500));
    let at_load = b.requests();
    let blob = format!("blob:{}", site.trim_end_matches('/'));
    // The recording works (the page itself and its scripts are in it) ...
    assert!(
        at_load.iter().any(|u| u == site) && at_load.len() >= 4,
        "{}: the page's own requests were not recorded: {at_load:?}",
        engine.name()
    );
    // ... and holds nothing but the page's origin, its workers' blob: URLs and the inline
    // favicon (a data: URL, which Firefox reports as a request and Chromium does not).
    for url in &at_load {
        assert!(
            url.starts_with(site) || url.starts_with(&blob) || url.starts_with("data:"),
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
    b.wait_result(SECS, "generation");
    b.click("[data-testid=file-entry][data-path=\"ca.crt\"]");
    b.click("#download");
    b.wait_download("etcd-generate-g1.zip", SECS);
    let after: Vec<String> = b
        .requests()
        .into_iter()
        .skip(at_load.len())
        .filter(|u| !u.starts_with("blob:") && !u.starts_with("data:"))
        .collect();
    assert!(after.is_empty(), "requests after load: {after:?}");

    // The CSP forbids connections, even to the page's own origin.
    let r = b.eval("fetch('./index.html').then(() => 'sent', () => 'blocked')");
    assert_eq!(r, json!("blocked"), "the page could fetch");
    let meta = b.eval(
        "(document.querySelector('meta[http-equiv=Content-Security-Policy]') || {}).content || null",
    );
    let csp = match header_csp {
        Some(h) => {
            assert_eq!(meta, json!(null), "the page carries a <meta> policy too");
            h.to_string()
        }
        None => meta.as_str().expect("a <meta> policy").to_string(),
    };
    assert!(csp.contains("connect-src 'none'"), "{csp}");
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
    assert!(b.exceptions().is_empty(), "{:?}", b.exceptions());
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
    assert!(csp.contains("worker-src 'self' blob:;"), "{csp}");
    for gone in ["keygen-worker_loader.js", "keygen-worker.js"] {
        assert!(!dist.join(gone).exists(), "{gone} is still in dist/");
    }
}

/// After one visit to `url`, the service worker has kept the page: with the server stopped
/// (`stop`) and the browser offline, a reload still gives a page that generates.
pub fn works_offline_after_the_first_visit(engine: Engine, url: &str, stop: impl FnOnce()) {
    let mut b = Browser::launch(engine);
    b.open(url, "#generate");
    // The service worker has stored the page's files.
    b.wait_for("window.__swReady || (navigator.serviceWorker.ready.then(() => { window.__swReady = true; }), false)", SECS, "the service worker");
    b.wait_for(
        "caches.keys().then(k => window.__cacheCount = k.length) && window.__cacheCount >= 1",
        SECS,
        "the offline cache",
    );
    // Off the network, a reload still gives a working page.
    b.set_offline(true);
    stop();
    b.open(url, "#generate");
    b.wait_for(
        "document.querySelector('#build-status').innerText.includes('offline')",
        SECS,
        "the offline status",
    );
    // The server is gone and the network off: what loaded came from the service worker.
    assert_eq!(
        b.eval("navigator.serviceWorker.controller !== null"),
        json!(true),
        "{}: the offline page is not served by the service worker",
        engine.name()
    );
    b.protect_ca_key("correct horse battery staple");
    b.click("#generate");
    b.wait_result(SECS, "generation while offline");
    // And what it made offline is a sound bundle, downloaded as online.
    b.click("#download");
    let zip = b.wait_download("etcd-generate-g1.zip", SECS);
    let out = e2e_browser::TempDir::new("offline-zip");
    e2e_browser::unzip(&zip, &out.0);
    let verify = std::process::Command::new("openssl")
        // root+issuing: ca.crt is the root alone; the leaf files carry the issuing CA.
        .args([
            "verify",
            "-CAfile",
            "ca.crt",
            "-untrusted",
            "members/etcd1/pki/server.crt",
        ])
        .args(["members/etcd1/pki/server.crt", "clients/etcdctl/client.crt"])
        .current_dir(&out.0)
        .output()
        .expect("openssl");
    let text = String::from_utf8_lossy(&verify.stdout);
    assert!(
        verify.status.success()
            && text.contains("server.crt: OK")
            && text.contains("client.crt: OK"),
        "{}: openssl verify: {text}{}",
        engine.name(),
        String::from_utf8_lossy(&verify.stderr)
    );
    assert!(b.exceptions().is_empty(), "{:?}", b.exceptions());
}
