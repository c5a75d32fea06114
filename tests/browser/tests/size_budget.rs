//! The page's weight against its budget (`tests/browser/size-budget.json`): each wasm module
//! as shipped (gzipped inside its script) and unpacked, the one-file page on disk, and the
//! hosted page's first visit as nginx sends it (gzip level 6, deploy/nginx/etcd-pki.conf).
//! A module that grows past its budget fails here until the budget is raised in the same
//! commit, saying why; docs/BENCHMARKS.md "Page weight" says where the bytes go and how to
//! find what grew (`scripts/wasm-sizes.py`).

use std::path::Path;
use std::process::Command;

use base64::Engine as _;
use e2e_browser::{site_dir, workspace_root};
use serde_json::Value;

/// The one-file page must stay under this whatever the budget file says (issue #26).
const ONE_FILE_LIMIT: u64 = 1_500_000;

/// The base64 string assigned to `global` in a script of `assets/` whose name starts with
/// `stem`: the gzipped wasm package-site.py put there.
fn packed_wasm(dist: &Path, stem: &str, global: &str) -> Vec<u8> {
    let entry = std::fs::read_dir(dist.join("assets"))
        .expect("dist/assets")
        .filter_map(Result::ok)
        .find(|e| e.file_name().to_string_lossy().starts_with(stem))
        .unwrap_or_else(|| panic!("no assets/{stem}* in {}", dist.display()));
    let text = std::fs::read_to_string(entry.path()).unwrap();
    let start = text
        .find(&format!("{global} = \""))
        .unwrap_or_else(|| panic!("{} sets no {global}", entry.path().display()))
        + global.len()
        + 4;
    let end = start + text[start..].find('"').expect("closing quote");
    let gz = base64::engine::general_purpose::STANDARD
        .decode(&text[start..end])
        .expect("base64");
    assert_eq!(gz[..2], [0x1f, 0x8b], "{global} is not gzipped");
    gz
}

/// The unpacked size a gzip stream records in its last four bytes (ISIZE).
fn unpacked_len(gz: &[u8]) -> u64 {
    u32::from_le_bytes(gz[gz.len() - 4..].try_into().unwrap()).into()
}

/// `path` gzipped as nginx sends it (level 6).
fn on_the_wire(path: &Path) -> u64 {
    let out = Command::new("gzip")
        .args(["-6", "-n", "-c"])
        .arg(path)
        .output()
        .expect("gzip");
    assert!(out.status.success(), "gzip {}", path.display());
    out.stdout.len() as u64
}

#[test]
fn the_page_stays_within_its_size_budget() {
    let dist = site_dir();
    let budget_file = workspace_root().join("tests/browser/size-budget.json");
    let budget: Value =
        serde_json::from_str(&std::fs::read_to_string(&budget_file).unwrap()).unwrap();
    let app = packed_wasm(&dist, "app_bg.wasm.", "__etcdPkiAppWasm");
    let worker = packed_wasm(&dist, "keygen-worker.src.", "__etcdPkiWorkerWasm");
    // What a first visit downloads: index.html and everything it names.
    let index = std::fs::read_to_string(dist.join("index.html")).unwrap();
    let mut first_visit = on_the_wire(&dist.join("index.html"));
    for part in index.split('"') {
        if let Some(name) = part.strip_prefix("./assets/") {
            first_visit += on_the_wire(&dist.join("assets").join(name));
        }
    }
    let measured = [
        (
            "app_wasm_gzip",
            "the page's wasm, gzipped",
            app.len() as u64,
        ),
        (
            "app_wasm_raw",
            "the page's wasm, unpacked",
            unpacked_len(&app),
        ),
        (
            "worker_wasm_gzip",
            "the key worker's wasm, gzipped",
            worker.len() as u64,
        ),
        (
            "worker_wasm_raw",
            "the key worker's wasm, unpacked",
            unpacked_len(&worker),
        ),
        (
            "one_file_page",
            "etcd-pki.html on disk",
            std::fs::metadata(dist.join("etcd-pki.html")).unwrap().len(),
        ),
        (
            "hosted_first_visit_wire",
            "the hosted first visit on the wire (gzip -6)",
            first_visit,
        ),
    ];
    let mut over = vec![];
    for (key, what, bytes) in measured {
        let limit = budget[key]
            .as_u64()
            .unwrap_or_else(|| panic!("{}: no number for {key}", budget_file.display()));
        println!("{what}: {bytes} bytes (budget {limit})");
        if bytes > limit {
            over.push(format!(
                "{what} is {bytes} bytes, over its budget of {limit} ({key})"
            ));
        }
    }
    assert!(
        over.is_empty(),
        "{}.\nFind what grew with `python3 scripts/wasm-sizes.py \
         target/wasm32-unknown-unknown/wasm-release/<app|keygen-worker>.wasm` (docs/BENCHMARKS.md, \
         \"Page weight\"), then shrink it or raise the budget in {} in the same commit, saying why.",
        over.join(";\n"),
        budget_file.display()
    );
    let one_file = budget["one_file_page"].as_u64().unwrap();
    assert!(
        one_file <= ONE_FILE_LIMIT,
        "the one-file page's budget ({one_file}) is over the {ONE_FILE_LIMIT} bytes it must stay under"
    );
}
