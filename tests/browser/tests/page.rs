//! The page as a person uses it, in real headless Chromium and Firefox ESR: add a member, see a bad IP named
//! next to its field, fix it, generate, read a certificate, download the zip — which openssl
//! then checks. Also: importing a bad spec changes nothing, and a reload keeps the spec but
//! never a key.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use e2e_browser::{Browser, Engine, Site, TempDir, in_both_browsers, site_dir};
use serde_json::json;

const SECS: Duration = Duration::from_secs(30);

in_both_browsers!(
    add_member_fix_bad_ip_generate_and_download,
    bad_import_changes_nothing_and_reload_keeps_the_spec_not_keys,
    hosts_paste_export_and_demo,
    imports_that_are_not_specs_change_nothing,
    migration_section_adds_the_runbook,
    replacing_the_whole_form_keeps_each_row_its_own,
    rsa_keys_from_primes_found_on_two_workers_check_out,
);

fn openssl(dir: &Path, args: &[&str]) -> (bool, String) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl");
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

fn rows(b: &mut Browser) -> u64 {
    b.eval("document.querySelectorAll('[data-testid=member-row]').length")
        .as_u64()
        .unwrap()
}

/// Every `field` of the `kind` rows (`member`, `client`), top to bottom, as shown.
fn column(b: &mut Browser, kind: &str, field: &str) -> Vec<String> {
    let js = format!(
        "[...document.querySelectorAll('[data-testid={kind}-row] [data-testid={kind}-{field}]')].map(e => e.value)"
    );
    serde_json::from_value(b.eval(&js)).unwrap()
}

/// Waits until the spec the page holds (saved to localStorage on every change; what Generate
/// and Export use) shows `want` as `what`, a JavaScript expression of the spec `s`. Stops at
/// once if the page threw (a panic leaves the page's wasm dead: it would only time out).
fn wait_spec(b: &mut Browser, what: &str, want: serde_json::Value) {
    let js = format!(
        "(s => JSON.stringify({what}))(JSON.parse(localStorage.getItem('etcd-pki.spec') || '{{}}'))"
    );
    let start = std::time::Instant::now();
    loop {
        let exceptions = b.exceptions();
        assert!(exceptions.is_empty(), "the page threw: {exceptions:?}");
        let now = b.eval(&js);
        if now == json!(want.to_string()) {
            return;
        }
        assert!(
            start.elapsed() < SECS,
            "the page's spec has {what} = {now}, not {want}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

const MEMBERS: &str = "s.nodes.map(n => n.name + ' ' + n.ips.join(','))";

/// Whether the page's New issuing CA is wired to pki-core's rotate_issuer (see
/// app/worker/src/issuer.rs): set to true in the commit that drops its shim.
const ISSUER_WIRED: bool = true;

/// The root key's passphrase in the generate flow (the CA key's differs).
const ROOT_PASSPHRASE: &str = "a root passphrase kept offline";

/// The PEM certificates in `file`, in order.
fn pem_certs(file: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(file).unwrap();
    text.split_inclusive("-----END CERTIFICATE-----\n")
        .filter(|b| b.contains("-----BEGIN CERTIFICATE-----"))
        .map(|b| b.trim_start().to_string())
        .collect()
}

/// A root+issuing bundle unpacked in `dir`, checked with openssl as an operator would: the
/// trusted CA file `ca.crt` is the root alone (one self-signed certificate), `issuing-ca.crt`
/// is the issuing CA under it, and a member's `server.crt` is its leaf then the issuing CA:
/// it verifies against the root with the chain the file carries, and not without it.
fn root_and_issuing_files(dir: &Path) {
    let roots = pem_certs(&dir.join("ca.crt"));
    assert_eq!(roots.len(), 1, "ca.crt holds more than the root: {roots:?}");
    let field = |args: &[&str]| {
        openssl(dir, args)
            .1
            .split_once('=')
            .map_or(String::new(), |(_, v)| v.trim().to_string())
    };
    let root_subject = field(&["x509", "-noout", "-subject", "-in", "ca.crt"]);
    assert_eq!(
        root_subject,
        field(&["x509", "-noout", "-issuer", "-in", "ca.crt"]),
        "ca.crt is not self-signed"
    );
    let server = "members/etcd4/pki/server.crt";
    let chain = pem_certs(&dir.join(server));
    assert_eq!(
        chain.len(),
        2,
        "{server} is not leaf + issuing CA: {chain:?}"
    );
    assert_eq!(
        chain[1],
        std::fs::read_to_string(dir.join("issuing-ca.crt"))
            .unwrap()
            .trim_start(),
        "the second certificate of {server} is not issuing-ca.crt"
    );
    let issuing = field(&["x509", "-noout", "-subject", "-in", "issuing-ca.crt"]);
    assert_ne!(issuing, root_subject);
    assert_eq!(
        field(&["x509", "-noout", "-issuer", "-in", server]),
        issuing
    );
    assert_eq!(
        field(&["x509", "-noout", "-issuer", "-in", "issuing-ca.crt"]),
        root_subject
    );
    let (ok, out) = openssl(
        dir,
        &[
            "verify",
            "-x509_strict",
            "-CAfile",
            "ca.crt",
            "-untrusted",
            server,
            server,
        ],
    );
    assert!(ok, "{out}");
    // The leaf is the issuing CA's, not the root's: without the chain it does not verify.
    let (alone, out) = openssl(dir, &["verify", "-CAfile", "ca.crt", server]);
    assert!(
        !alone,
        "{server} verifies under the root without its issuing CA: {out}"
    );
}

/// "New issuing CA" in the page on the bundle it just made (`zip`), with the root key file it
/// gave (`root_key`): the kit keeps `ca.crt` (the root) byte for byte, its leaves are under a
/// new issuing CA that verifies under the root, it holds ROTATE-ISSUER.md, the new issuing CA
/// key comes apart, encrypted with the passphrase typed for it; the root key and its
/// passphrase leave the page once the kit is made. `old` is the bundle unpacked.
fn new_issuing_ca(b: &mut Browser, zip: &Path, root_key: &Path, old: &Path) {
    b.click("#source-bundle");
    b.wait_for(
        "document.querySelector('#open-bundle-zip')",
        SECS,
        "the bundle picker",
    );
    b.set_file("#open-bundle-zip", zip);
    // Both CAs on the expiry timeline, the root first.
    b.wait_for(
        "document.querySelector('[data-testid=timeline-bar][data-id=root]') && document.querySelector('[data-testid=timeline-bar][data-id=ca]') && document.querySelector('#rotate-issuer-go')",
        Duration::from_secs(60),
        "the root and the issuing CA on the timeline, and New issuing CA",
    );
    // Without the root key, it says what is missing.
    b.click("#rotate-issuer-go");
    b.wait_for(
        "document.querySelector('#rotate-issuer-why').textContent.includes('root key file')",
        SECS,
        "New issuing CA asking for the root key",
    );
    b.set_file("#root-key-file", root_key);
    b.type_into("#root-key-passphrase", ROOT_PASSPHRASE);
    const NEW_PASSPHRASE: &str = "the new issuing CA's passphrase";
    b.type_into("#ca-passphrase", NEW_PASSPHRASE);
    b.type_into("#ca-passphrase-confirm", NEW_PASSPHRASE);
    b.wait_for(
        "document.querySelector('#root-key-file').closest('.drop').textContent.includes('Read:')",
        SECS,
        "the root key file read",
    );
    b.click("#rotate-issuer-go");
    b.wait_for(
        "(document.querySelector('#result-summary') && document.querySelector('[data-testid=file-tree]')) || document.querySelector('.generate p.field-error[role=alert]')",
        Duration::from_secs(120),
        "the new issuing CA's kit",
    );
    if let Some(refused) = b.text(".generate p.field-error[role=alert]") {
        panic!("the page made no kit: {refused}");
    }
    let summary = b.text("#result-summary").unwrap();
    assert!(summary.contains("ROTATE-ISSUER.md"), "{summary}");
    // The root key and its passphrase left the page with the kit made.
    b.wait_for(
        "document.querySelector('#root-key-passphrase').value === '' && !document.querySelector('#root-key-file').closest('.drop').textContent.includes('Read:') && document.querySelector('#ca-passphrase').value === ''",
        SECS,
        "the root key and the passphrases dropped once the kit was made",
    );
    b.click("#download");
    let kit_zip = b.wait_download("-rotate-issuer-g2.zip", SECS);
    let kit = TempDir::new("page-issuer-kit");
    e2e_browser::unzip(&kit_zip, &kit.0);
    assert_eq!(
        std::fs::read(kit.0.join("ca.crt")).unwrap(),
        std::fs::read(old.join("ca.crt")).unwrap(),
        "the kit's trusted CA file is not the root, byte for byte"
    );
    assert_ne!(
        std::fs::read(kit.0.join("issuing-ca.crt")).unwrap(),
        std::fs::read(old.join("issuing-ca.crt")).unwrap(),
        "the kit's issuing CA is the old one"
    );
    root_and_issuing_files(&kit.0);
    assert!(
        kit.0.join("ROTATE-ISSUER.md").exists(),
        "no ROTATE-ISSUER.md"
    );
    b.click("#download-ca-key");
    let key = b.wait_download(".key", SECS);
    let (ok, out) = openssl(
        &kit.0,
        &[
            "pkey",
            "-pubout",
            "-passin",
            &format!("pass:{NEW_PASSPHRASE}"),
            "-in",
            &key.display().to_string(),
        ],
    );
    assert!(ok, "{out}");
    assert_eq!(
        out,
        openssl(
            &kit.0,
            &["x509", "-noout", "-pubkey", "-in", "issuing-ca.crt"]
        )
        .1,
        "the downloaded key is not the new issuing CA's"
    );
}

fn add_member_fix_bad_ip_generate_and_download(engine: Engine) {
    let site = Site::serve(site_dir());
    let mut b = Browser::launch(engine);
    b.open(&site.url, "#member-add");
    // A fresh profile starts from the example spec: three members.
    assert_eq!(rows(&mut b), 3);

    b.click("#member-add");
    assert_eq!(rows(&mut b), 4);
    let row = "[data-testid=member-row]:nth-child(4)";
    b.type_into(&format!("{row} [data-testid=member-name]"), "etcd4");
    b.type_into(&format!("{row} [data-testid=member-ips]"), "10.0.0.300");
    // The error appears next to that field, naming it, and Generate says why it is disabled.
    b.wait_for(
        "document.querySelector('[data-testid=member-row]:nth-child(4) [data-testid=field-error][data-path=\"nodes[3].ips[0]\"]')",
        SECS,
        "the bad IP's error next to the field",
    );
    let err = b.text("[data-testid=member-row]:nth-child(4) [data-testid=field-error][data-path^=\"nodes[3].ips\"]").unwrap();
    assert!(err.contains("\"10.0.0.300\" is not an IP address"), "{err}");
    assert_eq!(
        b.eval("document.querySelector('#generate').disabled"),
        json!(true)
    );
    let why = b.text("#generate-why").unwrap();
    assert!(why.contains("nodes[3].ips[0]"), "{why}");
    // Four members: the even-count warning is shown for the member list.
    assert!(
        b.eval("!!document.querySelector('[data-testid=field-error][data-path=nodes]')")
            == json!(true)
    );

    // Fix it; a fifth member makes the count odd again.
    b.type_into(&format!("{row} [data-testid=member-ips]"), "10.0.0.4");
    b.wait_for(
        "!document.querySelector('[data-path^=\"nodes[3]\"]')",
        SECS,
        "the error to go away",
    );
    b.click("#member-add");
    b.type_into(
        "[data-testid=member-row]:nth-child(5) [data-testid=member-ips]",
        "10.0.0.5, 2001:db8::5",
    );
    // Before a real cluster's first generation: the CA key's passphrase, twice, and the
    // root key's (root+issuing, the default layout), twice.
    b.protect_ca_key("correct horse battery staple");
    b.protect_root_key(ROOT_PASSPHRASE);
    b.wait_for(
        "!document.querySelector('#generate').disabled",
        SECS,
        "Generate to be enabled",
    );
    b.click("#generate");
    b.wait_result(Duration::from_secs(60), "generation to finish");
    let summary = b.text("#result-summary").unwrap();
    assert!(
        // 13 + the JWT signing key (jwt is the default) + the root's (root+issuing).
        summary.starts_with("15 keys and certificates in "),
        "{summary}"
    );

    // The file tree shows the new member's certificate; opening it shows its SANs.
    b.click("[data-testid=file-entry][data-path=\"members/etcd4/pki/server.crt\"]");
    b.wait_for(
        "document.querySelector('#cert-info')",
        SECS,
        "the certificate details",
    );
    let info = b.text("#cert-info").unwrap();
    assert!(
        info.contains("10.0.0.4") && info.contains("serverAuth, clientAuth"),
        "{info}"
    );
    assert!(
        b.text("#file-view")
            .unwrap()
            .starts_with("-----BEGIN CERTIFICATE-----")
    );
    // A key is not shown until asked for.
    b.click("[data-testid=file-entry][data-path=\"members/etcd4/pki/server.key\"]");
    b.wait_for(
        "document.querySelector('#show-key')",
        SECS,
        "the show-key button",
    );
    assert!(
        b.text("#file-view").is_none(),
        "a private key is shown without asking"
    );
    b.click("[data-testid=file-entry][data-path=\"members/etcd4/pki/server.crt\"]");
    b.wait_for(
        "document.querySelector('#cert-info')",
        SECS,
        "the certificate again",
    );

    let artifacts = e2e_browser::workspace_root().join("tests/artifacts");
    b.screenshot(&artifacts.join("page-generated.png"));

    // Download, then check the zip as an operator would.
    b.click("#download");
    let zip = b.wait_download("etcd-generate-g1.zip", SECS);
    let tmp = TempDir::new("page-zip");
    e2e_browser::unzip(&zip, &tmp.0);
    root_and_issuing_files(&tmp.0);
    // The root key: a download of its own, encrypted with the root's passphrase (not the CA
    // key's), the key of the root in ca.crt.
    b.click("#download-root-key");
    let root_key = b.wait_download("-root-ca.key", SECS);
    let (ok, out) = openssl(
        &tmp.0,
        &[
            "pkey",
            "-pubout",
            "-passin",
            &format!("pass:{ROOT_PASSPHRASE}"),
            "-in",
            &root_key.display().to_string(),
        ],
    );
    assert!(ok, "{out}");
    assert_eq!(
        out,
        openssl(&tmp.0, &["x509", "-noout", "-pubkey", "-in", "ca.crt"]).1,
        "the root key is not ca.crt's key"
    );
    let pem = std::fs::read_to_string(&root_key).unwrap();
    assert!(pem.contains("ENCRYPTED PRIVATE KEY"), "{pem}");
    let (ok, _) = openssl(
        &tmp.0,
        &[
            "pkey",
            "-noout",
            "-passin",
            "pass:correct horse battery staple",
            "-in",
            &root_key.display().to_string(),
        ],
    );
    assert!(!ok, "the root key opens with the CA key's passphrase");
    let (_, san) = openssl(
        &tmp.0,
        &[
            "x509",
            "-in",
            "members/etcd5/pki/server.crt",
            "-noout",
            "-ext",
            "subjectAltName",
        ],
    );
    assert!(
        san.contains("IP Address:10.0.0.5") && san.contains("IP Address:2001:DB8:0:0:0:0:0:5"),
        "{san}"
    );
    let (_, san) = openssl(
        &tmp.0,
        &[
            "x509",
            "-in",
            "members/etcd4/pki/server.crt",
            "-noout",
            "-ext",
            "subjectAltName",
        ],
    );
    assert!(san.contains("IP Address:10.0.0.4"), "{san}");
    let (ok, out) = openssl(
        &tmp.0,
        &["pkey", "-in", "members/etcd4/pki/server.key", "-noout"],
    );
    assert!(ok, "{out}");

    // New issuing CA with the root key file just downloaded: enabled once helper issuer's
    // rotate_issuer is merged and app/worker/src/issuer.rs uses it instead of its shim (this
    // call passed in Chromium on main + issuer + this branch, 10.9 s for the whole test).
    if ISSUER_WIRED {
        new_issuing_ca(&mut b, &zip, &root_key, &tmp.0);
    }

    // The page asked for nothing but its own files.
    for url in b.requests() {
        assert!(
            url.starts_with(&site.url)
                || url.starts_with("blob:")
                || url.starts_with("data:")
                || url == "about:blank",
            "request to {url}"
        );
    }
}

fn bad_import_changes_nothing_and_reload_keeps_the_spec_not_keys(engine: Engine) {
    let site = Site::serve(site_dir());
    let mut b = Browser::launch(engine);
    b.open(&site.url, "#member-add");
    b.type_into(
        "[data-testid=member-row]:nth-child(1) [data-testid=member-name]",
        "alpha",
    );
    let tmp = TempDir::new("import");
    let bad = tmp.0.join("bad.json");
    std::fs::write(&bad, r#"{"nodes": [], "nodez": 1}"#).unwrap();
    b.set_file("#spec-import", &bad);
    b.wait_for(
        "document.querySelector('#import-error')",
        SECS,
        "the import error",
    );
    let msg = b.text("#import-error").unwrap();
    assert!(
        msg.contains("unknown field `nodez`") && msg.contains("Nothing was changed"),
        "{msg}"
    );
    assert_eq!(rows(&mut b), 3, "a bad import changed the member table");
    assert_eq!(
        b.eval("document.querySelector('[data-testid=member-name]').value"),
        json!("alpha")
    );

    // A good import replaces the spec.
    let good = tmp.0.join("good.json");
    std::fs::write(
        &good,
        r#"{"cluster_name": "imported", "nodes": [{"name": "solo", "ips": ["10.1.1.1"]}]}"#,
    )
    .unwrap();
    b.set_file("#spec-import", &good);
    b.wait_for(
        "document.querySelectorAll('[data-testid=member-row]').length === 1",
        SECS,
        "the imported spec",
    );
    assert!(b.text("#import-error").is_none());

    // Generate (so keys exist in memory), then reload: the spec is back, no key is stored.
    b.protect_ca_key("correct horse battery staple");
    b.click("#generate");
    b.wait_result(Duration::from_secs(60), "generation");
    b.open(&site.url, "#member-add");
    b.wait_for(
        "document.querySelector('[data-testid=member-name]').value === 'solo'",
        SECS,
        "the spec after reload",
    );
    assert_eq!(
        b.eval("document.querySelector('#opt-cluster-name').value"),
        json!("imported")
    );
    let storage = b
        .eval("JSON.stringify(Object.assign({}, localStorage))")
        .as_str()
        .unwrap()
        .to_string();
    assert!(storage.contains("imported"), "{storage}");
    assert!(
        !storage.contains("PRIVATE KEY") && !storage.contains("CERTIFICATE"),
        "localStorage holds key material: {storage}"
    );
}

fn hosts_paste_export_and_demo(engine: Engine) {
    let site = Site::serve(site_dir());
    let mut b = Browser::launch(engine);
    b.open(&site.url, "#member-add");
    b.type_into(
        "#hosts-paste",
        "# from /etc/hosts\n10.9.0.1 db1 db1.example.net\n10.9.0.2 db2 db2.example.net\n10.9.0.3 db3\n",
    );
    b.click("#hosts-apply");
    b.wait_for("document.querySelectorAll('[data-testid=member-row]').length === 3 && document.querySelector('[data-testid=member-name]').value === 'db1'", SECS, "the pasted members");
    assert_eq!(b.eval("document.querySelector('[data-testid=member-row]:nth-child(2) [data-testid=member-dns]').value"), json!("db2.example.net"));
    assert_eq!(b.eval("document.querySelector('[data-testid=member-row]:nth-child(3) [data-testid=member-ips]').value"), json!("10.9.0.3"));
    // Reorder: db3 moves up.
    b.click("[data-testid=member-row]:nth-child(3) [data-testid=member-up]");
    assert_eq!(b.eval("document.querySelector('[data-testid=member-row]:nth-child(2) [data-testid=member-name]').value"), json!("db3"));

    // Export gives the same spec back as JSON.
    b.click("#spec-export");
    let exported = b.wait_download("-spec.json", SECS);
    let spec: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&exported).unwrap()).unwrap();
    let names: Vec<&str> = spec["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["db1", "db3", "db2"]);

    // A preset client, then the demo, which generates a bundle with its run script.
    b.type_into("#client-preset", "calico");
    b.click("#client-add");
    b.wait_for(
        "[...document.querySelectorAll('[data-testid=client-cn]')].some(e => e.value === 'calico')",
        SECS,
        "the Calico client",
    );
    b.click("#demo");
    b.wait_for(
        "document.querySelector('[data-testid=member-ips]').value === '127.0.0.1'",
        SECS,
        "the demo spec",
    );
    b.click("#generate");
    b.wait_result(Duration::from_secs(60), "the demo bundle");
    assert!(
        b.eval("!!document.querySelector('[data-testid=file-entry][data-path=\"demo/run.sh\"]')")
            == json!(true)
    );
    let warnings = b.text("#warnings").unwrap();
    assert!(warnings.contains("one-machine cluster"), "{warnings}");
}

fn imports_that_are_not_specs_change_nothing(engine: Engine) {
    let site = Site::serve(site_dir());
    let mut b = Browser::launch(engine);
    b.open(&site.url, "#member-add");
    let tmp = TempDir::new("imports");
    let members: Vec<String> = (0..500)
        .map(|i| {
            format!(
                r#"{{"name": "m{i}", "ips": ["10.{}.{}.1"]}}"#,
                i / 256,
                i % 256
            )
        })
        .collect();
    let cases = [
        (
            "not-json.json",
            "this is not JSON\n".to_string(),
            "the spec is not valid",
        ),
        (
            "huge.json",
            format!(
                "{{\"nodes\": [], \"cluster_name\": \"{}\"}}",
                "x".repeat(1_100_000)
            ),
            "a spec is a few kilobytes",
        ),
        (
            "many.json",
            format!(r#"{{"nodes": [{}]}}"#, members.join(",")),
            "500 members",
        ),
    ];
    for (name, body, expect) in cases {
        let f = tmp.0.join(name);
        std::fs::write(&f, body).unwrap();
        b.set_file("#spec-import", &f);
        b.wait_for(&format!("(document.querySelector('#import-error') || {{}}).innerText && document.querySelector('#import-error').innerText.includes({name:?})"), SECS, name);
        let msg = b.text("#import-error").unwrap();
        assert!(
            msg.contains(expect) && msg.contains("Nothing was changed"),
            "{name}: {msg}"
        );
        assert_eq!(rows(&mut b), 3, "{name} changed the member table");
    }
}

fn migration_section_adds_the_runbook(engine: Engine) {
    let site = Site::serve(site_dir());
    let mut b = Browser::launch(engine);
    b.open(&site.url, "#member-add");
    b.click("#migration > summary");
    b.click("#opt-migrate");
    // Today's peer port is the target one by default: the page says to pick another.
    let sel = "[data-testid=field-error][data-path=\"migration.current_peer_port\"]";
    b.wait_for(
        &format!("document.querySelector('{}')", sel.replace('\'', "\\'")),
        SECS,
        "the peer-port clash named at today's peer port",
    );
    let err = b.text(sel).unwrap();
    assert!(
        err.contains("choose another peer_port (e.g. 2381)"),
        "{err}"
    );
    assert_eq!(
        b.eval("document.querySelector('#generate').disabled"),
        json!(true)
    );
    b.screenshot(&e2e_browser::workspace_root().join("tests/artifacts/page-migration.png"));
    b.type_into("#opt-peer-port", "2381");
    b.protect_ca_key("correct horse battery staple");
    b.wait_for(
        "!document.querySelector('#generate').disabled",
        SECS,
        "Generate to be enabled",
    );
    b.click("#generate");
    b.wait_result(Duration::from_secs(60), "generation to finish");
    for path in [
        "migrate/README.md",
        "members/etcd1/migrate/2-listeners.sh",
        "members/etcd2/migrate/3-peer-urls.sh",
        "members/etcd1/migrate/step2.env",
    ] {
        assert_eq!(
            b.eval(&format!(
                "!!document.querySelector('[data-testid=file-entry][data-path=\"{path}\"]')"
            )),
            json!(true),
            "{path} is not in the file list"
        );
    }
    b.click("[data-testid=file-entry][data-path=\"members/etcd1/migrate/step2.env\"]");
    b.wait_for(
        "document.querySelector('#file-view')",
        SECS,
        "the step file",
    );
    let env = b.text("#file-view").unwrap();
    assert!(
        env.contains("ETCD_LISTEN_PEER_URLS='http://10.0.0.1:2380,https://10.0.0.1:2381'"),
        "{env}"
    );
}

/// RSA keys are made of two primes searched on two workers at once, then joined:
/// every key of an RSA-2048 bundle passes `openssl pkey -check` (which tests that p and q are
/// prime and that the key is whole) and matches its certificate, which the CA signed.
fn rsa_keys_from_primes_found_on_two_workers_check_out(engine: Engine) {
    let site = Site::serve(site_dir());
    let mut b = Browser::launch(engine);
    b.open(&site.url, "#generate");
    b.type_into("#opt-key-algorithm", "rsa-2048");
    // One CA (no root, whose key would need a passphrase): the standard bundle's keys.
    b.type_into("#opt-ca-layout", "single");
    b.click("#ca-unencrypted");
    b.click("#generate");
    b.wait_result(Duration::from_secs(120), "generation");
    assert_eq!(
        b.eval("window.__etcdPki.runs[0].keys"),
        json!(10),
        "the standard bundle's 9 keys and the JWT signing key"
    );
    b.click("#download");
    let zip = b.wait_download("etcd-generate-g1.zip", SECS);
    let tmp = TempDir::new("page-rsa-zip");
    e2e_browser::unzip(&zip, &tmp.0);
    let mut keys = vec![];
    let mut dirs = vec![tmp.0.clone()];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_some_and(|x| x == "key") && p.with_extension("crt").exists()
            {
                // (jwt.key, etcd's token signing key, has no certificate.)
                keys.push(p);
            }
        }
    }
    // 3 members' server and peer keys, 2 clients' keys (the CA key is its own download).
    assert_eq!(keys.len(), 8, "{keys:?}");
    let mut moduli = std::collections::HashSet::new();
    for key in &keys {
        let key_s = key.display().to_string();
        let (ok, out) = openssl(
            &tmp.0,
            &["pkey", "-in", &key_s, "-check", "-noout", "-text"],
        );
        assert!(
            ok && out.contains("Private-Key: (2048 bit"),
            "{key_s}: {out}"
        );
        let (_, pubkey) = openssl(&tmp.0, &["pkey", "-in", &key_s, "-pubout"]);
        let cert = key.with_extension("crt").display().to_string();
        let (ok, out) = openssl(
            &tmp.0,
            &["verify", "-CAfile", "ca.crt", "-untrusted", &cert, &cert],
        );
        assert!(ok, "{cert}: {out}");
        let (_, cert_pub) = openssl(&tmp.0, &["x509", "-in", &cert, "-noout", "-pubkey"]);
        assert_eq!(pubkey, cert_pub, "{cert} is not for {key_s}");
        assert!(moduli.insert(pubkey), "{key_s}: a key made twice");
    }
}

/// The rows are store fields keyed by id; the page replaces the whole form at once (the demo,
/// an import, an /etc/hosts paste), with fewer rows than before and then more, some of them
/// with ids the old rows had at other places. Every row must then show its own values, stay
/// editable, with its problems beside it and in the spec, and nothing may panic (keyed rows
/// on a plain Vec read a row by the place it had: another row's text, or past the end).
fn replacing_the_whole_form_keeps_each_row_its_own(engine: Engine) {
    let site = Site::serve(site_dir());
    let mut b = Browser::launch(engine);
    b.open(&site.url, "#member-add");
    let row = |kind: &str, n: usize| format!("[data-testid={kind}-row]:nth-child({n})");
    let members = |b: &mut Browser, n: u64, what: &str| {
        b.wait_for(
            &format!("document.querySelectorAll('[data-testid=member-row]').length === {n}"),
            SECS,
            what,
        )
    };

    // Fill in rows: edit the third, add a fourth, edit a client; then remove the first and
    // move the last up, so the rows' ids are no longer in the order a new form gives them.
    let fill = |b: &mut Browser, n: usize, name: &str, ip: &str| {
        b.type_into(
            &format!("{} [data-testid=member-name]", row("member", n)),
            name,
        );
        b.type_into(
            &format!("{} [data-testid=member-ips]", row("member", n)),
            ip,
        );
    };
    fill(&mut b, 3, "gamma", "10.0.0.33");
    b.click("#member-add");
    fill(&mut b, 4, "delta", "10.0.0.44");
    b.type_into(
        &format!("{} [data-testid=client-cn]", row("client", 2)),
        "kube-x",
    );
    b.click(&format!("{} [data-testid=member-remove]", row("member", 1)));
    b.click(&format!("{} [data-testid=member-up]", row("member", 3)));
    wait_spec(
        &mut b,
        MEMBERS,
        json!(["etcd2 10.0.0.2", "delta 10.0.0.44", "gamma 10.0.0.33"]),
    );
    wait_spec(&mut b, "s.clients[1].common_name", json!("kube-x"));

    // The demo: as many members, two of them with ids the old rows had at other places.
    b.click("#demo");
    b.wait_for(
        "document.querySelector('[data-testid=member-ips]').value === '127.0.0.1'",
        SECS,
        "the demo's members",
    );
    assert_eq!(
        column(&mut b, "member", "name"),
        ["etcd1", "etcd2", "etcd3"]
    );
    assert_eq!(
        column(&mut b, "member", "ips"),
        ["127.0.0.1", "127.0.0.2", "127.0.0.3"]
    );
    assert_eq!(column(&mut b, "member", "dns"), ["", "", ""]);
    assert_eq!(column(&mut b, "client", "name"), ["etcdctl", "app"]);
    assert_eq!(column(&mut b, "client", "cn"), ["root", "app"]);
    assert_eq!(
        b.eval(&format!(
            "document.querySelector('{} [data-testid=member-ips]').getAttribute('aria-label')",
            row("member", 2)
        )),
        json!("IP addresses of member 2 (etcd2)")
    );
    b.type_into(
        &format!("{} [data-testid=member-name]", row("member", 3)),
        "third",
    );
    wait_spec(
        &mut b,
        MEMBERS,
        json!(["etcd1 127.0.0.1", "etcd2 127.0.0.2", "third 127.0.0.3"]),
    );

    // Fewer rows of both kinds: remove the first member, then import one member, one client.
    b.click(&format!("{} [data-testid=member-remove]", row("member", 1)));
    members(&mut b, 2, "the first demo member removed");
    let tmp = TempDir::new("replace-rows");
    let one = tmp.0.join("one.json");
    std::fs::write(
        &one,
        r#"{"cluster_name": "one", "nodes": [{"name": "solo", "ips": ["10.1.1.1"]}],
            "clients": [{"name": "only", "common_name": "only-user"}]}"#,
    )
    .unwrap();
    b.set_file("#spec-import", &one);
    b.wait_for(
        "document.querySelector('[data-testid=member-name]').value === 'solo'",
        SECS,
        "the one-member import",
    );
    assert_eq!(column(&mut b, "member", "name"), ["solo"]);
    assert_eq!(column(&mut b, "member", "ips"), ["10.1.1.1"]);
    assert_eq!(column(&mut b, "client", "name"), ["only"]);
    assert_eq!(column(&mut b, "client", "cn"), ["only-user"]);
    b.type_into(
        &format!("{} [data-testid=client-cn]", row("client", 1)),
        "someone",
    );
    wait_spec(
        &mut b,
        "s.clients.map(c => c.common_name)",
        json!(["someone"]),
    );
    assert!(b.exceptions().is_empty(), "{:?}", b.exceptions());

    // More rows, all new: three pasted /etc/hosts lines.
    b.type_into(
        "#hosts-paste",
        "10.9.0.1 db1\n10.9.0.2 db2 db2.example.net\n10.9.0.3 db3\n",
    );
    b.click("#hosts-apply");
    members(&mut b, 3, "the pasted members");
    assert_eq!(column(&mut b, "member", "name"), ["db1", "db2", "db3"]);
    assert_eq!(
        column(&mut b, "member", "ips"),
        ["10.9.0.1", "10.9.0.2", "10.9.0.3"]
    );
    assert_eq!(column(&mut b, "member", "dns"), ["", "db2.example.net", ""]);
    // Edited afterwards: the problem is beside that row, at its place in the spec.
    bad_ip_beside(&mut b, 2, "10.9.0.300", "the second pasted member");
    wait_spec(
        &mut b,
        MEMBERS,
        json!(["db1 10.9.0.1", "db2 10.9.0.300", "db3 10.9.0.3"]),
    );
    b.type_into(
        &format!("{} [data-testid=member-ips]", row("member", 2)),
        "10.9.0.22",
    );
    b.wait_for(
        "!document.querySelector('[data-testid=field-error][data-path^=\"nodes[1]\"]')",
        SECS,
        "the error to go",
    );

    // More rows again, some with old ids: an import of five members.
    let five = tmp.0.join("five.json");
    let nodes: Vec<String> = (1..=5)
        .map(|i| format!(r#"{{"name": "n{i}", "ips": ["10.5.0.{i}"]}}"#))
        .collect();
    std::fs::write(&five, format!(r#"{{"nodes": [{}]}}"#, nodes.join(","))).unwrap();
    b.set_file("#spec-import", &five);
    members(&mut b, 5, "the five-member import");
    assert_eq!(
        column(&mut b, "member", "name"),
        ["n1", "n2", "n3", "n4", "n5"]
    );
    assert_eq!(
        column(&mut b, "member", "ips"),
        ["10.5.0.1", "10.5.0.2", "10.5.0.3", "10.5.0.4", "10.5.0.5"]
    );
    // A moved row takes its new place in labels, problem paths and the spec.
    b.click(&format!("{} [data-testid=member-up]", row("member", 5)));
    assert_eq!(
        column(&mut b, "member", "name"),
        ["n1", "n2", "n3", "n5", "n4"]
    );
    bad_ip_beside(&mut b, 4, "10.5.0.500", "the moved member");
    assert_eq!(
        b.eval(&format!(
            "document.querySelector('{} [data-testid=member-name]').getAttribute('aria-label')",
            row("member", 4)
        )),
        json!("Name of member 4 (n5)")
    );
    wait_spec(
        &mut b,
        MEMBERS,
        json!([
            "n1 10.5.0.1",
            "n2 10.5.0.2",
            "n3 10.5.0.3",
            "n5 10.5.0.500",
            "n4 10.5.0.4"
        ]),
    );
    assert!(b.exceptions().is_empty(), "{:?}", b.exceptions());
}

/// Types the bad IP `ip` into member row `n` (from 1) and waits for its problem beside that
/// row, at the row's place in the spec (`nodes[n-1].ips[0]`).
fn bad_ip_beside(b: &mut Browser, n: usize, ip: &str, what: &str) {
    let at = format!("[data-testid=member-row]:nth-child({n})");
    b.type_into(&format!("{at} [data-testid=member-ips]"), ip);
    b.wait_for(
        &format!(
            "!!document.querySelector('{at} [data-testid=field-error][data-path=\"nodes[{}].ips[0]\"]')",
            n - 1
        ),
        SECS,
        &format!("the bad IP's error beside {what}"),
    );
}
