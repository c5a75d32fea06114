//! Every file of a bundle, for every algorithm, checked with openssl — the independent tool
//! an operator would reach for — after `unzip`, as a user unpacks it.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use e2e_etcd::{TempDir, etcd_pki_bin, generate_bundle, must, run};

fn spec(alg: &str) -> String {
    serde_json::json!({
        "cluster_name": "ossl",
        "key_algorithm": alg,
        "nodes": [
            {"name": "etcd1", "ips": ["10.0.0.1", "2001:db8::1"], "dns_names": ["etcd1.example.com"]},
            {"name": "etcd2", "ips": ["10.0.0.2"], "dns_names": ["etcd2.example.com"]},
            {"name": "etcd3", "ips": ["10.0.0.3"], "dns_names": []},
        ],
        "clients": [
            {"name": "etcdctl", "common_name": "root"},
            {"name": "app", "common_name": "app", "organization": "apps"},
        ],
    })
    .to_string()
}

fn openssl(args: &[&str], dir: &Path) -> String {
    must(Command::new("openssl").args(args).current_dir(dir))
}

fn check(alg: &str) {
    let tmp = TempDir::new(&format!("openssl-{alg}"));
    let b = generate_bundle(&spec(alg), tmp.path());
    let leaves = [
        "members/etcd1/pki/server.crt",
        "members/etcd1/pki/peer.crt",
        "members/etcd2/pki/server.crt",
        "members/etcd3/pki/peer.crt",
        "clients/etcdctl/client.crt",
        "clients/app/client.crt",
    ];
    for leaf in leaves {
        let out = openssl(&["verify", "-CAfile", "ca.crt", leaf], &b);
        assert_eq!(out.trim(), format!("{leaf}: OK"), "{alg}");
    }
    // Every key loads and belongs to its certificate.
    let pairs = [
        (
            "CA-PRIVATE-KEY-keep-offline-never-copy-to-members/ca.key",
            "ca.crt",
        ),
        (
            "members/etcd1/pki/server.key",
            "members/etcd1/pki/server.crt",
        ),
        ("members/etcd1/pki/peer.key", "members/etcd1/pki/peer.crt"),
        (
            "members/etcd2/pki/server.key",
            "members/etcd2/pki/server.crt",
        ),
        ("members/etcd3/pki/peer.key", "members/etcd3/pki/peer.crt"),
        ("clients/etcdctl/client.key", "clients/etcdctl/client.crt"),
        ("clients/app/client.key", "clients/app/client.crt"),
    ];
    for (key, cert) in pairs {
        let from_key = openssl(&["pkey", "-in", key, "-pubout"], &b);
        let from_cert = openssl(&["x509", "-in", cert, "-noout", "-pubkey"], &b);
        assert_eq!(from_key, from_cert, "{alg}: {key} does not match {cert}");
        let mode = std::fs::metadata(b.join(key)).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{alg}: {key} mode after unzip");
    }
    let san = openssl(
        &[
            "x509",
            "-in",
            "members/etcd1/pki/server.crt",
            "-noout",
            "-ext",
            "subjectAltName",
        ],
        &b,
    );
    for want in [
        "IP Address:10.0.0.1",
        "IP Address:2001:DB8:0:0:0:0:0:1",
        "DNS:etcd1.example.com",
        "IP Address:127.0.0.1",
        "DNS:localhost",
    ] {
        assert!(san.contains(want), "{alg}: server SANs lack {want}:\n{san}");
    }
    let peer_san = openssl(
        &[
            "x509",
            "-in",
            "members/etcd2/pki/peer.crt",
            "-noout",
            "-ext",
            "subjectAltName",
        ],
        &b,
    );
    assert!(
        peer_san.contains("IP Address:10.0.0.2") && !peer_san.contains("127.0.0.1"),
        "{alg}: {peer_san}"
    );
    let eku = |c: &str| {
        openssl(
            &["x509", "-in", c, "-noout", "-ext", "extendedKeyUsage"],
            &b,
        )
    };
    let server_eku = eku("members/etcd1/pki/server.crt");
    assert!(
        server_eku.contains("TLS Web Server Authentication")
            && server_eku.contains("TLS Web Client Authentication"),
        "{alg}: {server_eku}"
    );
    let peer_eku = eku("members/etcd1/pki/peer.crt");
    assert!(
        peer_eku.contains("TLS Web Server Authentication")
            && peer_eku.contains("TLS Web Client Authentication"),
        "{alg}: {peer_eku}"
    );
    let client_eku = eku("clients/app/client.crt");
    assert!(
        client_eku.contains("TLS Web Client Authentication") && !client_eku.contains("Server"),
        "{alg}: {client_eku}"
    );
    let subject = openssl(
        &[
            "x509",
            "-in",
            "clients/app/client.crt",
            "-noout",
            "-subject",
        ],
        &b,
    );
    assert_eq!(subject.trim(), "subject=O = apps, CN = app", "{alg}");
    let bc = openssl(
        &[
            "x509",
            "-in",
            "ca.crt",
            "-noout",
            "-ext",
            "basicConstraints,keyUsage",
        ],
        &b,
    );
    assert!(
        bc.contains("critical") && bc.contains("CA:TRUE, pathlen:0"),
        "{alg}: {bc}"
    );
    assert!(bc.contains("Certificate Sign, CRL Sign"), "{alg}: {bc}");
    // Modes after unzip: scripts executable, the rest 0644, the CA key's folder 0700.
    let mode = |p: &str| std::fs::metadata(b.join(p)).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode("clients/etcdctl/etcdctl-env.sh"), 0o755);
    assert_eq!(mode("members/etcd1/etcd.env"), 0o644);
    assert_eq!(mode("ca.crt"), 0o644);
    assert_eq!(
        mode("CA-PRIVATE-KEY-keep-offline-never-copy-to-members"),
        0o700
    );
    // The manifest lists every file with its mode.
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(b.join("manifest.json")).unwrap()).unwrap();
    let files = manifest["files"].as_array().unwrap();
    let listed: Vec<&str> = files.iter().map(|f| f["path"].as_str().unwrap()).collect();
    let on_disk = must(
        Command::new("find")
            .args([".", "-type", "f"])
            .current_dir(&b),
    );
    for path in on_disk.lines().map(|l| l.trim_start_matches("./")) {
        if path == "manifest.json" {
            continue;
        }
        assert!(listed.contains(&path), "{alg}: {path} not in manifest.json");
        let entry = files.iter().find(|f| f["path"] == path).unwrap();
        assert_eq!(
            entry["mode"],
            format!("{:04o}", mode(path)),
            "{alg}: {path}"
        );
    }
}

#[test]
fn ecdsa_p256() {
    check("ecdsa-p256");
}
#[test]
fn ecdsa_p384() {
    check("ecdsa-p384");
}
#[test]
fn ed25519() {
    check("ed25519");
}
#[test]
fn rsa_2048() {
    check("rsa-2048");
}
#[test]
fn rsa_3072() {
    check("rsa-3072");
}
#[test]
fn rsa_4096() {
    check("rsa-4096");
}

#[test]
fn bad_spec_exits_2_names_the_field_and_writes_nothing() {
    let tmp = TempDir::new("bad-spec");
    let spec = tmp.path().join("bad.json");
    std::fs::write(
        &spec,
        r#"{"nodes": [{"name": "a", "ips": ["10.0.0.1"]}, {"name": "b", "ips": ["10.0.0.300"]}]}"#,
    )
    .unwrap();
    let out_zip = tmp.path().join("out.zip");
    let out = run(Command::new(etcd_pki_bin())
        .arg("generate")
        .arg("--spec")
        .arg(&spec)
        .arg("--out")
        .arg(&out_zip));
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("nodes[1].ips[0]") && err.contains("\"10.0.0.300\" is not an IP address"),
        "{err}"
    );
    assert!(!out_zip.exists(), "nothing may be written");
    assert_eq!(
        std::fs::read_dir(tmp.path()).unwrap().count(),
        1,
        "no temp file left behind"
    );
    // Unknown fields too.
    std::fs::write(&spec, r#"{"nodes": [], "node": []}"#).unwrap();
    let out = run(Command::new(etcd_pki_bin())
        .arg("generate")
        .arg("--spec")
        .arg(&spec)
        .arg("--out")
        .arg(&out_zip));
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown field `node`"));
    // An existing bundle is not overwritten without --force.
    std::fs::write(&out_zip, b"precious").unwrap();
    let out = run(Command::new(etcd_pki_bin())
        .args(["demo", "--out"])
        .arg(&out_zip));
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(std::fs::read(&out_zip).unwrap(), b"precious");
}

#[test]
fn ca_key_passphrase_encrypts_only_the_ca_key() {
    let tmp = TempDir::new("passphrase");
    let pass = tmp.path().join("pass");
    std::fs::write(&pass, "correct horse battery staple\n").unwrap();
    let zip = tmp.path().join("b.zip");
    must(
        Command::new(etcd_pki_bin())
            .args(["demo", "--out"])
            .arg(&zip)
            .arg("--ca-passphrase-file")
            .arg(&pass),
    );
    let b = tmp.path().join("b");
    must(Command::new("unzip").arg("-q").arg(&zip).arg("-d").arg(&b));
    let key = "CA-PRIVATE-KEY-keep-offline-never-copy-to-members/ca.key";
    let text = std::fs::read_to_string(b.join(key)).unwrap();
    assert!(
        text.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----"),
        "{text}"
    );
    // openssl opens it with the passphrase, and it is the CA's key; not without.
    let passin = format!("file:{}", pass.display());
    let from_key = openssl(&["pkey", "-in", key, "-passin", &passin, "-pubout"], &b);
    assert_eq!(
        from_key,
        openssl(&["x509", "-in", "ca.crt", "-noout", "-pubkey"], &b)
    );
    let wrong = run(Command::new("openssl")
        .args(["pkey", "-in", key, "-passin", "pass:wrong-guess", "-noout"])
        .current_dir(&b));
    assert!(
        !wrong.status.success(),
        "a wrong passphrase opened the CA key"
    );
    let params = openssl(&["asn1parse", "-in", key], &b);
    assert!(
        params.contains("PBKDF2")
            && params.contains("hmacWithSHA256")
            && params.contains("aes-256-cbc"),
        "{params}"
    );
    // Member keys stay plain: etcd cannot read encrypted keys.
    let member = std::fs::read_to_string(b.join("members/etcd1/pki/server.key")).unwrap();
    assert!(member.starts_with("-----BEGIN PRIVATE KEY-----"));
    assert!(
        std::fs::read_to_string(b.join("README.md"))
            .unwrap()
            .contains("encrypted with your passphrase")
    );
    // A short passphrase is refused, naming the rule, and nothing is written.
    std::fs::write(&pass, "short\n").unwrap();
    let out = run(Command::new(etcd_pki_bin())
        .args(["demo", "--out"])
        .arg(tmp.path().join("c.zip"))
        .arg("--ca-passphrase-file")
        .arg(&pass));
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("use at least 8"));
    assert!(!tmp.path().join("c.zip").exists());
}
