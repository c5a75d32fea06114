//! The one shape of every `--json` answer, so that a script reads any of them the same way:
//! an object whose `format` names the command (`etcd-pki-status`, `etcd-pki-generate`, ...)
//! and whose `format_version` says which fields to expect; the command's own fields beside
//! them. With `--json`, standard output holds that one object and nothing else: what the
//! command would say to a person goes to standard error, and a failure is an object too
//! (`ok: false`, `error`, `exit_code`), with the same exit status as without `--json`.

use std::io::Write as _;
use std::sync::atomic::{AtomicBool, Ordering};

/// The version of every answer's fields (bumped when a field changes meaning or goes).
pub const VERSION: u64 = 1;

/// `--json` was given: [`say!`] writes to standard error.
static ON: AtomicBool = AtomicBool::new(false);
/// The answer is out: a failure after it (validate's exit 2) prints no second object.
static ANSWERED: AtomicBool = AtomicBool::new(false);

/// The command that answers.
static COMMAND: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// Turns JSON mode on for the rest of the run, for `command`.
pub fn turn_on(command: &str) {
    let _ = COMMAND.set(command.to_string());
    ON.store(true, Ordering::Relaxed);
}

/// The command that answers (`generate`, `renew`, ...).
pub fn command() -> &'static str {
    COMMAND.get().map_or("", String::as_str)
}

/// Whether `--json` was given.
pub fn on() -> bool {
    ON.load(Ordering::Relaxed)
}

/// `{"format": "etcd-pki-<command>", "format_version": 1, ...fields}`, pretty-printed.
pub fn answer(command: &str, fields: serde_json::Value) -> String {
    let mut out = serde_json::Map::new();
    out.insert("format".into(), format!("etcd-pki-{command}").into());
    out.insert("format_version".into(), VERSION.into());
    if let serde_json::Value::Object(fields) = fields {
        out.extend(fields);
    }
    serde_json::to_string_pretty(&serde_json::Value::Object(out)).unwrap_or_default()
}

/// Prints the answer of `command` on standard output, once.
pub fn print(command: &str, fields: serde_json::Value) {
    print_text(&answer(command, fields));
}

/// Prints an answer already made (status's own) on standard output, once.
pub fn print_text(text: &str) {
    ANSWERED.store(true, Ordering::Relaxed);
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{}", terminal_safe(text.trim_end()));
}

/// The failure of `command` as an answer, unless one was printed already.
pub fn failure(command: &str, message: &str, exit_code: u8) {
    if ANSWERED.load(Ordering::Relaxed) {
        return;
    }
    print(
        command,
        serde_json::json!({ "ok": false, "error": message, "exit_code": exit_code }),
    );
}

/// JSON whose strings hold no C1 control or bidirectional-override characters as they are
/// (serde_json escapes only the C0 ones): they become `\uXXXX`, which a JSON reader reads
/// back as the same text and a terminal shows harmlessly. They can only occur inside strings,
/// where the escape is valid.
fn terminal_safe(json: &str) -> String {
    json.chars()
        .map(|c| match c {
            '\u{7f}'..='\u{9f}'
            | '\u{200e}'
            | '\u{200f}'
            | '\u{202a}'..='\u{202e}'
            | '\u{2066}'..='\u{2069}' => format!("\\u{:04x}", c as u32),
            c => c.to_string(),
        })
        .collect()
}
