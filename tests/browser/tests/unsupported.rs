//! A browser without WebAssembly, Web Workers, crypto.getRandomValues or DecompressionStream
//! gets a message naming what is missing, not a blank page: each is taken away before the
//! page's scripts run (a script the browser runs first in every new document), in Chromium and
//! Firefox ESR, on the hosted page and on the one-file page from disk (whose inline check must
//! match the hash in its policy, or the browser would refuse to run it and the page would stay
//! blank).

use std::time::Duration;

use e2e_browser::{Browser, Engine, Site, TempDir, in_both_browsers, site_dir};
use serde_json::json;

in_both_browsers!(missing_features_are_named);

const FEATURES: [(&str, &str); 4] = [
    ("WebAssembly", "delete globalThis.WebAssembly;"),
    ("Web Workers", "delete globalThis.Worker;"),
    (
        "crypto.getRandomValues",
        "delete Crypto.prototype.getRandomValues;",
    ),
    // The wasm is shipped gzipped and unpacked with it (scripts/package-site.py).
    (
        "DecompressionStream",
        "delete globalThis.DecompressionStream;",
    ),
];

/// Opens `url` with `remove` run first; returns the message shown.
fn message(engine: Engine, url: &str, remove: &str) -> String {
    let mut b = Browser::launch(engine);
    b.before_page_scripts(remove);
    b.open(url, "#unsupported");
    assert_eq!(
        b.eval("document.querySelector('#unsupported').getAttribute('role')"),
        json!("alert")
    );
    // The app did not start (and did not fail trying: no uncaught exception).
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(
        b.eval("!!document.querySelector('#generate')"),
        json!(false),
        "the app started anyway"
    );
    assert!(b.exceptions().is_empty(), "{:?}", b.exceptions());
    b.text("#unsupported").unwrap()
}

fn missing_features_are_named(engine: Engine) {
    let site = Site::serve(site_dir());
    for (name, remove) in FEATURES {
        let text = message(engine, &site.url, remove);
        assert!(
            text.contains("cannot run in this browser")
                && text.contains(&format!("(missing: {name})")),
            "{}: without {name}: {text}",
            engine.name()
        );
    }

    // The one-file page from disk, with all four gone.
    let dir = TempDir::new("unsupported");
    let file = dir.0.join("etcd-pki.html");
    std::fs::copy(site_dir().join("etcd-pki.html"), &file).unwrap();
    let all: String = FEATURES.iter().map(|(_, r)| *r).collect();
    let text = message(engine, &format!("file://{}", file.display()), &all);
    assert!(
        text.contains(
            "(missing: WebAssembly, Web Workers, crypto.getRandomValues, DecompressionStream)"
        ),
        "{}: {text}",
        engine.name()
    );

    // With everything there, no message.
    let mut b = Browser::launch(engine);
    b.open(&format!("file://{}", file.display()), "#generate");
    assert_eq!(
        b.eval("!!document.querySelector('#unsupported')"),
        json!(false)
    );
}
