//! Revocation on a running cluster, the steps both the CLI's bundles (`tests/revoke.rs`) and
//! the page's (the browser tests' existing_bundle.rs) are followed with: members started with the CRL
//! settings of the bundle's drop-in, a bundle's `install-crl.sh` run on a member's machine, a
//! member taken out of the cluster as an operator would, and a peer certificate tried on a
//! member's peer port.

use std::path::Path;
use std::time::Duration;

use crate::{
    ClientTls, LiveCluster, Target, Writer, WriterOptions, code_and_output, dropin_env, etcdctl_as,
};

/// Starts each member `etcd1..=etcdN` of the unpacked `bundle` with the CRL settings of its
/// drop-in (`etcd.service.d/20-etcd-pki-crl.conf`, as systemd would pass them) and, for
/// member `i`, whatever `extra(i)` adds.
pub fn start_with_crl(
    cluster: &mut LiveCluster,
    bundle: &Path,
    members: usize,
    extra: impl Fn(usize) -> Vec<(String, String)>,
) {
    for i in 1..=members {
        let folder = bundle.join(format!("members/etcd{i}"));
        let mut env = dropin_env(&folder.join("etcd.service.d/20-etcd-pki-crl.conf"));
        assert_eq!(env.len(), 2, "etcd{i}'s CRL drop-in: {env:?}");
        env.extend(extra(i));
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        cluster.start(&folder, &env);
    }
}

/// `install-crl.sh` of member `i` of the unpacked `bundle`, run on member `on`'s machine (as
/// root, as the bundle says): exit code and output.
pub fn install_crl(cluster: &LiveCluster, bundle: &Path, on: usize, i: usize) -> (i32, String) {
    let o = cluster.on(
        &format!("etcd{on}"),
        &[],
        &format!(
            "bash '{}'",
            bundle
                .join(format!("members/etcd{i}/install-crl.sh"))
                .display()
        ),
    );
    code_and_output(&o)
}

/// GET /members on the peer URL `to` from member `from`'s machine with member `who`'s peer
/// certificate out of the unpacked `bundle` (etcd checks a peer certificate against the
/// caller's address): whether it answered, and what it said.
pub fn peer_get(
    cluster: &LiveCluster,
    bundle: &Path,
    from: usize,
    who: usize,
    to: &str,
) -> (bool, String) {
    let pki = bundle.join(format!("members/etcd{who}/pki"));
    let o = cluster.on(
        &format!("etcd{from}"),
        &[],
        &format!(
            "curl -sS --http1.1 --max-time 5 --cacert '{p}/ca.crt' --cert '{p}/peer.crt' --key '{p}/peer.key' {to}/members",
            p = pki.display()
        ),
    );
    let (code, out) = code_and_output(&o);
    (code == 0 && out.contains("\"peerURLs\""), out)
}

/// Takes member `name` out of the cluster as an operator would, as the admin client whose
/// files are in `admin`, through `endpoint` (another member's client URL): leadership moves
/// to another member first (so that writers do not wait for an election), then `etcdctl
/// member remove`. `name_endpoint` is the leaving member's own client URL.
pub fn remove_member(admin: &Path, endpoint: &str, name: &str, name_endpoint: &str) {
    let (ok, list) = etcdctl_as(admin, endpoint, "member list");
    assert!(ok, "{list}");
    let id_of = |member: &str| {
        list.lines()
            .find(|l| l.contains(&format!(", {member}, ")))
            .and_then(|l| l.split(',').next())
            .unwrap_or_else(|| panic!("no {member} in {list}"))
            .to_string()
    };
    let id = id_of(name);
    let (ok, status) = etcdctl_as(admin, name_endpoint, "endpoint status -w fields");
    assert!(ok, "{status}");
    let field = |f: &str| {
        status
            .lines()
            .find(|l| l.starts_with(&format!("\"{f}\" :")))
            .and_then(|l| l.split(':').nth(1))
            .map(|v| v.trim().to_string())
            .unwrap_or_default()
    };
    if field("Leader") == field("MemberID") {
        let other = list
            .lines()
            .find(|l| l.contains(", started, ") && !l.contains(&format!(", {name}, ")))
            .and_then(|l| l.split(',').next())
            .unwrap_or_else(|| panic!("no other started member in {list}"))
            .to_string();
        let (ok, out) = etcdctl_as(admin, name_endpoint, &format!("move-leader {other}"));
        assert!(ok, "move-leader: {out}");
    }
    let (ok, out) = etcdctl_as(admin, endpoint, &format!("member remove {id}"));
    assert!(ok, "member remove {name}: {out}");
}

/// A writer putting a key every 50 ms as the client whose files are in `folder`, through
/// `endpoints`, each put its own TLS handshake (so each reads the CRL); started, and writing
/// (20 acknowledged puts) before it is returned with its target.
pub fn writer_as(folder: &Path, endpoints: Vec<String>, cluster: &LiveCluster) -> (Writer, Target) {
    let target = Target {
        endpoints,
        tls: Some(ClientTls::from_folder(folder)),
        netns: None,
    };
    let writer = Writer::start(target.clone(), WriterOptions::default());
    assert!(
        writer.wait_for_acks(20, Duration::from_secs(30)),
        "{} cannot write\n{}",
        folder.display(),
        cluster.log_tails(10)
    );
    (writer, target)
}
