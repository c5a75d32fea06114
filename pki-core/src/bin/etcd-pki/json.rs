//! The one shape of every `--json` answer, so that a script reads any of them the same way:
//! an object whose `format` names the command (`etcd-pki-status`, `etcd-pki-validate`,
//! `etcd-pki-doctor`) and whose `format_version` says which fields to expect; the command's own
//! fields beside them.

/// The version of every answer's fields (bumped when a field changes meaning or goes).
pub const VERSION: u64 = 1;

/// `{"format": "etcd-pki-<command>", "format_version": 1, ...fields}`, as `status` answers, pretty-printed.
pub fn answer(command: &str, fields: serde_json::Value) -> String {
    let mut out = serde_json::Map::new();
    out.insert("format".into(), format!("etcd-pki-{command}").into());
    out.insert("format_version".into(), VERSION.into());
    if let serde_json::Value::Object(fields) = fields {
        out.extend(fields);
    }
    serde_json::to_string_pretty(&serde_json::Value::Object(out)).unwrap_or_default()
}

/// The arguments without `--json` (or `--json=true`), and whether it was given.
pub fn take_flag(args: &[String]) -> (Vec<String>, bool) {
    let json = args.iter().any(|a| a == "--json" || a == "--json=true");
    let rest = args
        .iter()
        .filter(|a| *a != "--json" && *a != "--json=true")
        .cloned()
        .collect();
    (rest, json)
}
