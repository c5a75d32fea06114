//! What the doctor answers: findings (culprit, rule, the log line explained, the fix as
//! commands), what it checked and found fine, and a note per input. Serialises to JSON as is
//! (`etcd-pki doctor --json`) and renders as text for a person.

use serde::Serialize;

/// How bad a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// A connection or a start fails because of it.
    Error,
    /// It will fail later (an expiry coming, a setting a newer etcd refuses) or may be the
    /// cause when another side is missing.
    Warning,
}

/// One culprit found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The failure class, a stable id (`server-san-missing`, `client-unknown-ca`, ...); see
    /// docs/DOCTOR.md.
    pub class: &'static str,
    /// How bad.
    pub level: Level,
    /// The member or client at fault (`etcd2`, `client CN=app`), or the address when nothing
    /// else names it.
    pub who: String,
    /// The file at fault (as given, or the setting that names it), empty when unknown.
    pub file: String,
    /// The field at fault (`subjectAltName`, `extendedKeyUsage`, `notAfter`, `--cipher-suites`).
    pub field: String,
    /// The rule that fails, as a sentence.
    pub rule: String,
    /// The log or error line this explains (the first, when several say the same).
    pub log_line: Option<String>,
    /// How many lines said the same.
    pub log_count: usize,
    /// The fix, as commands or steps, in order.
    pub fix: Vec<String>,
}

/// What one input turned out to be.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct InputNote {
    /// Its name.
    pub name: String,
    /// What it was read as (`certificate`, `log (12 lines)`, `bundle`, ...).
    pub read_as: String,
    /// A problem with the input itself (truncated, binary, too big), as a sentence.
    pub problem: Option<String>,
}

/// The doctor's whole answer.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Diagnosis {
    /// The culprits, errors first.
    pub findings: Vec<Finding>,
    /// What was checked and found fine, one sentence each.
    pub fine: Vec<String>,
    /// Each input and what it was read as.
    pub inputs: Vec<InputNote>,
}

impl Diagnosis {
    /// True when nothing is wrong with what was given: an answer only when `fine` lists what
    /// was looked at.
    pub fn all_clear(&self) -> bool {
        self.findings.is_empty()
    }

    /// The answer as JSON (`--json`).
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// The answer as text for a person.
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        for i in &self.inputs {
            s.push_str(&format!("read {}: {}\n", i.name, i.read_as));
            if let Some(p) = &i.problem {
                s.push_str(&format!("  note: {p}\n"));
            }
        }
        if self.findings.is_empty() {
            s.push_str("\nNo culprit found in what was given.\n");
        }
        for (n, f) in self.findings.iter().enumerate() {
            let level = match f.level {
                Level::Error => "error",
                Level::Warning => "warning",
            };
            s.push_str(&format!("\n{}. {level} [{}] {}\n", n + 1, f.class, f.who));
            if !f.file.is_empty() {
                s.push_str(&format!("   file:  {}\n", f.file));
            }
            if !f.field.is_empty() {
                s.push_str(&format!("   field: {}\n", f.field));
            }
            s.push_str(&format!("   rule:  {}\n", f.rule));
            if let Some(l) = &f.log_line {
                let more = match f.log_count {
                    0 | 1 => String::new(),
                    n => format!(" (and {} more like it)", n - 1),
                };
                s.push_str(&format!("   explains{more}:\n     {}\n", clip(l, 400)));
            }
            if !f.fix.is_empty() {
                s.push_str("   fix:\n");
                for step in &f.fix {
                    s.push_str(&format!("     {step}\n"));
                }
            }
        }
        if !self.fine.is_empty() {
            s.push_str("\nChecked and fine:\n");
            for f in &self.fine {
                s.push_str(&format!("  - {f}\n"));
            }
        }
        s
    }
}

/// `s` cut to at most `n` characters (on a character boundary), with `…` when cut.
pub(crate) fn clip(s: &str, n: usize) -> String {
    match s.char_indices().nth(n) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}
