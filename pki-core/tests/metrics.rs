//! Expiry as a metric, with the real tools: a member's `metrics/etcd-pki-metrics.sh` run over
//! its certificates as its install.sh installed them, and scraped by a running node_exporter (Debian's
//! prometheus-node-exporter, on loopback) — a certificate replaced where it is installed shows
//! in the next scrape, so the metrics follow the files etcd uses, not the bundle; the bundle's
//! alerting rules through `promtool check rules` and `promtool test rules` (series that must and
//! must not fire, pki-core/tests/prometheus/); and `renewal.ics`.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use pki_core::{Bundle, ClusterSpec, OffsetDateTime, PrivateKey};

fn scratch(tag: &str) -> PathBuf {
    let p = std::env::temp_dir().join(format!("epki-metrics-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&p);
    std::fs::create_dir_all(&p).unwrap();
    p
}

fn bundle(cert_days: u32) -> Bundle {
    let mut s = ClusterSpec::template();
    s.cert_validity_days = cert_days;
    pki_core::generate_with_keys(&s, OffsetDateTime::now_utc(), |r| {
        PrivateKey::generate(r.algorithm)
    })
    .unwrap()
}

/// The member's folder installed by its own install.sh under `root` (ETCD_PKI_ROOT, as
/// tests/etcd/tests/install.rs does; --force: this machine has none of the member's
/// addresses). Returns the cert_dir etcd reads.
fn install(b: &Bundle, member: &str, root: &Path) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let folder = root.with_extension("bundle");
    let prefix = format!("members/{member}/");
    for f in b.files.iter().filter(|f| f.path.starts_with(&prefix)) {
        let to = folder.join(&f.path[prefix.len()..]);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::write(&to, &f.contents).unwrap();
        std::fs::set_permissions(&to, std::fs::Permissions::from_mode(f.mode)).unwrap();
    }
    std::fs::create_dir_all(root.join("etc")).unwrap();
    std::fs::write(root.join("etc/os-release"), "ID=debian\n").unwrap();
    let out = Command::new("bash")
        .args(["install.sh", "--force"])
        .current_dir(&folder)
        .env("ETCD_PKI_ROOT", root)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "install.sh: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    root.join("etc/etcd/pki")
}

fn run_script(b: &Bundle, member: &str, root: &Path, textfiles: &Path) {
    let script = root.join("etcd-pki-metrics.sh");
    let file = b
        .file(&format!("members/{member}/metrics/etcd-pki-metrics.sh"))
        .expect("the member folder carries the metrics script");
    assert_eq!(file.mode, 0o755);
    std::fs::write(&script, &file.contents).unwrap();
    let out = Command::new("bash")
        .arg(&script)
        .env("ETCD_PKI_ROOT", root)
        .env("ETCD_PKI_TEXTFILE_DIR", textfiles)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn openssl(args: &[&str], file: &Path) -> String {
    let out = Command::new("openssl")
        .args(args)
        .arg("-in")
        .arg(file)
        .output()
        .unwrap();
    assert!(out.status.success());
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// notAfter of `file` as Unix time, by openssl and date(1): independent of the script.
fn not_after(file: &Path) -> i64 {
    let end = openssl(&["x509", "-noout", "-enddate"], file);
    let out = Command::new("date")
        .args(["-u", "+%s", "-d", end.trim_start_matches("notAfter=")])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
}

struct Exporter(Child);

impl Drop for Exporter {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Debian's node_exporter with only the textfile collector, on a loopback port.
fn start_exporter(textfiles: &Path) -> (Exporter, u16) {
    let port = free_port();
    let child = Command::new("prometheus-node-exporter")
        .arg("--collector.disable-defaults")
        .arg("--collector.textfile")
        .arg(format!(
            "--collector.textfile.directory={}",
            textfiles.display()
        ))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("prometheus-node-exporter (scripts/setup.sh installs it)");
    let e = Exporter(child);
    let start = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "node_exporter did not listen"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    (e, port)
}

fn scrape(port: u16) -> String {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        s,
        "GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\nAccept: text/plain\r\n\r\n"
    )
    .unwrap();
    let mut body = String::new();
    s.read_to_string(&mut body).unwrap();
    assert!(body.starts_with("HTTP/1.0 200"), "{body}");
    body
}

/// The line of `metric` whose labels include every one of `labels`.
fn sample(scraped: &str, metric: &str, labels: &[&str]) -> Option<f64> {
    scraped
        .lines()
        .filter(|l| l.starts_with(&format!("{metric}{{")) || l.starts_with(&format!("{metric} ")))
        .find(|l| labels.iter().all(|x| l.contains(x)))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

#[test]
fn node_exporter_scrapes_the_installed_certificates_end_dates() {
    let dir = scratch("scrape");
    let (root, textfiles) = (dir.join("root"), dir.join("textfile"));
    std::fs::create_dir_all(&textfiles).unwrap();
    let b = bundle(825);
    let cert_dir = install(&b, "etcd1", &root);
    run_script(&b, "etcd1", &root, &textfiles);
    let written = std::fs::read_to_string(textfiles.join("etcd-pki.prom")).unwrap();
    // promtool's own lint of the exposition format and metric names.
    let mut lint = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    lint.stdin
        .take()
        .unwrap()
        .write_all(written.as_bytes())
        .unwrap();
    let lint = lint.wait_with_output().unwrap();
    assert!(
        lint.status.success(),
        "{}{}",
        String::from_utf8_lossy(&lint.stdout),
        String::from_utf8_lossy(&lint.stderr)
    );

    let (_exporter, port) = start_exporter(&textfiles);
    let scraped = scrape(port);
    assert_eq!(
        sample(&scraped, "node_textfile_scrape_error", &[]),
        Some(0.0),
        "node_exporter parsed the file"
    );
    let cluster = &b.cluster_name;
    let labels = |role: &str, file: &str| -> Vec<String> {
        vec![
            format!("cluster=\"{cluster}\""),
            "member=\"etcd1\"".into(),
            format!("role=\"{role}\""),
            format!("path=\"{}\"", cert_dir.join(file).display()),
        ]
    };
    for (role, file) in [
        ("ca", "ca.crt"),
        ("server", "server.crt"),
        ("peer", "peer.crt"),
    ] {
        let installed = cert_dir.join(file);
        let serial = openssl(&["x509", "-noout", "-serial"], &installed);
        let mut want = labels(role, file);
        want.push(format!(
            "serial=\"{}\"",
            serial.trim_start_matches("serial=")
        ));
        let want: Vec<&str> = want.iter().map(String::as_str).collect();
        assert_eq!(
            sample(&scraped, "etcd_pki_certificate_not_after_seconds", &want),
            Some(not_after(&installed) as f64),
            "{role} in\n{scraped}"
        );
        let ok: Vec<String> = labels(role, file);
        let ok: Vec<&str> = ok.iter().map(String::as_str).collect();
        assert_eq!(
            sample(&scraped, "etcd_pki_certificate_readable", &ok),
            Some(1.0)
        );
    }
    assert_eq!(
        sample(&scraped, "etcd_pki_crl_next_update_seconds", &[]),
        None,
        "no CRL installed, no CRL metric"
    );
    let written_at = sample(&scraped, "etcd_pki_metrics_written_seconds", &[]).unwrap();
    let now = OffsetDateTime::now_utc().unix_timestamp() as f64;
    assert!((now - written_at).abs() < 120.0, "{written_at} vs {now}");

    // The installed server certificate replaced by a renewed one (20 days), a CRL installed,
    // the peer certificate gone: the next run and scrape show the installed state.
    let renewed = bundle(20);
    std::fs::write(
        cert_dir.join("server.crt"),
        &renewed
            .file("members/etcd1/pki/server.crt")
            .unwrap()
            .contents,
    )
    .unwrap();
    std::fs::remove_file(cert_dir.join("peer.crt")).unwrap();
    let crl = crl_der(&b, 3);
    std::fs::write(cert_dir.join("crl.der"), &crl).unwrap();
    run_script(&b, "etcd1", &root, &textfiles);
    let scraped = scrape(port);
    let server = labels("server", "server.crt");
    let server: Vec<&str> = server.iter().map(String::as_str).collect();
    let left = sample(&scraped, "etcd_pki_certificate_not_after_seconds", &server).unwrap() - now;
    assert!(
        (19.0 * 86400.0..=20.0 * 86400.0 + 600.0).contains(&left),
        "the installed (renewed) server certificate, not the bundle's: {left}"
    );
    let peer = labels("peer", "peer.crt");
    let peer: Vec<&str> = peer.iter().map(String::as_str).collect();
    assert_eq!(
        sample(&scraped, "etcd_pki_certificate_readable", &peer),
        Some(0.0)
    );
    assert_eq!(
        sample(&scraped, "etcd_pki_certificate_not_after_seconds", &peer),
        None
    );
    let next = sample(&scraped, "etcd_pki_crl_next_update_seconds", &[]).unwrap() - now;
    assert!(
        (2.0 * 86400.0..=3.0 * 86400.0 + 600.0).contains(&next),
        "CRL next update in 3 days: {next}"
    );
    assert_eq!(
        sample(&scraped, "node_textfile_scrape_error", &[]),
        Some(0.0)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// A CRL of `b`'s CA whose next update is in `days` days.
fn crl_der(b: &Bundle, days: u32) -> Vec<u8> {
    let o = pki_core::package::open(&b.to_zip().unwrap()).unwrap();
    let ca = pki_core::daytwo::unlock_ca(&o, b.ca_key.text().as_bytes(), None).unwrap();
    let req = pki_core::revoke::Request {
        targets: vec![],
        reason: pki_core::crl::RevocationReason::Unspecified,
        next_update_days: days,
        force: false,
    };
    let (revoked, _) = pki_core::revoke::revoke(&o, &ca, &req, OffsetDateTime::now_utc()).unwrap();
    revoked
        .file("members/etcd1/pki/crl.der")
        .unwrap()
        .contents
        .clone()
}

fn promtool(args: &[&str], dir: &Path) -> (bool, String) {
    let out = Command::new("promtool")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("promtool (apt package prometheus; scripts/setup.sh installs it)");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
    )
}

/// The bundle's rules pass `promtool check rules`, and `promtool test rules` with series that
/// must fire (20 days: warning; 5 days and expired: page; CA in 200 days; CRL in 3 days; an
/// unreadable file; metrics 4 hours old) and must not (100 days, a CA of 3000 days, a CRL of
/// 20 days, fresh metrics, the warning before its hour). Rules moved by a week fail that test.
#[test]
fn promtool_checks_and_tests_the_bundles_alerting_rules() {
    let dir = scratch("rules");
    let b = bundle(825);
    let rules = b.file("prometheus/etcd-pki-alerts.yml").unwrap();
    assert_eq!(rules.mode, 0o644);
    std::fs::write(dir.join("etcd-pki-alerts.yml"), &rules.contents).unwrap();
    let tests =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/prometheus/etcd-pki-alerts.test.yml");
    std::fs::copy(&tests, dir.join("etcd-pki-alerts.test.yml")).unwrap();
    let (ok, out) = promtool(&["check", "rules", "etcd-pki-alerts.yml"], &dir);
    assert!(ok && out.contains("SUCCESS: 6 rules found"), "{out}");
    let (ok, out) = promtool(&["test", "rules", "etcd-pki-alerts.test.yml"], &dir);
    assert!(ok && out.contains("SUCCESS"), "{out}");
    // The test can fail: paging at 3 days instead of 7 misses the 5-day certificate.
    let moved = rules.text().replace(
        "etcd_pki_certificate_not_after_seconds{role!=\"ca\"} - time() < 7 * 86400\n",
        "etcd_pki_certificate_not_after_seconds{role!=\"ca\"} - time() < 3 * 86400\n",
    );
    assert_ne!(moved, rules.text());
    std::fs::write(dir.join("etcd-pki-alerts.yml"), moved).unwrap();
    let (ok, out) = promtool(&["test", "rules", "etcd-pki-alerts.test.yml"], &dir);
    assert!(
        !ok && out.contains("EtcdCertificateExpiresWithin7Days"),
        "{out}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// `renewal.ics`: valid iCalendar lines (CRLF, folded at 75 octets), one renewal day 30 days
/// before the leaves end, a last-week reminder, the CA's year-ahead day; every member folder
/// carries the systemd units.
#[test]
fn the_bundle_carries_a_renewal_calendar_and_the_units() {
    let b = bundle(825);
    let ics = b.file("renewal.ics").unwrap().text().to_string();
    assert!(
        ics.starts_with("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"),
        "{ics}"
    );
    assert!(ics.ends_with("END:VCALENDAR\r\n"));
    for line in ics.split("\r\n") {
        assert!(line.len() <= 75, "{line:?}");
        assert!(!line.contains('\n'), "{line:?}");
    }
    let unfolded = ics.replace("\r\n ", "");
    // The leaves' renewal and last week, the issuing CA's rotation, the root's replacement.
    assert_eq!(unfolded.matches("BEGIN:VEVENT").count(), 4, "{unfolded}");
    let leaf = b
        .file("members/etcd1/pki/server.crt")
        .unwrap()
        .cert
        .clone()
        .unwrap();
    let ca = b.file("ca.crt").unwrap().cert.clone().unwrap();
    // root+issuing: the issuing CA is rotated before it ends, the root replaced before it does.
    let issuing = b.file("issuing-ca.crt").unwrap().cert.clone().unwrap();
    let day = |t: OffsetDateTime| {
        format!(
            "DTSTART;VALUE=DATE:{}{:02}{:02}",
            t.year(),
            u8::from(t.month()),
            t.day()
        )
    };
    let days = pki_core::status::days;
    assert!(
        unfolded.contains(&day(leaf.not_after - days(30))),
        "{unfolded}"
    );
    assert!(
        unfolded.contains(&day(leaf.not_after - days(7))),
        "{unfolded}"
    );
    assert!(
        unfolded.contains(&day(ca.not_after - days(365))),
        "{unfolded}"
    );
    assert!(
        unfolded.contains(&day(issuing.not_after - days(365)))
            && unfolded.contains("rotate-issuer --from NEWEST.zip"),
        "{unfolded}"
    );
    assert!(
        unfolded.contains("members/etcd1/server\\, members/etcd1/peer"),
        "{unfolded}"
    );
    for m in ["etcd1", "etcd2", "etcd3"] {
        let service = b
            .file(&format!("members/{m}/metrics/etcd-pki-metrics.service"))
            .unwrap();
        assert!(
            service
                .text()
                .contains("ExecStart=/usr/local/lib/etcd-pki/etcd-pki-metrics.sh")
        );
        let timer = b
            .file(&format!("members/{m}/metrics/etcd-pki-metrics.timer"))
            .unwrap();
        assert!(timer.text().contains("OnCalendar=hourly"));
        assert_eq!(
            service.install_path.as_deref(),
            Some("/etc/systemd/system/etcd-pki-metrics.service")
        );
    }
}
