//! `renew.sh` runs as root on a member, so the etcd user must not be able to turn it against
//! the host, as with install.sh: a link planted in cert_dir, a parent folder owned by etcd, a
//! key that does not belong to its certificate — each refused (exit 3) before anything is
//! replaced. Run on an installation under a scratch root (`ETCD_PKI_ROOT`) with `--force`
//! (no machine holds the member's address here); the swap itself under a running etcd is
//! tested in membership_and_renewal.rs.

use std::path::Path;
use std::process::Command;

use e2e_etcd::{TempDir, code_and_output, generate_bundle, must, run};
use pki_core::runbook::{self, Operation};

fn spec() -> String {
    serde_json::json!({
        "cluster_name": "rb",
        "nodes": (1..=3).map(|i| serde_json::json!({
            "name": format!("etcd{i}"), "ips": [format!("198.18.93.{i}")]
        })).collect::<Vec<_>>(),
    })
    .to_string()
}

fn renew(host: &Path, backups: &Path, folder: &Path) -> (i32, String) {
    code_and_output(&run(Command::new("bash")
        .arg(folder.join("renew.sh"))
        .arg("--force")
        .env("ETCD_PKI_ROOT", host)
        .env("ETCD_PKI_BACKUPS", backups)))
}

fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let meta = std::fs::symlink_metadata(e.path()).unwrap();
            let content = if meta.file_type().is_symlink() {
                std::fs::read_link(e.path())
                    .unwrap()
                    .display()
                    .to_string()
                    .into_bytes()
            } else {
                std::fs::read(e.path()).unwrap()
            };
            (e.file_name().to_string_lossy().into_owned(), content)
        })
        .collect();
    v.sort();
    v
}

#[test]
fn renew_refuses_links_foreign_owners_and_mismatched_keys() {
    let tmp = TempDir::new("runbook-renew");
    let t = tmp.path();
    let bundle = generate_bundle(&spec(), t);
    let member = bundle.join("members/etcd1");
    let host = t.join("host");
    let backups = t.join("backups");
    std::fs::create_dir_all(host.join("etc")).unwrap();
    std::fs::write(host.join("etc/os-release"), "ID=debian\n").unwrap();
    let (code, out) = code_and_output(&run(Command::new("bash")
        .arg(member.join("install.sh"))
        .arg("--force")
        .env("ETCD_PKI_ROOT", &host)));
    assert_eq!(code, 0, "{out}");
    for f in runbook::files(&Operation::Renew {
        name: "etcd1".into(),
        ips: vec!["198.18.93.1".parse().unwrap()],
        cert_dir: "/etc/etcd/pki".into(),
        client_port: 2379,
        peer_port: 2380,
    })
    .unwrap()
    {
        std::fs::write(bundle.join(&f.path), f.contents).unwrap();
    }
    let pki = host.join("etc/etcd/pki");
    let before = files(&pki);

    // A key that is not its certificate's.
    let mixed = t.join("mixed");
    must(Command::new("cp").arg("-a").arg(&member).arg(&mixed));
    std::fs::copy(mixed.join("pki/peer.key"), mixed.join("pki/server.key")).unwrap();
    let (code, out) = renew(&host, &backups, &mixed);
    assert_eq!(code, 3, "{out}");
    assert!(
        out.contains("server.key of the bundle does not belong to its server.crt"),
        "{out}"
    );
    assert_eq!(files(&pki), before);

    // cert_dir handed to etcd (as an old install may have left it), a link planted in it to
    // a root-only file: refused, the link and its target untouched.
    let secret = host.join("etc/shadow");
    std::fs::write(&secret, "root:$6$secret\n").unwrap();
    must(Command::new("chown").arg("etcd:etcd").arg(&pki));
    must(
        Command::new("setpriv")
            .args(["--reuid=etcd", "--regid=etcd", "--clear-groups", "sh", "-c"])
            .arg(format!(
                "rm -f '{0}/peer.crt' && ln -s '{1}' '{0}/peer.crt'",
                pki.display(),
                secret.display()
            )),
    );
    let planted = files(&pki);
    let (code, out) = renew(&host, &backups, &member);
    assert_eq!(code, 3, "{out}");
    assert!(
        out.contains("/etc/etcd/pki/peer.crt is a symbolic link") && out.contains("install.sh"),
        "{out}"
    );
    assert_eq!(files(&pki), planted);
    assert_eq!(std::fs::read(&secret).unwrap(), b"root:$6$secret\n");
    // ... and a refusal changes nothing (issue #21, item 17): cert_dir is as it was found; the
    // message sends the operator to install.sh, which takes it back from etcd.
    let o = run(Command::new("stat").args(["-c", "%U:%G %a"]).arg(&pki));
    assert_eq!(String::from_utf8_lossy(&o.stdout).trim(), "etcd:etcd 750");
    must(Command::new("chown").arg("root:etcd").arg(&pki));
    std::fs::remove_file(pki.join("peer.crt")).unwrap();
    std::fs::copy(member.join("pki/peer.crt"), pki.join("peer.crt")).unwrap();

    // A parent folder owned by etcd.
    must(Command::new("chown").arg("etcd").arg(host.join("etc/etcd")));
    let (code, out) = renew(&host, &backups, &member);
    assert_eq!(code, 3, "{out}");
    assert!(out.contains("etc/etcd is owned by etcd, not root"), "{out}");
    must(Command::new("chown").arg("root").arg(host.join("etc/etcd")));

    // Nothing was ever backed up: nothing was replaced.
    assert!(!backups.exists());
}
