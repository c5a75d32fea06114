//! A real 3-member etcd cluster started from a generated bundle, exactly as its files say:
//! each member in its own network namespace (so it dials its peers from its own address, as on
//! real machines — etcd checks a peer's certificate against that address) and its own mount
//! namespace (so every member sees its own files at the default `/etc/etcd/pki` and
//! `/var/lib/etcd`), started with no flags and the environment of its `etcd.env`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use std::time::Duration;

use e2e_etcd::{
    Proc, TempDir, TestNet, generate_bundle, must, parse_env_file, run, tls_rejections, wait_until,
};

/// The mount points are shared by every cluster of this binary: one cluster at a time.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

const CERT_DIR: &str = "/etc/etcd/pki";
const DATA_DIR: &str = "/var/lib/etcd";

fn spec(subnet: u8, alg: &str) -> String {
    serde_json::json!({
        "cluster_name": format!("e2e-{alg}"),
        "key_algorithm": alg,
        "etcd_version": "3.4",
        "nodes": (1..=3).map(|i| serde_json::json!({
            "name": format!("etcd{i}"),
            "ips": [format!("198.18.{subnet}.{i}")],
            "dns_names": [format!("etcd{i}.e2e.test")],
        })).collect::<Vec<_>>(),
        "clients": [{"name": "etcdctl", "common_name": "root", "kind": "etcdctl"}],
    })
    .to_string()
}

/// Directories created for the bind mounts, removed again if they were not there.
struct MountPoints(Vec<PathBuf>);

impl MountPoints {
    fn ensure(paths: &[&str]) -> MountPoints {
        let mut created = Vec::new();
        for p in paths {
            let p = Path::new(p);
            let mut missing = Vec::new();
            let mut cur = Some(p);
            while let Some(c) = cur {
                if c.exists() {
                    break;
                }
                missing.push(c.to_path_buf());
                cur = c.parent();
            }
            std::fs::create_dir_all(p).expect("mount point");
            created.extend(missing);
        }
        MountPoints(created)
    }
}

impl Drop for MountPoints {
    fn drop(&mut self) {
        for p in &self.0 {
            let _ = std::fs::remove_dir(p);
        }
    }
}

/// Runs `script` in bash with the admin client's env script sourced, plus `extra` env.
fn etcdctl(bundle: &Path, extra: &[(&str, &str)], script: &str) -> std::process::Output {
    let mut cmd = Command::new("bash");
    cmd.arg("-c")
        .arg(format!(". clients/etcdctl/etcdctl-env.sh && {script}"))
        .current_dir(bundle);
    for (k, v) in extra {
        cmd.env(k, v);
    }
    run(&mut cmd)
}

fn text(out: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn cluster(subnet: u8, alg: &str) {
    let _serial = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let tmp = TempDir::new(&format!("cluster-{alg}"));
    let bundle = generate_bundle(&spec(subnet, alg), tmp.path());
    let net = TestNet::new(subnet, 3);
    let _mounts = MountPoints::ensure(&[CERT_DIR, DATA_DIR]);

    let mut members = Vec::new();
    for (i, ns) in net.namespaces.iter().enumerate() {
        let name = format!("etcd{}", i + 1);
        // The member's own view of cert_dir and data_dir.
        let own = tmp.path().join(format!("host-{name}"));
        let pki = own.join("pki");
        let data = own.join("data");
        std::fs::create_dir_all(&data).unwrap();
        must(
            Command::new("cp")
                .arg("-a")
                .arg(bundle.join(format!("members/{name}/pki")))
                .arg(&pki),
        );
        let mut cmd = Command::new("ip");
        cmd.args([
            "netns",
            "exec",
            ns,
            "unshare",
            "--mount",
            "--propagation",
            "private",
        ])
        .args([
            "sh",
            "-c",
            "mount --bind \"$1\" /etc/etcd/pki && mount --bind \"$2\" /var/lib/etcd && exec etcd",
            "sh",
        ])
        .arg(&pki)
        .arg(&data)
        .env_clear()
        .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
        // The member's environment, exactly as its env file says; no flags.
        for (k, v) in parse_env_file(&bundle.join(format!("members/{name}/etcd.env"))) {
            cmd.env(k, v);
        }
        members.push(Proc::spawn(
            &name,
            &mut cmd,
            &tmp.path().join(format!("{name}.log")),
        ));
    }
    let logs = |members: &[Proc]| {
        members
            .iter()
            .map(|m| format!("--- {} log:\n{}", m.name, m.log_tail(15)))
            .collect::<Vec<_>>()
            .join("\n")
    };

    // Health of every member through the generated etcdctl env script.
    let healthy = wait_until(Duration::from_secs(40), || {
        etcdctl(&bundle, &[], "etcdctl endpoint health --cluster")
            .status
            .success()
    });
    let out = etcdctl(&bundle, &[], "etcdctl endpoint health --cluster");
    assert!(
        healthy,
        "{alg}: the cluster did not become healthy:\n{}\n{}",
        text(&out),
        logs(&members)
    );
    let health = text(&out);
    for i in 1..=3 {
        assert!(
            health.contains(&format!("https://198.18.{subnet}.{i}:2379 is healthy")),
            "{alg}: member {i} not healthy:\n{health}"
        );
    }
    let list = must(
        Command::new("bash")
            .current_dir(&bundle)
            .arg("-c")
            .arg(". clients/etcdctl/etcdctl-env.sh && etcdctl member list"),
    );
    for i in 1..=3 {
        assert!(
            list.contains(&format!(
                "started, etcd{i}, https://198.18.{subnet}.{i}:2380"
            )),
            "{alg}: member list:\n{list}"
        );
    }

    // A put through member 1 is read through member 3.
    let ep = |i: u8| format!("https://198.18.{subnet}.{i}:2379");
    let put = etcdctl(
        &bundle,
        &[("ETCDCTL_ENDPOINTS", &ep(1))],
        "etcdctl put /e2e/key across-members",
    );
    assert!(put.status.success(), "{alg}: put failed: {}", text(&put));
    let get = etcdctl(
        &bundle,
        &[("ETCDCTL_ENDPOINTS", &ep(3))],
        "etcdctl get --print-value-only /e2e/key",
    );
    assert_eq!(
        text(&get).trim(),
        "across-members",
        "{alg}: get through member 3"
    );

    // So far nobody was refused: no TLS or certificate complaint in any member's log.
    for m in &members {
        let bad = tls_rejections(&m.log_text());
        assert!(
            bad.is_empty(),
            "{alg}: {} logged TLS rejections:\n{}",
            m.name,
            bad.join("\n")
        );
    }

    // A client without a certificate is refused.
    let short = [
        ("ETCDCTL_ENDPOINTS", ep(1)),
        ("ETCDCTL_DIAL_TIMEOUT", "2s".to_string()),
        ("ETCDCTL_COMMAND_TIMEOUT", "4s".to_string()),
    ];
    let short: Vec<(&str, &str)> = short.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let anon = etcdctl(
        &bundle,
        &short,
        "env -u ETCDCTL_CERT -u ETCDCTL_KEY etcdctl get /e2e/key",
    );
    assert!(
        !anon.status.success(),
        "{alg}: a client without a certificate got in: {}",
        text(&anon)
    );
    assert!(!text(&anon).contains("across-members"));

    // A client certificate from another CA is refused.
    let other_tmp = TempDir::new("other-ca");
    let other = generate_bundle(&spec(subnet, alg), other_tmp.path());
    let cert = other.join("clients/etcdctl/client.crt");
    let key = other.join("clients/etcdctl/client.key");
    let mut env = short.clone();
    env.push(("OTHER_CERT", cert.to_str().unwrap()));
    env.push(("OTHER_KEY", key.to_str().unwrap()));
    let foreign = etcdctl(
        &bundle,
        &env,
        "ETCDCTL_CERT=$OTHER_CERT ETCDCTL_KEY=$OTHER_KEY etcdctl get /e2e/key",
    );
    assert!(
        !foreign.status.success(),
        "{alg}: a foreign CA's client got in: {}",
        text(&foreign)
    );

    // And the refusals were TLS refusals, logged by member 1.
    let log1 = members[0].log_text();
    assert!(
        wait_until(Duration::from_secs(5), || {
            let l = members[0].log_text();
            l.contains("client didn't provide a certificate") || l.contains("tls: ")
        }),
        "{alg}: member 1 did not log the refusals:\n{}",
        log1.lines().rev().take(10).collect::<Vec<_>>().join("\n")
    );
    let l = members[0].log_text();
    assert!(
        l.contains("client didn't provide a certificate"),
        "{alg}: no-certificate refusal not logged"
    );
    assert!(
        l.contains("unknown authority") || l.contains("bad certificate"),
        "{alg}: foreign-CA refusal not logged:\n{}",
        tls_rejections(&l).join("\n")
    );

    for m in &mut members {
        m.stop();
    }
}

#[test]
fn three_members_ecdsa_p256() {
    cluster(61, "ecdsa-p256");
}

#[test]
fn three_members_rsa_2048() {
    cluster(62, "rsa-2048");
}
