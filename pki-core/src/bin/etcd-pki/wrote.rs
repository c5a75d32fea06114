//! The `--json` answer of a command that writes a bundle (generate, demo, the day-two
//! commands, revoke, rotate-ca): the files written, the new bundle's place in its line (id,
//! generation, parent), the certificates issued with their serials and end dates, what was
//! revoked, the warnings, and what to do next. Every fact is read from what pki-core made —
//! the new bundle's `spec.json` state and the operation's summary — nothing is worked out here.

use std::path::Path;

use pki_core::Bundle;
use serde_json::{Value, json};

/// What one command wrote, for its answer.
pub struct Wrote<'a> {
    /// The bundle written.
    pub bundle: &'a Bundle,
    /// Where it went.
    pub out: &'a Path,
    /// The CA key written beside it, if one was.
    pub ca_key: Option<&'a Path>,
    /// The ids of the certificates issued by this command (`ca`, `members/etcd1/server`, ...);
    /// `None`: every certificate of the bundle.
    pub issued: Option<Vec<String>>,
    /// What was revoked: (what, serial).
    pub revoked: &'a [(String, String)],
    /// What the command says to a person (pki-core's summary).
    pub summary: String,
    /// The next steps, each a command or a runbook script to run.
    pub next_steps: Vec<Value>,
    /// The command's own fields (revoke's CRL).
    pub extra: Value,
}

/// Prints the answer of the command that runs, when `--json` was given.
pub fn print(w: Wrote<'_>) {
    if super::json::on() {
        json_answer(super::json::command(), &w);
    }
}

fn json_answer(command: &str, w: &Wrote<'_>) {
    let state = w.bundle.state().ok();
    let certificates: Vec<Value> = state
        .iter()
        .flat_map(|s| std::iter::once(&s.ca).chain(&s.certificates))
        .filter(|c| w.issued.as_ref().is_none_or(|ids| ids.contains(&c.id)))
        .map(|c| {
            json!({
                "id": c.id,
                "role": c.role,
                "member": c.member,
                "client": c.client,
                "subject": c.subject,
                "serial": c.serial,
                "not_before": c.not_before,
                "not_after": c.not_after,
                "paths": c.paths,
            })
        })
        .collect();
    let lineage = state.as_ref().and_then(|s| s.lineage.as_ref());
    let mut fields = json!({
        "ok": true,
        "wrote": {
            "bundle": w.out.display().to_string(),
            "ca_key": w.ca_key.map(|p| p.display().to_string()),
            "files": w.bundle.files.len(),
        },
        "bundle": {
            "cluster": state.as_ref().map(|s| s.spec.cluster_name.clone()),
            "id": lineage.map(|l| l.id.clone()),
            "generation": state.as_ref().map(|s| s.generation()),
            "parent": lineage.and_then(|l| l.parent.clone()),
            "generated_at": state.as_ref().map(|s| s.generated_at.clone()),
        },
        "certificates_issued": certificates,
        "revoked": w.revoked.iter().map(|(what, serial)| json!({"what": what, "serial": serial})).collect::<Vec<_>>(),
        "warnings": w.bundle.warnings,
        "summary": w.summary,
        "next_steps": w.next_steps,
    });
    if let (Value::Object(f), Value::Object(extra)) = (&mut fields, &w.extra) {
        f.extend(extra.clone());
    }
    super::json::print(command, fields);
}

/// The next steps of a freshly generated bundle ([`pki_core::next_steps`]): each with where
/// it runs, what it does and its command.
pub fn first_steps(spec: &pki_core::ClusterSpec) -> Vec<Value> {
    let n = pki_core::next_steps::next_steps(spec);
    let step = |s: &pki_core::next_steps::Step| json!({ "place": s.place, "what": s.what, "command": s.command });
    n.members
        .iter()
        .flat_map(|m| m.steps.iter())
        .chain(&n.cluster)
        .chain(n.clients.iter().flat_map(|c| c.steps.iter()))
        .map(step)
        .collect()
}

/// The lines of a summary that hold a command to run (`bash …`, `etcd-pki …`): the line as
/// the person reads it, and the command alone.
pub fn command_lines(summary: &str) -> Vec<Value> {
    summary
        .lines()
        .map(str::trim)
        .filter_map(|l| {
            let at = l.find("etcd-pki ").or_else(|| l.find("bash "))?;
            let command = &l[at..];
            let command = command.split(" (").next().unwrap_or(command);
            let command = command.trim().trim_end_matches('.');
            Some(json!({ "place": null, "what": l, "command": command }))
        })
        .collect()
}

/// A day-two change's next steps: its runbook scripts in order, then the `etcd-pki revoke`
/// line of what it replaced (as [`pki_core::daytwo::ChangeSummary::with_paths`] prints it).
pub fn runbook_steps(steps: &[String], printed: &str) -> Vec<Value> {
    let mut out: Vec<Value> = steps
        .iter()
        .map(
            |s| json!({ "place": null, "what": format!("run the runbook step {s}"), "command": s }),
        )
        .collect();
    out.extend(command_lines(printed).into_iter().filter(|v| {
        v["command"]
            .as_str()
            .is_some_and(|c| c.starts_with("etcd-pki "))
    }));
    out
}
