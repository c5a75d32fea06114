//! Day two in the page, in real browsers: a bundle the CLI made (`etcd-pki generate` with an
//! encrypted CA key) is opened in the page, its CA key unlocked with the passphrase the page
//! asks for, a member added, and the downloaded bundle checked as an operator would: the new
//! member joins an existing cluster, the old members' certificates are byte-identical, the
//! add-member runbook is in the zip, and every certificate verifies against the same CA. Also:
//! "Use an existing CA" with an openssl CA (encrypted key), a bundle the page grew run on
//! a live cluster (198.18.126.0/24), and, each on a live cluster while a client writes, the
//! page's revocation (198.18.131.0/24), its CA rotation kit (198.18.132.0/24) and its
//! same-key CA renewal (198.18.133.0/24).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use e2e_browser::{Browser, Engine, Site, TempDir, in_both_browsers, site_dir};
use e2e_etcd::live::wait_for;
use e2e_etcd::revocation;
use e2e_etcd::steps::{
    add_member, admin, check_members_started, check_reads, check_serves_own_certificate, endpoints,
    ip, start_cluster,
};
use e2e_etcd::{ClientTls, LiveCluster, etcd_pki_bin, etcdctl_as};

const SECS: Duration = Duration::from_secs(30);
const PASSPHRASE: &str = "correct horse battery staple";

in_both_browsers!(open_cli_bundle_add_member_download);

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

/// `etcd-pki generate` of `spec` (JSON) in `dir`: `dir/<zip>`, its CA key `ca.key` (encrypted
/// with [`PASSPHRASE`], also in `pass.txt`), unzipped into the folder named like `zip` without
/// `.zip`, which is returned.
fn cli_generate(cli: &Path, dir: &Path, spec: &str, zip: &str) -> PathBuf {
    std::fs::write(dir.join("spec.json"), spec).unwrap();
    std::fs::write(dir.join("pass.txt"), format!("{PASSPHRASE}\n")).unwrap();
    // A single CA: these flows (add, renew, revoke, the same-key CA renewal) were written for
    // it; the page's root+issuing flows (generate, New issuing CA) are page.rs's.
    run(Command::new(cli)
        .args(["generate", "--spec", "spec.json", "--out", zip])
        .args(["--ca-layout", "single"])
        .args(["--ca-passphrase-file", "pass.txt", "--ca-key-out", "ca.key"])
        .current_dir(dir));
    let folder = dir.join(zip.trim_end_matches(".zip"));
    unzip(&dir.join(zip), &folder);
    folder
}

/// The spec template's bundle made by the CLI in `dir` ([`cli_generate`]): `old.zip`, unzipped
/// into `old/`, which is returned.
fn cli_bundle(cli: &Path, dir: &Path) -> PathBuf {
    let spec = run(Command::new(cli).arg("spec-template"));
    cli_generate(cli, dir, &spec, "old.zip")
}

fn open_cli_bundle_add_member_download(engine: Engine) {
    let work = TempDir::new("daytwo-page");
    let dir = &work.0;
    let cli = etcd_pki_bin();
    let old = cli_bundle(&cli, dir);

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
    // Under the disabled button too: the passphrase is what is missing, not the files.
    let why = b.text("#generate-why").unwrap_or_default();
    assert!(
        why.contains("passphrase") && !why.contains("Give the CA's certificate and key"),
        "under the button after a wrong passphrase: {why}"
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
    // Locked and new rows line up: the same height, the name field at the same place and
    // width; each mark is an SVG and a plain word (no emoji font needed: 🔒 and ＋ show as
    // empty boxes without one).
    let rows = b.eval(
        "[...document.querySelectorAll('[data-testid=member-row]')].map(r => { \
           const n = r.querySelector('[data-testid=member-name]').getBoundingClientRect(); \
           const m = r.querySelector('.row-mark'); \
           return { h: Math.round(r.getBoundingClientRect().height), x: Math.round(n.left), \
             w: Math.round(n.width), y: Math.round(n.top - r.getBoundingClientRect().top), \
             svg: !!(m && m.querySelector('svg')), text: m ? m.textContent.trim() : null }; })",
    );
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 4, "{rows:?}");
    for r in rows {
        for k in ["h", "x", "w", "y"] {
            assert_eq!(
                r[k], rows[0][k],
                "{k} differs between member rows: {rows:?}"
            );
        }
        assert_eq!(r["svg"], serde_json::json!(true), "{rows:?}");
        let text = r["text"].as_str().unwrap();
        assert!(
            text.is_ascii() && (text == "exists" || text == "new"),
            "a row mark says {text:?}: {rows:?}"
        );
    }
    assert_eq!(rows[3]["text"], "new");
    wait(
        &mut b,
        "!document.querySelector('#generate').disabled",
        SECS,
        "Generate to be enabled",
    );
    b.click("#generate");
    wait(
        &mut b,
        "document.querySelector('#result-summary') && document.querySelector('[data-testid=file-tree]')",
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
    // Named for the cluster, the operation and the generation, as the CLI's --out.
    let zip = b.wait_download("etcd-add-etcd4-g2.zip", SECS);
    let new = dir.join("new");
    unzip(&zip, &new);
    // The CA key stays encrypted (the page does not rewrite it), and the README says so.
    let readme = std::fs::read_to_string(new.join("README.md")).unwrap();
    let ca_key_line = readme
        .lines()
        .find(|l| l.contains("CA private key"))
        .unwrap_or_else(|| panic!("README.md says nothing of the CA key:\n{readme}"));
    assert!(
        ca_key_line.contains("encrypted") && !ca_key_line.contains("unencrypted"),
        "README.md of the page's add-member from an encrypted CA key: {ca_key_line}"
    );

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

/// The leaf DER of a PEM certificate file.
fn der_of(path: &Path) -> Vec<u8> {
    let text = std::fs::read_to_string(path).unwrap();
    let b64: String = text
        .lines()
        .skip_while(|l| !l.starts_with("-----BEGIN CERTIFICATE"))
        .skip(1)
        .take_while(|l| !l.starts_with("-----END"))
        .collect();
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD
        .decode(b64)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// "Use an existing CA": a CA made by openssl (PrintableString names, so a leaf whose issuer
/// were re-encoded as UTF8String would differ; its key encrypted PKCS#8 with a passphrase) is
/// given to the page, which asks for the passphrase; every leaf of the downloaded bundle
/// verifies against that CA with `openssl verify -x509_strict`, and its issuer field is the
/// CA certificate's subject field byte for byte.
fn existing_openssl_ca_generate_download(engine: Engine) {
    let work = TempDir::new("daytwo-existing-ca");
    let dir = &work.0;
    std::fs::write(
        dir.join("ca.cnf"),
        "[req]\nprompt = no\nstring_mask = nombstr\ndistinguished_name = dn\n\
         [dn]\nC = DE\nO = Example Ops\nOU = Platform\nCN = Example etcd CA\n",
    )
    .unwrap();
    run(Command::new("openssl")
        .args(["req", "-x509", "-config", "ca.cnf", "-newkey", "ec"])
        .args(["-pkeyopt", "ec_paramgen_curve:P-256", "-days", "3650"])
        .args(["-keyout", "ca.key", "-out", "ca.crt"])
        .args(["-passout", &format!("pass:{PASSPHRASE}")])
        .args(["-addext", "basicConstraints=critical,CA:TRUE"])
        .args(["-addext", "keyUsage=critical,keyCertSign,cRLSign"])
        .current_dir(dir));
    let key = std::fs::read_to_string(dir.join("ca.key")).unwrap();
    assert!(key.contains("ENCRYPTED PRIVATE KEY"), "{key}");
    let parsed = run(Command::new("openssl")
        .args(["asn1parse", "-in", "ca.crt"])
        .current_dir(dir));
    assert!(parsed.contains("PRINTABLESTRING"), "{parsed}");

    let site = Site::serve(site_dir());
    let mut b = Browser::launch(engine);
    b.open(&site.url, "#source-existing");
    b.click("#source-existing");
    wait(
        &mut b,
        "document.querySelector('#existing-ca-cert')",
        SECS,
        "the CA certificate picker",
    );
    b.set_file("#existing-ca-cert", &dir.join("ca.crt"));
    b.set_file("#existing-ca-key", &dir.join("ca.key"));
    wait(
        &mut b,
        "document.querySelector('#existing-ca-passphrase')",
        Duration::from_secs(60),
        "the passphrase field",
    );
    b.type_into("#existing-ca-passphrase", PASSPHRASE);
    b.click("#existing-ca-unlock");
    wait(
        &mut b,
        "document.querySelector('#existing-ca-subject')",
        Duration::from_secs(60),
        "the CA read",
    );
    let facts = b.text("#existing-ca-subject").unwrap();
    assert!(facts.contains("Example etcd CA"), "{facts}");
    eprintln!("{}: the page says: {facts}", engine.name());
    wait(
        &mut b,
        "!document.querySelector('#generate').disabled",
        SECS,
        "Generate to be enabled",
    );
    b.click("#generate");
    wait(
        &mut b,
        "document.querySelector('#download')",
        Duration::from_secs(120),
        "the bundle",
    );
    b.click("#download");
    let zip = b.wait_download(".zip", SECS);
    let out = dir.join("bundle");
    unzip(&zip, &out);

    // The bundle's CA certificate is the one given, byte for byte; no CA key in the zip.
    assert_eq!(der_of(&dir.join("ca.crt")), der_of(&out.join("ca.crt")));
    assert!(!out.join("ca.key").exists(), "the CA key is in the zip");
    let ca_der = der_of(&dir.join("ca.crt"));
    let (_, ca) = x509_parser::parse_x509_certificate(&ca_der).unwrap();
    let leaves: Vec<_> = certs(&out)
        .into_iter()
        .filter(|c| !c.ends_with("ca.crt"))
        .collect();
    assert!(leaves.len() >= 7, "{leaves:?}");
    for leaf in &leaves {
        run(Command::new("openssl")
            .args(["verify", "-x509_strict", "-CAfile"])
            .arg(dir.join("ca.crt"))
            .arg(leaf));
        let der = der_of(leaf);
        let (_, l) = x509_parser::parse_x509_certificate(&der).unwrap();
        assert_eq!(
            l.issuer().as_raw(),
            ca.subject().as_raw(),
            "{}: issuer is not the CA's subject, byte for byte",
            leaf.display()
        );
    }
    eprintln!(
        "{}: {} leaves verify against the openssl CA (-x509_strict), issuer bytes = CA subject bytes",
        engine.name(),
        leaves.len()
    );
}

in_both_browsers!(existing_openssl_ca_generate_download);

/// The live test's network: 198.18.126.0/24 (no other test uses it).
const LIVE_SUBNET: u8 = 126;

/// Issue #12's day two, end to end: a 3-member cluster runs from a bundle the CLI made; the
/// page opens that bundle, unlocks its CA key, adds etcd4; the downloaded bundle's
/// `runbook/add-etcd4.sh` grows the running cluster to 4, and etcd4 serves a read over TLS
/// with the certificate the page made.
#[test]
fn page_added_member_grows_live_cluster() {
    let work = TempDir::new("daytwo-page-live");
    let t = work.0.clone();
    let spec = serde_json::json!({
        "cluster_name": "pagelive",
        "etcd_version": "3.4",
        "nodes": (1..=3).map(|i| serde_json::json!({
            "name": format!("etcd{i}"), "ips": [ip(LIVE_SUBNET, i)]
        })).collect::<Vec<_>>(),
        "clients": [{"name": "etcdctl", "common_name": "root", "kind": "etcdctl"}],
        "cert_dir": format!("{}/hosts/{{name}}/pki", t.display()),
        "data_dir": format!("{}/hosts/{{name}}/data", t.display()),
    });
    let old = cli_generate(&etcd_pki_bin(), &t, &spec.to_string(), "old.zip");
    let etcd = Path::new("/usr/bin/etcd");
    let mut cluster = start_cluster(LIVE_SUBNET, etcd, &old, 3, &t.join("logs"));
    let (ok, out) = admin(
        &old,
        &endpoints(LIVE_SUBNET, &[1, 2, 3]),
        "etcdctl put /page/before grown",
    );
    assert!(ok, "{out}");

    let new = add_member_in_page(&t, "etcd4", &ip(LIVE_SUBNET, 4));
    // The downloaded runbook, run as an operator would; etcd4 started from its folder when
    // the runbook says so.
    assert!(
        new.join("runbook/add-etcd4.sh").exists(),
        "no runbook/add-etcd4.sh in the page's zip"
    );
    add_member(&mut cluster, &new, "etcd4", &t.join("add-etcd4.log"));

    // Four started members; etcd4 serves a read over TLS, with the certificate the page made.
    check_members_started(&new, LIVE_SUBNET, &[1, 2, 3, 4]);
    check_reads(&new, LIVE_SUBNET, 4, "/page/before", "grown");
    let client = ClientTls::from_folder(&new.join("clients/etcdctl"));
    check_serves_own_certificate(&new, LIVE_SUBNET, 4, &client);
    assert_eq!(cluster.restarts(), 0, "a member was restarted");
    assert!(cluster.died().is_empty(), "{:?}", cluster.died());
    eprintln!(
        "etcd4 (added in the page) serves reads over TLS with its own certificate; 0 restarts"
    );
}

/// The page's *Add member*: `t/old.zip` (three members) opened in the page and its CA key
/// (`t/ca.key`) unlocked, member `name` at `ip` added, the new bundle generated, downloaded
/// and unpacked into `t/new`, which is returned.
fn add_member_in_page(t: &Path, name: &str, ip: &str) -> PathBuf {
    let site = Site::serve(site_dir());
    let mut b = Browser::launch(Engine::Chromium);
    open_and_unlock(&mut b, &site.url, &t.join("old.zip"), &t.join("ca.key"));
    wait(
        &mut b,
        "document.querySelectorAll('[data-testid=member-row]').length == 3",
        SECS,
        "the bundle's three members",
    );
    b.click("#member-add");
    let row = "[data-testid=member-row]:nth-child(4)";
    b.type_into(&format!("{row} [data-testid=member-name]"), name);
    b.type_into(&format!("{row} [data-testid=member-ips]"), ip);
    wait(
        &mut b,
        "!document.querySelector('#generate').disabled",
        SECS,
        "Generate to be enabled",
    );
    let new = t.join("new");
    let summary = make_and_download(&mut b, "#generate", &new);
    eprintln!("the page says: {summary}");
    new
}

/// Opens `zip` in the page (a fresh load) and unlocks its CA key with the passphrase.
fn open_and_unlock(b: &mut Browser, url: &str, zip: &Path, key: &Path) {
    b.open(url, "#source-bundle");
    b.click("#source-bundle");
    wait(
        b,
        "document.querySelector('#open-bundle-zip')",
        SECS,
        "the bundle picker",
    );
    b.set_file("#open-bundle-zip", zip);
    wait(
        b,
        "document.querySelectorAll('[data-testid=bundle-cert]').length > 0",
        Duration::from_secs(60),
        "the bundle's certificates",
    );
    unlock(b, key);
}

/// Gives the opened bundle's CA key and its passphrase, as the person does for every change
/// (the page drops both once a change is done, issue #21 item 14).
fn unlock(b: &mut Browser, key: &Path) {
    b.set_file("#existing-ca-key", key);
    wait(
        b,
        "document.querySelector('#existing-ca-passphrase')",
        SECS,
        "the passphrase field",
    );
    b.type_into("#existing-ca-passphrase", PASSPHRASE);
    b.click("#existing-ca-unlock");
    wait(
        b,
        "document.querySelector('#existing-ca-subject')",
        Duration::from_secs(60),
        "the CA unlocked",
    );
}

/// The change just made dropped the CA key and its passphrase: the page shows no unlocked CA
/// and no passphrase field, and asks for the key again.
fn assert_ca_key_dropped(b: &mut Browser) {
    wait(
        b,
        "!document.querySelector('#existing-ca-subject') && !document.querySelector('#existing-ca-passphrase') && !document.querySelector('#existing-ca-key').closest('.drop').textContent.includes('Read:')",
        SECS,
        "the CA key and its passphrase dropped once the change was done",
    );
}

/// A bundle the CLI made (`cli_bundle`), opened in the page served from the built site, its CA
/// unlocked.
struct Opened {
    b: Browser,
    _site: Site,
    /// The bundle unpacked.
    old: PathBuf,
    /// Holds old.zip, ca.key and whatever the test writes.
    work: TempDir,
}

fn opened(engine: Engine, label: &str) -> Opened {
    let work = TempDir::new(label);
    let old = cli_bundle(&etcd_pki_bin(), &work.0);
    let site = Site::serve(site_dir());
    let mut b = Browser::launch(engine);
    open_and_unlock(
        &mut b,
        &site.url,
        &work.0.join("old.zip"),
        &work.0.join("ca.key"),
    );
    Opened {
        b,
        _site: site,
        old,
        work,
    }
}

/// Clicks `button`, waits for the new bundle, downloads and unpacks it into `into`; the
/// page's summary.
fn make_and_download(b: &mut Browser, button: &str, into: &Path) -> String {
    b.click(button);
    wait(
        b,
        "document.querySelector('#result-summary') && document.querySelector('[data-testid=file-tree]')",
        Duration::from_secs(120),
        "the new bundle",
    );
    let summary = b.text("#result-summary").unwrap();
    b.click("#download");
    let zip = b.wait_download(".zip", SECS);
    unzip(&zip, into);
    std::fs::copy(&zip, into.with_extension("zip")).unwrap();
    summary
}

fn openssl_serial(cert: &Path) -> String {
    run(Command::new("openssl")
        .args(["x509", "-noout", "-serial", "-in"])
        .arg(cert))
    .trim()
    .trim_start_matches("serial=")
    .to_lowercase()
}

/// Issue #13 in the page, on a bundle the CLI made with a CA that ends within a year and
/// then removed etcd3 from: the expiry timeline (every certificate, today, the renew
/// threshold, what applies) and pki-core's lint beside the CA's row; another CA's bundle
/// whose etcdctl certificate has this bundle's etcdctl serial gets that one shared serial
/// named beside its input (`validate --other-ca`); "Revoke" a client and the removed etcd3 by
/// name (reason, next update) makes a DER CRL openssl reads, signed by the CA, listing that
/// client's serial and every one of etcd3's, so openssl refuses the client's certificate; the page opens that bundle again and shows the CRL's next update
/// on the timeline and the client as revoked, and refuses to revoke it again (beside Revoke);
/// "Renew the CA (same key)" makes a new CA
/// certificate with the same subject and key, under which the old leaves still verify.
fn revoke_timeline_lints_renew_ca(engine: Engine) {
    let work = TempDir::new("daytwo-revoke");
    let dir = &work.0;
    let cli = etcd_pki_bin();
    let mut spec: serde_json::Value =
        serde_json::from_str(&run(Command::new(&cli).arg("spec-template"))).unwrap();
    spec["ca_validity_days"] = serde_json::json!(300);
    spec["cert_validity_days"] = serde_json::json!(200);
    let gen_dir = cli_generate(&cli, dir, &spec.to_string(), "gen.zip");
    // etcd3 leaves: the bundle keeps its certificates, and the page revokes it by name.
    run(Command::new(&cli)
        .args(["remove-member", "--from", "gen.zip", "--ca-key", "ca.key"])
        .args(["--ca-passphrase-file", "pass.txt", "--name", "etcd3"])
        .args(["--out", "old.zip"])
        .current_dir(dir));
    let old = dir.join("old");
    unzip(&dir.join("old.zip"), &old);
    let etcd3: Vec<String> = certs(&gen_dir.join("members/etcd3"))
        .iter()
        .filter(|c| !c.ends_with("ca.crt"))
        .map(|c| openssl_serial(c))
        .collect();
    assert!(etcd3.len() >= 2, "etcd3's certificates: {etcd3:?}");
    // Another CA's bundle whose etcdctl certificate has the serial of this bundle's.
    let collide = openssl_serial(&old.join("clients/etcdctl/client.crt"));
    let other_zip = other_ca_bundle(&cli, dir, &collide);

    let site = Site::serve(site_dir());
    let mut b = Browser::launch(engine);
    open_and_unlock(&mut b, &site.url, &dir.join("old.zip"), &dir.join("ca.key"));

    // An earlier bundle of the same CA is refused beside the input: it is not another CA.
    b.set_file("#other-ca-zip", &dir.join("gen.zip"));
    wait(
        &mut b,
        "document.querySelector('#other-ca-zip-error')?.textContent.includes(\"holds this bundle's own CA\")",
        Duration::from_secs(60),
        "the refusal of the same CA's earlier bundle",
    );
    assert_eq!(
        b.eval("document.querySelector('#other-ca-result') === null"),
        serde_json::Value::Bool(true)
    );

    // The other CA's bundle: pki-core names the one shared serial beside the input.
    b.set_file("#other-ca-zip", &other_zip);
    wait(
        &mut b,
        "document.querySelector('#other-ca-result')",
        Duration::from_secs(60),
        "the other CA's check",
    );
    let shared = b.eval(
        "[...document.querySelectorAll('#other-ca-lints [data-testid=other-ca-lint]')].map(l => [l.dataset.path, l.textContent])",
    );
    let shared = shared.as_array().unwrap();
    assert_eq!(shared.len(), 1, "{shared:?}");
    assert_eq!(shared[0][0], "clients/etcdctl", "{shared:?}");
    let said = shared[0][1].as_str().unwrap();
    assert!(
        said.contains(&collide) && said.contains("revoking either refuses both"),
        "{said}"
    );
    eprintln!("{}: beside the other CA: {said}", engine.name());

    // The timeline: one bar per certificate, today and the threshold drawn, each bar labelled.
    let certs = b
        .eval("document.querySelectorAll('[data-testid=bundle-cert]').length")
        .as_u64()
        .unwrap();
    let bars = b
        .eval("document.querySelectorAll('#timeline [data-testid=timeline-bar]').length")
        .as_u64()
        .unwrap();
    assert_eq!(bars, certs, "one bar per certificate");
    assert_eq!(
        b.eval("!!document.querySelector('#timeline [data-testid=timeline-today]') && !!document.querySelector('#timeline [data-testid=timeline-threshold]')"),
        serde_json::json!(true)
    );
    let ca_bar = b
        .eval("document.querySelector('#timeline [data-testid=timeline-bar][data-id=ca]').getAttribute('aria-label')")
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        ca_bar.contains("days left") && ca_bar.contains("renew the CA (same key) or rotate it"),
        "{ca_bar}"
    );
    // pki-core's lint (the CA ends within a year) beside the CA's row.
    let lint = b
        .eval("(document.querySelector('[data-testid=bundle-cert][data-id=ca] [data-testid=bundle-lint]') || {}).textContent || ''")
        .as_str()
        .unwrap()
        .to_string();
    assert!(lint.starts_with("Warning") && lint.contains("CA"), "{lint}");
    eprintln!("{}: beside the CA: {lint}", engine.name());
    let violations = b.accessibility_violations();
    assert!(violations.is_empty(), "{violations:#?}");

    // Revoke kube-apiserver and the removed etcd3 (by name): key compromise, next update in
    // 7 days.
    b.click("#revoke-client-kube-apiserver");
    b.click("#revoke-member-etcd3");
    b.type_into("#revoke-reason", "key-compromise");
    b.type_into("#revoke-next-update", "7");
    let revoked_dir = dir.join("revoked");
    let summary = make_and_download(&mut b, "#revoke-go", &revoked_dir);
    eprintln!("{}: the page says: {summary}", engine.name());
    assert!(summary.contains("kube-apiserver"), "{summary}");
    let victim = old.join("clients/kube-apiserver/client.crt");
    let serial = openssl_serial(&victim);
    let crl = revoked_dir.join("members/etcd1/pki/crl.der");
    let text = run(Command::new("openssl")
        .args(["crl", "-inform", "DER", "-noout", "-text", "-in"])
        .arg(&crl));
    assert!(
        text.to_lowercase().contains(&serial),
        "{serial} not on the CRL:\n{text}"
    );
    assert!(text.contains("Key Compromise"), "{text}");
    for s in &etcd3 {
        assert!(
            text.to_lowercase().contains(s.as_str()),
            "etcd3's {s} not on the CRL:\n{text}"
        );
    }
    run(Command::new("openssl")
        .args([
            "crl", "-inform", "DER", "-outform", "PEM", "-out", "crl.pem", "-in",
        ])
        .arg(&crl)
        .current_dir(dir));
    let refused = Command::new("openssl")
        .args(["verify", "-crl_check", "-CAfile"])
        .arg(old.join("ca.crt"))
        .arg("-CRLfile")
        .arg(dir.join("crl.pem"))
        .arg(&victim)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&refused.stdout).to_string()
        + &String::from_utf8_lossy(&refused.stderr);
    assert!(
        !refused.status.success() && said.contains("revoked"),
        "{said}"
    );
    let other = Command::new("openssl")
        .args(["verify", "-crl_check", "-CAfile"])
        .arg(old.join("ca.crt"))
        .arg("-CRLfile")
        .arg(dir.join("crl.pem"))
        .arg(old.join("clients/etcdctl/client.crt"))
        .output()
        .unwrap();
    assert!(other.status.success(), "etcdctl's certificate is refused");

    // The page opens the revoked bundle: the CRL's next update is on the timeline, due
    // (7 days, within the threshold), and the client is marked revoked.
    // (A fresh browser: its download folder then holds only the next zip.)
    drop(b);
    let mut b = Browser::launch(engine);
    open_and_unlock(
        &mut b,
        &site.url,
        &revoked_dir.with_extension("zip"),
        &dir.join("ca.key"),
    );
    let crl_bar = b
        .eval("(document.querySelector('#timeline [data-testid=timeline-bar][data-id=\"CRL next update\"]') || {getAttribute: () => ''}).getAttribute('aria-label')")
        .as_str()
        .unwrap_or("")
        .to_string();
    assert!(
        crl_bar.contains("later next update"),
        "the CRL's bar: {crl_bar:?}"
    );
    assert_eq!(
        b.eval("document.querySelector('[data-testid=bundle-cert][data-id=\"clients/kube-apiserver\"]').dataset.revoked"),
        serde_json::json!("true")
    );

    // Revoking it again is refused by pki-core, and the reason shows beside Revoke.
    b.click("#revoke-client-kube-apiserver");
    b.click("#revoke-go");
    wait(
        &mut b,
        "/revoked already/.test(document.querySelector('#revoke-error').textContent)",
        Duration::from_secs(60),
        "the refusal beside Revoke",
    );
    eprintln!(
        "{}: beside Revoke: {}",
        engine.name(),
        b.text("#revoke-error").unwrap()
    );

    // Renew the CA with the same key: the refused revocation dropped the key and its
    // passphrase, so the person gives them again.
    assert_ca_key_dropped(&mut b);
    unlock(&mut b, &dir.join("ca.key"));
    let renewed = dir.join("renewed");
    let summary = make_and_download(&mut b, "#renew-ca-go", &renewed);
    eprintln!("{}: the page says: {summary}", engine.name());
    let field = |cert: &Path, what: &str| {
        run(Command::new("openssl")
            .args(["x509", "-noout", what, "-in"])
            .arg(cert))
    };
    let (old_ca, new_ca) = (old.join("ca.crt"), renewed.join("ca.crt"));
    assert_eq!(field(&old_ca, "-subject"), field(&new_ca, "-subject"));
    assert_eq!(field(&old_ca, "-pubkey"), field(&new_ca, "-pubkey"));
    // A new certificate (serial) for the same CA, valid for the spec's CA lifetime from now.
    assert_ne!(field(&old_ca, "-serial"), field(&new_ca, "-serial"));
    assert!(summary.contains("with the same key"), "{summary}");
    for c in certs_of_members(&old) {
        run(Command::new("openssl")
            .args(["verify", "-x509_strict", "-CAfile"])
            .arg(&new_ca)
            .arg(&c));
    }
}

/// Another CA's bundle (`etcd-pki generate` of the same spec, a CA of its own) in which
/// `clients/etcdctl`'s certificate is re-signed by that CA with `serial` (lowercase hex), its
/// `spec.json` record following, as a colliding serial would be.
fn other_ca_bundle(cli: &Path, dir: &Path, serial: &str) -> PathBuf {
    use std::io::{Read, Write};
    run(Command::new(cli)
        .args(["generate", "--spec", "spec.json", "--out", "other.zip"])
        .args(["--ca-layout", "single"])
        .args(["--no-ca-passphrase", "--ca-key-out", "other-ca.key"])
        .current_dir(dir));
    let other = dir.join("other");
    unzip(&dir.join("other.zip"), &other);
    run(Command::new("openssl")
        .args([
            "x509",
            "-x509toreq",
            "-in",
            "other/clients/etcdctl/client.crt",
        ])
        .args([
            "-key",
            "other/clients/etcdctl/client.key",
            "-out",
            "collide.csr",
        ])
        .current_dir(dir));
    let serial = format!("0x{serial}");
    run(Command::new("openssl")
        .args(["x509", "-req", "-in", "collide.csr", "-CA", "other/ca.crt"])
        .args([
            "-CAkey",
            "other-ca.key",
            "-days",
            "30",
            "-set_serial",
            &serial,
        ])
        .args(["-out", "collide.crt"])
        .current_dir(dir));
    let crt = std::fs::read(dir.join("collide.crt")).unwrap();
    let fingerprint = run(Command::new("openssl")
        .args([
            "x509",
            "-noout",
            "-fingerprint",
            "-sha256",
            "-in",
            "collide.crt",
        ])
        .current_dir(dir));
    let fingerprint = fingerprint
        .trim()
        .rsplit('=')
        .next()
        .unwrap()
        .to_lowercase();
    let mut state: serde_json::Value =
        serde_json::from_slice(&std::fs::read(other.join("spec.json")).unwrap()).unwrap();
    let record = state["certificates"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|c| c["id"] == "clients/etcdctl")
        .unwrap();
    record["sha256_fingerprint"] = fingerprint.into();
    // Everything else spec.json says of it is what the certificate says (etcd-pki refuses a
    // record that disagrees with its certificate).
    let (_, pem) = x509_parser::pem::parse_x509_pem(&crt).unwrap();
    let info = pki_core::issue::IssuedCert::from_der(
        pem.contents,
        pki_core::KeyAlgorithm::EcdsaP256,
        "collide.crt",
    )
    .unwrap()
    .info;
    record["serial"] = info.serial.into();
    record["not_before"] = info.not_before.into();
    record["not_after"] = info.not_after.into();
    record["subject"] = info.subject.into();
    let paths: Vec<String> = record["paths"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap().to_string())
        .collect();
    let state = serde_json::to_vec_pretty(&state).unwrap();
    let mut input =
        zip::ZipArchive::new(std::fs::File::open(dir.join("other.zip")).unwrap()).unwrap();
    let out_path = dir.join("other-collide.zip");
    let mut out = zip::ZipWriter::new(std::fs::File::create(&out_path).unwrap());
    for i in 0..input.len() {
        let mut f = input.by_index(i).unwrap();
        let name = f.name().unwrap().to_string();
        let opts = zip::write::SimpleFileOptions::default();
        if f.is_dir() {
            out.add_directory(name, opts).unwrap();
            continue;
        }
        let mut bytes = Vec::new();
        f.read_to_end(&mut bytes).unwrap();
        if paths.contains(&name) {
            bytes = crt.clone();
        } else if name == "spec.json" {
            bytes = state.clone();
        }
        out.start_file(name, opts).unwrap();
        out.write_all(&bytes).unwrap();
    }
    out.finish().unwrap();
    out_path
}

/// The members' and clients' certificates of an unpacked bundle (not `ca.crt`, nor a kit's
/// `old-ca.crt`, `new-ca.crt`, `both-ca.crt`).
fn certs_of_members(dir: &Path) -> Vec<PathBuf> {
    certs(dir)
        .into_iter()
        .filter(|c| !c.to_string_lossy().ends_with("ca.crt"))
        .collect()
}

in_both_browsers!(revoke_timeline_lints_renew_ca);

/// "Rotate to a new CA" in the page on a bundle the CLI made (CA key encrypted): the kit's
/// CA is a new key, its every leaf verifies under it strictly with new keys, each member's
/// folder has the three phases' scripts and the kit has ROTATE.md; the new CA key is
/// downloaded apart, encrypted with a new passphrase (refused without one; the old key's does
/// not open it), and is the new CA's key.
fn rotate_ca_new_key(engine: Engine) {
    let Opened {
        mut b,
        _site,
        old,
        work,
    } = opened(engine, "daytwo-rotate");
    let dir = &work.0;
    let kit = dir.join("kit");
    // The new CA key needs its own passphrase: without one, rotation does not start and says
    // why beside the button.
    b.click("#rotate-ca-go");
    b.wait_for(
        "document.querySelector('#rotate-ca-why').textContent.includes('passphrase')",
        SECS,
        "the rotation asking for a new passphrase",
    );
    const NEW_PASSPHRASE: &str = "a new passphrase for the new CA";
    b.type_into("#ca-passphrase", NEW_PASSPHRASE);
    b.type_into("#ca-passphrase-confirm", NEW_PASSPHRASE);
    let summary = make_and_download(&mut b, "#rotate-ca-go", &kit);
    eprintln!("{}: the page says: {summary}", engine.name());
    // The new key's passphrase did its job: out of its fields (issue #21 item 14).
    b.wait_for(
        "document.querySelector('#ca-passphrase').value === '' && \
         document.querySelector('#ca-passphrase-confirm').value === ''",
        SECS,
        "the new CA key's passphrase out of its fields once the kit was made",
    );
    assert!(
        summary.contains("ROTATE.md") || summary.contains("rotate"),
        "{summary}"
    );
    b.click("#download-ca-key");
    let key = b.wait_download(".key", SECS);
    let key_text = std::fs::read_to_string(&key).unwrap();
    assert!(
        key_text.contains("ENCRYPTED PRIVATE KEY"),
        "the new CA key is not encrypted"
    );

    let new_ca = kit.join("ca.crt");
    let pubkey = |args: &[&str], f: &Path| run(Command::new("openssl").args(args).arg(f));
    let new_pub = pubkey(&["x509", "-noout", "-pubkey", "-in"], &new_ca);
    assert_ne!(
        new_pub,
        pubkey(&["x509", "-noout", "-pubkey", "-in"], &old.join("ca.crt"))
    );
    let key_pub = run(Command::new("openssl")
        .args([
            "pkey",
            "-pubout",
            "-passin",
            &format!("pass:{NEW_PASSPHRASE}"),
            "-in",
        ])
        .arg(&key));
    assert_eq!(key_pub, new_pub, "the downloaded key is not the new CA's");
    let old_pass = Command::new("openssl")
        .args([
            "pkey",
            "-noout",
            "-passin",
            &format!("pass:{PASSPHRASE}"),
            "-in",
        ])
        .arg(&key)
        .output()
        .unwrap();
    assert!(
        !old_pass.status.success(),
        "the new CA key opens with the old key's passphrase"
    );
    let leaves = certs_of_members(&kit);
    assert!(leaves.len() >= 7, "{leaves:?}");
    for c in leaves
        .iter()
        .filter(|c| !c.to_string_lossy().contains("/rotate/"))
    {
        run(Command::new("openssl")
            .args(["verify", "-x509_strict", "-CAfile"])
            .arg(&new_ca)
            .arg(c));
    }
    assert_ne!(
        std::fs::read(old.join("members/etcd1/pki/server.key")).unwrap(),
        std::fs::read(kit.join("members/etcd1/pki/server.key")).unwrap(),
        "etcd1's key was kept"
    );
    assert!(kit.join("ROTATE.md").exists(), "no ROTATE.md in the kit");
    let scripts: Vec<String> = std::fs::read_dir(kit.join("members/etcd1/rotate"))
        .expect("members/etcd1/rotate")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    for phase in ["trust-both", "reissue", "drop-old"] {
        assert!(
            scripts.iter().any(|s| s.contains(phase)),
            "no {phase} script: {scripts:?}"
        );
    }

    // The demo replaces the form: none of its rows is locked as the opened bundle's were
    // (row ids start over in every form).
    let locked = "document.querySelectorAll('[data-testid=row-locked]').length";
    assert_ne!(
        b.eval(locked),
        serde_json::json!(0),
        "the opened bundle's rows are locked"
    );
    b.click("#demo");
    wait(
        &mut b,
        "[...document.querySelectorAll('[data-testid=member-ips]')].every(i => i.value.startsWith('127.0.0.'))",
        Duration::from_secs(10),
        "the demo's members",
    );
    assert_eq!(
        b.eval(locked),
        serde_json::json!(0),
        "rows of the demo locked"
    );
    assert_eq!(
        b.eval("[...document.querySelectorAll('[data-testid=member-name]')].filter(i => i.disabled).length"),
        serde_json::json!(0)
    );

    // The kit, opened again while its steps may still run, makes no bundle (as the CLI's
    // --previous-rotation-done check): it says why under Generate and beside Revoke, until
    // the person says the rotation is done on every member.
    b.open(&_site.url, "#source-bundle");
    b.click("#source-bundle");
    wait(
        &mut b,
        "document.querySelector('#open-bundle-zip')",
        SECS,
        "the bundle picker",
    );
    b.set_file("#open-bundle-zip", &kit.with_extension("zip"));
    wait(
        &mut b,
        "document.querySelector('#kit-pending') && document.querySelector('#revoke-go')",
        Duration::from_secs(60),
        "the kit's pending rotation named",
    );
    let why = b.text("#generate-why").unwrap_or_default();
    assert!(
        why.contains("kit of a CA rotation") && why.contains("3-drop-old.sh"),
        "under Generate, a rotation kit opened: {why}"
    );
    b.click("#revoke-go");
    wait(
        &mut b,
        "document.querySelector('#revoke-error').textContent.includes('kit of a CA rotation')",
        SECS,
        "Revoke refusing the unfinished kit",
    );
    b.click("#previous-rotation-done");
    wait(
        &mut b,
        "!document.querySelector('#generate-why').textContent.includes('rotation')",
        SECS,
        "the refusal lifted once the rotation is said to be done",
    );
}

in_both_browsers!(rotate_ca_new_key);

/// The page's rotation test's network: 198.18.132.0/24 (no other test uses it).
const ROTATE_SUBNET: u8 = 132;

/// The page's *Rotate to a new CA* kit on a running cluster: a 3-member cluster (etcd 3.5.34,
/// or `ROTATE_ETCD`'s) runs from a bundle the CLI made (CA key encrypted) while a writer puts
/// a key every 50 ms; the page opens that bundle, unlocks its CA key, rotates with a new
/// passphrase for the new CA key and the kit and the key are downloaded. The kit's CA is the
/// page's new one (not the old; the downloaded key is its key), and the kit's three phases are
/// followed on the running cluster exactly as `tests/etcd/tests/rotate.rs` follows the
/// CLI's (`e2e_etcd::rotation::rotate_in_three_phases`: the refusals of out-of-order steps,
/// one restart per member in phases 1 and 3, the writer's client through the kit's client
/// steps). At the end every member trusts the new CA alone, the old CA's client certificate
/// is refused, every acknowledged write reads back and each failed write fell inside a
/// restart. Prints `PAGE-ROTATE etcd=… longest_gap_ms=… acked=… failed=… restarts=…`.
#[test]
fn page_rotation_kit_rotates_live_cluster_while_writing() {
    use e2e_etcd::rotation;
    let work = TempDir::new("daytwo-page-rotate");
    let t = work.0.clone();
    let cli = etcd_pki_bin();
    let old = cli_generate(&cli, &t, &rotation::spec(&t, ROTATE_SUBNET), "old.zip");

    let live = rotation::Live::start(ROTATE_SUBNET, &t, &old);

    // The page: open the CLI's bundle, unlock its CA key, rotate with a new passphrase for
    // the new CA key, download the kit and the new key.
    const NEW_PASSPHRASE: &str = "the new CA's own passphrase";
    let kit = t.join("kit");
    let key = {
        let site = Site::serve(site_dir());
        let mut b = Browser::launch(Engine::Chromium);
        open_and_unlock(&mut b, &site.url, &t.join("old.zip"), &t.join("ca.key"));
        b.type_into("#ca-passphrase", NEW_PASSPHRASE);
        b.type_into("#ca-passphrase-confirm", NEW_PASSPHRASE);
        let summary = make_and_download(&mut b, "#rotate-ca-go", &kit);
        eprintln!("the page says: {summary}");
        b.click("#download-ca-key");
        let downloaded = b.wait_download(".key", SECS);
        let key = t.join("ca-new.key");
        std::fs::copy(&downloaded, &key).unwrap();
        key
    };

    // The kit's CA is the page's new CA: another certificate and key than the old one, and
    // the key the page downloaded apart (opened with the new passphrase) is its key.
    let openssl = |args: &[&str], f: &Path| run(Command::new("openssl").args(args).arg(f));
    let (old_ca, new_ca) = (old.join("ca.crt"), kit.join("ca.crt"));
    assert_ne!(
        std::fs::read(&old_ca).unwrap(),
        std::fs::read(&new_ca).unwrap(),
        "the kit's ca.crt is the old CA's"
    );
    let new_pub = openssl(&["x509", "-noout", "-pubkey", "-in"], &new_ca);
    assert_ne!(
        new_pub,
        openssl(&["x509", "-noout", "-pubkey", "-in"], &old_ca),
        "the new CA has the old CA's key"
    );
    let pass = format!("pass:{NEW_PASSPHRASE}");
    assert_eq!(
        openssl(&["pkey", "-pubout", "-passin", &pass, "-in"], &key),
        new_pub,
        "the page's downloaded CA key is not the kit's CA's key"
    );

    // The kit's three phases on the running cluster, with the writer writing; prints the
    // PAGE-ROTATE line.
    rotation::rotate_in_three_phases(live, &kit, "PAGE-ROTATE");
}

/// The page's renewal test's network: 198.18.133.0/24 (no other test uses it).
const RENEW_CA_SUBNET: u8 = 133;

/// The page's *Renew the CA (same key)* on a running cluster: a 3-member cluster runs from a
/// bundle the CLI made while a writer writes; the page opens that bundle, unlocks its CA key
/// and renews the CA certificate; the downloaded kit's `rotate/renew-ca.sh` is followed on
/// each member (one restart each) and the client's `rotate-client.sh renew`, as
/// `tests/etcd/tests/rotate.rs` follows the CLI's (`e2e_etcd::rotation::
/// renew_in_one_rolling_restart`). The renewed CA has the old one's subject and key; at the end
/// every member uses it, nothing else changed, old and renewed CA files both work, every
/// acknowledged write reads back and each failed write fell inside a restart. Prints
/// `PAGE-RENEW-CA etcd=… longest_gap_ms=…`.
#[test]
fn page_ca_renewal_runs_on_live_cluster_while_writing() {
    use e2e_etcd::rotation;
    let work = TempDir::new("daytwo-page-renew-ca");
    let t = work.0.clone();
    let old = cli_generate(
        &etcd_pki_bin(),
        &t,
        &rotation::spec(&t, RENEW_CA_SUBNET),
        "old.zip",
    );
    let live = rotation::Live::start(RENEW_CA_SUBNET, &t, &old);

    let kit = t.join("kit");
    {
        let site = Site::serve(site_dir());
        let mut b = Browser::launch(Engine::Chromium);
        open_and_unlock(&mut b, &site.url, &t.join("old.zip"), &t.join("ca.key"));
        let summary = make_and_download(&mut b, "#renew-ca-go", &kit);
        eprintln!("the page says: {summary}");
        assert!(summary.contains("with the same key"), "{summary}");
    }
    let field = |cert: &Path, what: &str| {
        run(Command::new("openssl")
            .args(["x509", "-noout", what, "-in"])
            .arg(cert))
    };
    let (old_ca, new_ca) = (old.join("ca.crt"), kit.join("ca.crt"));
    assert_ne!(field(&old_ca, "-serial"), field(&new_ca, "-serial"));
    assert_eq!(field(&old_ca, "-subject"), field(&new_ca, "-subject"));
    assert_eq!(field(&old_ca, "-pubkey"), field(&new_ca, "-pubkey"));

    rotation::renew_in_one_rolling_restart(live, &kit, "PAGE-RENEW-CA");
}

/// A serial as openssl and pki-core both mean it: upper case, no colons, no leading zeros.
fn serial_key(s: &str) -> String {
    s.replace(':', "")
        .to_uppercase()
        .trim_start_matches('0')
        .to_string()
}

/// The serials of every leaf certificate (not the CA copies) under `dir`, by openssl.
fn leaf_serials(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = certs(dir)
        .iter()
        .filter(|c| !c.ends_with("ca.crt"))
        .map(|c| serial_key(&openssl_serial(c)))
        .collect();
    v.sort();
    v.dedup();
    v
}

/// The page's "Renew all" (new keys): its summary names the serials of exactly the old
/// certificates it replaced, as openssl reads them in the opened bundle, none of the new
/// bundle's, ready for Revoke's "serials of an earlier bundle".
fn page_renew_names_the_serials_to_revoke(engine: Engine) {
    let Opened {
        mut b,
        _site,
        old,
        work,
    } = opened(engine, "daytwo-renew");
    let dir = &work.0;
    b.click("#renew-all");
    wait(
        &mut b,
        "!document.querySelector('#generate').disabled",
        SECS,
        "Generate to be enabled",
    );
    let renewed = dir.join("renewed");
    let summary = make_and_download(&mut b, "#generate", &renewed);
    assert!(
        b.taken_names().iter().any(|n| n == "etcd-renew-g2.zip"),
        "the renewal's download name: {:?}",
        b.taken_names()
    );
    eprintln!("{}: the page says: {summary}", engine.name());
    // A renewal says what it did, nothing about members it did not add.
    assert!(
        summary.contains(" certificates renewed") && !summary.contains("members added"),
        "{summary}"
    );
    // No runbook installs a client's files: the summary names each renewed client's folder.
    assert!(
        summary.contains("then each renewed client")
            && summary.contains("clients/etcdctl/")
            && summary.contains("clients/kube-apiserver/"),
        "{summary}"
    );
    let (_, listed) = summary
        .split_once("as serials of an earlier bundle:")
        .unwrap_or_else(|| panic!("no serials to revoke in: {summary}"));
    let mut listed: Vec<String> = listed.split_whitespace().map(serial_key).collect();
    listed.sort();
    let old_serials = leaf_serials(&old);
    assert!(old_serials.len() >= 8, "{old_serials:?}");
    assert_eq!(listed, old_serials, "{summary}");
    let new_serials = leaf_serials(&renewed);
    assert!(
        new_serials.iter().all(|s| !listed.contains(s)),
        "a serial of the new bundle is listed: {summary}"
    );

    // Renewal with the same keys (`renew --keep-keys`): new certificates, every key as it was,
    // the download named for it. The renewal dropped the CA key and its passphrase: given
    // again for this one.
    assert_ca_key_dropped(&mut b);
    unlock(&mut b, &dir.join("ca.key"));
    b.click("#renew-keep-keys");
    wait(
        &mut b,
        "!document.querySelector('#generate').disabled",
        SECS,
        "Generate to be enabled",
    );
    let same = dir.join("same-keys");
    let summary = make_and_download(&mut b, "#generate", &same);
    assert!(summary.contains("0 keys changed"), "{summary}");
    assert!(
        b.taken_names()
            .iter()
            .any(|n| n == "etcd-renew-same-keys-g2.zip"),
        "the same-key renewal's download name: {:?}",
        b.taken_names()
    );
    for f in [
        "members/etcd1/pki/server.key",
        "members/etcd2/pki/peer.key",
        "clients/etcdctl/client.key",
    ] {
        assert_eq!(
            std::fs::read(old.join(f)).unwrap(),
            std::fs::read(same.join(f)).unwrap(),
            "{f} changed in a renewal that keeps the keys"
        );
    }
    assert_ne!(
        openssl_serial(&old.join("members/etcd1/pki/server.crt")),
        openssl_serial(&same.join("members/etcd1/pki/server.crt")),
        "etcd1's certificate was not renewed"
    );

    // The renewed bundle (generation 2) opened, then the old one (generation 1): the page
    // says the second is older than one opened before.
    let pick = |b: &mut Browser, zip: &Path| {
        b.set_file("#open-bundle-zip", zip);
        let name = zip.file_name().unwrap().to_string_lossy().into_owned();
        wait(
            b,
            &format!(
                "document.querySelector('#open-bundle-zip').closest('.drop').textContent.includes('Read: {name}')"
            ),
            Duration::from_secs(60),
            "the bundle opened",
        );
    };
    pick(&mut b, &renewed.with_extension("zip"));
    assert_eq!(
        b.eval("!!document.querySelector('#bundle-older')"),
        serde_json::json!(false)
    );
    pick(&mut b, &dir.join("old.zip"));
    wait(
        &mut b,
        "document.querySelector('#bundle-older')",
        SECS,
        "the older bundle named",
    );
    let said = b.text("#bundle-older").unwrap();
    assert!(
        said.contains("old.zip is generation 1") && said.contains("renewed.zip (generation 2)"),
        "{said}"
    );
}

in_both_browsers!(page_renew_names_the_serials_to_revoke);

/// The page's Revoke on a running cluster: its network, 198.18.131.0/24 (no other test uses it).
const REVOKE_SUBNET: u8 = 131;

/// The page's Revoke, proven where it matters: three etcd 3.4 members run from a bundle the
/// CLI made, with CRLs on from the start (its first, empty CRL and the drop-in's settings),
/// and bob writes every 50 ms (each put its own TLS handshake, so each reads the CRL). The page
/// opens that bundle, unlocks its CA key and revokes alice by name; the downloaded bundle's
/// `install-crl.sh` runs on each member's machine, no restart. Then alice's next connection is
/// refused by every member (etcd's log names her serial), bob and the admin are not. Then
/// etcd3 leaves the cluster; the CLI makes the bundle without it from the page's, the page
/// revokes etcd3 by name in it, and after `install-crl.sh` on the two members left etcd3's peer
/// certificate is refused on their peer ports while theirs are not. Every write bob had
/// acknowledged is read back. Prints `PAGE-REVOKE … longest_gap_ms=…`.
#[test]
fn page_revocation_refuses_the_client_on_a_live_cluster() {
    let work = TempDir::new("daytwo-page-revoke");
    let t = work.0.clone();
    let cli = etcd_pki_bin();
    let ip = |i: usize| format!("198.18.{REVOKE_SUBNET}.{i}");
    let url = |i: usize| format!("https://{}:2379", ip(i));
    let spec = serde_json::json!({
        "cluster_name": "pagerevoke",
        "etcd_version": "3.4",
        "nodes": (1..=3).map(|i| serde_json::json!({"name": format!("etcd{i}"), "ips": [ip(i)]}))
            .collect::<Vec<_>>(),
        "clients": [
            {"name": "etcdctl", "common_name": "root", "kind": "etcdctl"},
            {"name": "alice", "common_name": "alice"},
            {"name": "bob", "common_name": "bob"}
        ],
        "cert_dir": format!("{}/hosts/{{name}}/pki", t.display()),
        "data_dir": format!("{}/hosts/{{name}}/data", t.display()),
    });
    cli_generate(&cli, &t, &spec.to_string(), "gen.zip");
    // The first CRL, empty: `etcd-pki revoke` naming nothing.
    let said = run(Command::new(&cli)
        .args(["revoke", "--from", "gen.zip", "--ca-key", "ca.key"])
        .args(["--ca-passphrase-file", "pass.txt", "--out", "r0.zip"])
        .current_dir(&t));
    assert!(said.contains("first CRL"), "{said}");
    let r0 = t.join("r0");
    unzip(&t.join("r0.zip"), &r0);

    // The members, with the CRL settings of the bundle's drop-in, as systemd would pass them.
    let logs = t.join("logs");
    std::fs::create_dir_all(&logs).unwrap();
    let mut cluster = LiveCluster::new(REVOKE_SUBNET, Path::new("/usr/bin/etcd"), &logs);
    revocation::start_with_crl(&mut cluster, &r0, 3, |_| Vec::new());
    let all = (1..=3).map(url).collect::<Vec<_>>().join(",");
    let admin = r0.join("clients/etcdctl");
    let healthy = wait_for(Duration::from_secs(60), || {
        etcdctl_as(&admin, &all, "endpoint health --cluster")
    });
    assert!(
        healthy.is_ok(),
        "the 3-member cluster did not start: {healthy:?}\n{}",
        cluster.log_tails(15)
    );
    let (alice, bob) = (r0.join("clients/alice"), r0.join("clients/bob"));
    // Bob writes through etcd1 and etcd2 (etcd3 leaves later).
    let (writer, bob_target) = revocation::writer_as(&bob, (1..=2).map(url).collect(), &cluster);
    for i in 1..=3 {
        let (ok, out) = etcdctl_as(&alice, &url(i), "put /alice before");
        assert!(
            ok,
            "alice cannot write to etcd{i} before her revocation: {out}"
        );
    }

    // The page: open r0.zip, unlock the CA key, revoke alice by name, download.
    let site = Site::serve(site_dir());
    let mut b = Browser::launch(Engine::Chromium);
    open_and_unlock(&mut b, &site.url, &t.join("r0.zip"), &t.join("ca.key"));
    b.click("#revoke-client-alice");
    b.type_into("#revoke-reason", "key-compromise");
    let r1 = t.join("r1");
    let summary = make_and_download(&mut b, "#revoke-go", &r1);
    eprintln!("the page says: {summary}");
    assert!(
        summary.contains("clients/alice") && summary.contains("bash rbac-revoke.sh"),
        "{summary}"
    );
    drop(b);

    // install-crl.sh from the page's bundle on each member's machine, etcd running.
    let from = e2e_etcd::writer::epoch_now();
    for i in 1..=3 {
        let (code, out) = revocation::install_crl(&cluster, &r1, i, i);
        println!("--- on etcd{i}: bash members/etcd{i}/install-crl.sh (the page's)\n{out}");
        assert_eq!(code, 0, "install-crl.sh on etcd{i}:\n{out}");
        assert!(
            out.contains("1 revoked serial(s)")
                && out.contains(
                    "the CRL is in force now for every new connection; etcd was not restarted"
                ),
            "{out}"
        );
    }
    // Alice is refused by every member, and etcd says why; bob and the admin are not.
    let alice_serial = openssl_serial(&alice.join("client.crt"));
    for i in 1..=3 {
        let (ok, out) = etcdctl_as(&alice, &url(i), "put /alice after");
        assert!(!ok, "revoked alice still writes to etcd{i}: {out}");
        let (ok, out) = etcdctl_as(&bob, &url(i), "put /bob after");
        assert!(ok, "bob is refused by etcd{i}: {out}");
        let (ok, out) = etcdctl_as(&admin, &url(i), "get /alice before");
        assert!(ok, "the admin is refused by etcd{i}: {out}");
        let log = cluster
            .member(&format!("etcd{i}"))
            .proc
            .as_ref()
            .unwrap()
            .log_text();
        assert!(
            log.contains(&format!("certificate serial {alice_serial} revoked")),
            "etcd{i}'s log does not say alice's serial {alice_serial} was revoked"
        );
    }
    assert!(
        writer.wait_for_acks(20, Duration::from_secs(30)),
        "bob stopped writing after the CRL"
    );

    // A removed member: etcd3 leaves the cluster (its peer certificate still reads the
    // others' peer API: only a CRL stops it), the CLI makes the bundle without it from the
    // page's, and the page revokes etcd3 by name in that bundle.
    revocation::remove_member(&admin, &url(1), "etcd3", &url(3));
    let peer = |i: usize| format!("https://{}:2380", ip(i));
    let (ok, out) = revocation::peer_get(&cluster, &r0, 3, 3, &peer(1));
    assert!(
        ok,
        "etcd3's peer certificate is refused before its revocation: {out}"
    );
    run(Command::new(&cli)
        .args(["remove-member", "--from", "r1.zip", "--ca-key", "ca.key"])
        .args(["--ca-passphrase-file", "pass.txt", "--name", "etcd3"])
        .args(["--out", "r2.zip"])
        .current_dir(&t));
    let r3 = t.join("r3");
    {
        let mut b = Browser::launch(Engine::Chromium);
        open_and_unlock(&mut b, &site.url, &t.join("r2.zip"), &t.join("ca.key"));
        b.click("#revoke-member-etcd3");
        b.type_into("#revoke-reason", "cessation-of-operation");
        let summary = make_and_download(&mut b, "#revoke-go", &r3);
        eprintln!("the page says: {summary}");
        // A member has no etcd user: no rbac-revoke.sh step (alice's was named before).
        assert!(
            summary.contains("members/etcd3/peer") && !summary.contains("rbac-revoke.sh"),
            "{summary}"
        );
    }
    let crl = run(Command::new("openssl")
        .args(["crl", "-inform", "DER", "-noout", "-text", "-in"])
        .arg(r3.join("members/etcd1/pki/crl.der")))
    .to_lowercase();
    for cert in ["server.crt", "peer.crt"] {
        let serial = openssl_serial(&r0.join("members/etcd3/pki").join(cert));
        assert!(
            crl.contains(&serial),
            "etcd3's {cert} ({serial}) is not on the CRL:\n{crl}"
        );
    }
    for i in 1..=2 {
        let (code, out) = revocation::install_crl(&cluster, &r3, i, i);
        println!(
            "--- on etcd{i}: bash members/etcd{i}/install-crl.sh (the page's, etcd3 revoked)\n{out}"
        );
        assert_eq!(code, 0, "install-crl.sh on etcd{i}:\n{out}");
        assert!(
            out.contains("CRL number 03, 3 revoked serial(s)")
                && out.contains("etcd was not restarted"),
            "{out}"
        );
    }
    for i in 1..=2 {
        let (ok, out) = revocation::peer_get(&cluster, &r0, 3, 3, &peer(i));
        assert!(!ok, "revoked etcd3 still reads etcd{i}'s peer API: {out}");
    }
    let (ok, out) = revocation::peer_get(&cluster, &r0, 2, 2, &peer(1));
    assert!(ok, "etcd2's peer certificate is refused by etcd1: {out}");
    let (ok, out) = revocation::peer_get(&cluster, &r0, 1, 1, &peer(2));
    assert!(ok, "etcd1's peer certificate is refused by etcd2: {out}");
    let (ok, out) = etcdctl_as(
        &admin,
        &format!("{},{}", url(1), url(2)),
        "endpoint health --cluster",
    );
    assert!(ok, "the two remaining members are not healthy: {out}");
    assert!(
        writer.wait_for_acks(20, Duration::from_secs(30)),
        "bob stopped writing after etcd3's revocation"
    );
    let to = e2e_etcd::writer::epoch_now();
    let report = writer.stop();
    let missing = e2e_etcd::verify_all_acked(&report.acked(), &bob_target);
    assert!(missing.is_empty(), "acknowledged writes lost: {missing:?}");
    // Bob's files never change, so not one of his handshakes may fail: a CRL swapped in two
    // steps (a moment with no file rejects every connection) would show here. A put may only
    // time out when the machine is overloaded (curl's 2 s limit).
    assert!(report.retried().is_empty(), "{:?}", report.retried());
    let refused = report.refusals();
    assert!(refused.is_empty(), "bob's writes failed: {refused:?}");
    assert_eq!(cluster.restarts(), 0, "a member was restarted");
    // Only etcd3 may have exited: a member removed from the cluster stops itself.
    let died = cluster.died();
    assert!(died.iter().all(|m| m == "etcd3"), "{died:?}");
    println!(
        "PAGE-REVOKE etcd=3.4.23 {} restarts=0 (from the first install-crl.sh on: {})",
        report.summary(),
        report.between(from, to).summary()
    );
}
