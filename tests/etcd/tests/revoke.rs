//! Revocation on a running cluster, on every etcd release the tests have (3.4.23 from Debian;
//! 3.5.34, 3.6.15 and 3.7.2 from tools/, see scripts/setup.sh):
//!
//! - three members started with `ETCD_CLIENT_CRL_FILE` and `ETCD_PEER_CRL_FILE` (env only: the
//!   YAML config has no such key) naming an empty DER CRL signed by the cluster's CA;
//! - a client is revoked: a new CRL is put in place on every member with the bundle's
//!   `install-crl.sh` (temp file + `mv -fT`, root:etcd 0644) and no restart; the revoked
//!   client's next connection is refused, over gRPC (etcdctl) and over HTTP (the JSON
//!   gateway), while another client's writer, running all along, keeps every write;
//! - on 3.5.34+ the client's HTTP API runs on its own listener (`--listen-client-http-urls`),
//!   the split that let gRPC skip the CRL before 3.5.32 / 3.6.13: gRPC refuses the revoked
//!   client too;
//! - a member is removed, then its server and peer certificates are revoked: before the new
//!   CRL its peer certificate still reads another member's peer API, after it is refused while
//!   a remaining member's peer certificate is not;
//! - the revocation's `rbac-revoke.sh` (rbac.sh's companion) removes alice's etcd user and the
//!   role only she held, keeps the role bob shares, and says so when run again;
//! - `install-crl.sh` refuses a CRL of another CA, an older CRL, a PEM CRL and another
//!   member's machine, changing nothing (on 3.4.23 only, with a lost session's second run and
//!   the restart that ends an open connection: the script is the same for every release).
//!
//! Each version prints `REVOKE etcd=… longest_gap_ms=… acked=… failed=… restarts=…`.
//! Members run in network namespaces on 198.18.110-113.0/24.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use e2e_etcd::live::wait_for;
use e2e_etcd::revocation::{install_crl, peer_get, remove_member, start_with_crl, writer_as};
use e2e_etcd::{
    ClientTls, LiveCluster, Proc, Target, TempDir, Writer, code_and_output, etcd_pki_bin,
    etcdctl_as, generate_bundle, must, run, verify_all_acked,
};
use pki_core::crl;

struct Version {
    label: &'static str,
    spec: &'static str,
    etcd: PathBuf,
    /// Has `--listen-client-http-urls` (3.5.8+); the versions here all have the CRL fix for it.
    split_http: bool,
}

fn version(label: &'static str) -> Version {
    let tools = e2e_etcd::workspace_root().join("tools");
    let (spec, etcd, split_http) = match label {
        "3.4.23" => ("3.4", PathBuf::from("/usr/bin/etcd"), false),
        "3.5.34" => ("3.5", tools.join("etcd-3.5.34/etcd"), true),
        "3.6.15" => ("3.6", tools.join("etcd-3.6.15/etcd"), true),
        "3.7.2" => ("3.7", tools.join("etcd-3.7.2/etcd"), true),
        _ => unreachable!(),
    };
    assert!(
        etcd.exists(),
        "{} is missing: run ./scripts/setup.sh",
        etcd.display()
    );
    Version {
        label,
        spec,
        etcd,
        split_http,
    }
}

const HTTP_PORT: u16 = 2382;

fn ip(subnet: u8, i: usize) -> String {
    format!("198.18.{subnet}.{i}")
}

/// `etcd-pki ARGS`: exit code and output.
fn cli(args: &[&str]) -> (i32, String) {
    let o = run(Command::new(etcd_pki_bin()).args(args));
    code_and_output(&o)
}

/// `etcd-pki revoke --from FROM --ca-key KEY EXTRA… --out TO`, unzipped into the folder
/// named like `TO` without `.zip`; returns that folder and what etcd-pki said.
fn revoke_cli(t: &Path, from: &str, to: &str, extra: &[&str]) -> (PathBuf, String) {
    let key = t.join("ca.key");
    let (from, out) = (t.join(from), t.join(to));
    let mut args = vec![
        "revoke",
        "--from",
        from.to_str().unwrap(),
        "--ca-key",
        key.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let (code, said) = cli(&args);
    assert_eq!(code, 0, "etcd-pki {}:\n{said}", args.join(" "));
    let dir = t.join(to.trim_end_matches(".zip"));
    e2e_etcd::unzip(&out, &dir);
    (dir, said)
}

fn serial_of(cert: &Path) -> Vec<u8> {
    let s = must(
        Command::new("openssl")
            .args(["x509", "-noout", "-serial", "-in"])
            .arg(cert),
    );
    crl::parse_serial(s.trim()).unwrap()
}

/// `bash SCRIPT` from the unpacked bundle `folder` (rbac.sh, rbac-revoke.sh): success, output.
fn rbac(folder: &Path, script: &str) -> (bool, String) {
    let o = run(Command::new("bash").arg(folder.join(script)));
    let (code, out) = code_and_output(&o);
    (code == 0, out)
}

/// A put through the JSON gateway as the client of `folder`.
fn http_put(folder: &Path, base: &str, key: &str) -> (bool, String) {
    let c = ClientTls::from_folder(folder);
    let body = format!(
        r#"{{"key":"{}","value":"eA=="}}"#,
        e2e_etcd::writer::base64(key.as_bytes())
    );
    let o = run(Command::new("curl")
        .args(["-sS", "--max-time", "5", "--cacert"])
        .arg(&c.ca)
        .arg("--cert")
        .arg(&c.cert)
        .arg("--key")
        .arg(&c.key)
        .args(["-X", "POST", "-d", &body])
        .arg(format!("{base}/v3/kv/put")));
    let (code, out) = code_and_output(&o);
    (code == 0 && out.contains("\"revision\""), out)
}

/// One run of the scenario: the etcd release, its network and the scratch folder.
struct Run<'a> {
    v: Version,
    subnet: u8,
    t: &'a Path,
}

impl Run<'_> {
    /// Member `i`'s gRPC endpoint.
    fn grpc(&self, i: usize) -> String {
        format!("https://{}:2379", ip(self.subnet, i))
    }

    /// Member `i`'s HTTP (JSON gateway) endpoint: its own listener where the release has one.
    fn http(&self, i: usize) -> String {
        let port = if self.v.split_http { HTTP_PORT } else { 2379 };
        format!("https://{}:{port}", ip(self.subnet, i))
    }

    /// The environment member `i` gets beyond its env file: the HTTP listener of its own.
    fn http_env(&self, i: usize) -> Vec<(String, String)> {
        if self.v.split_http {
            vec![(
                "ETCD_LISTEN_CLIENT_HTTP_URLS".into(),
                format!("https://{}:{HTTP_PORT}", ip(self.subnet, i)),
            )]
        } else {
            Vec::new()
        }
    }

    /// The checks that do not depend on the etcd release run on one release only (3.4.23):
    /// install-crl.sh is the same script for every release (its refusals and a lost
    /// session's second run are the script's), and open connections and the restart that
    /// ends them are etcd's TLS handshake, the same in all.
    fn once(&self) -> bool {
        self.v.label == "3.4.23"
    }
}

/// The scenario's spec: three members, the admin client, alice and bob sharing a role.
fn spec(t: &Path, subnet: u8, v: &Version) -> String {
    serde_json::json!({
        "cluster_name": format!("revoke{subnet}"),
        "etcd_version": v.spec,
        "nodes": (1..=3).map(|i| serde_json::json!({"name": format!("etcd{i}"), "ips": [ip(subnet, i)]})).collect::<Vec<_>>(),
        "clients": [
            {"name": "etcdctl", "common_name": "root", "kind": "etcdctl"},
            {"name": "alice", "common_name": "alice", "roles": ["shared"],
             "grants": [{"key_prefix": "/alice", "permission": "readwrite"}]},
            {"name": "bob", "common_name": "bob", "roles": ["shared"],
             "grants": [{"key_prefix": "/w/", "permission": "readwrite"},
                        {"key_prefix": "/bob", "permission": "readwrite"}]}
        ],
        "cert_dir": format!("{}/hosts/{{name}}/pki", t.display()),
        "data_dir": format!("{}/hosts/{{name}}/data", t.display()),
    })
    .to_string()
}

fn revoke(label: &'static str, subnet: u8) {
    let tmp = TempDir::new(&format!("revoke-{subnet}"));
    let r = Run {
        v: version(label),
        subnet,
        t: tmp.path(),
    };
    let spec = spec(r.t, subnet, &r.v);
    generate_bundle(&spec, r.t);
    let (mut cluster, bundle) = start_with_the_first_crl(&r);
    let admin = bundle.join("clients/etcdctl");
    let (bob, alice) = (bundle.join("clients/bob"), bundle.join("clients/alice"));
    set_up_users(&r, &bundle, &admin);
    // Bob writes every 50 ms through members 1 and 2 (member 3 is removed later), each put
    // its own TLS connection: every one of them reads the CRL.
    let (writer, bob_target) = writer_as(&bob, vec![r.http(1), r.http(2)], &cluster);
    check_alice_writes(&r, &alice);
    let mut watch = r.once().then(|| open_alice_watch(&r, &alice, &admin));

    let (r1, alice_serial) = revoke_alice_with_cli(&r);
    let revoked_at = e2e_etcd::writer::epoch_now();
    install_crl_everywhere(&r, &cluster, &r1);
    check_alice_refused(&r, &cluster, &alice, &bob, &alice_serial);
    assert!(
        writer.wait_for_acks(20, Duration::from_secs(30)),
        "{label}: bob stopped writing after the CRL"
    );
    if let Some(w) = watch.as_mut() {
        check_open_watch_lasts_until_restart(&r, &mut cluster, w, &admin, &r1);
        assert!(
            writer.wait_for_acks(20, Duration::from_secs(30)),
            "{label}: bob stopped writing after etcd3's restart"
        );
    }
    rbac_revoke_removes_alice(&r, &r1, &admin, &bob);
    assert!(
        writer.wait_for_acks(10, Duration::from_secs(30)),
        "{label}: bob stopped writing after rbac-revoke.sh"
    );
    // The one restart install-crl.sh --restart asked for, none other.
    assert_eq!(cluster.restarts(), usize::from(r.once()));
    assert!(cluster.died().is_empty(), "{label}: {:?}", cluster.died());

    let r3 = remove_and_revoke_etcd3(&r, &cluster, &bundle, &admin);
    if r.once() {
        check_install_crl_refuses(&r, &cluster, &spec, &r1, &r3);
    }
    check_bob_never_refused(&r, &cluster, writer, &bob_target, revoked_at);
}

/// The first CRL, empty (etcd-pki revoke naming nothing): CRLs on from the start, with the
/// settings of the bundle's drop-in (etcd.service.d/20-etcd-pki-crl.conf), as systemd would
/// pass them. Returns the running cluster and the bundle (r0) it runs from.
fn start_with_the_first_crl(r: &Run) -> (LiveCluster, PathBuf) {
    let (label, t) = (r.v.label, r.t);
    let logs = t.join("logs");
    std::fs::create_dir_all(&logs).unwrap();
    let (bundle, said) = revoke_cli(t, "bundle.zip", "r0.zip", &[]);
    assert!(said.contains("first CRL"), "{said}");
    let mut cluster = LiveCluster::new(r.subnet, &r.v.etcd, &logs);
    start_with_crl(&mut cluster, &bundle, 3, |i| r.http_env(i));
    let admin = bundle.join("clients/etcdctl");
    let all = (1..=3).map(|i| r.grpc(i)).collect::<Vec<_>>().join(",");
    let healthy = wait_for(Duration::from_secs(60), || {
        etcdctl_as(&admin, &all, "endpoint health --cluster")
    });
    assert!(
        healthy.is_ok(),
        "{label}: the cluster did not start: {healthy:?}\n{}",
        cluster.log_tails(15)
    );
    for i in 1..=3 {
        let installed = std::fs::metadata(format!("{}/hosts/etcd{i}/pki/crl.der", t.display()));
        assert!(installed.is_ok(), "etcd{i}'s CRL is not installed");
    }
    (cluster, bundle)
}

/// The users and roles of rbac.sh (root, alice and bob, roles shared, alice and bob), then
/// auth off again: bob's writer goes through the JSON gateway, which etcd does not give the
/// caller's certificate CN, so with auth on it would write as nobody. The users stay.
fn set_up_users(r: &Run, bundle: &Path, admin: &Path) {
    let label = r.v.label;
    let (ok, out) = rbac(bundle, "rbac.sh");
    assert!(ok, "{label}: rbac.sh: {out}");
    let all = (1..=3).map(|i| r.grpc(i)).collect::<Vec<_>>().join(",");
    let (ok, out) = etcdctl_as(admin, &all, "auth disable");
    assert!(ok, "{label}: auth disable: {out}");
}

/// Alice writes to every member over gRPC and HTTP before her revocation.
fn check_alice_writes(r: &Run, alice: &Path) {
    let label = r.v.label;
    for i in 1..=3 {
        let (ok, out) = etcdctl_as(alice, &r.grpc(i), "put /alice before");
        assert!(
            ok,
            "{label}: alice cannot write before her revocation: {out}"
        );
        let (ok, out) = http_put(alice, &r.http(i), "/alice/http");
        assert!(ok, "{label}: alice cannot write over HTTP before: {out}");
    }
}

/// Alice watches /alice/w on etcd3 (which bob's writer does not use) over one gRPC
/// connection, opened before her revocation; the watch sees a first event.
fn open_alice_watch(r: &Run, alice: &Path, admin: &Path) -> Proc {
    let watch = Proc::spawn(
        "alice's watch",
        Command::new("etcdctl")
            .arg(format!("--endpoints={}", r.grpc(3)))
            .args([
                format!("--cacert={}", alice.join("ca.crt").display()),
                format!("--cert={}", alice.join("client.crt").display()),
                format!("--key={}", alice.join("client.key").display()),
                "watch".into(),
                "/alice/w".into(),
            ]),
        &r.t.join("alice-watch.log"),
    );
    let (ok, out) = etcdctl_as(admin, &r.grpc(2), "put /alice/w zero");
    assert!(ok, "{out}");
    let seen = wait_for(Duration::from_secs(20), || {
        let l = watch.log_text();
        (l.contains("zero"), l)
    });
    assert!(
        seen.is_ok(),
        "{}: alice's watch sees nothing: {seen:?}",
        r.v.label
    );
    watch
}

/// `etcd-pki revoke --client alice`: CRL number 2, no restart needed. Returns the new
/// bundle (r1) and alice's serial.
fn revoke_alice_with_cli(r: &Run) -> (PathBuf, Vec<u8>) {
    let alice_serial = serial_of(&r.t.join("r0/clients/alice/client.crt"));
    let (r1, said) = revoke_cli(
        r.t,
        "r0.zip",
        "r1.zip",
        &[
            "--client",
            "alice",
            "--reason",
            "key-compromise",
            "--next-update",
            "7",
        ],
    );
    println!("--- etcd-pki revoke --client alice\n{said}");
    assert!(
        said.contains("Revoked clients/alice") && said.contains("no restart"),
        "{said}"
    );
    (r1, alice_serial)
}

/// r1's `install-crl.sh` on every member's machine, no restart; installed root:etcd 0644.
/// (Once: etcd2's first run is killed right after the CRL was put in place, before it
/// checks what etcd reads — a lost session; the run after it finds the CRL there and
/// finishes.)
fn install_crl_everywhere(r: &Run, cluster: &LiveCluster, r1: &Path) {
    let label = r.v.label;
    for i in 1..=3 {
        let interrupted = i == 2 && r.once();
        if interrupted {
            cluster.on_interrupted(
                "etcd2",
                &[],
                &format!(
                    "bash '{}'",
                    r1.join("members/etcd2/install-crl.sh").display()
                ),
                "crl.der: CRL number",
                &r.t.join("install-crl-interrupted.log"),
            );
        }
        let (code, out) = install_crl(cluster, r1, i, i);
        println!("--- on etcd{i}: bash members/etcd{i}/install-crl.sh\n{out}");
        assert_eq!(code, 0, "{label}: install-crl.sh on etcd{i}:\n{out}");
        let installed_now = if interrupted {
            "crl.der is already this CRL (number 02)"
        } else {
            "CRL number 02, 1 revoked serial(s)"
        };
        assert!(
            out.contains(installed_now)
                && out.contains(
                    "the CRL is in force now for every new connection; etcd was not restarted"
                ),
            "{label}: {out}"
        );
        let installed = PathBuf::from(format!("{}/hosts/etcd{i}/pki/crl.der", r.t.display()));
        let meta = must(
            Command::new("stat")
                .args(["-c", "%U:%G %a"])
                .arg(&installed),
        );
        assert_eq!(meta.trim(), "root:etcd 644", "{label}: etcd{i}'s crl.der");
    }
}

/// Alice's next connection is refused, on every member, over gRPC and HTTP, and each member's
/// log names her serial; bob is not refused.
fn check_alice_refused(
    r: &Run,
    cluster: &LiveCluster,
    alice: &Path,
    bob: &Path,
    alice_serial: &[u8],
) {
    let label = r.v.label;
    for i in 1..=3 {
        let (ok, out) = etcdctl_as(alice, &r.grpc(i), "put /alice after");
        assert!(
            !ok,
            "{label}: revoked alice still writes over gRPC to etcd{i}: {out}"
        );
        let (ok, out) = http_put(alice, &r.http(i), "/alice/http2");
        assert!(
            !ok,
            "{label}: revoked alice still writes over HTTP to etcd{i}: {out}"
        );
        let (ok, out) = etcdctl_as(bob, &r.grpc(i), "put /bob after");
        assert!(ok, "{label}: bob is refused by etcd{i} over gRPC: {out}");
        let log = cluster
            .member(&format!("etcd{i}"))
            .proc
            .as_ref()
            .unwrap()
            .log_text();
        let hex = crl::serial_hex(alice_serial);
        assert!(
            log.contains(&format!("certificate serial {hex} revoked")),
            "{label}: etcd{i}'s log does not say alice's serial {hex} was revoked"
        );
    }
}

/// The connection alice opened before the CRL is still open: etcd checks the CRL at the
/// handshake only, as install-crl.sh said. For a compromised key: install-crl.sh --restart
/// on etcd3 restarts it (ETCD_PKI_RESTART asks this test, as systemd would be asked) and
/// waits until it is healthy; alice's connection to it ends, and her watch, trying again, is
/// refused.
fn check_open_watch_lasts_until_restart(
    r: &Run,
    cluster: &mut LiveCluster,
    w: &mut Proc,
    admin: &Path,
    r1: &Path,
) {
    let label = r.v.label;
    let (ok, out) = etcdctl_as(admin, &r.grpc(2), "put /alice/w one");
    assert!(ok, "{out}");
    let seen = wait_for(Duration::from_secs(20), || {
        let l = w.log_text();
        (l.contains("one"), l)
    });
    assert!(
        seen.is_ok(),
        "{label}: alice's open watch ended without a restart: {seen:?}"
    );
    move_leader_off_etcd3(r, admin);
    let request = r.t.join("restart-etcd3");
    let restart = format!(
        "touch '{r}'; for _ in $(seq 600); do [ -e '{r}' ] || exit 0; sleep 0.1; done; exit 1",
        r = request.display()
    );
    let mut cmd = Command::new("ip");
    cmd.args([
        "netns",
        "exec",
        &cluster.member("etcd3").netns.clone(),
        "env",
    ])
    .arg(format!("ETCD_PKI_RESTART={restart}"))
    .arg("bash")
    .arg(r1.join("members/etcd3/install-crl.sh"))
    .arg("--restart");
    let mut script = Proc::spawn("install-crl --restart", &mut cmd, &r.t.join("restart.log"));
    let restarted = wait_for(Duration::from_secs(60), || {
        (request.exists(), script.log_text())
    });
    assert!(
        restarted.is_ok(),
        "{label}: no restart asked: {restarted:?}"
    );
    cluster.stop("etcd3");
    let folder = r1.join("members/etcd3");
    let mut env = e2e_etcd::dropin_env(&folder.join("etcd.service.d/20-etcd-pki-crl.conf"));
    env.extend(r.http_env(3));
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    cluster.start(&folder, &env);
    std::fs::remove_file(&request).unwrap();
    let ended = wait_for(Duration::from_secs(120), || {
        (
            matches!(script.child.try_wait(), Ok(Some(_))),
            script.log_text(),
        )
    });
    assert!(
        ended.is_ok(),
        "{label}: install-crl.sh --restart hangs: {ended:?}"
    );
    let code = script.child.wait().unwrap().code();
    let out = script.log_text();
    println!("--- on etcd3: bash install-crl.sh --restart\n{out}");
    assert_eq!(code, Some(0), "{label}: install-crl.sh --restart:\n{out}");
    assert!(
        out.contains("etcd is back") && out.contains("healthy"),
        "{out}"
    );
    let (ok, out) = etcdctl_as(admin, &r.grpc(2), "put /alice/w two");
    assert!(ok, "{out}");
    std::thread::sleep(Duration::from_secs(3));
    let l = w.log_text();
    assert!(
        l.contains("one") && !l.contains("two"),
        "{label}: alice's watch still receives events after the restart:\n{l}"
    );
    w.stop();
}

/// Not while etcd3 leads: the election after its restart would fail some of bob's writes
/// through etcd1 and etcd2, and this test counts every failure that is not a timeout.
fn move_leader_off_etcd3(r: &Run, admin: &Path) {
    let status = |i: usize| {
        let (ok, out) = etcdctl_as(admin, &r.grpc(i), "endpoint status -w json");
        assert!(ok, "{out}");
        let v: serde_json::Value = serde_json::from_str(out.trim()).expect("endpoint status JSON");
        let st = &v[0]["Status"];
        (
            st["header"]["member_id"].as_u64().unwrap(),
            st["leader"].as_u64().unwrap(),
        )
    };
    let (id3, leader) = status(3);
    if leader == id3 {
        let (id1, _) = status(1);
        let (ok, out) = etcdctl_as(admin, &r.grpc(3), &format!("move-leader {id1:x}"));
        assert!(ok, "{}: move-leader: {out}", r.v.label);
    }
}

/// The rbac.sh companion of the revocation: alice's etcd user goes, and her own role; the
/// role bob holds too stays, bob's user stays and bob keeps writing. Run again, it says there
/// is nothing left to do.
fn rbac_revoke_removes_alice(r: &Run, r1: &Path, admin: &Path, bob: &Path) {
    let label = r.v.label;
    let (ok, out) = rbac(r1, "rbac-revoke.sh");
    println!("--- bash rbac-revoke.sh\n{out}");
    assert!(ok, "{label}: rbac-revoke.sh: {out}");
    assert!(
        out.contains("removed user alice")
            && out.contains("removed role alice (no other user held it)")
            && out.contains("role shared kept: user(s) bob hold it too"),
        "{label}: {out}"
    );
    let (ok, users) = etcdctl_as(admin, &r.grpc(1), "user list");
    assert!(ok, "{users}");
    let users: Vec<&str> = users.lines().map(str::trim).collect();
    assert!(
        !users.contains(&"alice") && users.contains(&"bob") && users.contains(&"root"),
        "{label}: users after rbac-revoke.sh: {users:?}"
    );
    let (ok, roles) = etcdctl_as(admin, &r.grpc(1), "role list");
    assert!(ok, "{roles}");
    let roles: Vec<&str> = roles.lines().map(str::trim).collect();
    assert!(
        !roles.contains(&"alice") && roles.contains(&"shared") && roles.contains(&"bob"),
        "{label}: roles after rbac-revoke.sh: {roles:?}"
    );
    let (ok, out) = rbac(r1, "rbac-revoke.sh");
    assert!(ok, "{label}: rbac-revoke.sh again: {out}");
    assert!(
        out.contains("user alice does not exist (removed already)")
            && out.contains("role alice does not exist (removed already)"),
        "{label}: {out}"
    );
    let (ok, out) = etcdctl_as(bob, &r.grpc(1), "put /bob after-rbac x");
    assert!(ok, "{label}: bob cannot write after rbac-revoke.sh: {out}");
}

/// A removed member: etcd3 leaves the cluster (its peer certificate still trusted: only the
/// CRL will stop it), the bundle without etcd3 is made (remove-member), then etcd3's
/// certificates are revoked by name — the bundle keeps a removed member's certificates
/// (spec.json's removed_members) — and the CRL installed on etcd1 and etcd2: etcd3's peer
/// certificate is refused, the remaining members' are not. Returns the last bundle (r3).
fn remove_and_revoke_etcd3(r: &Run, cluster: &LiveCluster, bundle: &Path, admin: &Path) -> PathBuf {
    let (label, t) = (r.v.label, r.t);
    remove_member(admin, &r.grpc(1), "etcd3", &r.grpc(3));
    let peer1 = format!("https://{}:2380", ip(r.subnet, 1));
    let peer2 = format!("https://{}:2380", ip(r.subnet, 2));
    let (ok, out) = peer_get(cluster, bundle, 3, 3, &peer1);
    assert!(
        ok,
        "{label}: etcd3's peer certificate is refused before its revocation: {out}"
    );
    let key = t.join("ca.key");
    let (r1z, r2z) = (t.join("r1.zip"), t.join("r2.zip"));
    let (code, said) = cli(&[
        "remove-member",
        "--from",
        r1z.to_str().unwrap(),
        "--ca-key",
        key.to_str().unwrap(),
        "--name",
        "etcd3",
        "--out",
        r2z.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{said}");
    let m3 = bundle.join("members/etcd3/pki");
    let s3 = crl::serial_hex(&serial_of(&m3.join("server.crt")));
    let p3 = crl::serial_hex(&serial_of(&m3.join("peer.crt")));
    let (r3, said) = revoke_cli(
        t,
        "r2.zip",
        "r3.zip",
        &["--member", "etcd3", "--reason", "cessation-of-operation"],
    );
    println!("--- etcd-pki revoke --member etcd3\n{said}");
    let with_colons = |hex: &str| {
        hex.as_bytes()
            .chunks(2)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect::<Vec<_>>()
            .join(":")
    };
    for s in [&s3, &p3] {
        assert!(
            said.contains(&with_colons(s)),
            "{label}: {s} not revoked:\n{said}"
        );
    }
    assert!(r3.join("members/etcd3").symlink_metadata().is_err());
    for i in 1..=2 {
        let (code, out) = install_crl(cluster, &r3, i, i);
        assert_eq!(code, 0, "{label}: install-crl.sh on etcd{i}:\n{out}");
        assert!(out.contains("CRL number 03, 3 revoked serial(s)"), "{out}");
        assert!(out.contains("etcd was not restarted"), "{out}");
    }
    for (from, to, refused) in [
        (3, &peer1, true),
        (3, &peer2, true),
        (2, &peer1, false),
        (1, &peer2, false),
    ] {
        let (ok, out) = peer_get(cluster, bundle, from, from, to);
        assert_eq!(
            ok,
            !refused,
            "{label}: etcd{from}'s peer certificate at {to}: expected {}: {out}",
            if refused {
                "a refusal (revoked)"
            } else {
                "to be accepted"
            }
        );
    }
    let (ok, out) = etcdctl_as(
        admin,
        &format!("{},{}", r.grpc(1), r.grpc(2)),
        "endpoint health --cluster",
    );
    assert!(
        ok,
        "{label}: the two remaining members are not healthy: {out}"
    );
    r3
}

/// install-crl.sh refuses an older CRL, another CA's, a PEM CRL and another member's
/// machine, each leaving the installed CRL as it is; the same CRL again is nothing to do.
fn check_install_crl_refuses(r: &Run, cluster: &LiveCluster, spec: &str, r1: &Path, r3: &Path) {
    let installed1 = PathBuf::from(format!("{}/hosts/etcd1/pki/crl.der", r.t.display()));
    let before = std::fs::read(&installed1).unwrap();
    let crl_in_bundle = r3.join("members/etcd1/pki/crl.der");
    let keep = std::fs::read(&crl_in_bundle).unwrap();
    // An older CRL (number 2, r1's): it would take etcd3's revocation back.
    std::fs::copy(r1.join("members/etcd1/pki/crl.der"), &crl_in_bundle).unwrap();
    let (code, out) = install_crl(cluster, r3, 1, 1);
    assert_eq!(code, 3, "{out}");
    assert!(out.contains("not a later one"), "{out}");
    // Another CA's CRL.
    let other_tmp = TempDir::new(&format!("revoke-other-{}", r.subnet));
    generate_bundle(spec, other_tmp.path());
    let (other, _) = revoke_cli(other_tmp.path(), "bundle.zip", "o.zip", &[]);
    std::fs::copy(other.join("members/etcd1/pki/crl.der"), &crl_in_bundle).unwrap();
    let (code, out) = install_crl(cluster, r3, 1, 1);
    assert_eq!(code, 3, "{out}");
    assert!(out.contains("not signed by the CA installed"), "{out}");
    // PEM, which etcd 3.6+ cannot read.
    let pem = must(
        Command::new("openssl")
            .args(["crl", "-inform", "DER", "-in"])
            .arg(r3.join("members/etcd2/pki/crl.der")),
    );
    std::fs::write(&crl_in_bundle, pem).unwrap();
    let (code, out) = install_crl(cluster, r3, 1, 1);
    assert_eq!(code, 3, "{out}");
    assert!(out.contains("is not a DER CRL"), "{out}");
    // Another member's machine.
    std::fs::write(&crl_in_bundle, &keep).unwrap();
    let (code, out) = install_crl(cluster, r3, 2, 1);
    assert_eq!(code, 3, "{out}");
    assert!(out.contains("none of member etcd1's addresses"), "{out}");
    assert_eq!(std::fs::read(&installed1).unwrap(), before);
    let (code, out) = install_crl(cluster, r3, 1, 1);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("already this CRL"), "{out}");
}

/// Every write bob's writer had acknowledged is there, and bob was never refused: a put may
/// only time out when this shared machine is overloaded (curl's 2 s limit), never fail its
/// handshake. Bob's files never change here, so not even one handshake of his may fail: a CRL
/// swapped in two steps (a moment with no file, which rejects every connection) would show.
fn check_bob_never_refused(
    r: &Run,
    cluster: &LiveCluster,
    writer: Writer,
    bob_target: &Target,
    revoked_at: f64,
) {
    let label = r.v.label;
    let report = writer.stop();
    let missing = verify_all_acked(&report.acked(), bob_target);
    assert!(
        missing.is_empty(),
        "{label}: acknowledged writes lost: {missing:?}"
    );
    for a in report.failures() {
        println!(
            "writer failure at {:.3} via {}: {}",
            a.at, a.endpoint, a.error
        );
    }
    println!(
        "REVOKE etcd={label} {} restarts={} (CRL installed at {revoked_at:.1})",
        report.summary(),
        cluster.restarts()
    );
    let refused = report.refusals();
    assert!(
        refused.is_empty(),
        "{label}: bob's writes failed other than by a timeout: {refused:?}"
    );
    let retried = report.retried();
    assert!(
        retried.is_empty(),
        "{label}: bob's TLS handshakes failed (retried at once): {retried:?}"
    );
    assert_eq!(cluster.restarts(), usize::from(r.once()));
}

#[test]
fn revoke_client_and_removed_member_etcd_3_4() {
    revoke("3.4.23", 110);
}

#[test]
fn revoke_client_and_removed_member_etcd_3_5() {
    revoke("3.5.34", 111);
}

#[test]
fn revoke_client_and_removed_member_etcd_3_6() {
    revoke("3.6.15", 112);
}

#[test]
fn revoke_client_and_removed_member_etcd_3_7() {
    revoke("3.7.2", 113);
}
