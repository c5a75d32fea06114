//! The page for everyone, in Chromium and Firefox ESR: axe-core (npm, injected by the test)
//! finds no serious or critical problem on the page as loaded, with the form filled in, with
//! errors showing, and after generating; every error is in a live region tied to its field
//! with `aria-describedby`; and the whole flow — add a member, fix an error, generate, open a
//! certificate, download — works from the keyboard alone (Tab, Enter, Space, typing), with
//! the focus visible at every stop.

use std::process::Command;
use std::time::Duration;

use e2e_browser::{Browser, Engine, Site, TempDir, in_both_browsers, site_dir};
use serde_json::json;

const SECS: Duration = Duration::from_secs(60);

in_both_browsers!(axe_finds_no_serious_problem, keyboard_alone);

fn assert_accessible(b: &mut Browser, state: &str) {
    let found = b.accessibility_violations();
    assert!(
        found.is_empty(),
        "{}, {state}: axe-core found:\n{}",
        b.engine.name(),
        found.join("\n")
    );
    // Every control has a name a screen reader can say (axe checks this too; this says
    // which control when it fails).
    let unnamed = b.eval(
        "[...document.querySelectorAll('input, select, textarea, button, a[href]')].filter(e => {
            if (e.type === 'hidden') return false;
            const byLabel = e.labels && [...e.labels].some(l => l.textContent.trim());
            const byAria = (e.getAttribute('aria-label') || '').trim() || e.getAttribute('aria-labelledby');
            const byText = ['BUTTON', 'A'].includes(e.tagName) && e.textContent.trim();
            return !(byLabel || byAria || byText);
        }).map(e => e.outerHTML.slice(0, 120))",
    );
    assert_eq!(unnamed, json!([]), "{state}: controls without a name");
    // Every problem shown is in a live region that its field names in aria-describedby.
    let untied = b.eval(
        "[...document.querySelectorAll('[data-testid=field-error]')].filter(e => {
            const region = e.closest('[aria-live]');
            if (!region || !region.id) return true;
            return ![...document.querySelectorAll('[aria-describedby]')]
                .some(c => c.getAttribute('aria-describedby').split(/\\s+/).includes(region.id));
        }).map(e => e.dataset.path + ': ' + e.innerText)",
    );
    assert_eq!(untied, json!([]), "{state}: problems not tied to a field");
}

fn axe_finds_no_serious_problem(engine: Engine) {
    let site = Site::serve(site_dir());
    let mut b = Browser::launch(engine);
    b.open(&site.url, "#member-add");
    assert_accessible(&mut b, "the page as loaded");

    // Filled in, every folded section open so axe sees it too.
    b.type_into("#opt-cluster-name", "prod");
    b.click("#member-add");
    b.type_into(
        "[data-testid=member-row]:nth-child(4) [data-testid=member-name]",
        "etcd4",
    );
    b.type_into(
        "[data-testid=member-row]:nth-child(4) [data-testid=member-ips]",
        "10.0.0.4",
    );
    b.click("#member-add");
    b.type_into(
        "[data-testid=member-row]:nth-child(5) [data-testid=member-ips]",
        "10.0.0.5",
    );
    b.type_into("#client-preset", "calico");
    b.click("#client-add");
    b.eval("document.querySelectorAll('details').forEach(d => d.open = true)");
    b.protect_ca_key("correct horse battery staple");
    assert_accessible(&mut b, "the filled form");

    // Errors: each beside its field, announced, and the field marked invalid.
    b.type_into(
        "[data-testid=member-row]:nth-child(4) [data-testid=member-ips]",
        "10.0.0.300",
    );
    b.type_into("#opt-cluster-name", "bad name!");
    b.type_into("#opt-client-port", "70000");
    b.type_into("#ca-passphrase-confirm", "something else");
    b.wait_for(
        "document.querySelector('[data-path=\"nodes[3].ips[0]\"]')",
        SECS,
        "the IP error",
    );
    assert_eq!(
        b.eval("document.querySelector('[data-testid=member-row]:nth-child(4) [data-testid=member-ips]').getAttribute('aria-invalid')"),
        json!("true")
    );
    assert_eq!(
        b.eval("document.querySelector('#opt-cluster-name').getAttribute('aria-invalid')"),
        json!("true")
    );
    assert_eq!(
        b.eval("document.getElementById(document.querySelector('#generate').getAttribute('aria-describedby')).getAttribute('aria-live')"),
        json!("polite")
    );
    assert_accessible(&mut b, "the form with errors");

    // After generating, with a certificate open.
    b.type_into(
        "[data-testid=member-row]:nth-child(4) [data-testid=member-ips]",
        "10.0.0.4",
    );
    b.type_into("#opt-cluster-name", "prod");
    b.type_into("#opt-client-port", "2379");
    b.protect_ca_key("correct horse battery staple");
    b.generate(SECS);
    b.click("[data-testid=file-entry][data-path=\"members/etcd4/pki/server.crt\"]");
    b.wait_for(
        "document.querySelector('#cert-info')",
        SECS,
        "the certificate",
    );
    b.eval("document.querySelectorAll('details').forEach(d => d.open = true)");
    assert_accessible(&mut b, "after generating");
    // The end of the run is announced once, in a status region.
    let said = b.text("#generate-announce").unwrap_or_default();
    let said = if said.is_empty() {
        b.eval("document.querySelector('#generate-announce').textContent")
            .as_str()
            .unwrap()
            .to_string()
    } else {
        said
    };
    assert!(said.starts_with("Done: "), "{said}");
}

fn keyboard_alone(engine: Engine) {
    let site = Site::serve(site_dir());
    let mut b = Browser::launch(engine);
    b.open(&site.url, "#member-add");

    // Add a member: its name field gets the focus, its suggested name selected, so typing
    // replaces it.
    b.tab_to("#member-add", false, 80);
    b.press("Enter");
    b.wait_for(
        "document.querySelectorAll('[data-testid=member-row]').length === 4 && document.activeElement === document.querySelector('[data-testid=member-row]:nth-child(4) [data-testid=member-name]')",
        SECS,
        "a fourth row with the focus in its name",
    );
    b.type_keys("db4");
    assert_eq!(b.eval("document.activeElement.value"), json!("db4"));
    b.press("Tab");
    assert_eq!(b.focused(), "[data-testid=member-ips]");
    b.type_keys("10.0.0.300");
    b.wait_for(
        "document.querySelector('[data-path=\"nodes[3].ips[0]\"]')",
        SECS,
        "the IP error",
    );
    // The error is what the field's description says.
    let described = b.eval(
        "document.activeElement.getAttribute('aria-describedby').split(' ').map(id => document.getElementById(id).innerText).join(' ')",
    );
    assert!(
        described
            .as_str()
            .unwrap()
            .contains("\"10.0.0.300\" is not an IP address"),
        "{described}"
    );
    // Fix it.
    for _ in 0..3 {
        b.press("Backspace");
    }
    b.type_keys("4");
    b.wait_for(
        "!document.querySelector('[data-path^=\"nodes[3]\"]') && document.activeElement.value === '10.0.0.4'",
        SECS,
        "the error to go",
    );

    // The CA key passphrase, twice.
    b.tab_to("#ca-passphrase", false, 120);
    b.type_keys("correct horse battery staple");
    b.press("Tab");
    assert_eq!(b.focused(), "#ca-passphrase-confirm");
    b.type_keys("correct horse battery staple");
    // root+issuing (the default): the root key's passphrase, twice, next.
    b.tab_to("#root-passphrase", false, 20);
    b.type_keys("correct horse battery staple");
    b.press("Tab");
    assert_eq!(b.focused(), "#root-passphrase-confirm");
    b.type_keys("correct horse battery staple");

    // Generate with Enter.
    b.tab_to("#generate", false, 20);
    b.wait_for(
        "!document.querySelector('#generate').disabled",
        SECS,
        "Generate to be enabled",
    );
    b.press("Enter");
    b.wait_result(SECS, "generation");

    // Open the new member's certificate from the tree with Enter.
    b.tab_to(
        "[data-testid=file-entry][data-path=\"members/db4/pki/server.crt\"]",
        false,
        200,
    );
    b.press("Enter");
    b.wait_for(
        "document.querySelector('#cert-info') && document.querySelector('#cert-info').innerText.includes('10.0.0.4')",
        SECS,
        "the certificate of db4",
    );

    // Back up to the download button, press Space.
    b.tab_to("#download", true, 200);
    b.press("Space");
    let zip = b.wait_download("etcd-generate-g1.zip", SECS);
    let dir = TempDir::new("keyboard-zip");
    e2e_browser::unzip(&zip, &dir.0);
    let out = Command::new("openssl")
        .args([
            "x509",
            "-in",
            "members/db4/pki/server.crt",
            "-noout",
            "-ext",
            "subjectAltName",
        ])
        .current_dir(&dir.0)
        .output()
        .unwrap();
    let san = String::from_utf8_lossy(&out.stdout);
    assert!(san.contains("IP Address:10.0.0.4"), "{san}");
    assert!(b.exceptions().is_empty(), "{:?}", b.exceptions());
}
