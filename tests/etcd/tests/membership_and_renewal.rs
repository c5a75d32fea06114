//! Day two on a running cluster, with a writer putting a key every 50 ms through the whole
//! operation (each put its own TLS handshake, with the bundle's client certificate):
//!
//! - a 3-member cluster grows to 5, one member at a time, with the bundle's `add-member`
//!   runbook; then one member (the one the writer talks to) is removed with `remove-member`,
//!   and another replaced by a new machine with `replace-member` (remove, then add); the
//!   runbooks' refusals (unhealthy cluster, quorum) are checked at the end;
//! - every member and client certificate of a 3-member cluster is renewed with `renew.sh`
//!   without restarting etcd: `openssl s_client` on every client and peer port shows the new
//!   serial, the members keep talking, the writer sees no failure; then, one member down,
//!   `remove-member` refuses to take the cluster below quorum.
//!
//! At the end every acknowledged write is read back, and each operation prints
//! `DAYTWO <op> longest_gap_ms=… acked=… failed=… restarts=…` for the README.
//!
//! Members run etcd 3.4 (Debian's, as in CI) as the etcd user in network namespaces on
//! 198.18.90.0/24 and 198.18.91.0/24, from the files of their bundle folders
//! ([`e2e_etcd::LiveCluster`]). `DAYTWO_ETCD=3.5|3.6|3.7` runs them on the release
//! scripts/setup.sh put in tools/ instead (etcdctl stays the one on the PATH).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use e2e_etcd::live::wait_for;
use e2e_etcd::steps::{
    CLIENT_PORT, PEER_PORT, add_member, admin, check_members_started, check_no_write_lost,
    check_reads, check_serves_own_certificate, client_url, endpoints, finish, ip, peer_url,
    run_script, serial, served_serial, spawn_script, start_cluster, start_writer,
};
use e2e_etcd::writer::epoch_now;
use e2e_etcd::{
    ClientTls, LiveCluster, Proc, Target, TempDir, Writer, WriterOptions, WriterReport,
    code_and_output, etcdctl_as, generate_bundle, must, run, tls_rejections, verify_all_acked,
    wait_until,
};
use pki_core::runbook::{self, Operation};

/// The etcd under test and the `etcd_version` of its spec.
fn etcd() -> (PathBuf, &'static str) {
    let tools = e2e_etcd::workspace_root().join("tools");
    let (path, v) = match std::env::var("DAYTWO_ETCD").as_deref() {
        Ok("3.5") => (tools.join("etcd-3.5.34/etcd"), "3.5"),
        Ok("3.6") => (tools.join("etcd-3.6.15/etcd"), "3.6"),
        Ok("3.7") => (tools.join("etcd-3.7.2/etcd"), "3.7"),
        _ => (PathBuf::from("/usr/bin/etcd"), "3.4"),
    };
    assert!(
        path.exists(),
        "{} is missing: run ./scripts/setup.sh",
        path.display()
    );
    (path, v)
}

/// `members` members on 198.18.`subnet`.x, etcd 3.4, with cert_dir and data_dir in the
/// scratch folder `t` (each member's "machine" is `t/hosts/<name>`).
fn spec(t: &Path, subnet: u8, members: usize) -> String {
    serde_json::json!({
        "cluster_name": format!("daytwo{subnet}"),
        "etcd_version": etcd().1,
        "nodes": (1..=members).map(|i| serde_json::json!({
            "name": format!("etcd{i}"), "ips": [ip(subnet, i)]
        })).collect::<Vec<_>>(),
        "clients": [{"name": "etcdctl", "common_name": "root", "kind": "etcdctl"}],
        "cert_dir": format!("{}/hosts/{{name}}/pki", t.display()),
        "data_dir": format!("{}/hosts/{{name}}/data", t.display()),
    })
    .to_string()
}

/// `etcd1=https://…:2380,…` for the first `n` members.
fn initial_cluster(subnet: u8, n: usize) -> String {
    (1..=n)
        .map(|i| format!("etcd{i}={}", peer_url(subnet, i)))
        .collect::<Vec<_>>()
        .join(",")
}

/// Writes a runbook's files into an unpacked bundle by hand: only for the runbooks' own
/// refusals of a change `etcd-pki` itself refuses before writing a bundle (a name taken).
fn add_runbook(bundle: &Path, op: &Operation) -> PathBuf {
    let files = runbook::files(op).expect("runbook");
    for f in &files {
        let p = bundle.join(&f.path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, &f.contents).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(f.mode)).unwrap();
    }
    bundle.join(&files[0].path)
}

/// `etcd-pki <cmd> --from <dir>/<from>.zip --ca-key <dir>/ca.key <args> --out <dir>/<to>.zip`,
/// as an operator runs it; the new bundle unpacked into `<dir>/<to>/`, which is returned.
fn cli(dir: &Path, cmd: &str, from: &str, args: &[&str], to: &str) -> PathBuf {
    let zip = dir.join(format!("{to}.zip"));
    let out = must(
        Command::new(e2e_etcd::etcd_pki_bin())
            .arg(cmd)
            .arg("--from")
            .arg(dir.join(format!("{from}.zip")))
            .arg("--ca-key")
            .arg(dir.join("ca.key"))
            .args(args)
            .arg("--out")
            .arg(&zip),
    );
    println!("--- etcd-pki {cmd} {}\n{out}", args.join(" "));
    let unpacked = dir.join(to);
    e2e_etcd::unzip(&zip, &unpacked);
    unpacked
}

/// One line for the README: the writer's figures during one operation.
fn daytwo_line(op: &str, r: &WriterReport, restarts: usize) -> String {
    let line = format!("DAYTWO {op} {} restarts={restarts}", r.summary());
    println!("{line}");
    line
}

/// The writer's window during one operation: (operation, from, to, restarts).
type Window = (String, f64, f64, usize);

#[test]
fn grow_three_to_five_then_remove_and_replace_while_writing() {
    let subnet = 90;
    let tmp = TempDir::new("daytwo-grow");
    let t = tmp.path();
    // A 3-member bundle; each later bundle is made by etcd-pki from the one before.
    let bundle = generate_bundle(&spec(t, subnet, 3), t);
    let mut cluster = start_cluster(subnet, &etcd().0, &bundle, 3, &t.join("logs"));
    let client = ClientTls::from_folder(&bundle.join("clients/etcdctl"));
    let writer = start_writer(&client, subnet, &[1, 2, 3]);
    let mut windows: Vec<Window> = Vec::new();

    // 3 → 5, one member at a time: `etcd-pki add-member` opens the newest bundle and writes
    // the next, whose runbook/add-<name>.sh is run. etcd4's first run is killed after etcd
    // took the learner (a lost session).
    let mut newest = "bundle".to_string();
    for k in 4..=5usize {
        windows.push(add_member_with_cli(&mut cluster, t, subnet, &mut newest, k));
    }
    let bundle = t.join(&newest);
    // Five members, all started; the new ones serve reads over TLS with their certificates.
    check_members_started(&bundle, subnet, &[1, 2, 3, 4, 5]);
    for k in 4..=5 {
        check_serves_own_certificate(&bundle, subnet, k, &client);
        check_reads(&bundle, subnet, k, "/w/000001", "v/w/000001");
    }

    // etcd1 is the member the writer talks to (and the first leader): a client sees a member
    // go away.
    windows.push(remove_member_with_cli(
        &mut cluster,
        t,
        &mut newest,
        "etcd1",
    ));
    assert!(
        writer.wait_for_acks(20, Duration::from_secs(30)),
        "no writes after the removal"
    );
    check_members_started(&t.join(&newest), subnet, &[2, 3, 4, 5]);
    windows.push(replace_member_with_cli(
        &mut cluster,
        t,
        subnet,
        &mut newest,
        ("etcd2", 6),
    ));
    assert!(
        writer.wait_for_acks(20, Duration::from_secs(30)),
        "no writes after the replacement"
    );
    let bundle = t.join(&newest);
    check_members_started(&bundle, subnet, &[3, 4, 5, 6]);
    check_reads(&bundle, subnet, 6, "/w/000001", "v/w/000001");
    let died = cluster.died();
    assert!(died.is_empty(), "members exited on their own: {died:?}");

    let report = check_no_write_lost(writer, &client, client_url(subnet, 3));
    check_writes_during(&report, &windows, cluster.restarts());
    check_runbooks_refuse(&mut cluster, t, subnet, &newest);
}

/// `etcd-pki add-member` for `etcd<k>` from the `newest` bundle, then its
/// `runbook/add-etcd<k>.sh` run with the new machine started when asked (for etcd4, a first
/// run killed after etcd took the learner: the next run goes on, adding nothing twice); run
/// once more, it adds nothing. `newest` becomes the new bundle's name.
fn add_member_with_cli(
    cluster: &mut LiveCluster,
    t: &Path,
    subnet: u8,
    newest: &mut String,
    k: usize,
) -> Window {
    let name = format!("etcd{k}");
    let restarts_before = cluster.restarts();
    let from = epoch_now();
    let next = format!("add-{name}");
    let bundle = cli(
        t,
        "add-member",
        newest,
        &["--name", &name, "--ip", &ip(subnet, k)],
        &next,
    );
    *newest = next;
    let script = bundle.join(format!("runbook/add-{name}.sh"));
    let env = std::fs::read_to_string(bundle.join(format!("members/{name}/etcd.env"))).unwrap();
    assert!(
        env.contains("ETCD_INITIAL_CLUSTER_STATE='existing'")
            && env.contains(&format!(
                "ETCD_INITIAL_CLUSTER='{}'",
                initial_cluster(subnet, k)
            )),
        "{name}'s etcd.env:\n{env}"
    );
    if k == 4 {
        kill_add_member_after_the_learner(&script, &name, &t.join("add-4-killed.log"));
    }
    let out = add_member(cluster, &bundle, &name, &t.join(format!("add-{k}.log")));
    if k == 4 {
        assert!(
            out.contains("is already in the member list; not adding it again"),
            "the run after the killed one: {out}"
        );
    }
    assert!(
        out.contains(&format!("{name} promoted to a voting member")),
        "{out}"
    );
    let window = (
        format!("add-member({name})"),
        from,
        epoch_now(),
        cluster.restarts() - restarts_before,
    );
    // Run again: nothing is added twice.
    let o = run_script(&script, &["--wait", "30"]);
    assert_eq!(o.0, 0, "add-member.sh {name} again:\n{}", o.1);
    assert!(o.1.contains("already in the member list"), "{}", o.1);
    window
}

/// Starts `add-<name>.sh` and kills it (its whole process group) right after etcd took the
/// learner, before the new machine's steps: a lost session.
fn kill_add_member_after_the_learner(script: &Path, name: &str, log: &Path) {
    let mut cmd = Command::new("bash");
    cmd.arg(script).args(["--wait", "240"]);
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    let mut first = Proc::spawn("add-member", &mut cmd, log);
    let began = Instant::now();
    while began.elapsed() < Duration::from_secs(150)
        && !first.log_text().contains("is a learner now")
        && matches!(first.child.try_wait(), Ok(None))
    {
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(
        first.log_text().contains("is a learner now") && matches!(first.child.try_wait(), Ok(None)),
        "add-member.sh for {name} ended before etcd took the learner:\n{}",
        first.log_text()
    );
    e2e_etcd::kill_group(&mut first);
    println!(
        "--- bash runbook/add-{name}.sh, killed\n{}",
        first.log_text()
    );
}

/// `etcd-pki remove-member --name <name>` from the `newest` bundle and its
/// `runbook/remove-<name>.sh`, which names the removed member's serial; then the removed
/// member's machine stops it. `newest` becomes the new bundle's name.
fn remove_member_with_cli(
    cluster: &mut LiveCluster,
    t: &Path,
    newest: &mut String,
    name: &str,
) -> Window {
    let restarts_before = cluster.restarts();
    let from = epoch_now();
    let gone = t.join(newest.as_str()).join(format!("members/{name}/pki"));
    let next = format!("remove-{name}");
    let bundle = cli(t, "remove-member", newest, &["--name", name], &next);
    *newest = next;
    assert!(!bundle.join(format!("members/{name}")).exists());
    let (code, out) = run_script(&bundle.join(format!("runbook/remove-{name}.sh")), &[]);
    assert_eq!(code, 0, "remove-member.sh {name}:\n{out}");
    println!("--- bash runbook/remove-{name}.sh\n{out}");
    check_removed(cluster, name, &gone, &out);
    (
        format!("remove-member({name})"),
        from,
        epoch_now(),
        cluster.restarts() - restarts_before,
    )
}

/// A remove runbook's output names the member and its server certificate's serial; the
/// removed member stops serving, and its machine's operator stops it.
fn check_removed(cluster: &mut LiveCluster, name: &str, gone: &Path, out: &str) {
    assert!(
        out.contains(&format!("done: {name} is no longer a member"))
            && out.contains(&format!("serial {}", serial(&gone.join("server.crt")))),
        "{out}"
    );
    wait_until(Duration::from_secs(20), || {
        !cluster.member_mut(name).running()
    });
    cluster.stop(name);
}

/// `etcd-pki replace-member` of `old` by `etcd<k>` on a new machine, from the `newest`
/// bundle: four members, so the runbooks remove the old one first (three stay, quorum two),
/// then add the new one. `newest` becomes the new bundle's name.
fn replace_member_with_cli(
    cluster: &mut LiveCluster,
    t: &Path,
    subnet: u8,
    newest: &mut String,
    (old, k): (&str, usize),
) -> Window {
    let restarts_before = cluster.restarts();
    let from = epoch_now();
    let new = format!("etcd{k}");
    let gone = t.join(newest.as_str()).join(format!("members/{old}/pki"));
    let next = format!("replace-{old}");
    let bundle = cli(
        t,
        "replace-member",
        newest,
        &["--name", old, "--new-name", &new, "--ip", &ip(subnet, k)],
        &next,
    );
    *newest = next;
    assert!(
        !bundle.join(format!("members/{old}")).exists()
            && bundle.join(format!("members/{new}")).exists()
    );
    let (code, out) = run_script(&bundle.join(format!("runbook/remove-{old}.sh")), &[]);
    assert_eq!(code, 0, "replace: remove-{old}.sh:\n{out}");
    check_removed(cluster, old, &gone, &out);
    add_member(
        cluster,
        &bundle,
        &new,
        &t.join(format!("replace-add-{k}.log")),
    );
    (
        format!("replace-member({old}->{new})"),
        from,
        epoch_now(),
        cluster.restarts() - restarts_before,
    )
}

/// The writer's figures during each operation (printed for the README): no restart, never
/// 10 s without an acknowledged write, and an error answer only while a member was being
/// removed from under the writer. Outside that, a put may only have timed out (curl's 2 s:
/// this 2-core machine is shared with other tests), and rarely.
fn check_writes_during(report: &WriterReport, windows: &[Window], restarts: usize) {
    for (op, from, to, restarts) in windows {
        let r = report.between(*from, *to);
        daytwo_line(op, &r, *restarts);
        assert_eq!(*restarts, 0, "{op} restarted a member");
        assert!(
            r.longest_gap() < Duration::from_secs(10),
            "{op}: no write acknowledged for {:?}",
            r.longest_gap()
        );
    }
    daytwo_line("grow-3-to-5-remove-and-replace", report, restarts);
    for a in report.failures() {
        println!(
            "writer failure at {:.3} via {}: {}",
            a.at, a.endpoint, a.error
        );
    }
    let mut timeouts = 0;
    for a in report.failures() {
        let leaving = windows.iter().any(|(op, from, to, _)| {
            (op.starts_with("remove") || op.starts_with("replace")) && a.at >= *from && a.at <= *to
        });
        if leaving {
            continue;
        }
        assert!(
            a.error.starts_with("curl: (28)"),
            "a write failed outside the removal: {a:?}"
        );
        timeouts += 1;
    }
    assert!(
        timeouts <= 2,
        "{timeouts} writes timed out outside the removal"
    );
}

/// The runbooks refuse what would hurt, on the grown cluster (etcd3..6): a name taken by a
/// member at another address, and, with etcd5 down, the removal of etcd4 (the cluster is not
/// healthy; below quorum is the renewal test's textbook case).
fn check_runbooks_refuse(cluster: &mut LiveCluster, t: &Path, subnet: u8, newest: &str) {
    let bundle = t.join(newest);
    let taken = add_runbook(
        &bundle,
        &Operation::AddMember {
            name: "etcd3".into(),
            peer_urls: vec![peer_url(subnet, 9)],
            client_url: client_url(subnet, 9),
            endpoints: [3, 4, 5, 6].map(|i| client_url(subnet, i)).to_vec(),
            initial_cluster: format!(
                "{},etcd3={}",
                initial_cluster(subnet, 2),
                peer_url(subnet, 9)
            ),
            etcdctl_env: "clients/etcdctl/etcdctl-env.sh".into(),
            one_machine: false,
        },
    );
    let (code, out) = run_script(&taken, &["--wait", "5"]);
    assert_eq!(code, 3, "{out}");
    assert!(
        out.contains("already has a member etcd3 with other peer URLs"),
        "{out}"
    );
    let remove4 = cli(
        t,
        "remove-member",
        newest,
        &["--name", "etcd4"],
        "remove-etcd4",
    )
    .join("runbook/remove-etcd4.sh");
    cluster.stop("etcd5");
    // (etcd5 may have been the leader: wait for the next one.)
    let healthy = wait_for(Duration::from_secs(30), || {
        admin(
            &bundle,
            &endpoints(subnet, &[3, 4, 6]),
            "etcdctl endpoint health",
        )
    });
    assert!(healthy.is_ok(), "{healthy:?}");
    let (code, out) = run_script(&remove4, &[]);
    assert_eq!(code, 3, "{out}");
    assert!(out.contains("the cluster is not healthy: etcd5"), "{out}");
    let (ok, list) = admin(
        &bundle,
        &endpoints(subnet, &[3, 4, 6]),
        "etcdctl member list",
    );
    assert!(
        ok && list.contains("etcd4,"),
        "a refused removal removed: {list}"
    );
}

#[test]
fn renew_every_certificate_without_restart() {
    let subnet = 91;
    let tmp = TempDir::new("daytwo-renew");
    let t = tmp.path();
    let bundle = generate_bundle(&spec(t, subnet, 3), t);
    let mut cluster = start_cluster(subnet, &etcd().0, &bundle, 3, &t.join("logs"));
    // The writer's client folder, where its renewed certificate will be swapped in too.
    let client_dir = t.join("client");
    must(
        Command::new("cp")
            .arg("-a")
            .arg(bundle.join("clients/etcdctl"))
            .arg(&client_dir),
    );
    let client = ClientTls::from_folder(&client_dir);
    let writer = start_writer(&client, subnet, &[1, 2, 3]);
    let logs_before: Vec<usize> = (1..=3).map(|i| member_log(&cluster, i).len()).collect();

    let renewed = renew_with_cli(t, &bundle);
    check_renew_refuses_foreign_bundles(&cluster, t, subnet, &renewed);
    let from = epoch_now();
    for i in 1..=3 {
        renew_in_place(&cluster, t, subnet, &renewed, i);
    }
    swap_client_certificate(&client_dir, &renewed.join("clients/etcdctl"));
    assert!(
        writer.wait_for_acks(40, Duration::from_secs(30)),
        "no writes with the renewed client certificate"
    );
    let to = epoch_now();
    check_ports_serve_renewed(&cluster, subnet, &renewed, &client);
    check_members_keep_talking(&cluster, subnet, &renewed);
    // No restart, nobody died, no TLS complaint since the renewal began.
    let died = cluster.died();
    assert!(died.is_empty(), "members exited: {died:?}");
    for i in 1..=3 {
        let log = member_log(&cluster, i);
        let bad = tls_rejections(&log[logs_before[i - 1]..]);
        assert!(
            bad.is_empty(),
            "etcd{i} logged TLS rejections:\n{}",
            bad.join("\n")
        );
    }

    let report = check_no_write_lost(writer, &client, client_url(subnet, 2));
    daytwo_line("renew-all", &report.between(from, to), cluster.restarts());
    for a in report.failures() {
        println!(
            "writer failure at {:.3} via {}: {}",
            a.at, a.endpoint, a.error
        );
    }
    for a in report.retried() {
        println!(
            "writer retried a handshake at {:.3} via {}: {}",
            a.at, a.endpoint, a.retried
        );
    }
    assert_eq!(cluster.restarts(), 0);
    assert_eq!(report.failed_count(), 0, "the writer saw failures");

    check_expiry_shows_renewed(&cluster, &bundle, &renewed);
    check_remove_refused_below_quorum(&mut cluster, t, subnet, &renewed);
}

/// Member `etcd<i>`'s log so far.
fn member_log(cluster: &LiveCluster, i: usize) -> String {
    cluster
        .member(&format!("etcd{i}"))
        .proc
        .as_ref()
        .unwrap()
        .log_text()
}

/// `etcd-pki renew` of `bundle`: every member and the client get a new key and certificate,
/// each member folder its renew.sh; the CA stays. Returns the renewed bundle's folder.
fn renew_with_cli(t: &Path, bundle: &Path) -> PathBuf {
    let renewed = cli(t, "renew", "bundle", &[], "renewed");
    assert_eq!(
        std::fs::read(bundle.join("ca.crt")).unwrap(),
        std::fs::read(renewed.join("ca.crt")).unwrap()
    );
    for f in [
        "members/etcd1/pki/server.crt",
        "members/etcd1/pki/peer.crt",
        "clients/etcdctl/client.crt",
    ] {
        assert_ne!(
            serial(&bundle.join(f)),
            serial(&renewed.join(f)),
            "{f} not renewed"
        );
    }
    renewed
}

/// renew.sh refuses, touching nothing, a bundle of another CA, and a member folder run on
/// another member's machine.
fn check_renew_refuses_foreign_bundles(
    cluster: &LiveCluster,
    t: &Path,
    subnet: u8,
    renewed: &Path,
) {
    let other_tmp = TempDir::new("daytwo-other");
    generate_bundle(&spec(t, subnet, 3), other_tmp.path());
    let other_script = cli(
        other_tmp.path(),
        "renew",
        "bundle",
        &["--only", "etcd1"],
        "renewed",
    )
    .join("members/etcd1/renew.sh");
    let installed = cluster.member("etcd1").cert_dir.join("server.crt");
    let before = std::fs::read(&installed).unwrap();
    let o = cluster.on("etcd1", &[], &format!("bash '{}'", other_script.display()));
    let (code, out) = code_and_output(&o);
    assert_eq!(code, 3, "{out}");
    assert!(out.contains("not the one installed"), "{out}");
    assert_eq!(std::fs::read(&installed).unwrap(), before);
    let o = cluster.on(
        "etcd2",
        &[],
        &format!(
            "bash '{}'",
            renewed.join("members/etcd1/renew.sh").display()
        ),
    );
    let (code, out) = code_and_output(&o);
    assert_eq!(code, 3, "{out}");
    assert!(out.contains("none of member etcd1's addresses"), "{out}");
}

/// `renew.sh` of member `etcd<i>` on its own machine, as root, etcd running: both pairs
/// swapped and served, no restart; run again, already in place. etcd2's first run is killed
/// between the server pair and the peer pair (a lost session): the run after it finishes.
fn renew_in_place(cluster: &LiveCluster, t: &Path, subnet: u8, renewed: &Path, i: usize) {
    let name = format!("etcd{i}");
    let backups = t.join("backups").join(&name);
    let env = [("ETCD_PKI_BACKUPS", backups.to_str().unwrap())];
    let script = format!(
        "bash '{}'",
        renewed.join(format!("members/{name}/renew.sh")).display()
    );
    if i == 2 {
        cluster.on_interrupted(
            &name,
            &env,
            &script,
            "/server.crt: serial",
            &t.join("renew-interrupted.log"),
        );
    }
    let (code, out) = code_and_output(&cluster.on(&name, &env, &script));
    assert_eq!(code, 0, "renew.sh on {name}:\n{out}");
    println!("--- on {name}: bash renew.sh\n{out}");
    let pki = renewed.join(format!("members/{name}/pki"));
    for (kind, port) in [("server", CLIENT_PORT), ("peer", PEER_PORT)] {
        assert!(
            out.contains(&format!(
                "ok: {}:{port} serves {kind}.crt serial {}",
                ip(subnet, i),
                serial(&pki.join(format!("{kind}.crt")))
            )),
            "{out}"
        );
    }
    assert!(out.contains("etcd was not restarted"), "{out}");
    let (code, out) = code_and_output(&cluster.on(&name, &env, &script));
    assert_eq!(code, 0, "renew.sh on {name} again:\n{out}");
    assert!(
        out.contains("server.crt and server.key already in place"),
        "{out}"
    );
}

/// The client's certificate: the writer's files swapped as renew.sh swaps a member's, both
/// made first in a folder beside them, then renamed by one mv, certificate first.
fn swap_client_certificate(client_dir: &Path, new_client: &Path) {
    let stage = client_dir.join(".stage");
    std::fs::create_dir(&stage).unwrap();
    for f in ["client.crt", "client.key"] {
        std::fs::copy(new_client.join(f), stage.join(f)).unwrap();
    }
    must(
        Command::new("mv")
            .arg("-f")
            .arg("-t")
            .arg(client_dir)
            .arg(stage.join("client.crt"))
            .arg(stage.join("client.key")),
    );
    std::fs::remove_dir(&stage).unwrap();
}

/// Every port serves its new certificate, asked from elsewhere with a new handshake: the
/// client port by the renewed client, the peer port by the next member with its renewed
/// peer certificate (from its own address, as etcd checks a peer's address).
fn check_ports_serve_renewed(
    cluster: &LiveCluster,
    subnet: u8,
    renewed: &Path,
    client: &ClientTls,
) {
    let ca_crt = renewed.join("ca.crt");
    for i in 1..=3 {
        check_serves_own_certificate(renewed, subnet, i, client);
        let pki = renewed.join(format!("members/etcd{i}/pki"));
        let j = i % 3 + 1;
        let peer = renewed.join(format!("members/etcd{j}/pki"));
        assert_eq!(
            served_serial(
                Some(&cluster.member(&format!("etcd{j}")).netns),
                &ip(subnet, i),
                PEER_PORT,
                &ca_crt,
                &peer.join("peer.crt"),
                &peer.join("peer.key")
            ),
            serial(&pki.join("peer.crt")),
            "etcd{i} peer port, asked by etcd{j}"
        );
    }
}

/// Members keep talking, and accept each other's renewed peer certificates on new
/// connections: member 1's new peer certificate reads member 2's peer API (from etcd1's
/// machine: etcd checks a peer certificate against the caller's address).
fn check_members_keep_talking(cluster: &LiveCluster, subnet: u8, renewed: &Path) {
    let (ok, out) = admin(
        renewed,
        &endpoints(subnet, &[1, 2, 3]),
        "etcdctl endpoint health --cluster",
    );
    assert!(ok, "{out}");
    let p1 = renewed.join("members/etcd1/pki");
    let o = cluster.on(
        "etcd1",
        &[],
        &format!(
            "curl -sS --http1.1 --max-time 5 --cacert '{}' --cert '{}' --key '{}' {}/members",
            renewed.join("ca.crt").display(),
            p1.join("peer.crt").display(),
            p1.join("peer.key").display(),
            peer_url(subnet, 2)
        ),
    );
    let (code, members) = code_and_output(&o);
    assert_eq!(code, 0, "{members}");
    assert!(members.contains("etcd3"), "{members}");
}

/// check-expiry.sh reports the new dates of what is installed.
fn check_expiry_shows_renewed(cluster: &LiveCluster, bundle: &Path, renewed: &Path) {
    let o = run(Command::new("bash")
        .arg(bundle.join("check-expiry.sh"))
        .arg(&cluster.member("etcd1").cert_dir));
    let out = code_and_output(&o).1;
    let end = must(
        Command::new("openssl")
            .args(["x509", "-noout", "-enddate", "-in"])
            .arg(renewed.join("members/etcd1/pki/server.crt")),
    );
    let end = end.trim().trim_start_matches("notAfter=");
    assert!(
        out.lines()
            .any(|l| l.contains("server.crt") && l.contains(end)),
        "check-expiry.sh does not show the renewed server.crt ({end}):\n{out}"
    );
}

/// The textbook quorum case, on the three members: with etcd3 down, removing the healthy
/// etcd2 would leave etcd1 alone of two, below their quorum of 2. Refused.
fn check_remove_refused_below_quorum(
    cluster: &mut LiveCluster,
    t: &Path,
    subnet: u8,
    renewed: &Path,
) {
    cluster.stop("etcd3");
    let healthy = wait_for(Duration::from_secs(30), || {
        admin(renewed, &client_url(subnet, 1), "etcdctl endpoint health")
    });
    assert!(healthy.is_ok(), "{healthy:?}");
    let remove2 = cli(
        t,
        "remove-member",
        "renewed",
        &["--name", "etcd2"],
        "remove-etcd2",
    )
    .join("runbook/remove-etcd2.sh");
    let (code, out) = run_script(&remove2, &[]);
    assert_eq!(code, 3, "{out}");
    assert!(
        out.contains(
            "without etcd2, 1 of the 2 remaining members are healthy, below their quorum of 2"
        ) && out.contains("Bring back etcd3 first"),
        "{out}"
    );
    let (ok, list) = admin(renewed, &client_url(subnet, 1), "etcdctl member list");
    assert!(
        ok && list.contains("etcd2,"),
        "a refused removal removed: {list}"
    );
}

/// A 1-member cluster (the case where a voting member that never starts stops every write):
/// a client is revoked first, then a member is added with the bundle's runbook — as a learner,
/// promoted once it has caught up — while a writer runs; the new member starts with the CRL
/// its bundle carries and refuses the revoked client. Then a member that never starts: the
/// runbook waits, removes the learner again and fails, and the writer never stops.
#[test]
fn one_member_grows_to_two_as_a_learner_and_a_member_that_never_starts_changes_nothing() {
    let subnet = 170;
    let tmp = TempDir::new("daytwo-learner");
    let t = tmp.path();
    let spec = serde_json::json!({
        "cluster_name": "learner170",
        "etcd_version": etcd().1,
        "nodes": [{"name": "etcd1", "ips": [ip(subnet, 1)]}],
        "clients": [{"name": "etcdctl", "common_name": "root", "kind": "etcdctl"},
                    {"name": "alice", "common_name": "alice"}],
        "cert_dir": format!("{}/hosts/{{name}}/pki", t.display()),
        "data_dir": format!("{}/hosts/{{name}}/data", t.display()),
    });
    generate_bundle(&spec.to_string(), t);
    // alice is revoked while the cluster has one member; etcd1 starts from that bundle.
    let revoked = cli(t, "revoke", "bundle", &["--client", "alice"], "revoked");
    let logs = t.join("logs");
    std::fs::create_dir_all(&logs).unwrap();
    let mut cluster = LiveCluster::new(subnet, &etcd().0, &logs);
    cluster.start(&revoked.join("members/etcd1"), &[]);
    let one = client_url(subnet, 1);
    let healthy = wait_for(Duration::from_secs(60), || {
        admin(&revoked, &one, "etcdctl endpoint health")
    });
    assert!(
        healthy.is_ok(),
        "etcd1 did not start: {healthy:?}\n{}",
        cluster.log_tails(15)
    );
    let client = ClientTls::from_folder(&revoked.join("clients/etcdctl"));
    let writer = Writer::start(
        Target {
            endpoints: vec![one.clone()],
            tls: Some(client),
            netns: None,
        },
        WriterOptions::default(),
    );
    assert!(
        writer.wait_for_acks(20, Duration::from_secs(30)),
        "the writer cannot write"
    );

    // 1 → 2: the new member joins as a learner and is promoted.
    let grown = cli(
        t,
        "add-member",
        "revoked",
        &["--name", "etcd2", "--ip", &ip(subnet, 2)],
        "add-etcd2",
    );
    let from = epoch_now();
    let mut run = spawn_script(
        &grown.join("runbook/add-etcd2.sh"),
        &["--wait", "120"],
        &t.join("add-etcd2.log"),
    );
    let asked = wait_until(Duration::from_secs(120), || {
        run.log_text().contains("On the new machine") || matches!(run.child.try_wait(), Ok(Some(_)))
    });
    assert!(
        asked && run.log_text().contains("is a learner now"),
        "{}",
        run.log_text()
    );
    let (ok, list) = admin(&grown, &one, "etcdctl member list");
    assert!(
        ok && list.contains("unstarted") && list.contains(", true"),
        "added as a learner:\n{list}"
    );
    cluster.start(&grown.join("members/etcd2"), &[]);
    let (code, out) = finish(&mut run, Duration::from_secs(180));
    assert_eq!(code, 0, "add-etcd2.sh:\n{out}\n{}", cluster.log_tails(20));
    assert!(out.contains("etcd2 promoted to a voting member"), "{out}");
    let added_window = (from, epoch_now());
    let (ok, list) = admin(
        &grown,
        &format!("{one},{}", client_url(subnet, 2)),
        "etcdctl member list",
    );
    assert!(
        ok && list.matches(", false").count() == 2,
        "two voting members:\n{list}"
    );
    // The member added after the revocation refuses alice, and serves the administrator.
    let two = client_url(subnet, 2);
    let (alice_ok, said) = etcdctl_as(&grown.join("clients/alice"), &two, "get x");
    assert!(
        !alice_ok,
        "revoked alice reads from etcd2, which started after her revocation:\n{said}"
    );
    let (admin_ok, said) = etcdctl_as(&grown.join("clients/etcdctl"), &two, "get x");
    assert!(admin_ok, "{said}");
    assert!(
        cluster
            .member("etcd2")
            .proc
            .as_ref()
            .unwrap()
            .log_text()
            .contains("rejected connection"),
        "etcd2's log names no refusal"
    );

    // A member that never starts: the learner is removed again, writes never stop.
    let third = cli(
        t,
        "add-member",
        "add-etcd2",
        &["--name", "etcd3", "--ip", &ip(subnet, 3)],
        "add-etcd3",
    );
    let never_from = epoch_now();
    let (code, out) = run_script(&third.join("runbook/add-etcd3.sh"), &["--wait", "8"]);
    let never_window = (never_from, epoch_now());
    assert_ne!(code, 0, "{out}");
    assert!(out.contains("the learner was removed again"), "{out}");
    let both = format!("{one},{two}");
    let (ok, list) = admin(&third, &both, "etcdctl member list");
    assert!(
        ok && !list.contains("etcd3") && list.matches("started").count() == 2,
        "{list}"
    );

    let report = writer.stop();
    let missing = verify_all_acked(
        &report.acked(),
        &Target {
            endpoints: vec![one.clone(), two.clone()],
            tls: Some(ClientTls::from_folder(&grown.join("clients/etcdctl"))),
            netns: None,
        },
    );
    assert!(missing.is_empty(), "acknowledged writes lost: {missing:?}");
    for (op, (a, b)) in [
        ("add-member(1→2, learner)", added_window),
        ("add-member(never starts)", never_window),
    ] {
        let r = report.between(a, b);
        assert_eq!(
            r.failed_count(),
            0,
            "{op}: writes failed: {:?}",
            r.failures()
        );
        daytwo_line(op, &r, 0);
    }
    assert_eq!(cluster.restarts(), 0);
}
