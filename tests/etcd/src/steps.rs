//! The operator's steps on a live cluster, each a function named as a runbook names it:
//! start the cluster from a bundle, start a writer, add a member with the bundle's
//! `add-<name>.sh` (the new machine started when the runbook asks for it), check who is in
//! the member list, check that a port serves the certificate its folder holds, and check at
//! the end that no acknowledged write was lost. The CLI's day-two test (`tests/membership_and_renewal.rs`) and
//! the page's (the browser tests' `existing_bundle.rs`) follow the same steps with them, so a bundle
//! from either is held to the same checks.
//!
//! Members are `etcd<i>` at `198.18.<subnet>.<i>`, client port 2379, peer port 2380, as the
//! day-two specs name them.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use crate::live::wait_for;
use crate::{
    ClientTls, LiveCluster, Proc, Target, Writer, WriterOptions, WriterReport, code_and_output,
    must, run, verify_all_acked, wait_until,
};

/// etcd's client port.
pub const CLIENT_PORT: u16 = 2379;
/// etcd's peer port.
pub const PEER_PORT: u16 = 2380;

/// Member `i`'s address on `subnet`.
pub fn ip(subnet: u8, i: usize) -> String {
    format!("198.18.{subnet}.{i}")
}

/// Member `i`'s client URL.
pub fn client_url(subnet: u8, i: usize) -> String {
    format!("https://{}:{CLIENT_PORT}", ip(subnet, i))
}

/// Member `i`'s peer URL.
pub fn peer_url(subnet: u8, i: usize) -> String {
    format!("https://{}:{PEER_PORT}", ip(subnet, i))
}

/// The client URLs of `members`, comma-separated (`ETCDCTL_ENDPOINTS`).
pub fn endpoints(subnet: u8, members: &[usize]) -> String {
    members
        .iter()
        .map(|&i| client_url(subnet, i))
        .collect::<Vec<_>>()
        .join(",")
}

/// Runs `script` in bash in `bundle` with its admin client (`clients/etcdctl`) sourced and
/// `ETCDCTL_ENDPOINTS` set, as an operator at the admin's desk would.
pub fn admin(bundle: &Path, endpoints: &str, script: &str) -> (bool, String) {
    let o = run(Command::new("bash")
        .arg("-c")
        .arg(format!(
            ". clients/etcdctl/etcdctl-env.sh && export ETCDCTL_ENDPOINTS={endpoints} \
             ETCDCTL_DIAL_TIMEOUT=3s ETCDCTL_COMMAND_TIMEOUT=6s && {script}"
        ))
        .current_dir(bundle));
    (o.status.success(), code_and_output(&o).1)
}

/// Starts members `etcd1..=members` of `bundle` (each from its folder, on its own machine) on
/// `subnet` with the etcd at `etcd`, and waits until every one is healthy.
pub fn start_cluster(
    subnet: u8,
    etcd: &Path,
    bundle: &Path,
    members: usize,
    logs: &Path,
) -> LiveCluster {
    std::fs::create_dir_all(logs).unwrap();
    let mut cluster = LiveCluster::new(subnet, etcd, logs);
    for i in 1..=members {
        cluster.start(&bundle.join(format!("members/etcd{i}")), &[]);
    }
    let all: Vec<usize> = (1..=members).collect();
    let healthy = wait_for(Duration::from_secs(60), || {
        admin(
            bundle,
            &endpoints(subnet, &all),
            "etcdctl endpoint health --cluster",
        )
    });
    assert!(
        healthy.is_ok(),
        "the {members}-member cluster did not start: {healthy:?}\n{}",
        cluster.log_tails(15)
    );
    cluster
}

/// Starts a writer putting a key every 50 ms through `members` with the client certificate
/// of `client`, and waits for its first 20 acknowledged writes.
pub fn start_writer(client: &ClientTls, subnet: u8, members: &[usize]) -> Writer {
    let writer = Writer::start(
        Target {
            endpoints: members.iter().map(|&i| client_url(subnet, i)).collect(),
            tls: Some(client.clone()),
            netns: None,
        },
        WriterOptions::default(),
    );
    assert!(
        writer.wait_for_acks(20, Duration::from_secs(30)),
        "the writer cannot write"
    );
    writer
}

/// Stops the writer and reads every acknowledged key back through `endpoint`: none may be
/// missing. Returns the writer's report.
pub fn check_no_write_lost(writer: Writer, client: &ClientTls, endpoint: String) -> WriterReport {
    let report = writer.stop();
    let missing = verify_all_acked(
        &report.acked(),
        &Target {
            endpoints: vec![endpoint],
            tls: Some(client.clone()),
            netns: None,
        },
    );
    assert!(missing.is_empty(), "acknowledged writes lost: {missing:?}");
    report
}

/// Starts `script` (a runbook) in the background with its output in `log`.
pub fn spawn_script(script: &Path, args: &[&str], log: &Path) -> Proc {
    let mut cmd = Command::new("bash");
    cmd.arg(script).args(args);
    Proc::spawn("runbook", &mut cmd, log)
}

/// Waits (bounded) for a background script to exit; its exit code and output.
pub fn finish(p: &mut Proc, limit: Duration) -> (i32, String) {
    let done = wait_until(limit, || matches!(p.child.try_wait(), Ok(Some(_))));
    if !done {
        p.stop();
        return (-1, format!("(timed out)\n{}", p.log_text()));
    }
    let code = p.child.wait().ok().and_then(|s| s.code()).unwrap_or(-1);
    (code, p.log_text())
}

/// Runs a runbook to its end (each script bounds its own waits): exit code and output.
pub fn run_script(script: &Path, args: &[&str]) -> (i32, String) {
    code_and_output(&run(Command::new("bash").arg(script).args(args)))
}

/// Adds member `name` with `bundle`'s `runbook/add-<name>.sh --wait 240`, as the runbook
/// tells an operator: run it at the admin's desk; when it says "On the new machine", start
/// the new member from its folder of `bundle`; the runbook waits for it to catch up, promotes
/// it and says it is done. Returns the runbook's output (`log` keeps it too).
pub fn add_member(cluster: &mut LiveCluster, bundle: &Path, name: &str, log: &Path) -> String {
    let mut runbook = spawn_script(
        &bundle.join(format!("runbook/add-{name}.sh")),
        &["--wait", "240"],
        log,
    );
    let asked = wait_until(Duration::from_secs(150), || {
        runbook.log_text().contains("On the new machine")
            || matches!(runbook.child.try_wait(), Ok(Some(_)))
    });
    assert!(
        asked && runbook.log_text().contains("On the new machine"),
        "add-{name}.sh did not get to the new machine's steps:\n{}",
        runbook.log_text()
    );
    // The new machine: its folder of the new bundle, started as its env file says.
    cluster.start(&bundle.join(format!("members/{name}")), &[]);
    let (code, out) = finish(&mut runbook, Duration::from_secs(300));
    assert_eq!(code, 0, "add-{name}.sh:\n{out}\n{}", cluster.log_tails(20));
    println!("--- bash runbook/add-{name}.sh --wait 240\n{out}");
    assert!(
        out.contains(&format!("{name} has caught up"))
            && out.contains(&format!("done: {name} added")),
        "{out}"
    );
    out
}

/// Checks that `etcdctl member list` (through `members`) names exactly `members`, each started
/// at its peer URL. Returns the list.
pub fn check_members_started(bundle: &Path, subnet: u8, members: &[usize]) -> String {
    let (ok, list) = admin(bundle, &endpoints(subnet, members), "etcdctl member list");
    assert!(ok, "{list}");
    for &i in members {
        assert!(
            list.contains(&format!("started, etcd{i}, {}", peer_url(subnet, i))),
            "etcd{i} is not a started member:\n{list}"
        );
    }
    assert_eq!(list.lines().count(), members.len(), "{list}");
    list
}

/// Checks that member `i` answers a serializable read of `key` with `value` (its own copy of
/// the data, over TLS).
pub fn check_reads(bundle: &Path, subnet: u8, i: usize, key: &str, value: &str) {
    let (ok, v) = admin(
        bundle,
        &client_url(subnet, i),
        &format!("etcdctl get --print-value-only --consistency=s {key}"),
    );
    assert!(
        ok && v.trim() == value,
        "read of {key} through etcd{i}: {v}"
    );
}

/// The serial of a certificate file, as openssl prints it.
pub fn serial(cert: &Path) -> String {
    must(
        Command::new("openssl")
            .args(["x509", "-noout", "-serial", "-in"])
            .arg(cert),
    )
    .trim()
    .trim_start_matches("serial=")
    .to_string()
}

/// The serial `host:port` serves to a client presenting `cert`/`key` (a new handshake), asked
/// from network namespace `netns` (this one if `None`).
pub fn served_serial(
    netns: Option<&str>,
    host: &str,
    port: u16,
    ca: &Path,
    cert: &Path,
    key: &Path,
) -> String {
    let mut cmd = match netns {
        Some(ns) => {
            let mut c = Command::new("ip");
            c.args(["netns", "exec", ns, "bash"]);
            c
        }
        None => Command::new("bash"),
    };
    let o = run(cmd
        .arg("-c")
        .arg(
            // -cert_chain: with a root, the file's issuing CA is sent after the leaf, as etcd
            // and etcdctl send it.
            "timeout 10 openssl s_client -connect \"$1\" -CAfile \"$2\" -cert \"$3\" \
             -cert_chain \"$3\" -key \"$4\" </dev/null 2>/dev/null | openssl x509 -noout -serial",
        )
        .arg("served")
        .arg(format!("{host}:{port}"))
        .arg(ca)
        .arg(cert)
        .arg(key));
    String::from_utf8_lossy(&o.stdout)
        .trim()
        .trim_start_matches("serial=")
        .to_string()
}

/// Checks that member `i`'s client port serves the server certificate of its folder in
/// `bundle` (asked by `client`, a new handshake).
pub fn check_serves_own_certificate(bundle: &Path, subnet: u8, i: usize, client: &ClientTls) {
    let pki = bundle.join(format!("members/etcd{i}/pki"));
    assert_eq!(
        served_serial(
            None,
            &ip(subnet, i),
            CLIENT_PORT,
            &client.ca,
            &client.cert,
            &client.key
        ),
        serial(&pki.join("server.crt")),
        "etcd{i} does not serve the server certificate of its folder"
    );
}
