//! Key material in the page, checked in real Chromium: the CA key is a separate download,
//! encrypted with a passphrase typed twice unless the person explicitly chooses otherwise;
//! key text appears only when asked for and "Forget keys" drops everything; a long RSA run
//! shows an estimate and can be cancelled; the key worker cannot reach the network.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use e2e_browser::{Browser, Site, TempDir, site_dir};
use serde_json::json;

const SECS: Duration = Duration::from_secs(60);
const PASS: &str = "correct horse battery staple";
/// The root key's passphrase (root+issuing, the default layout).
const ROOT_PASS: &str = "the root stays offline";

fn openssl(dir: &Path, args: &[&str]) -> (bool, String) {
    let o = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    (
        o.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        ),
    )
}

fn unzip(zip: &Path) -> TempDir {
    let out = TempDir::new("unzipped");
    e2e_browser::unzip(zip, &out.0);
    out
}

/// Every file under `dir`, relative.
fn files(dir: &Path) -> Vec<String> {
    let mut v = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                v.push(p.strip_prefix(dir).unwrap().display().to_string());
            }
        }
    }
    v
}

fn generate_and_wait(b: &mut Browser) {
    b.wait_for(
        "!document.querySelector('#generate').disabled",
        SECS,
        "Generate to be enabled",
    );
    b.click("#generate");
    b.wait_result(Duration::from_secs(120), "generation");
}

#[test]
fn ca_key_is_a_separate_download_encrypted_with_a_passphrase_typed_twice() {
    let site = Site::serve(site_dir());
    let mut b = Browser::start();
    b.open(&site.url, "#generate");

    // Nothing typed: Generate is disabled and says what is missing.
    assert_eq!(
        b.eval("document.querySelector('#generate').disabled"),
        json!(true)
    );
    let why = b.text("#generate-why").unwrap();
    assert!(
        why.contains("passphrase of at least 12 characters"),
        "{why}"
    );

    // Too short: said beside the field, and the field points at the message.
    b.type_into("#ca-passphrase", "eleven char");
    b.wait_for(
        "document.querySelector('#ca-passphrase-error').innerText.length > 0",
        SECS,
        "the too-short message",
    );
    let short = b.text("#ca-passphrase-error").unwrap();
    assert!(short.contains("11 characters; use at least 12"), "{short}");
    assert_eq!(
        b.eval("document.querySelector('#ca-passphrase').getAttribute('aria-describedby')"),
        json!("ca-passphrase-error")
    );
    assert_eq!(
        b.eval("document.querySelector('#ca-passphrase').getAttribute('aria-invalid')"),
        json!("true")
    );

    // Long enough but typed differently the second time.
    b.type_into("#ca-passphrase", PASS);
    b.type_into("#ca-passphrase-confirm", "correct horse battery stapl");
    b.wait_for(
        "document.querySelector('#ca-passphrase-confirm-error').innerText.includes('differ')",
        SECS,
        "the mismatch message",
    );
    assert_eq!(b.text("#ca-passphrase-error").unwrap(), "");
    assert_eq!(
        b.eval("document.querySelector('#ca-passphrase-confirm').getAttribute('aria-describedby')"),
        json!("ca-passphrase-confirm-error")
    );
    assert_eq!(
        b.eval("document.querySelector('#generate').disabled"),
        json!(true)
    );

    // Not offered to password managers (saving or syncing it would keep a copy of what
    // guards the CA key elsewhere): no autocomplete, and each common manager's ignore mark.
    for field in ["#ca-passphrase", "#ca-passphrase-confirm"] {
        let marks = b.eval(&format!(
            "(() => {{ const e = document.querySelector({field:?}); return [e.type, \
             e.getAttribute('autocomplete'), e.getAttribute('data-1p-ignore'), \
             e.getAttribute('data-lpignore'), e.getAttribute('data-bwignore'), !!e.closest('form')]; }})()"
        ));
        assert_eq!(
            marks,
            json!(["password", "off", "true", "true", "true", false]),
            "{field}"
        );
    }

    b.type_into("#ca-passphrase-confirm", PASS);
    // The key that seals the CA key is derived ahead, on its own worker, once both agree.
    b.wait_for(
        "window.__etcdPki && window.__etcdPki.sealingKeyAt > 0",
        SECS,
        "the sealing key to be derived ahead",
    );
    // root+issuing (the default): the root key's passphrase too, or Generate says so.
    let why = b.text("#generate-why").unwrap();
    assert!(why.contains("root key passphrase"), "{why}");
    b.protect_root_key(ROOT_PASS);
    generate_and_wait(&mut b);
    // Done with them: the passphrases are out of every field, so Generate asks again.
    assert_eq!(
        b.eval("[document.querySelector('#ca-passphrase').value, document.querySelector('#ca-passphrase-confirm').value, document.querySelector('#root-passphrase').value, document.querySelector('#root-passphrase-confirm').value, document.querySelector('#generate').disabled]"),
        json!(["", "", "", "", true])
    );

    // The zip: every member's and client's key, and no CA key anywhere in it.
    b.click("#download");
    let zip = b.wait_download("etcd-generate-g1.zip", SECS);
    let out = unzip(&zip);
    let listed = files(&out.0);
    assert!(
        listed.iter().any(|f| f == "members/etcd1/pki/server.key"),
        "{listed:?}"
    );
    assert!(
        !listed
            .iter()
            .any(|f| f.contains("ca.key") || f.contains("CA-PRIVATE-KEY")),
        "the zip holds a CA key: {listed:?}"
    );
    // Every key in it sits in the folder of the one machine that uses it.
    for f in listed.iter().filter(|f| f.ends_with(".key")) {
        assert!(
            f.starts_with("members/") || f.starts_with("clients/"),
            "a key outside a machine's folder: {f}"
        );
    }
    // root+issuing: the CA key is the issuing CA's (issuing-ca.crt); ca.crt is the root.
    let (_, ca_pub) = openssl(
        &out.0,
        &["x509", "-in", "issuing-ca.crt", "-noout", "-pubkey"],
    );
    let (_, root_pub) = openssl(&out.0, &["x509", "-in", "ca.crt", "-noout", "-pubkey"]);
    for f in listed.iter().filter(|f| f.ends_with(".key")) {
        let (ok, key_pub) = openssl(&out.0, &["pkey", "-in", f, "-pubout"]);
        assert!(ok, "{f}: {key_pub}");
        assert_ne!(key_pub, ca_pub, "{f} is the CA key");
        assert_ne!(key_pub, root_pub, "{f} is the root key");
    }

    // The CA key: its own download, encrypted; it opens with the passphrase only.
    let label = b.text("#download-ca-key").unwrap();
    assert!(
        label.contains("encrypted") && !label.contains("unencrypted"),
        "{label}"
    );
    b.click("#download-ca-key");
    let ca_key = b.wait_download("etcd-ca.key", SECS);
    let text = std::fs::read_to_string(&ca_key).unwrap();
    assert!(
        text.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----"),
        "{text}"
    );
    let dir = ca_key.parent().unwrap();
    let (ok, key_pub) = openssl(
        dir,
        &[
            "pkey",
            "-in",
            "etcd-ca.key",
            "-passin",
            &format!("pass:{PASS}"),
            "-pubout",
        ],
    );
    assert!(ok, "{key_pub}");
    assert_eq!(key_pub, ca_pub, "the downloaded CA key is not the CA's");
    let (ok, _) = openssl(
        dir,
        &[
            "pkey",
            "-in",
            "etcd-ca.key",
            "-passin",
            "pass:correct horse battery stapl",
            "-noout",
        ],
    );
    assert!(!ok, "a wrong passphrase opened the CA key");

    // The passphrase was never stored.
    let storage = b
        .eval("JSON.stringify(Object.assign({}, localStorage, sessionStorage))")
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        !storage.contains("horse") && !storage.contains(ROOT_PASS),
        "{storage}"
    );
}

#[test]
fn unencrypted_only_by_an_explicit_choice_and_the_demo_is_one_click() {
    let site = Site::serve(site_dir());
    let mut b = Browser::start();
    b.open(&site.url, "#generate");
    let label = b
        .eval("document.querySelector('label[for=ca-unencrypted]').innerText")
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        label.contains("unencrypted")
            && label.contains("anyone who gets this file can mint certificates"),
        "{label}"
    );
    assert_eq!(
        b.eval("document.querySelector('#ca-unencrypted').checked"),
        json!(false)
    );

    // The demo: one click loads it, and Generate works without a passphrase.
    b.click("#demo");
    b.wait_for(
        "document.querySelector('#ca-unencrypted').checked",
        SECS,
        "the demo's explicit unencrypted choice",
    );
    generate_and_wait(&mut b);
    let label = b.text("#download-ca-key").unwrap();
    assert!(label.contains("unencrypted"), "{label}");
    b.click("#download-ca-key");
    let ca_key = b.wait_download("demo-ca.key", SECS);
    let text = std::fs::read_to_string(&ca_key).unwrap();
    assert!(text.starts_with("-----BEGIN PRIVATE KEY-----"), "{text}");

    // Importing another spec takes the choice back: a passphrase is asked for again.
    let tmp = TempDir::new("spec");
    let spec = tmp.0.join("prod.json");
    std::fs::write(
        &spec,
        r#"{"cluster_name": "prod", "nodes": [{"name": "a", "ips": ["10.1.1.1"]}]}"#,
    )
    .unwrap();
    b.set_file("#spec-import", &spec);
    b.wait_for(
        "!document.querySelector('#ca-unencrypted').checked && document.querySelector('#generate').disabled",
        SECS,
        "the choice to be taken back after an import",
    );
}

#[test]
fn key_text_only_on_request_and_forget_keys_drops_everything() {
    let site = Site::serve(site_dir());
    let mut b = Browser::start();
    b.open(&site.url, "#generate");
    b.protect_ca_key(PASS);
    generate_and_wait(&mut b);

    let exposed = "JSON.stringify(window.__etcdPki)";
    let no_key_text = |b: &mut Browser, when: &str| {
        let body = b
            .eval("document.body.innerText")
            .as_str()
            .unwrap()
            .to_string();
        assert!(!body.contains("PRIVATE KEY"), "key text in the page {when}");
        let state = b.eval(exposed).as_str().unwrap().to_string();
        assert!(
            !state.contains("PRIVATE KEY"),
            "key text in the app's state {when}: {state}"
        );
    };
    no_key_text(&mut b, "after generating");

    // Asked for, a key is read out of the zip and shown; hidden, it is gone again.
    let key = "[data-testid=file-entry][data-path=\"clients/etcdctl/client.key\"]";
    b.click(key);
    b.wait_for("document.querySelector('#show-key')", SECS, "Show key");
    no_key_text(&mut b, "with a key selected but not shown");
    b.click("#show-key");
    b.wait_for(
        "document.querySelector('#file-view')",
        SECS,
        "the key's text",
    );
    let shown = b.text("#file-view").unwrap();
    assert!(shown.starts_with("-----BEGIN PRIVATE KEY-----"), "{shown}");
    // It is the key of the client certificate.
    let tmp = TempDir::new("shown");
    std::fs::write(tmp.0.join("client.key"), &shown).unwrap();
    let (ok, out) = openssl(&tmp.0, &["pkey", "-in", "client.key", "-noout"]);
    assert!(ok, "{out}");
    b.click("#show-key");
    b.wait_for(
        "!document.querySelector('#file-view')",
        SECS,
        "the key to be hidden",
    );
    no_key_text(&mut b, "after Hide key");

    // Shown again, then forgotten: no key, no zip, no CA key, no listing.
    b.click("#show-key");
    b.wait_for(
        "document.querySelector('#file-view')",
        SECS,
        "the key again",
    );
    b.click("#forget-keys");
    b.wait_for(
        "!document.querySelector('#result-summary')",
        SECS,
        "the generation to be forgotten",
    );
    no_key_text(&mut b, "after Forget keys");
    for gone in [
        "#download",
        "#download-ca-key",
        "[data-testid=file-entry]",
        "#file-view",
    ] {
        assert_eq!(
            b.eval(&format!("!!document.querySelector({gone:?})")),
            json!(false),
            "{gone} is still there after Forget keys"
        );
    }
    // Ready for the next one (the passphrase typed again: the last run emptied its fields).
    b.protect_ca_key(PASS);
    generate_and_wait(&mut b);
}

#[test]
fn a_long_rsa_4096_run_shows_an_estimate_and_can_be_cancelled() {
    let site = Site::serve(site_dir());
    let mut b = Browser::start();
    b.open(&site.url, "#generate");
    b.wait_for(
        "window.__etcdPki && window.__etcdPki.workersReady >= 2",
        SECS,
        "the key workers",
    );
    assert_eq!(
        b.eval("!!document.querySelector('#estimate')"),
        json!(false)
    );
    b.type_into("#opt-key-algorithm", "rsa-4096");
    b.wait_for("document.querySelector('#estimate')", SECS, "the estimate");
    let estimate = b.text("#estimate").unwrap();
    assert!(
        estimate.starts_with("This will take about ")
            // 8 leaves, the CA (issuing) and the root.
            && estimate.contains("for 10 RSA-4096 keys on this machine"),
        "{estimate}"
    );

    let workers = b.worker_sessions();
    assert!(workers.len() >= 2, "{workers:?}");
    b.protect_ca_key(PASS);
    b.wait_for(
        "!document.querySelector('#generate').disabled",
        SECS,
        "Generate",
    );
    b.click("#generate");
    b.wait_for("document.querySelector('#cancel')", SECS, "Cancel");
    b.wait_for(
        "document.querySelector('#progress').innerText.includes('(prime')",
        SECS,
        "a key's prime being searched",
    );
    b.click("#cancel");

    // Back to ready at once: no progress, no bundle, Generate enabled.
    b.wait_for(
        "document.querySelector('#cancelled') && !document.querySelector('#progress')",
        Duration::from_secs(5),
        "the page to be ready again",
    );
    assert_eq!(
        b.eval("document.querySelector('#generate').disabled"),
        json!(false)
    );
    assert_eq!(b.eval("window.__etcdPki.busy"), json!(false));
    // The workers that were making keys are gone (terminated, not left running).
    let start = Instant::now();
    while !workers.iter().all(|w| b.worker_gone(w)) {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "a cancelled worker still runs"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    // No half-made bundle turns up later.
    std::thread::sleep(Duration::from_secs(3));
    for absent in [
        "#result-summary",
        "#download",
        "#download-ca-key",
        "[data-testid=file-entry]",
    ] {
        assert_eq!(
            b.eval(&format!("!!document.querySelector({absent:?})")),
            json!(false),
            "{absent} after Cancel"
        );
    }
    assert_eq!(b.eval("window.__etcdPki.runs.length"), json!(0));

    // A fresh pool serves the next run.
    b.type_into("#opt-key-algorithm", "ed25519");
    generate_and_wait(&mut b);
}

/// A server that counts the connections it gets (and answers each with an empty 200).
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

fn worker_fetch_is_refused(b: &mut Browser, port: u16, count: &AtomicUsize) {
    b.wait_for(
        "window.__etcdPki && window.__etcdPki.workersReady >= 1",
        SECS,
        "the key workers",
    );
    let workers = b.worker_sessions();
    assert!(!workers.is_empty(), "no worker to check");
    for w in &workers {
        let href = b.eval_in_worker(w, "self.location.href");
        assert!(
            href.as_str().unwrap().starts_with("blob:"),
            "the worker runs from {href}, not a blob: URL under the page's CSP"
        );
        let r = b.eval_in_worker(
            w,
            &format!(
                "fetch('http://127.0.0.1:{port}/x').then(() => 'sent', (e) => 'refused: ' + e)"
            ),
        );
        assert!(
            r.as_str().unwrap().starts_with("refused"),
            "the worker could fetch: {r}"
        );
        let r = b.eval_in_worker(
            w,
            &format!("new Promise((ok) => {{ try {{ const s = new WebSocket('ws://127.0.0.1:{port}/'); s.onopen = () => ok('open'); s.onerror = () => ok('refused'); }} catch (e) {{ ok('refused: ' + e); }} }})"),
        );
        assert!(
            r.as_str().unwrap().starts_with("refused"),
            "the worker could open a WebSocket: {r}"
        );
    }
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(
        count.load(Ordering::SeqCst),
        0,
        "the test server saw a request from a worker"
    );
}

#[test]
fn the_key_worker_cannot_reach_the_network() {
    let (port, count) = counting_server();
    // The check can fail: without the page's policy, the same fetch reaches the server.
    let mut control = Browser::start();
    let r = control.eval(&format!(
        "fetch('http://127.0.0.1:{port}/x').then(() => 'sent', (e) => 'refused: ' + e)"
    ));
    assert_eq!(r, json!("sent"));
    assert_eq!(count.swap(0, Ordering::SeqCst), 1);
    drop(control);

    // The hosted build.
    let site = Site::serve(site_dir());
    let mut b = Browser::start();
    b.open(&site.url, "#generate");
    worker_fetch_is_refused(&mut b, port, &count);
    // It still makes keys.
    b.protect_ca_key(PASS);
    generate_and_wait(&mut b);
    drop(b);

    // The one-file page, opened from disk.
    let dir = TempDir::new("one-file");
    let file = dir.0.join("etcd-pki.html");
    std::fs::copy(site_dir().join("etcd-pki.html"), &file).unwrap();
    let mut b = Browser::start();
    b.open(&format!("file://{}", file.display()), "#generate");
    worker_fetch_is_refused(&mut b, port, &count);
}
