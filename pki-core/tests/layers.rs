//! pki-core's modules depend one way (spec ← validate ← keys ← plan ← issue ← render ←
//! package ← the operations): every top-level module belongs to one of those stages
//! ([`STAGES`]) and uses only modules of its own stage or earlier ones; no import circle
//! between two top-level modules, nor between two modules of one folder (`render/env.rs` and
//! `render/kubeadm.rs`). Read from the source as a reviewer would: every `crate::…` and
//! `super::…` path outside `#[cfg(test)]` code is an edge.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The stages, in order, and the top-level modules of each. A module may use its own
/// stage's modules and earlier stages', never a later stage's: planning never reads a zip,
/// rendering never issues, and nothing below the operations knows there is a day two.
const STAGES: &[(&str, &[&str])] = &[
    (
        "spec",
        &["error", "report", "rules", "options", "limits", "spec"],
    ),
    ("validate", &["validate"]),
    (
        "keys",
        &[
            "keys",
            "sealing",
            "rsa_keygen",
            "raw_issuer",
            "crl",
            "ca_key",
            "ca_chain",
            "record",
        ],
    ),
    ("plan", &["plan"]),
    ("issue", &["issue", "ca_import", "parallel"]),
    ("render", &["render", "runbook", "kit"]),
    ("package", &["package", "listing", "naming"]),
    (
        "operations",
        &["ops", "revocations", "status", "doctor", "next_steps"],
    ),
];

fn stage_of(module: &str) -> Option<usize> {
    STAGES.iter().position(|(_, ms)| ms.contains(&module))
}

/// Module path of each source file (`render::env`), and the code outside its tests.
fn sources() -> BTreeMap<Vec<String>, String> {
    fn walk(dir: &Path, prefix: &[String], out: &mut BTreeMap<Vec<String>, String>) {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let p = e.path();
            let name = e.file_name().to_string_lossy().into_owned();
            if p.is_dir() {
                if name != "bin" {
                    let mut sub = prefix.to_vec();
                    sub.push(name);
                    walk(&p, &sub, out);
                }
                continue;
            }
            let Some(stem) = name.strip_suffix(".rs") else {
                continue;
            };
            let mut module = prefix.to_vec();
            if stem != "mod" && stem != "lib" {
                module.push(stem.to_string());
            }
            let text = std::fs::read_to_string(&p).unwrap();
            let code = text
                .split("#[cfg(test)]\nmod tests")
                .next()
                .unwrap_or("")
                .lines()
                .map(|l| l.split("//").next().unwrap_or(""))
                .collect::<Vec<_>>()
                .join("\n");
            out.insert(module, code);
        }
    }
    let mut out = BTreeMap::new();
    walk(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &[],
        &mut out,
    );
    out
}

/// The paths after `prefix` in `code`: `crate::render::env::x` gives `[render, env, x]`.
fn paths_after(code: &str, prefix: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for (i, _) in code.match_indices(prefix) {
        let before = code[..i].chars().last();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let rest = &code[i + prefix.len()..];
        let path: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
            .collect();
        let segs: Vec<String> = path
            .split("::")
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect();
        if !segs.is_empty() {
            out.push(segs);
        }
    }
    out
}

/// A circle in `edges`, if any, as the modules along it.
fn circle(edges: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        n: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        stack: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = stack.iter().position(|s| s == n) {
            let mut c = stack[at..].to_vec();
            c.push(n.to_string());
            return Some(c);
        }
        if done.contains(n) {
            return None;
        }
        stack.push(n.to_string());
        for m in edges.get(n).into_iter().flatten() {
            if let Some(c) = visit(m, edges, stack, done) {
                return Some(c);
            }
        }
        stack.pop();
        done.insert(n.to_string());
        None
    }
    let mut done = BTreeSet::new();
    edges
        .keys()
        .find_map(|n| visit(n, edges, &mut Vec::new(), &mut done))
}

#[test]
fn no_import_circle_between_modules() {
    let src = sources();
    let modules: BTreeSet<&Vec<String>> = src.keys().collect();
    assert!(modules.len() > 30, "{modules:?}");
    // Edges between top-level modules, and between siblings of one folder (keyed by folder).
    let mut top: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut siblings: BTreeMap<Vec<String>, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    for (m, code) in &src {
        if m.is_empty() {
            continue; // lib.rs declares and re-exports every module
        }
        let mut targets: Vec<Vec<String>> = paths_after(code, "crate::");
        for p in paths_after(code, "super::") {
            let mut t = m[..m.len() - 1].to_vec();
            t.extend(p);
            targets.push(t);
        }
        for t in targets {
            if t[0] != m[0] {
                top.entry(m[0].clone()).or_default().insert(t[0].clone());
            }
            // Two modules of one folder: the same parent, both files of it.
            if m.len() >= 2 && t.len() >= m.len() && t[..m.len() - 1] == m[..m.len() - 1] {
                let sib = t[..m.len()].to_vec();
                if sib != *m && modules.contains(&sib) {
                    siblings
                        .entry(m[..m.len() - 1].to_vec())
                        .or_default()
                        .entry(m[m.len() - 1].clone())
                        .or_default()
                        .insert(sib[m.len() - 1].clone());
                }
            }
        }
    }
    assert!(
        top.get("ops").is_some_and(|d| d.contains("plan")),
        "the reader found no edge it must: {top:?}"
    );
    if let Some(c) = circle(&top) {
        panic!("import circle between top-level modules: {}", c.join(" → "));
    }
    // The stage order.
    for m in modules.iter().filter_map(|m| m.first()) {
        assert!(
            stage_of(m).is_some(),
            "module {m} belongs to no stage: add it to STAGES in tests/layers.rs, at the \
             earliest stage whose modules are all it uses"
        );
    }
    let mut backwards = Vec::new();
    for (from, tos) in &top {
        for to in tos {
            let (Some(a), Some(b)) = (stage_of(from), stage_of(to)) else {
                continue; // a path such as crate::VERSION, not a module
            };
            if b > a {
                backwards.push(format!(
                    "{from} ({}) uses {to} ({})",
                    STAGES[a].0, STAGES[b].0
                ));
            }
        }
    }
    assert!(
        backwards.is_empty(),
        "a stage uses a later one: {}",
        backwards.join("; ")
    );
    for (folder, edges) in &siblings {
        if let Some(c) = circle(edges) {
            panic!("import circle in {}/: {}", folder.join("/"), c.join(" → "));
        }
    }
}
