//! Day two in the page, in real browsers: a bundle the CLI made (`etcd-pki generate` with an
//! encrypted CA key) is opened in the page, its CA key unlocked with the passphrase the page
//! asks for, a member added, and the downloaded bundle checked as an operator would: the new
//! member joins an existing cluster, the old members' certificates are byte-identical, the
//! add-member runbook is in the zip, and every certificate verifies against the same CA.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use e2e_browser::{Browser, Engine, Site, TempDir, in_both_browsers, site_dir, workspace_root};

const SECS: Duration = Duration::from_secs(30);
const PASSPHRASE: &str = "correct horse battery staple";

in_both_browsers!(open_cli_bundle_add_member_download);

/// The CLI, built for this test (the same way tests/etcd builds it).
fn etcd_pki() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable");
    let target = exe
        .parent()
        .and_then(Path::parent)
        .and_then(Path::parent)
        .expect("target dir")
        .to_path_buf();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let ok = Command::new(cargo)
        .args(["build", "--quiet", "-p", "pki-core", "--bin", "etcd-pki"])
        .arg("--target-dir")
        .arg(&target)
        .current_dir(workspace_root())
        .status()
        .expect("cargo build")
        .success();
    assert!(ok, "cargo build -p pki-core --bin etcd-pki failed");
    target.join("debug/etcd-pki")
}

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().expect("run");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{cmd:?}: {text}");
    text
}

fn unzip(zip: &Path, dir: &Path) {
    run(Command::new("unzip").arg("-q").arg(zip).arg("-d").arg(dir));
}

/// Every `.crt` under `dir`.
fn certs(dir: &Path) -> Vec<PathBuf> {
    let mut out = vec![];
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "crt") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// Waits until `js` is true; on timeout, fails with what the page says (every error and
/// status text), so a failure names its reason.
fn wait(b: &mut Browser, js: &str, limit: Duration, what: &str) {
    let start = std::time::Instant::now();
    loop {
        let ok = b.eval(&format!(
            "(() => {{ try {{ return !!({js}); }} catch (e) {{ return false; }} }})()"
        ));
        if ok == serde_json::json!(true) {
            return;
        }
        if start.elapsed() > limit {
            let said = b.eval(
                "[...document.querySelectorAll('.field-error, [role=status], [role=alert], #generate-why')].map(e => e.id + ': ' + e.textContent.trim()).filter(t => !/: $/.test(t)).join('\\n')",
            );
            panic!(
                "timed out after {limit:?} waiting for {what}; the page says:\n{}",
                said.as_str().unwrap_or("")
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn open_cli_bundle_add_member_download(engine: Engine) {
    let work = TempDir::new("daytwo-page");
    let dir = &work.0;
    let cli = etcd_pki();
    let spec = run(Command::new(&cli).arg("spec-template"));
    std::fs::write(dir.join("spec.json"), spec).unwrap();
    std::fs::write(dir.join("pass.txt"), format!("{PASSPHRASE}\n")).unwrap();
    run(Command::new(&cli)
        .args(["generate", "--spec", "spec.json", "--out", "old.zip"])
        .args(["--ca-passphrase-file", "pass.txt", "--ca-key-out", "ca.key"])
        .current_dir(dir));
    let old = dir.join("old");
    unzip(&dir.join("old.zip"), &old);

    let site = Site::serve(site_dir());
    let mut b = Browser::launch(engine);
    b.open(&site.url, "#source-bundle");
    b.click("#source-bundle");
    wait(
        &mut b,
        "document.querySelector('#open-bundle-zip')",
        SECS,
        "the bundle picker",
    );
    b.set_file("#open-bundle-zip", &dir.join("old.zip"));
    // The spec is restored into the form; its three members are locked.
    wait(
        &mut b,
        "document.querySelectorAll('[data-testid=member-row] [data-testid=row-locked]').length == 3",
        SECS,
        "the bundle's members, locked",
    );
    assert_eq!(
        b.eval(
            "document.querySelector('[data-testid=member-row] [data-testid=member-ips]').disabled"
        ),
        serde_json::json!(true)
    );
    let certs_listed = b
        .eval("document.querySelectorAll('[data-testid=bundle-cert]').length")
        .as_u64()
        .unwrap();
    assert!(certs_listed >= 7, "{certs_listed} certificates listed");

    // The CA key is encrypted: the page asks for the passphrase; a wrong one is named.
    b.set_file("#existing-ca-key", &dir.join("ca.key"));
    wait(
        &mut b,
        "document.querySelector('#existing-ca-passphrase')",
        SECS,
        "the passphrase field",
    );
    b.type_into("#existing-ca-passphrase", "not the passphrase");
    b.click("#existing-ca-unlock");
    wait(
        &mut b,
        "/does not decrypt/.test(document.querySelector('#existing-ca-passphrase-error').textContent)",
        Duration::from_secs(60),
        "the wrong passphrase named beside its field",
    );
    b.type_into("#existing-ca-passphrase", PASSPHRASE);
    b.click("#existing-ca-unlock");
    wait(
        &mut b,
        "document.querySelector('#existing-ca-subject')",
        Duration::from_secs(60),
        "the CA unlocked",
    );

    // The opened bundle's section passes axe like the rest of the page.
    let violations = b.accessibility_violations();
    assert!(violations.is_empty(), "{violations:#?}");

    // Add etcd4: a new row, marked new; Generate makes the new bundle.
    b.click("#member-add");
    let row = "[data-testid=member-row]:nth-child(4)";
    b.type_into(&format!("{row} [data-testid=member-name]"), "etcd4");
    b.type_into(&format!("{row} [data-testid=member-ips]"), "10.0.0.4");
    assert_eq!(
        b.eval(&format!(
            "!!document.querySelector('{row} [data-testid=row-added]')"
        )),
        serde_json::json!(true)
    );
    wait(
        &mut b,
        "!document.querySelector('#generate').disabled",
        SECS,
        "Generate to be enabled",
    );
    b.click("#generate");
    wait(
        &mut b,
        "document.querySelector('#result-summary')",
        Duration::from_secs(120),
        "the change to finish",
    );
    let summary = b.text("#result-summary").unwrap();
    assert!(
        summary.starts_with("1 member added") && summary.contains("0 keys changed"),
        "{summary}"
    );
    eprintln!("{}: the page says: {summary}", engine.name());
    assert!(summary.contains("runbook"), "{summary}");
    b.click("#download");
    let zip = b.wait_download(".zip", SECS);
    let new = dir.join("new");
    unzip(&zip, &new);

    // The new member joins an existing cluster.
    let env = run(Command::new("grep")
        .args(["-rh", "ETCD_INITIAL_CLUSTER_STATE"])
        .arg(new.join("members/etcd4")));
    assert!(env.contains("existing"), "{env}");
    // The old members' certificates and keys are the old bundle's, byte for byte.
    for m in ["etcd1", "etcd2", "etcd3"] {
        for f in ["server.crt", "server.key", "peer.crt", "peer.key"] {
            let p = format!("members/{m}/pki/{f}");
            assert_eq!(
                std::fs::read(old.join(&p)).unwrap(),
                std::fs::read(new.join(&p)).unwrap(),
                "{p} changed"
            );
        }
    }
    // The add-member runbook is in the zip, and the summary names it.
    let runbook = new.join("runbook/add-etcd4.sh");
    let script = std::fs::read_to_string(&runbook).expect("runbook/add-etcd4.sh in the zip");
    assert!(script.contains("member add"), "{script}");
    assert!(summary.contains("runbook/add-etcd4.sh"), "{summary}");
    // Every certificate verifies against the same CA, strictly.
    assert_eq!(
        std::fs::read(old.join("ca.crt")).unwrap(),
        std::fs::read(new.join("ca.crt")).unwrap()
    );
    let all = certs(&new);
    assert!(all.len() > 8, "{all:?}");
    for c in all.iter().filter(|c| !c.ends_with("ca.crt")) {
        run(Command::new("openssl")
            .args(["verify", "-x509_strict", "-CAfile"])
            .arg(old.join("ca.crt"))
            .arg(c));
    }
}
