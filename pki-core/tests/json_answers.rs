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
