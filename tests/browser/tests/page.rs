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
    // Before a real cluster's first generation: the CA key's passphrase, twice.
    b.protect_ca_key("correct horse battery staple");
    b.wait_for(
        "!document.querySelector('#generate').disabled",
        SECS,
        "Generate to be enabled",
    );
    b.click("#generate");
    b.wait_for(
        "document.querySelector('#result-summary')",
        Duration::from_secs(60),
        "generation to finish",
    );
    let summary = b.text("#result-summary").unwrap();
    assert!(
        summary.starts_with("14 keys and certificates in "), // 13 + the JWT signing key (jwt is the default)
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
    let zip = b.wait_download("etcd-etcd-pki.zip", SECS);
    let tmp = TempDir::new("page-zip");
    e2e_browser::unzip(&zip, &tmp.0);
    let (ok, out) = openssl(
        &tmp.0,
        &[
            "verify",
            "-CAfile",
            "ca.crt",
            "members/etcd4/pki/server.crt",
        ],
    );
    assert!(ok, "{out}");
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
    b.wait_for(
        "document.querySelector('#result-summary')",
        Duration::from_secs(60),
        "generation",
    );
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
    b.wait_for(
        "document.querySelector('#result-summary')",
        Duration::from_secs(60),
        "the demo bundle",
    );
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
    b.wait_for(
        "document.querySelector('#result-summary')",
        Duration::from_secs(60),
        "generation to finish",
    );
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
    b.click("#ca-unencrypted");
    b.click("#generate");
    b.wait_for(
        "document.querySelector('#result-summary')",
        Duration::from_secs(120),
        "generation",
    );
    assert_eq!(
        b.eval("window.__etcdPki.runs[0].keys"),
        json!(10),
        "the standard bundle's 9 keys and the JWT signing key"
    );
    b.click("#download");
    let zip = b.wait_download("etcd-etcd-pki.zip", SECS);
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
        let (ok, out) = openssl(&tmp.0, &["verify", "-CAfile", "ca.crt", &cert]);
        assert!(ok, "{cert}: {out}");
        let (_, cert_pub) = openssl(&tmp.0, &["x509", "-in", &cert, "-noout", "-pubkey"]);
        assert_eq!(pubkey, cert_pub, "{cert} is not for {key_s}");
        assert!(moduli.insert(pubkey), "{key_s}: a key made twice");
    }
}
