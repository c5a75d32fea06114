//! A running 3-member cluster of one CA moves to a root and an issuing CA (`rotate-ca
//! --ca-layout root+issuing`), or renews its CA certificate, while a writer puts a key every
//! 50 ms (each put its own TLS handshake) through a client that follows the kit's client
//! steps:
//!
//! - the move: `rotate/1-trust-both.sh` on each member (one restart each), the client's CA
//!   file old + new, `rotate/2-reissue.sh` on each member (no restart), the client's new
//!   certificate, then its CA file the new CA alone, `rotate/3-drop-old.sh` on each member
//!   (one restart each). Each script is first run out of order and must refuse, naming the
//!   step to run; at the end every member's trusted CA file is the new root alone, its server
//!   and peer files hold the leaf then the new issuing CA, etcdctl with the kit's admin files
//!   reads from every member, and a client certificate of the old CA is refused by every
//!   member;
//! - same-key renewal: `rotate/renew-ca.sh` on each member (one restart each), nothing else
//!   changes, every old certificate keeps working.
//!
//! Every acknowledged write is read back at the end; each failed write must fall inside a
//! member's restart. Each test prints `MOVE …` / `RENEW-CA …` with `longest_gap_ms=…
//! acked=… failed=… restarts=…` for the README.
//!
//! A restart is what `ETCD_PKI_RESTART` does: here it asks the test (a request file), which
//! stops the member's etcd and starts it again from the same env file, as systemd would.
//! Members run in network namespaces on 198.18.114.0/24 and 198.18.115.0/24. etcd 3.5.34 by
//! default; `ROTATE_ETCD=3.4|3.6|3.7` picks another release (scripts/setup.sh puts them in
//! tools/). The cluster, the restarts, the client steps, the three-phase walk and the renewal are
//! `e2e_etcd::rotation`'s, which the page's kit is followed with too (tests/browser existing_bundle.rs).

use std::path::{Path, PathBuf};
use std::process::Command;

use e2e_etcd::rotation::{Live, renew_in_one_rolling_restart, rotate_in_three_phases, spec};
use e2e_etcd::{TempDir, code_and_output, etcd_pki_bin, generate_bundle, run};

/// `etcd-pki rotate-ca --from bundle.zip --ca-key ca.key --out kit.zip EXTRA…` in `t`,
/// unzipped into `t/kit`; what it said.
fn rotate_cli(t: &Path, extra: &[&str]) -> (PathBuf, String) {
    let (from, key, out) = (t.join("bundle.zip"), t.join("ca.key"), t.join("kit.zip"));
    let o = run(Command::new(etcd_pki_bin())
        .arg("rotate-ca")
        .arg("--from")
        .arg(&from)
        .arg("--ca-key")
        .arg(&key)
        .arg("--out")
        .arg(&out)
        .args(extra));
    let (code, said) = code_and_output(&o);
    assert_eq!(code, 0, "etcd-pki rotate-ca {extra:?}:\n{said}");
    let dir = t.join("kit");
    e2e_etcd::unzip(&out, &dir);
    (dir, said)
}

/// The move (issue #22 item 3): a single-CA cluster to a root and an issuing CA, with the
/// three-phase kit; at the end every member trusts the new root alone and serves leaf +
/// issuing CA ([`rotate_in_three_phases`]'s end checks for a root+issuing kit).
#[test]
fn move_to_root_and_issuing_in_three_phases_while_writing() {
    let subnet = 114;
    let tmp = TempDir::new("rotate-ca");
    let t = tmp.path();
    let spec = spec(t, subnet);
    let bundle = generate_bundle(&spec, t);
    assert!(
        !bundle.join("issuing-ca.crt").exists(),
        "not a single-CA bundle"
    );
    // The kit: etcd-pki rotate-ca --ca-layout root+issuing on the bundle, unzipped as a
    // person would; the new root key sealed under its own passphrase.
    let root_pass = t.join("root-pass.txt");
    std::fs::write(&root_pass, "the new root's passphrase\n").unwrap();
    let (kit_dir, said) = rotate_cli(
        t,
        &[
            "--no-new-ca-passphrase",
            "--ca-layout",
            "root+issuing",
            "--root-passphrase-file",
            root_pass.to_str().unwrap(),
        ],
    );
    println!("--- etcd-pki rotate-ca --ca-layout root+issuing\n{said}");
    assert!(
        said.contains("1-trust-both.sh")
            && said.contains("UNENCRYPTED")
            && said.contains("moves the cluster from one CA to a root and an issuing CA"),
        "{said}"
    );
    assert!(t.join(format!("rotate{subnet}-ca-new.key")).exists());
    let root_key =
        std::fs::read_to_string(t.join(format!("rotate{subnet}-root-ca-new.key"))).unwrap();
    assert!(
        root_key.contains("BEGIN ENCRYPTED PRIVATE KEY"),
        "{root_key}"
    );
    let new_pem = std::fs::read_to_string(kit_dir.join("ca.crt")).unwrap();
    assert_ne!(
        new_pem,
        std::fs::read_to_string(bundle.join("ca.crt")).unwrap()
    );
    assert!(kit_dir.join("issuing-ca.crt").exists());
    let state = std::fs::read_to_string(kit_dir.join("spec.json")).unwrap();
    assert!(state.contains(r#""ca_layout": "root+issuing""#), "{state}");

    // The cluster, and the writer's client, which follows the kit's client steps.
    let live = Live::start(subnet, t, &bundle);
    rotate_in_three_phases(live, &kit_dir, "MOVE");
}

#[test]
fn renew_ca_with_the_same_key_in_one_rolling_restart() {
    let subnet = 115;
    let tmp = TempDir::new("renew-ca");
    let t = tmp.path();
    let bundle = generate_bundle(&spec(t, subnet), t);
    let old_pem = std::fs::read_to_string(bundle.join("ca.crt")).unwrap();
    let (kit_dir, said) = rotate_cli(t, &["--same-key"]);
    println!("--- etcd-pki rotate-ca --same-key\n{said}");
    assert!(
        said.contains("renew-ca.sh") && said.contains("CA key is unchanged"),
        "{said}"
    );
    let new_pem = std::fs::read_to_string(kit_dir.join("ca.crt")).unwrap();
    assert_ne!(new_pem, old_pem);
    assert_eq!(
        std::fs::read(kit_dir.join("members/etcd1/pki/server.crt")).unwrap(),
        std::fs::read(bundle.join("members/etcd1/pki/server.crt")).unwrap()
    );

    // The cluster, and the writer's client, which follows the kit's client steps.
    let live = Live::start(subnet, t, &bundle);
    renew_in_one_rolling_restart(live, &kit_dir, "RENEW-CA");
}
