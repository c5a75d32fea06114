//! After generating, in Chromium and Firefox ESR: the cluster drawn (members with addresses
//! and ports, clients, the CA signing them) and redrawn as the table is edited; "Next steps"
//! per member, the same commands as the README in the downloaded zip; the file tree open on
//! the member just added; and every certificate in the tree shown as openssl reads it
//! (subject, SANs, EKU, validity, SHA-256 fingerprint). A bundle of 20 members and 60 clients:
//! its drawing and next steps, shown a chunk at a time, end up whole, the clients' steps past
//! the first 24 come on request, and each file's text (sent apart from the listing) is its own.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use e2e_browser::{Browser, Engine, Site, TempDir, in_both_browsers, site_dir};
use serde_json::{Value, json};

const SECS: Duration = Duration::from_secs(60);

in_both_browsers!(diagram_next_steps_and_certificates, long_lists_arrive_whole);

fn count(b: &mut Browser, selector: &str) -> u64 {
    b.eval(&format!("document.querySelectorAll({selector:?}).length"))
        .as_u64()
        .unwrap()
}

fn openssl(dir: &Path, args: &[&str]) -> String {
    let o = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(o.status.success(), "openssl {args:?}");
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// `Nov 27 06:51:57 2028 GMT` or `2028-11-27T06:51:57Z` as seconds since 1970.
fn epoch(date: &str) -> i64 {
    let o = Command::new("date")
        .args(["-u", "-d", date, "+%s"])
        .output()
        .unwrap();
    String::from_utf8_lossy(&o.stdout).trim().parse().unwrap()
}

/// `CN=root, O=ops` or `O=ops,CN=root` as a set of `K=V`.
fn dn(s: &str) -> BTreeSet<String> {
    s.split(',')
        .map(|p| p.trim().to_string())
        .filter(|p| !p.is_empty())
        .collect()
}

fn words(s: &str) -> BTreeSet<String> {
    s.split([',', ' '])
        .map(|p| p.trim().to_string())
        .filter(|p| !p.is_empty())
        .collect()
}

/// The certificate view as (row title, value).
fn cert_view(b: &mut Browser) -> Value {
    b.eval("Object.fromEntries([...document.querySelectorAll('#cert-info tr')].map(r => [r.cells[0].innerText.trim(), r.cells[1].innerText.trim()]))")
}

fn diagram_next_steps_and_certificates(engine: Engine) {
    let site = Site::serve(site_dir());
    let mut b = Browser::launch(engine);
    b.open(&site.url, "#member-add");
    b.click("#member-add");
    let row = "[data-testid=member-row]:nth-child(4)";
    b.type_into(&format!("{row} [data-testid=member-name]"), "etcd4");
    b.type_into(
        &format!("{row} [data-testid=member-ips]"),
        "10.0.0.4, fd00::4",
    );
    b.protect_ca_key("correct horse battery staple");
    assert_eq!(
        count(&mut b, "#cluster-diagram"),
        0,
        "a diagram before generating"
    );
    b.generate(SECS);

    // The drawing: the CA, four members with their addresses and ports, the client.
    b.wait_for(
        "document.querySelector('#cluster-diagram')",
        SECS,
        "the diagram",
    );
    // root+issuing (the default): the root above the issuing CA, which signs the rest.
    assert_eq!(count(&mut b, "[data-testid=diagram-root]"), 1);
    assert_eq!(count(&mut b, "[data-testid=diagram-ca]"), 1);
    let issuing = b
        .eval("document.querySelector('[data-testid=diagram-ca]').textContent")
        .as_str()
        .unwrap()
        .to_string();
    assert!(issuing.starts_with("issuing CA"), "{issuing}");
    assert!(
        b.eval("document.querySelector('[data-testid=diagram-root] rect').getBBox().y < document.querySelector('[data-testid=diagram-ca] rect').getBBox().y") == json!(true),
        "the root is not above the issuing CA"
    );
    assert_eq!(count(&mut b, "[data-testid=diagram-member]"), 4);
    let clients = count(&mut b, "[data-testid=client-row]");
    assert!(clients >= 1);
    assert_eq!(count(&mut b, "[data-testid=diagram-client]"), clients);
    let m4 = b
        .eval("document.querySelector('[data-testid=diagram-member][data-name=etcd4]').textContent")
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        m4.contains("etcd4")
            && m4.contains("10.0.0.4, fd00::4")
            && m4.contains("client :2379 · peer :2380"),
        "{m4}"
    );
    // Every box the CA signed has its line: spine and buses, plus one drop per box, and the
    // root's line to the issuing CA.
    assert!(count(&mut b, "[data-testid=diagram-signs] line") >= 4 + clients + 3);
    let desc = b.text("#cluster-diagram-desc").unwrap_or_default();
    let desc = if desc.is_empty() {
        b.eval("document.querySelector('#cluster-diagram-desc').textContent")
            .as_str()
            .unwrap()
            .to_string()
    } else {
        desc
    };
    assert!(desc.contains("etcd4 at 10.0.0.4, fd00::4"), "{desc}");
    assert!(desc.starts_with("A root CA"), "{desc}");
    b.screenshot(
        &e2e_browser::workspace_root()
            .join(format!("tests/artifacts/results-{engine:?}.png").to_lowercase()),
    );

    // The tree is open on the member just added, and not on the others.
    let open = |b: &mut Browser, dir: &str| {
        b.eval(&format!(
            "document.querySelector('details[data-dir=\"{dir}\"]').open"
        ))
    };
    assert_eq!(open(&mut b, "members/"), json!(true));
    assert_eq!(open(&mut b, "members/etcd4/"), json!(true));
    assert_eq!(open(&mut b, "members/etcd4/pki/"), json!(true));
    assert_eq!(open(&mut b, "members/etcd1/"), json!(false));

    // Next steps for etcd4: which folder to which host, the one command there, the check.
    let steps = b
        .text("[data-testid=member-steps][data-name=etcd4]")
        .unwrap();
    for want in [
        "scp -r members/etcd4 root@10.0.0.4:etcd-pki-etcd4",
        "ssh root@10.0.0.4 'cd etcd-pki-etcd4 && bash install.sh'",
        "systemctl enable --now etcd",
        "bash verify.sh --health",
    ] {
        assert!(steps.contains(want), "{want} not in {steps}");
    }
    let cluster = b.text("[data-testid=cluster-steps]").unwrap();
    assert!(
        cluster.contains("etcdctl endpoint health --cluster") && cluster.contains("bash rbac.sh"),
        "{cluster}"
    );
    let etcd1 = b
        .text("[data-testid=member-steps][data-name=etcd1]")
        .unwrap();

    // The same steps are in the README of the zip.
    b.click("#download");
    let zip = b.wait_download("etcd-generate-g1.zip", SECS);
    let tmp = TempDir::new("results-zip");
    e2e_browser::unzip(&zip, &tmp.0);
    let readme = std::fs::read_to_string(tmp.0.join("README.md")).unwrap();
    for line in etcd1
        .lines()
        .filter(|l| l.starts_with("scp ") || l.starts_with("ssh ") || l.starts_with("bash "))
    {
        assert!(readme.contains(line), "README.md lacks {line}");
    }
    for line in cluster.lines().filter(|l| l.starts_with("etcdctl ")) {
        assert!(readme.contains(line), "README.md lacks {line}");
    }

    // Every certificate, as the page shows it and as openssl reads it.
    let certs: Vec<String> = serde_json::from_value(b.eval(
        "[...document.querySelectorAll('[data-testid=file-entry]')].map(a => a.dataset.path).filter(p => p.endsWith('.crt'))",
    ))
    .unwrap();
    // The CA, and three per member (its copy of the CA, server, peer).
    assert!(certs.len() > 4 * 3, "{certs:?}");
    for path in &certs {
        b.click(&format!("[data-testid=file-entry][data-path=\"{path}\"]"));
        b.wait_for(
            &format!(
                "document.querySelector('.viewer-head code').innerText === {path:?} && document.querySelector('#cert-info')"
            ),
            SECS,
            path,
        );
        let v = cert_view(&mut b);
        let get = |k: &str| v[k].as_str().unwrap_or("").to_string();
        let o = openssl(
            &tmp.0,
            &[
                "x509",
                "-in",
                path,
                "-noout",
                "-nameopt",
                "RFC2253",
                "-subject",
                "-startdate",
                "-enddate",
                "-fingerprint",
                "-sha256",
                "-ext",
                "subjectAltName,extendedKeyUsage",
            ],
        );
        let field = |prefix: &str| {
            o.lines()
                .find_map(|l| l.strip_prefix(prefix))
                .unwrap_or_else(|| panic!("{path}: no {prefix} in {o}"))
                .trim()
                .to_string()
        };
        assert_eq!(
            dn(&get("Subject")),
            dn(&field("subject=")),
            "{path} subject"
        );
        assert_eq!(
            epoch(&get("Valid until")),
            epoch(&field("notAfter=")),
            "{path} validity"
        );
        assert_eq!(
            epoch(&get("Valid from")),
            epoch(&field("notBefore=")),
            "{path} validity"
        );
        assert_eq!(
            get("SHA-256").replace(':', "").to_lowercase(),
            field("sha256 Fingerprint=").replace(':', "").to_lowercase(),
            "{path} fingerprint"
        );
        // SANs and EKU as openssl prints them under their headings.
        let after = |heading: &str| {
            let mut it = o.lines().skip_while(|l| !l.contains(heading));
            it.next().and(it.next()).unwrap_or("").trim().to_string()
        };
        let mut sans = BTreeSet::new();
        for s in after("Subject Alternative Name").split(", ") {
            if let Some(ip) = s.strip_prefix("IP Address:") {
                sans.insert(ip.parse::<std::net::IpAddr>().unwrap().to_string());
            } else if let Some(d) = s.strip_prefix("DNS:") {
                sans.insert(d.to_string());
            }
        }
        let mut shown = words(&get("IP SANs"));
        shown.extend(words(&get("DNS SANs")));
        assert_eq!(shown, sans, "{path} SANs");
        let eku: BTreeSet<String> = after("Extended Key Usage")
            .split(", ")
            .filter_map(|e| match e {
                "TLS Web Server Authentication" => Some("serverAuth".to_string()),
                "TLS Web Client Authentication" => Some("clientAuth".to_string()),
                _ => None,
            })
            .collect();
        assert_eq!(words(&get("Extended key usage")), eku, "{path} EKU");
    }

    // The drawing follows the table: a new address, a new client, a member removed.
    b.type_into(&format!("{row} [data-testid=member-ips]"), "10.0.0.44");
    b.wait_for(
        "document.querySelector('[data-testid=diagram-member][data-name=etcd4]').textContent.includes('10.0.0.44')",
        SECS,
        "the diagram to show the new address",
    );
    assert!(
        b.text("#diagram-changed").is_some(),
        "no note that the files are older"
    );
    b.click("#client-add");
    b.wait_for(
        &format!(
            "document.querySelectorAll('[data-testid=diagram-client]').length === {}",
            clients + 1
        ),
        SECS,
        "the new client in the diagram",
    );
    b.click("[data-testid=member-row]:nth-child(2) [data-testid=member-remove]");
    b.wait_for(
        "document.querySelectorAll('[data-testid=diagram-member]').length === 3 && !document.querySelector('[data-testid=diagram-member][data-name=etcd2]')",
        SECS,
        "etcd2 to leave the diagram",
    );
    assert!(b.exceptions().is_empty(), "{:?}", b.exceptions());
}

fn long_lists_arrive_whole(engine: Engine) {
    let spec = e2e_browser::wide_spec("wide", 20, 60, |i| format!("10.0.1.{i}"));
    let tmp = TempDir::new("wide-spec");
    let file = tmp.0.join("wide.json");
    std::fs::write(&file, spec).unwrap();
    let site = Site::serve(site_dir());
    let mut b = Browser::launch(engine);
    b.open(&site.url, "#generate");
    b.set_file("#spec-import", &file);
    b.wait_for(
        "document.querySelectorAll('[data-testid=member-row]').length === 20",
        SECS,
        "the imported 20 members",
    );
    // One CA (no root, whose key would need a passphrase), its key unencrypted.
    b.type_into("#opt-ca-layout", "single");
    b.click("#ca-unencrypted");
    b.generate(SECS);
    b.wait_for(
        "document.querySelectorAll('[data-testid=diagram-client]').length === 60 \
         && document.querySelectorAll('[data-testid=diagram-member]').length === 20 \
         && document.querySelectorAll('[data-testid=member-steps]').length === 20",
        SECS,
        "the whole drawing and every member's steps",
    );
    assert_eq!(count(&mut b, "[data-testid=diagram-ca]"), 1);
    // Every box has its signing line: the CA's, a bus per row (12 + 4), one per box, the spine.
    assert_eq!(
        count(&mut b, "[data-testid=diagram-signs] line"),
        1 + 16 + 80 + 1
    );
    assert_eq!(count(&mut b, "[data-testid=client-steps]"), 24);
    let last = b
        .eval("[...document.querySelectorAll('[data-testid=client-steps]')].pop().dataset.name")
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(last, "client24");
    b.click("#all-client-steps");
    b.wait_for(
        "document.querySelectorAll('[data-testid=client-steps]').length === 60 && !document.querySelector('#all-client-steps')",
        SECS,
        "every client's steps",
    );
    let names: Vec<String> = b
        .eval(
            "[...document.querySelectorAll('[data-testid=client-steps]')].map(e => e.dataset.name)",
        )
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        names,
        (1..=60).map(|i| format!("client{i}")).collect::<Vec<_>>()
    );

    // Each file's text is its own: the certificate shown for client37 and etcd20 names them.
    let dir = TempDir::new("wide-view");
    for (path, cn) in [
        ("clients/client37/client.crt", "user37"),
        ("members/etcd20/pki/server.crt", "etcd20"),
    ] {
        b.click(&format!("[data-testid=file-entry][data-path=\"{path}\"]"));
        b.wait_for(
            &format!("document.querySelector('.viewer-head code') && document.querySelector('.viewer-head code').textContent === {path:?}"),
            SECS,
            "the file view",
        );
        let pem = b.text("#file-view").unwrap();
        std::fs::write(dir.0.join("shown.crt"), &pem).unwrap();
        let subject = openssl(&dir.0, &["x509", "-in", "shown.crt", "-noout", "-subject"]);
        assert!(
            subject.contains(&format!("CN = {cn}")) || subject.contains(&format!("CN={cn}")),
            "{path}: {subject}"
        );
    }
    assert!(b.exceptions().is_empty(), "{:?}", b.exceptions());
}
