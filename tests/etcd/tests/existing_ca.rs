//! `etcd-pki generate` under a CA from elsewhere, at the command line (issue 12, items 1–2):
//! an openssl CA made here; `generate --spec S --ca-cert C --ca-key K` writes a bundle whose
//! every certificate verifies with `openssl verify -CAfile C` and writes no CA key;
//! `generate --from OLD.zip --ca-key K` restores the spec and the CA. Bad input (not a
//! bundle, a CA key that is not the bundle's, a name that exists, an IP in use, a removal
//! below quorum) exits non-zero with a message naming the problem, writes nothing, and
//! leaves the old bundle's bytes as they were.

use std::path::{Path, PathBuf};
use std::process::Command;

use e2e_etcd::{TempDir, code_and_output, etcd_pki_bin, must, run};

fn sh(dir: &Path, script: &str) -> String {
    must(
        Command::new("bash")
            .args(["-euo", "pipefail", "-c", script])
            .current_dir(dir),
    )
}

/// An EC P-256 CA made with openssl (`ca.crt`, `ca.key` in PKCS#8) and a second, unrelated
/// key (`other.key`).
fn openssl_ca(dir: &Path) {
    sh(
        dir,
        "openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ca.key 2>/dev/null
         openssl req -x509 -new -key ca.key -subj '/C=US/O=Acme Ops/CN=Acme etcd CA' -days 3650 \
           -addext basicConstraints=critical,CA:TRUE \
           -addext keyUsage=critical,keyCertSign,cRLSign -out ca.crt
         openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out other.key 2>/dev/null",
    );
}

fn spec(dir: &Path) -> PathBuf {
    let spec = serde_json::json!({
        "cluster_name": "extca",
        "nodes": (1..=3).map(|i| serde_json::json!({
            "name": format!("etcd{i}"), "ips": [format!("10.77.0.{i}")]
        })).collect::<Vec<_>>(),
        "clients": [{"name": "etcdctl", "common_name": "root", "kind": "etcdctl"}],
    });
    let p = dir.join("spec.json");
    std::fs::write(&p, spec.to_string()).unwrap();
    p
}

/// A state folder etcd-pki cannot write: no memory of bundles between its commands (the
/// lineage refusal is tested in tests/etcd/tests/daytwo_refusals.rs).
const NO_MEMORY: &str = "/dev/null";

/// `etcd-pki args…` in `dir`: exit code and output (stdout and stderr), with no
/// memory of bundles: these tests open older bundles after newer ones on purpose,
/// for other refusals ("never backwards" is tested in daytwo_refusals.rs).
fn cli(dir: &Path, args: &[&str]) -> (i32, String) {
    code_and_output(&run(Command::new(etcd_pki_bin())
        .args(args)
        .env("ETCD_PKI_STATE_DIR", NO_MEMORY)
        .current_dir(dir)))
}

/// Every file name under `dir`, sorted.
fn listing(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

fn unzip(dir: &Path, zip: &str) -> PathBuf {
    let out = dir.join(zip.trim_end_matches(".zip"));
    e2e_etcd::unzip(&dir.join(zip), &out);
    out
}

/// Every certificate of an unpacked bundle (members' and clients') verifies under `ca`.
fn verify_leaves(bundle: &Path, ca: &Path) -> usize {
    let out = sh(
        bundle,
        "find members clients -name '*.crt' ! -name ca.crt | sort",
    );
    let certs: Vec<&str> = out.lines().collect();
    assert!(certs.len() >= 7, "too few certificates: {certs:?}");
    for c in &certs {
        let o = run(Command::new("openssl")
            .args(["verify", "-x509_strict", "-CAfile"])
            .arg(ca)
            .arg(bundle.join(c)));
        let (code, text) = code_and_output(&o);
        assert_eq!(code, 0, "{c} does not verify under the CA: {text}");
    }
    certs.len()
}

fn der(cert: &Path) -> Vec<u8> {
    let o = run(Command::new("openssl")
        .args(["x509", "-outform", "DER", "-in"])
        .arg(cert));
    assert!(o.status.success(), "{}", cert.display());
    o.stdout
}

#[test]
fn generate_under_an_openssl_ca_and_from_a_bundle() {
    let tmp = TempDir::new("existing-ca");
    let t = tmp.path();
    openssl_ca(t);
    let spec = spec(t);
    let before = listing(t);
    let (code, out) = cli(
        t,
        &[
            "generate",
            "--spec",
            spec.to_str().unwrap(),
            "--ca-cert",
            "ca.crt",
            "--ca-key",
            "ca.key",
            "--out",
            "b1.zip",
        ],
    );
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("no CA key was written"), "{out}");
    // Only the zip was written: no CA key beside it.
    let mut expected = before.clone();
    expected.push("b1.zip".into());
    expected.sort();
    assert_eq!(listing(t), expected);
    let b1 = unzip(t, "b1.zip");
    assert_eq!(der(&b1.join("ca.crt")), der(&t.join("ca.crt")));
    assert!(
        sh(&b1, "find . -name '*ca*.key'").trim().is_empty(),
        "a CA key in the bundle"
    );
    let n = verify_leaves(&b1, &t.join("ca.crt"));
    println!("{n} certificates verify under the openssl CA");

    // --from restores the spec and the CA: a new bundle, every certificate new, same CA.
    let (code, out) = cli(
        t,
        &[
            "generate", "--from", "b1.zip", "--ca-key", "ca.key", "--out", "b2.zip",
        ],
    );
    assert_eq!(code, 0, "{out}");
    let b2 = unzip(t, "b2.zip");
    assert_eq!(der(&b2.join("ca.crt")), der(&t.join("ca.crt")));
    verify_leaves(&b2, &t.join("ca.crt"));
    let spec_of = |b: &Path| -> serde_json::Value {
        let v: serde_json::Value =
            serde_json::from_slice(&std::fs::read(b.join("spec.json")).unwrap()).unwrap();
        v.get("spec").cloned().unwrap_or(v)
    };
    assert_eq!(spec_of(&b1)["nodes"], spec_of(&b2)["nodes"]);
    assert_ne!(
        std::fs::read(b1.join("members/etcd1/pki/server.crt")).unwrap(),
        std::fs::read(b2.join("members/etcd1/pki/server.crt")).unwrap(),
        "generate --from issues every certificate anew"
    );
}

#[test]
fn bad_input_is_refused_and_nothing_is_written() {
    let tmp = TempDir::new("existing-ca-bad");
    let t = tmp.path();
    openssl_ca(t);
    let spec = spec(t);
    let (code, out) = cli(
        t,
        &[
            "generate",
            "--spec",
            spec.to_str().unwrap(),
            "--ca-cert",
            "ca.crt",
            "--ca-key",
            "ca.key",
            "--out",
            "b1.zip",
        ],
    );
    assert_eq!(code, 0, "{out}");
    // A 2-member bundle, for the quorum case.
    let (code, out) = cli(
        t,
        &[
            "remove-member",
            "--from",
            "b1.zip",
            "--ca-key",
            "ca.key",
            "--name",
            "etcd3",
            "--out",
            "two.zip",
        ],
    );
    assert_eq!(code, 0, "{out}");
    std::fs::write(t.join("notabundle.zip"), b"PK\x03\x04 not really a zip").unwrap();
    let b1_bytes = std::fs::read(t.join("b1.zip")).unwrap();
    let two_bytes = std::fs::read(t.join("two.zip")).unwrap();

    let cases: Vec<(&str, Vec<&str>, Vec<&str>)> = vec![
        (
            "not a bundle",
            vec![
                "generate",
                "--from",
                "notabundle.zip",
                "--ca-key",
                "ca.key",
                "--out",
                "x.zip",
            ],
            vec!["bundle"],
        ),
        (
            "a spec file given as a bundle",
            vec![
                "add-member",
                "--from",
                "spec.json",
                "--ca-key",
                "ca.key",
                "--name",
                "etcd4",
                "--ip",
                "10.77.0.4",
                "--out",
                "x.zip",
            ],
            vec!["bundle"],
        ),
        (
            "generate: CA key not the bundle's",
            vec![
                "generate",
                "--from",
                "b1.zip",
                "--ca-key",
                "other.key",
                "--out",
                "x.zip",
            ],
            vec!["--ca-key", "not the key"],
        ),
        (
            "generate: CA key not the certificate's",
            vec![
                "generate",
                "--spec",
                "spec.json",
                "--ca-cert",
                "ca.crt",
                "--ca-key",
                "other.key",
                "--out",
                "x.zip",
            ],
            vec!["key"],
        ),
        (
            "add-member: CA key not the bundle's",
            vec![
                "add-member",
                "--from",
                "b1.zip",
                "--ca-key",
                "other.key",
                "--name",
                "etcd4",
                "--ip",
                "10.77.0.4",
                "--out",
                "x.zip",
            ],
            vec!["--ca-key"],
        ),
        (
            "name exists",
            vec![
                "add-member",
                "--from",
                "b1.zip",
                "--ca-key",
                "ca.key",
                "--name",
                "etcd2",
                "--ip",
                "10.77.0.9",
                "--out",
                "x.zip",
            ],
            vec!["--name", "etcd2"],
        ),
        (
            "IP used",
            vec![
                "add-member",
                "--from",
                "b1.zip",
                "--ca-key",
                "ca.key",
                "--name",
                "etcd9",
                "--ip",
                "10.77.0.2",
                "--out",
                "x.zip",
            ],
            vec!["--ip", "10.77.0.2"],
        ),
        (
            "quorum broken",
            vec![
                "remove-member",
                "--from",
                "two.zip",
                "--ca-key",
                "ca.key",
                "--name",
                "etcd2",
                "--out",
                "x.zip",
            ],
            vec!["quorum"],
        ),
    ];
    for (label, args, says) in cases {
        let before = listing(t);
        let (code, out) = cli(t, &args);
        println!("{label}: exit {code}: {}", out.trim());
        assert_ne!(code, 0, "{label}: accepted:\n{out}");
        assert!(!out.contains("panicked"), "{label}: {out}");
        for s in says {
            assert!(
                out.contains(s),
                "{label}: the message does not say {s:?}:\n{out}"
            );
        }
        assert_eq!(listing(t), before, "{label}: something was written");
        assert!(!t.join("x.zip").exists(), "{label}");
        assert_eq!(
            std::fs::read(t.join("b1.zip")).unwrap(),
            b1_bytes,
            "{label}"
        );
        assert_eq!(
            std::fs::read(t.join("two.zip")).unwrap(),
            two_bytes,
            "{label}"
        );
    }
}

/// A certificate's subject and issuer (DER bytes), SKI and AKI key id.
type Names = (Vec<u8>, Vec<u8>, Option<Vec<u8>>, Option<Vec<u8>>);

/// The CA's subject bytes and SKI, and for each leaf its issuer bytes and AKI key id.
fn names(cert: &Path) -> Names {
    use x509_parser::extensions::ParsedExtension;
    use x509_parser::prelude::{FromDer, X509Certificate};
    let der = der(cert);
    let (_, x) = X509Certificate::from_der(&der).unwrap();
    let (mut ski, mut aki) = (None, None);
    for e in x.extensions() {
        match e.parsed_extension() {
            ParsedExtension::SubjectKeyIdentifier(id) => ski = Some(id.0.to_vec()),
            ParsedExtension::AuthorityKeyIdentifier(a) => {
                aki = a.key_identifier.as_ref().map(|k| k.0.to_vec())
            }
            _ => {}
        }
    }
    (
        x.subject().as_raw().to_vec(),
        x.issuer().as_raw().to_vec(),
        ski,
        aki,
    )
}

/// A CA whose subject rcgen could not write back (two DCs, `OU=Ops + OU=etcd` as one RDN, as
/// cfssl writes two OUs) and that has no SKI (as Go wrote before 1.15): `etcd-pki generate`
/// issues leaves whose issuer is the CA's subject byte for byte, without an AKI, and that
/// openssl verifies; the CA with an SKI gets it repeated as every leaf's AKI.
#[test]
fn leaves_copy_the_ca_subject_bytes_and_ski() {
    let tmp = TempDir::new("existing-ca-raw");
    let t = tmp.path();
    openssl_ca(t);
    sh(
        t,
        "openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out odd.key 2>/dev/null
         openssl req -x509 -new -key odd.key -multivalue-rdn \
           -subj '/DC=com/DC=example/OU=Ops+OU=etcd/CN=Corp etcd CA' -days 3650 \
           -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
           -addext subjectKeyIdentifier=none -addext authorityKeyIdentifier=none -out odd.crt",
    );
    let spec = spec(t);
    for (ca, key, zip, strict) in [
        ("ca.crt", "ca.key", "plain.zip", true),
        ("odd.crt", "odd.key", "odd.zip", false),
    ] {
        let (code, out) = cli(
            t,
            &[
                "generate",
                "--spec",
                spec.to_str().unwrap(),
                "--ca-cert",
                ca,
                "--ca-key",
                key,
                "--out",
                zip,
            ],
        );
        assert_eq!(code, 0, "{ca}: {out}");
        let b = unzip(t, zip);
        let (ca_subject, _, ca_ski, _) = names(&t.join(ca));
        let leaves = sh(
            &b,
            "find members clients -name '*.crt' ! -name ca.crt | sort",
        );
        for leaf in leaves.lines() {
            let (_, issuer, _, aki) = names(&b.join(leaf));
            assert_eq!(
                issuer, ca_subject,
                "{ca}: {leaf}'s issuer is not the CA's subject bytes"
            );
            assert_eq!(aki, ca_ski, "{ca}: {leaf}'s AKI is not the CA's SKI");
            let mut cmd = Command::new("openssl");
            cmd.arg("verify");
            if strict {
                cmd.arg("-x509_strict");
            }
            let o = run(cmd.arg("-CAfile").arg(t.join(ca)).arg(b.join(leaf)));
            let (code, text) = code_and_output(&o);
            assert_eq!(code, 0, "{ca}: {leaf}: {text}");
        }
        assert!(ca_ski.is_some() == strict, "{ca}: the fixture's SKI");
    }
}

/// `check-expiry.sh` names the exact renew command when certificates are within its
/// threshold: the members and clients they belong to as `--only`, the threshold as `--within`.
#[test]
fn check_expiry_prints_the_renew_command() {
    let tmp = TempDir::new("existing-ca-expiry");
    let t = tmp.path();
    let spec = std::fs::read_to_string(spec(t)).unwrap();
    let b = e2e_etcd::generate_bundle(&spec, t);
    let o = run(Command::new("bash")
        .arg(b.join("check-expiry.sh"))
        .args(["--days", "900"]));
    let (code, out) = code_and_output(&o);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(
            "  etcd-pki renew --from NEWEST.zip --ca-key CA_KEY --only etcdctl \
             --only etcd1 --only etcd2 --only etcd3 --within 900 --out NEW.zip"
        ),
        "{out}"
    );
    // Which file CA_KEY is: the default names, or the imported CA's own key.
    assert!(
        out.contains("extca-ca.key if etcd-pki generate made the CA")
            && out.contains("extca-ca-new.key after")
            && out.contains("the key of the CA you imported"),
        "{out}"
    );
    let o = run(Command::new("bash").arg(b.join("check-expiry.sh")));
    let (code, out) = code_and_output(&o);
    assert_eq!(code, 0, "{out}");
    assert!(!out.contains("etcd-pki renew"), "{out}");
}

/// An openssl root (pathlen 1) and an intermediate under it (pathlen 0, the issuing CA), in
/// `dir`: root.{key,crt}, int.{key,crt}, and the chain file people hand over, here with the
/// root first (`root-first.crt`), which import sorts.
fn openssl_root_and_intermediate(dir: &Path) {
    sh(
        dir,
        r#"openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out root.key 2>/dev/null
openssl req -x509 -new -key root.key -subj "/O=Acme Ops/CN=Acme Root" -days 3650 \
  -addext basicConstraints=critical,CA:TRUE,pathlen:1 \
  -addext keyUsage=critical,keyCertSign,cRLSign -out root.crt
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out int.key 2>/dev/null
openssl req -new -key int.key -subj "/O=Acme Ops/CN=Acme etcd Intermediate" -out int.csr
printf 'basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n' > int.ext
openssl x509 -req -in int.csr -CA root.crt -CAkey root.key -CAcreateserial -days 1825 \
  -extfile int.ext -out int.crt 2>/dev/null
cat root.crt int.crt > root-first.crt
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out stranger.key 2>/dev/null
openssl req -x509 -new -key stranger.key -subj "/O=Acme Ops/CN=Acme Root" -days 3650 \
  -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign -out twin.crt
cat int.crt twin.crt > twin-chain.crt"#,
    );
}

/// The chain's live subnet (helper `chain`: 198.18.160–169).
const CHAIN_SUBNET: u8 = 160;

/// `generate --ca-cert root-first.crt --ca-key int.key` (#22 item 4): a root+issuing bundle
/// whose trust files hold the openssl root alone and whose every leaf file holds the leaf then
/// the intermediate; each verifies with `openssl verify -CAfile root -untrusted FILE FILE`
/// and not as a leaf alone; a one-member etcd started from it serves etcdctl, which trusts the
/// root alone. A key of neither CA, the root's key, an intermediate with another root of the
/// same name are refused naming the file, and nothing is written.
#[test]
fn generate_under_an_openssl_root_and_intermediate_chain() {
    let tmp = TempDir::new("existing-chain");
    let t = tmp.path();
    // etcd (user etcd) reads cert_dir under t.
    must(Command::new("chmod").arg("0755").arg(t));
    openssl_root_and_intermediate(t);
    let spec = serde_json::json!({
        "cluster_name": "extchain",
        "etcd_version": e2e_etcd::rotation::etcd().1,
        "nodes": [{"name": "etcd1", "ips": [e2e_etcd::rotation::ip(CHAIN_SUBNET, 1)]}],
        "clients": [{"name": "etcdctl", "common_name": "root", "kind": "etcdctl"}],
        "cert_dir": format!("{}/hosts/{{name}}/pki", t.display()),
        "data_dir": format!("{}/hosts/{{name}}/data", t.display()),
    });
    std::fs::write(t.join("chain-spec.json"), spec.to_string()).unwrap();
    let before = listing(t);
    for (cert, key, says) in [
        (
            "root-first.crt",
            "root.key",
            "the CA key is the key of \"O=Acme Ops, CN=Acme Root\"",
        ),
        (
            "root-first.crt",
            "stranger.key",
            "is the key of none of its 2 certificates",
        ),
        (
            "twin-chain.crt",
            "int.key",
            "was not signed by the \"O=Acme Ops, CN=Acme Root\" certificate",
        ),
    ] {
        let (code, out) = cli(
            t,
            &[
                "generate",
                "--spec",
                "chain-spec.json",
                "--ca-cert",
                cert,
                "--ca-key",
                key,
                "--out",
                "bad.zip",
            ],
        );
        assert_eq!(code, 2, "{cert} {key}: {out}");
        assert!(
            out.contains(&format!("--ca-cert {cert}")),
            "the file is named: {out}"
        );
        assert!(out.contains(says), "{cert} {key}: {out}");
        assert_eq!(listing(t), before, "{cert} {key}: something was written");
    }
    let (code, out) = cli(
        t,
        &[
            "generate",
            "--spec",
            "chain-spec.json",
            "--ca-cert",
            "root-first.crt",
            "--ca-key",
            "int.key",
            "--out",
            "chain.zip",
        ],
    );
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("another order"), "the sorting is said: {out}");
    let b = unzip(t, "chain.zip");
    assert_eq!(
        der(&b.join("ca.crt")),
        der(&t.join("root.crt")),
        "the trust file is the root"
    );
    assert_eq!(
        der(&b.join("members/etcd1/pki/ca.crt")),
        der(&t.join("root.crt"))
    );
    assert_eq!(der(&b.join("issuing-ca.crt")), der(&t.join("int.crt")));
    let leaves = sh(
        &b,
        "find members clients -name '*.crt' ! -name ca.crt | sort",
    );
    let leaves: Vec<&str> = leaves.lines().collect();
    assert!(leaves.len() >= 3, "{leaves:?}");
    for leaf in &leaves {
        let chained = run(Command::new("openssl")
            .args(["verify", "-x509_strict", "-CAfile"])
            .arg(t.join("root.crt"))
            .arg("-untrusted")
            .arg(b.join(leaf))
            .arg(b.join(leaf)));
        let (code, text) = code_and_output(&chained);
        assert_eq!(
            code, 0,
            "{leaf} does not verify against the root with its chain: {text}"
        );
        let alone = run(Command::new("openssl")
            .args(["verify", "-CAfile"])
            .arg(t.join("root.crt"))
            .arg(b.join(leaf)));
        assert!(
            !alone.status.success(),
            "{leaf}: the leaf alone must need the intermediate"
        );
    }
    // etcd on it: the member sends leaf + intermediate, etcdctl trusts the root alone.
    let logs = t.join("logs");
    std::fs::create_dir_all(&logs).unwrap();
    let mut cluster =
        e2e_etcd::LiveCluster::new(CHAIN_SUBNET, &e2e_etcd::rotation::etcd().0, &logs);
    cluster.start(&b.join("members/etcd1"), &[]);
    let endpoint = e2e_etcd::rotation::client_url(CHAIN_SUBNET, 1);
    let admin = b.join("clients/etcdctl");
    let put = e2e_etcd::live::wait_for(std::time::Duration::from_secs(30), || {
        e2e_etcd::etcdctl_as(&admin, &endpoint, "put chain imported")
    });
    assert!(
        put.is_ok(),
        "etcd under the imported chain: {put:?}\n{}",
        cluster.log_tails(20)
    );
    let (ok, got) = e2e_etcd::etcdctl_as(&admin, &endpoint, "get chain --print-value-only");
    assert!(ok && got.trim() == "imported", "{got}");
    drop(cluster);

    // generate --from the bundle with the intermediate's key: root+issuing again.
    let (code, out) = cli(
        t,
        &[
            "generate",
            "--from",
            "chain.zip",
            "--ca-key",
            "int.key",
            "--out",
            "again.zip",
        ],
    );
    assert_eq!(code, 0, "{out}");
    let again = unzip(t, "again.zip");
    assert_eq!(der(&again.join("ca.crt")), der(&t.join("root.crt")));
    assert_eq!(der(&again.join("issuing-ca.crt")), der(&t.join("int.crt")));
}
