//! `--json` on the commands that report (validate --spec, validate --from, doctor, status):
//! one shape for all — an object with `format` = `etcd-pki-<command>` and `format_version` 1 beside
//! the command's own fields, on standard output, and nothing else there. Runs the real binary.

use std::path::{Path, PathBuf};
use std::process::Command;

fn scratch() -> PathBuf {
    let p = std::env::temp_dir().join(format!("epki-json-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&p);
    std::fs::create_dir_all(&p).unwrap();
    p
}

/// `etcd-pki ARGS` in `dir`: exit code, standard output parsed as JSON (panics with both
/// streams when it is not exactly one JSON value), standard error.
fn json(dir: &Path, args: &[&str]) -> (Option<i32>, serde_json::Value, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_etcd-pki"))
        .env("ETCD_PKI_STATE_DIR", "/dev/null")
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    let v = serde_json::from_str(&out)
        .unwrap_or_else(|e| panic!("{args:?}: stdout is not JSON ({e}):\n{out}\nstderr: {err}"));
    (o.status.code(), v, err)
}

fn shape(v: &serde_json::Value, command: &str) {
    assert_eq!(v["format"], format!("etcd-pki-{command}"), "{v}");
    assert_eq!(v["format_version"], 1, "{v}");
}

#[test]
fn every_report_answers_in_one_json_shape() {
    let dir = scratch();
    let spec = serde_json::json!({
        "cluster_name": "jsonc",
        "nodes": (1..=3).map(|i| serde_json::json!({"name": format!("etcd{i}"), "ips": [format!("10.0.0.{i}")]})).collect::<Vec<_>>(),
    });
    std::fs::write(dir.join("spec.json"), spec.to_string()).unwrap();
    let mut bad = spec.clone();
    bad["nodes"][1]["ips"][0] = "10.0.0.300".into();
    std::fs::write(dir.join("bad.json"), bad.to_string()).unwrap();

    let (code, v, _) = json(&dir, &["validate", "--spec", "spec.json", "--json"]);
    assert_eq!(code, Some(0));
    shape(&v, "validate");
    assert_eq!(
        (v["ok"].clone(), v["members"].clone()),
        (true.into(), 3.into()),
        "{v}"
    );

    // Bad input: exit 2, and the problem in the JSON with its path and value.
    let (code, v, err) = json(&dir, &["validate", "--json", "--spec=bad.json"]);
    assert_eq!(code, Some(2), "{err}");
    shape(&v, "validate");
    assert_eq!(v["ok"], false);
    let p = &v["problems"][0];
    assert_eq!(
        (p["path"].as_str(), p["value"].as_str()),
        (Some("nodes[1].ips[0]"), Some("10.0.0.300")),
        "{v}"
    );
    assert!(err.contains("error"), "{err}");

    let o = Command::new(env!("CARGO_BIN_EXE_etcd-pki"))
        .env("ETCD_PKI_STATE_DIR", "/dev/null")
        .current_dir(&dir)
        .args([
            "generate",
            "--no-ca-passphrase",
            "--spec",
            "spec.json",
            "--out",
            "b.zip",
            "--ca-key-out",
            "ca.key",
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));

    let (code, v, _) = json(&dir, &["validate", "--from", "b.zip", "--json"]);
    assert_eq!(code, Some(0));
    shape(&v, "validate");
    assert_eq!(
        (v["ok"].clone(), v["certificates"].clone()),
        (true.into(), 8.into()),
        "{v}"
    );

    let (code, v, _) = json(&dir, &["doctor", "b.zip", "--json"]);
    assert_eq!(code, Some(0));
    shape(&v, "doctor");
    assert!(v["inputs"].is_array(), "{v}");

    let (code, v, _) = json(&dir, &["status", "--from", "b.zip", "--json"]);
    assert_eq!(code, Some(0));
    shape(&v, "status");
    let _ = std::fs::remove_dir_all(&dir);
}

/// `etcd-pki ARGS` must succeed with `--json`; its answer.
fn answered(dir: &Path, command: &str, args: &[&str]) -> serde_json::Value {
    let mut all = vec![command, "--json"];
    all.extend_from_slice(args);
    let (code, v, err) = json(dir, &all);
    assert_eq!(code, Some(0), "{all:?}: {err}\n{v}");
    shape(&v, command);
    assert_eq!(v["ok"], true, "{v}");
    v
}

/// The serial openssl reads from `member` of `zip` (lowercase hex, no colons).
fn openssl_serial(dir: &Path, zip: &str, member: &str) -> String {
    let pem = Command::new("unzip")
        .args(["-p", zip, member])
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(!pem.stdout.is_empty(), "{zip}: no {member}");
    let mut child = Command::new("openssl")
        .args(["x509", "-noout", "-serial"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write as _;
    child.stdin.take().unwrap().write_all(&pem.stdout).unwrap();
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    text.trim()
        .trim_start_matches("serial=")
        .to_ascii_lowercase()
}

fn hex(serial: &serde_json::Value) -> String {
    serial
        .as_str()
        .unwrap_or_default()
        .replace(':', "")
        .to_ascii_lowercase()
}

/// The issued certificate `id` of an answer.
fn issued<'a>(v: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    v["certificates_issued"]
        .as_array()
        .and_then(|a| a.iter().find(|c| c["id"] == id))
        .unwrap_or_else(|| panic!("{id} is not among the certificates issued: {v}"))
}

/// `--json` on every command that writes (issue #25 item 1): generate, add-member,
/// remove-member, replace-member, renew, revoke, rotate-ca — one object on stdout with what
/// was written, the bundle's id, generation and parent, the certificates issued (their serials
/// as openssl reads them from the files written), what was revoked and the next steps as
/// commands; a refusal is an object too, with exit 2.
#[test]
fn every_command_that_writes_answers_with_what_it_wrote() {
    // Its own folder: the other test of this binary clears scratch() while it runs.
    let dir = std::env::temp_dir().join(format!("epki-json-writes-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let spec = serde_json::json!({
        "cluster_name": "jw",
        "nodes": (1..=3).map(|i| serde_json::json!({"name": format!("etcd{i}"), "ips": [format!("10.0.0.{i}")]})).collect::<Vec<_>>(),
        "clients": [
            {"name": "etcdctl", "common_name": "root", "kind": "etcdctl", "roles": ["root"]},
            {"name": "alice", "common_name": "alice"}
        ],
    });
    std::fs::write(dir.join("spec.json"), spec.to_string()).unwrap();

    let g = answered(
        &dir,
        "generate",
        &[
            "--spec",
            "spec.json",
            "--out=g1.zip",
            "--ca-key-out",
            "ca.key",
            "--no-ca-passphrase",
        ],
    );
    assert_eq!(g["wrote"]["bundle"], "g1.zip");
    assert_eq!(g["wrote"]["ca_key"], "ca.key");
    assert!(dir.join("g1.zip").is_file() && dir.join("ca.key").is_file());
    assert_eq!(
        (&g["bundle"]["generation"], &g["bundle"]["parent"]),
        (&1.into(), &serde_json::Value::Null),
        "{g}"
    );
    let g_id = g["bundle"]["id"].as_str().unwrap().to_string();
    assert!(!g_id.is_empty());
    let server = issued(&g, "members/etcd1/server");
    assert_eq!(
        hex(&server["serial"]),
        openssl_serial(&dir, "g1.zip", "members/etcd1/pki/server.crt"),
        "{server}"
    );
    assert!(
        server["not_after"].as_str().is_some_and(|d| d.len() >= 10),
        "{server}"
    );
    assert_eq!(issued(&g, "ca")["role"], "ca");
    let steps = g["next_steps"].as_array().unwrap();
    assert!(
        steps.iter().any(|s| s["command"]
            .as_str()
            .is_some_and(|c| c.contains("install.sh"))),
        "{g}"
    );
    let alice_serial = issued(&g, "clients/alice")["serial"].clone();

    let key = ["--from", "g1.zip", "--ca-key", "ca.key"];
    let mut args = key.to_vec();
    args.extend(["--name", "etcd4", "--ip", "10.0.0.4", "--out", "g2.zip"]);
    let a = answered(&dir, "add-member", &args);
    assert_eq!(
        (&a["bundle"]["generation"], &a["bundle"]["parent"]),
        (&2.into(), &g_id.clone().into()),
        "{a}"
    );
    let added = issued(&a, "members/etcd4/server");
    assert_eq!(
        hex(&added["serial"]),
        openssl_serial(&dir, "g2.zip", "members/etcd4/pki/server.crt")
    );
    assert!(
        a["certificates_issued"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["member"] == "etcd4"),
        "only etcd4's certificates are new: {a}"
    );
    assert!(
        a["next_steps"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["command"]
                .as_str()
                .is_some_and(|c| c.starts_with("runbook/"))),
        "{a}"
    );

    let r = answered(
        &dir,
        "remove-member",
        &[
            "--from", "g2.zip", "--ca-key", "ca.key", "--name", "etcd4", "--out", "g3.zip",
        ],
    );
    assert_eq!(r["bundle"]["generation"], 3);
    assert_eq!(r["members_removed"][0], "etcd4", "{r}");
    // What the change leaves to revoke, and the command that does it, runnable as printed.
    let revoke_step = r["next_steps"]
        .as_array()
        .unwrap()
        .iter()
        .find_map(|s| {
            s["command"]
                .as_str()
                .filter(|c| c.starts_with("etcd-pki revoke"))
        })
        .unwrap_or_else(|| panic!("no revoke command: {r}"));
    assert!(revoke_step.contains("--member etcd4"), "{revoke_step}");

    let p = answered(
        &dir,
        "replace-member",
        &[
            "--from",
            "g3.zip",
            "--ca-key",
            "ca.key",
            "--name",
            "etcd3",
            "--ip",
            "10.0.0.13",
            "--out",
            "g4.zip",
        ],
    );
    assert_eq!(p["bundle"]["generation"], 4);
    assert!(!issued(&p, "members/etcd3/server")["serial"].is_null());

    // renew: nothing due within a day writes nothing and says so.
    let n = answered(
        &dir,
        "renew",
        &["--from", "g4.zip", "--ca-key", "ca.key", "--within", "1"],
    );
    assert_eq!(
        (&n["nothing_due"], &n["wrote"]),
        (&true.into(), &serde_json::Value::Null),
        "{n}"
    );
    let w = answered(
        &dir,
        "renew",
        &[
            "--from", "g4.zip", "--ca-key", "ca.key", "--only", "etcd1", "--out", "g5.zip",
        ],
    );
    let renewed = issued(&w, "members/etcd1/server");
    assert_eq!(
        hex(&renewed["serial"]),
        openssl_serial(&dir, "g5.zip", "members/etcd1/pki/server.crt")
    );
    assert_ne!(
        renewed["serial"], server["serial"],
        "renew issued a new serial"
    );

    let v = answered(
        &dir,
        "revoke",
        &[
            "--from", "g5.zip", "--ca-key", "ca.key", "--client", "alice", "--out", "g6.zip",
        ],
    );
    assert_eq!(v["revoked"][0]["serial"], alice_serial, "{v}");
    assert_eq!(
        (&v["crl"]["revoked"], &v["certificates_issued"]),
        (&1.into(), &serde_json::json!([])),
        "{v}"
    );
    assert!(
        v["next_steps"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["command"] == "bash install-crl.sh"),
        "{v}"
    );

    // A same-key renewal renews a single CA; this bundle is root+issuing: refused, naming
    // rotate-issuer, as an object.
    let (code, e, _) = json(
        &dir,
        &[
            "rotate-ca",
            "--json",
            "--from",
            "g6.zip",
            "--ca-key",
            "ca.key",
            "--same-key",
            "--out",
            "g7.zip",
        ],
    );
    assert_eq!(code, Some(2), "{e}");
    assert!(
        e["error"].as_str().unwrap_or("").contains("rotate-issuer"),
        "{e}"
    );
    assert!(!dir.join("g7.zip").exists());

    std::fs::write(dir.join("root-pass.txt"), "root passphrase 1\n").unwrap();
    let k = answered(
        &dir,
        "rotate-ca",
        &[
            "--from",
            "g6.zip",
            "--ca-key",
            "ca.key",
            "--no-new-ca-passphrase",
            "--root-passphrase-file",
            "root-pass.txt",
            "--new-ca-key-out",
            "new.key",
            "--out",
            "g7.zip",
        ],
    );
    assert_eq!(
        (&k["wrote"]["ca_key"], &k["bundle"]["generation"]),
        (&"new.key".into(), &7.into()),
        "{k}"
    );
    assert!(dir.join("new.key").is_file());
    // The new root: its key apart, beside the kit, named in the answer.
    assert_eq!(
        (
            &k["ca_layout"]["from"],
            &k["ca_layout"]["to"],
            &k["new_root"]["key"]
        ),
        (
            &"root+issuing".into(),
            &"root+issuing".into(),
            &"jw-root-ca-new.key".into()
        ),
        "{k}"
    );
    assert!(dir.join("jw-root-ca-new.key").is_file());
    assert_eq!(
        hex(&issued(&k, "ca")["serial"]),
        openssl_serial(&dir, "g7.zip", "issuing-ca.crt")
    );
    assert!(
        k["next_steps"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["command"] == "bash rotate/1-trust-both.sh"),
        "{k}"
    );

    // A refusal: the wrong CA key; exit 2, an object on stdout, nothing written.
    let (code, e, _) = json(
        &dir,
        &[
            "add-member",
            "--json",
            "--from",
            "g1.zip",
            "--ca-key",
            "new.key",
            "--name",
            "etcd9",
            "--ip",
            "10.0.0.9",
            "--out",
            "bad.zip",
        ],
    );
    assert_eq!(code, Some(2), "{e}");
    shape(&e, "add-member");
    assert_eq!(
        (&e["ok"], &e["exit_code"]),
        (&false.into(), &2.into()),
        "{e}"
    );
    assert!(!dir.join("bad.zip").exists());
    let _ = std::fs::remove_dir_all(&dir);
}
