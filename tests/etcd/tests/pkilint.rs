//! Every certificate of a bundle, for every algorithm and both layouts, run through an
//! independent RFC 5280 linter: pkilint's `lint_pkix_cert` (PyPI, installed by
//! `scripts/setup.sh` into `tools/pkilint`). A strict verifier elsewhere (Go's x509, a
//! hardware appliance, a compliance scan) should find nothing to refuse.
//!
//! Findings of severity NOTICE and above fail the test unless they are on [`ALLOWED`], each
//! with the reason it does not apply to a private etcd PKI.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use e2e_etcd::{TempDir, code_and_output, generate_bundle, run, workspace_root};

/// (finding code, the value it must be about, why it is fine here).
const ALLOWED: &[(&str, &str, &str)] = &[(
    "pkix.invalid_domain_name_syntax",
    "\"localhost\"",
    // The server certificate names `localhost` so that tools on the member itself can dial
    // https://localhost:2379 (etcd's own grpc-gateway, local etcdctl). RFC 5280 wants a
    // "preferred name syntax" host name, which pkilint reads as at least two labels; a
    // single-label name is only meaningful inside one machine, which is exactly its use.
    "single-label localhost SAN on server certificates, for tools on the member itself",
)];

fn python() -> PathBuf {
    let p = workspace_root().join("tools/pkilint/bin/python");
    assert!(
        p.exists(),
        "{} is missing: run ./scripts/setup.sh (it installs pkilint from PyPI)",
        p.display()
    );
    p
}

/// Runs `lint_pkix_cert lint -s NOTICE -f JSON` over each file in one Python process
/// (pkilint takes a second to start; a bundle has a dozen certificates) and returns each
/// file's JSON report.
fn lint_files(files: &[PathBuf]) -> Vec<(PathBuf, serde_json::Value)> {
    const DRIVER: &str = r#"
import contextlib, io, sys
from pkilint.bin.lint_pkix_cert import main
for f in sys.argv[1:]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        main(["lint", "-s", "NOTICE", "-f", "JSON", f])
    print(" ".join(out.getvalue().split("\n")))
"#;
    let out = run(Command::new(python()).arg("-c").arg(DRIVER).args(files));
    let (code, text) = code_and_output(&out);
    assert!(out.status.success(), "pkilint exited {code}: {text}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = stdout.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(
        lines.len(),
        files.len(),
        "one report per certificate: {text}"
    );
    files
        .iter()
        .zip(lines)
        .map(|(f, l)| {
            let v = serde_json::from_str(l)
                .unwrap_or_else(|e| panic!("pkilint on {}: not JSON ({e}): {l}", f.display()));
            (f.clone(), v)
        })
        .collect()
}

/// The findings of `report` that [`ALLOWED`] does not cover, one line each.
fn unexpected(what: &str, report: &serde_json::Value) -> Vec<String> {
    let mut bad = Vec::new();
    for result in report["results"].as_array().expect("results") {
        for f in result["finding_descriptions"].as_array().expect("findings") {
            let code = f["code"].as_str().unwrap_or("");
            let message = f["message"].as_str().unwrap_or("");
            let allowed = ALLOWED
                .iter()
                .any(|(c, value, _)| *c == code && message.contains(value));
            if !allowed {
                bad.push(format!(
                    "{what}: {} {code} at {}: {message}",
                    f["severity"].as_str().unwrap_or("?"),
                    result["node_path"].as_str().unwrap_or("?"),
                ));
            }
        }
    }
    bad
}

fn spec(alg: &str, layout: &str) -> String {
    serde_json::json!({
        "cluster_name": format!("lint-{alg}-{layout}"),
        "key_algorithm": alg,
        "layout": layout,
        "ca_subject": {
            "common_name": "etcd CA",
            "organization": "Example Ops",
            "organizational_unit": "Platform",
            "country": "DE",
            "state": "Berlin",
            "locality": "Berlin"
        },
        "nodes": [
            {"name": "etcd1", "ips": ["10.0.0.1", "2001:db8::1"], "dns_names": ["etcd1.example.com"]},
            {"name": "etcd2", "ips": ["10.0.0.2"], "dns_names": ["etcd2.example.com"]},
            {"name": "etcd3", "ips": ["10.0.0.3"]},
        ],
        "clients": [
            {"name": "etcdctl", "common_name": "root"},
            {"name": "kube-apiserver", "common_name": "kube-apiserver", "organization": "system:masters", "kind": "kube-apiserver", "roles": ["root"]},
        ],
    })
    .to_string()
}

fn certificates(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read bundle") {
        let p = entry.expect("entry").path();
        if p.is_dir() {
            certificates(&p, out);
        } else if p.extension().is_some_and(|e| e == "crt") {
            out.push(p);
        }
    }
}

#[test]
fn every_certificate_passes_an_rfc5280_linter() {
    let tmp = TempDir::new("pkilint");
    let mut total = 0;
    let mut bad = Vec::new();
    for alg in [
        "ecdsa-p256",
        "ecdsa-p384",
        "ed25519",
        "rsa-2048",
        "rsa-3072",
        "rsa-4096",
    ] {
        // The layout changes which certificates exist, not how they are signed: kubeadm's
        // extra healthcheck client once is enough.
        let layouts: &[&str] = if alg == "ecdsa-p256" {
            &["etcd", "kubeadm"]
        } else {
            &["etcd"]
        };
        for layout in layouts {
            let dir = tmp.path().join(format!("{alg}-{layout}"));
            std::fs::create_dir_all(&dir).expect("mkdir");
            let b = generate_bundle(&spec(alg, layout), &dir);
            let mut certs = Vec::new();
            certificates(&b, &mut certs);
            certs.sort();
            // A leaf file holds the leaf and then the issuing CA (root+issuing): pkilint reads
            // one certificate per file, so the leaf is linted from a copy of its first block
            // (the issuing CA is issuing-ca.crt).
            let leaves = dir.join("leaves");
            std::fs::create_dir_all(&leaves).expect("mkdir");
            for (i, c) in certs.iter_mut().enumerate() {
                let text = std::fs::read_to_string(&*c).expect("read cert");
                const END: &str = "-----END CERTIFICATE-----\n";
                if text.matches(END).count() > 1 {
                    let first = &text[..text.find(END).unwrap() + END.len()];
                    let copy = leaves.join(format!("{i}.crt"));
                    std::fs::write(&copy, first).expect("write leaf");
                    *c = copy;
                }
            }
            // ca.crt is copied into every folder: lint each distinct certificate once.
            let mut seen = BTreeSet::new();
            certs.retain(|c| seen.insert(std::fs::read(c).expect("read cert")));
            total += certs.len();
            for (cert, report) in lint_files(&certs) {
                let rel = cert.strip_prefix(&b).unwrap_or(&cert).display().to_string();
                bad.extend(unexpected(&format!("{alg}/{layout} {rel}"), &report));
            }
        }
    }
    // Root and issuing CA, 6 member and 2 client certificates; kubeadm adds 3 healthcheck clients.
    assert_eq!(total, 6 * 10 + 13, "distinct certificates linted");
    assert!(
        bad.is_empty(),
        "pkilint findings ({}):\n{}",
        bad.len(),
        bad.join("\n")
    );
}

/// The linter and the allowlist must be able to fail: a DNS name with an empty label (which
/// validation refuses in a spec) has the same finding code as `localhost`, and the allowlist,
/// which matches the value too, must not hide it.
#[test]
fn the_linter_catches_what_the_allowlist_does_not_cover() {
    let tmp = TempDir::new("pkilint-canary");
    let key = tmp.path().join("k.pem");
    let crt = tmp.path().join("c.pem");
    let o = run(Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
        ])
        .args(["-nodes", "-days", "1", "-subj", "/CN=canary"])
        .args(["-addext", "subjectAltName=DNS:bad..example"])
        .args(["-addext", "keyUsage=critical,keyCertSign,cRLSign"])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&crt));
    assert!(o.status.success(), "openssl req: {}", code_and_output(&o).1);
    let report = lint_files(std::slice::from_ref(&crt)).remove(0).1;
    let bad = unexpected("canary", &report);
    assert!(
        bad.iter()
            .any(|l| l.contains("pkix.invalid_domain_name_syntax") && l.contains("bad..example")),
        "pkilint's empty-label finding was not reported: {report}"
    );
}
