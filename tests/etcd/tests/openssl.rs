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
    // root+issuing (the default): each leaf's file alone, with the root as the only trusted
    // CA, verifies — the file carries its issuing CA, as etcd sends it in the handshake.
    for leaf in leaves {
        let out = openssl(
            &["verify", "-CAfile", "ca.crt", "-untrusted", leaf, leaf],
            &b,
        );
        assert_eq!(out.trim(), format!("{leaf}: OK"), "{alg}");
        let alone = run(Command::new("openssl")
            .args(["verify", "-CAfile", "ca.crt", leaf])
            .current_dir(&b));
        assert!(
            !alone.status.success(),
            "{alg}: {leaf} verifies without its issuing CA: ca.crt is not the root alone"
        );
    }
    // Every key loads and belongs to its certificate.
    let pairs = [
        // The CA key is not in the bundle: generate_bundle saved it beside, as the CLI does.
        // It is the issuing CA's key; the root's is saved beside it too.
        ("../ca.key", "issuing-ca.crt"),
        ("../ossl-root-ca.key", "ca.crt"),
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
        bc.contains("critical") && bc.contains("CA:TRUE, pathlen:1"),
        "{alg}: the root signs issuing CAs: {bc}"
    );
    assert!(bc.contains("Certificate Sign, CRL Sign"), "{alg}: {bc}");
    let issuing_bc = openssl(
        &[
            "x509",
            "-in",
            "issuing-ca.crt",
            "-noout",
            "-ext",
            "basicConstraints",
        ],
        &b,
    );
    assert!(
        issuing_bc.contains("CA:TRUE, pathlen:0"),
        "{alg}: the issuing CA signs leaves only: {issuing_bc}"
    );
    // Modes after unzip: scripts executable, the rest 0644; no CA key anywhere in the zip.
    let mode = |p: &str| std::fs::metadata(b.join(p)).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode("clients/etcdctl/etcdctl-env.sh"), 0o755);
    assert_eq!(mode("members/etcd1/etcd.env"), 0o644);
    assert_eq!(mode("ca.crt"), 0o644);
    let keys = run(Command::new("grep")
        .args(["-rl", "PRIVATE KEY", "."])
        .current_dir(&b));
    let ca_key = std::fs::read_to_string(b.join("../ca.key")).unwrap();
    let root_key = std::fs::read_to_string(b.join("../ossl-root-ca.key")).unwrap();
    for f in String::from_utf8_lossy(&keys.stdout).lines() {
        let text = std::fs::read_to_string(b.join(f)).unwrap();
        assert!(
            !text.contains(ca_key.trim()) && !text.contains(root_key.trim()),
            "{alg}: {f} holds the CA key or the root key"
        );
        assert!(
            f.starts_with("./members/") || f.starts_with("./clients/"),
            "{alg}: key outside a machine's folder: {f}"
        );
    }
    assert_eq!(mode("../ca.key"), 0o600);
    assert_eq!(mode("../ossl-root-ca.key"), 0o600);
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
    let spec_file = tmp.path().join("spec.json");
    std::fs::write(&spec_file, spec("ecdsa-p256")).unwrap();
    let zip = tmp.path().join("b.zip");
    let out = must(
        Command::new(etcd_pki_bin())
            .args(["generate", "--spec"])
            .arg(&spec_file)
            .arg("--out")
            .arg(&zip)
            .arg("--ca-passphrase-file")
            .arg(&pass),
    );
    // Default place: beside the zip, named after the cluster.
    let key_path = tmp.path().join("ossl-ca.key");
    assert!(
        out.contains(&format!(
            "Wrote the CA key to {}, encrypted",
            key_path.display()
        )),
        "{out}"
    );
    assert_eq!(
        std::fs::metadata(&key_path).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let b = tmp.path().join("b");
    e2e_etcd::unzip(&zip, &b);
    let key = "../ossl-ca.key";
    let text = std::fs::read_to_string(&key_path).unwrap();
    assert!(
        text.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----"),
        "{text}"
    );
    // openssl opens it with the passphrase, and it is the CA's key; not without.
    let passin = format!("file:{}", pass.display());
    let from_key = openssl(&["pkey", "-in", key, "-passin", &passin, "-pubout"], &b);
    assert_eq!(
        from_key,
        openssl(&["x509", "-in", "issuing-ca.crt", "-noout", "-pubkey"], &b)
    );
    // The root key beside it, sealed under the same passphrase (no --root-passphrase-file).
    let root_key = "../ossl-root-ca.key";
    let from_root = openssl(
        &["pkey", "-in", root_key, "-passin", &passin, "-pubout"],
        &b,
    );
    assert_eq!(
        from_root,
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
    // An existing CA key file is never replaced without --force.
    let again = run(Command::new(etcd_pki_bin())
        .args(["generate", "--spec"])
        .arg(&spec_file)
        .arg("--out")
        .arg(tmp.path().join("other.zip"))
        .arg("--ca-passphrase-file")
        .arg(&pass));
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("ossl-ca.key already exists"));
    assert_eq!(std::fs::read_to_string(&key_path).unwrap(), text);
    assert!(!tmp.path().join("other.zip").exists());
    // A short passphrase (11 characters) is refused, naming the rule, and nothing is written.
    std::fs::write(&pass, "eleven char\n").unwrap();
    let out = run(Command::new(etcd_pki_bin())
        .args(["generate", "--spec"])
        .arg(&spec_file)
        .arg("--out")
        .arg(tmp.path().join("c.zip"))
        .arg("--ca-key-out")
        .arg(tmp.path().join("c.key"))
        .arg("--ca-passphrase-file")
        .arg(&pass));
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("use at least 12"));
    assert!(!tmp.path().join("c.zip").exists());
    assert!(!tmp.path().join("c.key").exists());
}

/// No terminal, no passphrase file, no --no-ca-passphrase: exit 2 naming both ways, nothing
/// written. With --no-ca-passphrase the key is written plain and the output says so.
#[test]
fn an_unencrypted_ca_key_is_an_explicit_choice() {
    let tmp = TempDir::new("no-passphrase");
    let spec_file = tmp.path().join("spec.json");
    std::fs::write(&spec_file, spec("ecdsa-p256")).unwrap();
    let zip = tmp.path().join("b.zip");
    let gen_cmd = |extra: &[&str]| {
        run(Command::new(etcd_pki_bin())
            .args(["generate", "--spec"])
            .arg(&spec_file)
            .arg("--out")
            .arg(&zip)
            .args(extra)
            .stdin(std::process::Stdio::null()))
    };
    let out = gen_cmd(&[]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("--ca-passphrase-file") && err.contains("--no-ca-passphrase"),
        "{err}"
    );
    assert_eq!(
        std::fs::read_dir(tmp.path()).unwrap().count(),
        1,
        "something was written"
    );
    let out = gen_cmd(&["--no-ca-passphrase"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("UNENCRYPTED"), "{text}");
    assert!(
        std::fs::read_to_string(tmp.path().join("ossl-ca.key"))
            .unwrap()
            .starts_with("-----BEGIN PRIVATE KEY-----")
    );
    // The demo keeps its one-command path and writes no CA key at all.
    let demo = tmp.path().join("demo.zip");
    let out = must(
        Command::new(etcd_pki_bin())
            .args(["demo", "--out"])
            .arg(&demo)
            .stdin(std::process::Stdio::null()),
    );
    assert!(out.contains("CA key was not saved"), "{out}");
    // spec.json, b.zip, ossl-ca.key, ossl-root-ca.key, demo.zip.
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 5);
}

/// Waits (at most 30 s) until the CLI is making keys: past its early checks of --out, it
/// starts one key thread per core (two or more on every machine this runs on). A fixed sleep
/// raced a loaded machine where the process had not reached those checks yet.
fn wait_until_generating(pid: u32) {
    let tasks = format!("/proc/{pid}/task");
    for _ in 0..3000 {
        let n = std::fs::read_dir(&tasks).map(|d| d.count()).unwrap_or(0);
        if n >= 2 {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    panic!("etcd-pki (pid {pid}) never started its key threads");
}

/// A file that appears at --out while the bundle is being generated (RSA-4096 takes seconds)
/// is kept: the CLI links its temp file to the name, which fails on an existing one, instead
/// of renaming over it. Its CA key, written first, is taken back, and no temp file is left.
#[test]
fn a_file_appearing_during_generation_is_kept() {
    let tmp = TempDir::new("race");
    let spec_file = tmp.path().join("spec.json");
    std::fs::write(&spec_file, spec("rsa-4096")).unwrap();
    let zip = tmp.path().join("b.zip");
    let key = tmp.path().join("b.key");
    for target in [&zip, &key] {
        let child = Command::new(etcd_pki_bin())
            .args(["generate", "--no-ca-passphrase", "--spec"])
            .arg(&spec_file)
            .arg("--out")
            .arg(&zip)
            .arg("--ca-key-out")
            .arg(&key)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        wait_until_generating(child.id());
        assert!(
            !zip.exists() && !key.exists(),
            "generation finished too early"
        );
        std::fs::write(target, b"precious").unwrap();
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{}: {err}", target.display());
        assert!(err.contains("appeared while generating"), "{err}");
        assert_eq!(std::fs::read(target).unwrap(), b"precious");
        let mut left: Vec<String> = std::fs::read_dir(tmp.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        let name = target.file_name().unwrap().to_string_lossy().into_owned();
        assert_eq!(left, vec![name, "spec.json".into()]);
        std::fs::remove_file(target).unwrap();
    }
    // With --force the same run replaces it.
    std::fs::write(&zip, b"old").unwrap();
    must(
        Command::new(etcd_pki_bin())
            .args(["generate", "--force", "--no-ca-passphrase", "--spec"])
            .arg(&spec_file)
            .arg("--out")
            .arg(&zip)
            .arg("--ca-key-out")
            .arg(&key),
    );
    assert_ne!(std::fs::read(&zip).unwrap(), b"old");
}

/// On a terminal (a pty from util-linux's `script`), the passphrase is asked twice with echo
/// off; two different answers write nothing.
#[test]
fn the_passphrase_is_asked_twice_on_a_terminal() {
    let tmp = TempDir::new("tty");
    let spec_file = tmp.path().join("spec.json");
    std::fs::write(&spec_file, spec("ecdsa-p256")).unwrap();
    let typed = |first: &str, second: &str, zip: &str| {
        let cmd = format!(
            "{} generate --spec {} --out {}",
            etcd_pki_bin().display(),
            spec_file.display(),
            tmp.path().join(zip).display()
        );
        // Answers typed after the prompts appear, as a person would.
        let feed = format!(
            "sleep 1; printf '%s\\n' '{first}'; sleep 1; printf '%s\\n' '{second}'; sleep 1"
        );
        run(Command::new("bash").arg("-c").arg(format!(
            "({feed}) | timeout 60 script -qec '{cmd}' /dev/null"
        )))
    };
    let o = typed("correct horse battery", "correct horse battery", "a.zip");
    let text = String::from_utf8_lossy(&o.stdout).to_string();
    assert!(o.status.success(), "{text}");
    assert!(text.contains("The same passphrase again"), "{text}");
    assert!(!text.contains("horse"), "the passphrase was echoed: {text}");
    let key = tmp.path().join("ossl-ca.key");
    let opened = run(Command::new("openssl")
        .arg("pkey")
        .arg("-in")
        .arg(&key)
        .args(["-passin", "pass:correct horse battery", "-noout"]));
    assert!(
        opened.status.success(),
        "the typed passphrase does not open the key"
    );
    std::fs::remove_file(&key).unwrap();
    let o = typed("correct horse battery", "correct horse batterY", "b.zip");
    let text = String::from_utf8_lossy(&o.stdout).to_string();
    assert!(text.contains("the two passphrases differ"), "{text}");
    assert!(!tmp.path().join("b.zip").exists() && !key.exists());
}
