//! The page published as README "Publish the page" says: Debian's nginx serving dist/ with
//! `deploy/nginx/etcd-pki.conf`, on loopback, in the foreground with its own prefix. Its
//! headers are checked as a browser receives them (and against dist/_headers, which says the
//! same for static hosts); then a person's flow runs through it in Chromium and Firefox ESR
//! with the `<meta>` policy taken out of the page, so the header alone must hold the page and
//! its key worker; and the offline cache works with the service worker's own policy.

mod common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use e2e_browser::{Browser, Engine, Nginx, TempDir, in_both_browsers, site_dir};
use serde_json::json;

const SECS: Duration = Duration::from_secs(60);

in_both_browsers!(page_through_nginx, offline_through_nginx);

/// A copy of dist/ to publish, with `edit` applied to its index.html.
fn published_copy(edit: impl Fn(String) -> String) -> TempDir {
    let dir = TempDir::new("published");
    copy_dir(&site_dir(), &dir.0);
    let index = dir.0.join("index.html");
    let html = std::fs::read_to_string(&index).unwrap();
    std::fs::write(&index, edit(html)).unwrap();
    dir
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            copy_dir(&p, &to.join(e.file_name()));
        } else {
            std::fs::copy(&p, to.join(e.file_name())).unwrap();
        }
    }
}

/// The page without its `<meta>` policy: only nginx's header can protect it now.
fn without_meta_policy(html: String) -> String {
    let start = html
        .find("<meta http-equiv=\"Content-Security-Policy\"")
        .expect("index.html has a <meta> policy");
    let end = start + html[start..].find('>').unwrap() + 1;
    format!("{}{}", &html[..start], &html[end..])
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k == &name.to_ascii_lowercase())
        .map(|(_, v)| v.as_str())
}

/// The page's `<meta>` policy in dist/index.html.
fn meta_policy() -> String {
    let html = std::fs::read_to_string(site_dir().join("index.html")).unwrap();
    let at = html
        .find("http-equiv=\"Content-Security-Policy\" content=\"")
        .expect("a <meta> policy");
    let rest = &html[at + "http-equiv=\"Content-Security-Policy\" content=\"".len()..];
    rest[..rest.find('"').unwrap()].to_string()
}

/// dist/_headers as (path pattern, [(name, value)]).
fn headers_file() -> Vec<(String, Vec<(String, String)>)> {
    let text = std::fs::read_to_string(site_dir().join("_headers")).expect("dist/_headers");
    let mut rules: Vec<(String, Vec<(String, String)>)> = Vec::new();
    for line in text.lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        if line.starts_with('/') {
            rules.push((line.trim().to_string(), Vec::new()));
        } else {
            let (k, v) = line.trim().split_once(':').expect("Name: value");
            rules
                .last_mut()
                .expect("a path first")
                .1
                .push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    rules
}

fn matches(pattern: &str, path: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => path.starts_with(prefix),
        None => pattern == path,
    }
}

/// The page's assets, as index.html names them (`assets/…`).
fn assets(dir: &Path) -> Vec<String> {
    let html = std::fs::read_to_string(dir.join("index.html")).unwrap();
    let mut v: Vec<String> = html
        .split('"')
        .filter_map(|part| part.strip_prefix("./assets/"))
        .map(|name| format!("assets/{name}"))
        .collect();
    v.sort();
    v.dedup();
    v
}

fn sha256_hex(data: &[u8]) -> String {
    let dir = TempDir::new("sha");
    let f = dir.0.join("f");
    std::fs::write(&f, data).unwrap();
    let out = std::process::Command::new("sha256sum")
        .arg(&f)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .unwrap()
        .to_string()
}

#[test]
fn nginx_sends_the_published_headers() {
    let dir = published_copy(|h| h);
    // dist/ inlines its wasm; a .wasm file put beside it must still get its type.
    std::fs::write(dir.0.join("probe.wasm"), b"\0asm\x01\0\0\0").unwrap();
    let nginx = Nginx::serve(&dir.0);
    let page_policy = format!("{}; frame-ancestors 'none'", meta_policy());

    for path in ["/", "/index.html"] {
        let (status, h, body) = nginx.get(path);
        assert_eq!(status, 200, "{path}");
        assert!(String::from_utf8_lossy(&body).contains("<!doctype html>"));
        assert_eq!(
            header(&h, "content-security-policy"),
            Some(page_policy.as_str()),
            "{path}: the page's policy as a header, with frame-ancestors"
        );
        assert_eq!(header(&h, "cache-control"), Some("no-cache"), "{path}");
        assert!(
            header(&h, "etag").is_some(),
            "{path}: no ETag to revalidate"
        );
        assert!(
            header(&h, "content-type").unwrap().starts_with("text/html"),
            "{path}"
        );
    }
    let (status, h, _) = nginx.get("/sw.js");
    assert_eq!(status, 200);
    assert_eq!(header(&h, "cache-control"), Some("no-cache"));
    assert_eq!(
        header(&h, "content-security-policy"),
        Some("default-src 'none'; connect-src 'self'")
    );
    assert!(header(&h, "content-type").unwrap().contains("javascript"));
    let (status, h, _) = nginx.get("/etcd-pki.html");
    assert_eq!(status, 200);
    assert_eq!(header(&h, "cache-control"), Some("no-cache"));
    assert_eq!(
        header(&h, "content-security-policy"),
        Some("frame-ancestors 'none'")
    );
    let (status, h, _) = nginx.get("/probe.wasm");
    assert_eq!(status, 200);
    assert_eq!(header(&h, "content-type"), Some("application/wasm"));

    // Every asset is immutable, and may be: its name carries the hash of what it holds.
    let names = assets(&dir.0);
    assert!(names.len() >= 5, "{names:?}");
    for name in &names {
        let (status, h, body) = nginx.get(&format!("/{name}"));
        assert_eq!(status, 200, "{name}");
        assert_eq!(
            header(&h, "cache-control"),
            Some("public, max-age=31536000, immutable"),
            "{name}"
        );
        let hash = name.rsplit('.').nth(1).unwrap();
        assert!(
            hash.len() == 16 && sha256_hex(&body).starts_with(hash),
            "{name}: cached for a year, but its name does not carry its content's hash"
        );
        let ty = header(&h, "content-type").unwrap();
        assert!(
            ty.contains("javascript") || ty.starts_with("text/css"),
            "{name}: {ty}"
        );
        // Compressed for a browser that asks (the wasm scripts are most of the page).
        let gz = nginx.get_gzip_headers(&format!("/{name}"));
        assert_eq!(header(&gz, "content-encoding"), Some("gzip"), "{name}");
    }
    // Every response, even a 404, says nosniff.
    for path in [
        "/",
        "/sw.js",
        "/etcd-pki.html",
        "/probe.wasm",
        "/assets/none.js",
    ] {
        let (_, h, _) = nginx.get(path);
        assert_eq!(
            header(&h, "x-content-type-options"),
            Some("nosniff"),
            "{path}"
        );
        assert_eq!(header(&h, "x-frame-options"), Some("DENY"), "{path}");
    }
    assert_eq!(nginx.get("/assets/none.js").0, 404);

    // dist/_headers (for static hosts) and the nginx snippet say the same.
    let rules = headers_file();
    let mut paths: Vec<String> = [
        "/",
        "/index.html",
        "/sw.js",
        "/etcd-pki.html",
        "/etcd-pki.html.sha256",
    ]
    .map(String::from)
    .to_vec();
    paths.extend(names.iter().map(|n| format!("/{n}")));
    for path in &paths {
        let (_, got, _) = nginx.get(path);
        let wanted: Vec<&(String, String)> = rules
            .iter()
            .filter(|(p, _)| matches(p, path))
            .flat_map(|(_, hs)| hs)
            .collect();
        assert!(!wanted.is_empty(), "_headers says nothing for {path}");
        for (k, v) in wanted {
            assert_eq!(
                header(&got, k),
                Some(v.as_str()),
                "{path}: _headers and deploy/nginx/etcd-pki.conf disagree on {k}"
            );
        }
    }
}

/// A person's flow through nginx, with the page's `<meta>` policy removed: the header alone
/// refuses connections; only the origin is asked for anything.
fn page_through_nginx(engine: Engine) {
    let dir = published_copy(without_meta_policy);
    let nginx = Nginx::serve(&dir.0);
    let (_, h, _) = nginx.get("/");
    let policy = header(&h, "content-security-policy")
        .expect("a policy header")
        .to_string();
    common::asks_only_its_origin_and_nothing_after_load(engine, &nginx.url, &dir.0, Some(&policy));
    // nginx served what the page asked for, and nothing failed.
    let log = std::fs::read_to_string(nginx.prefix.0.join("access.log")).unwrap();
    assert!(log.contains("GET /assets/"), "{log}");
    assert!(!log.contains("\" 404 "), "{log}");
}

/// The offline cache through nginx: the service worker, under its own policy header, can
/// still fetch and keep the page's files.
fn offline_through_nginx(engine: Engine) {
    let dir = published_copy(|h| h);
    let nginx = Nginx::serve(&dir.0);
    let url = nginx.url.clone();
    common::works_offline_after_the_first_visit(engine, &url, move || drop(nginx));
}

/// A server that counts the connections it gets.
fn counting_server() -> (u16, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let count = Arc::new(AtomicUsize::new(0));
    let c = count.clone();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { continue };
            c.fetch_add(1, Ordering::SeqCst);
            let _ = conn.set_read_timeout(Some(Duration::from_secs(2)));
            let mut buf = [0u8; 2048];
            let _ = conn.read(&mut buf);
            let _ = conn.write_all(
                b"HTTP/1.1 200 OK\r\nAccess-Control-Allow-Origin: *\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            );
        }
    });
    (port, count)
}

/// The key worker is under the header policy: with the `<meta>` tag gone, the worker (from a
/// blob: URL) still cannot fetch. Chromium only: the test reaches into the worker over the
/// DevTools protocol.
#[test]
fn key_worker_is_under_the_header_policy() {
    let (port, count) = counting_server();
    let probe =
        format!("fetch('http://127.0.0.1:{port}/x').then(() => 'sent', (e) => 'refused: ' + e)");
    // The check can fail: without a policy the same fetch reaches the server.
    let mut control = Browser::start();
    assert_eq!(control.eval(&probe), json!("sent"));
    assert_eq!(count.swap(0, Ordering::SeqCst), 1);
    drop(control);

    let dir = published_copy(without_meta_policy);
    let nginx = Nginx::serve(&dir.0);
    let mut b = Browser::start();
    b.open(&nginx.url, "#generate");
    b.wait_for(
        "window.__etcdPki && window.__etcdPki.workersReady >= 1",
        SECS,
        "the key workers",
    );
    let workers = b.worker_sessions();
    assert!(!workers.is_empty(), "no worker to check");
    for w in &workers {
        let href = b.eval_in_worker(w, "self.location.href");
        assert!(href.as_str().unwrap().starts_with("blob:"), "{href}");
        let r = b.eval_in_worker(w, &probe);
        assert!(
            r.as_str().unwrap().starts_with("refused"),
            "the worker could fetch: {r}"
        );
    }
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(
        count.load(Ordering::SeqCst),
        0,
        "a worker reached the server"
    );
}
