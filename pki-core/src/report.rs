//! What validation found: every problem of a spec with its field path, the value and a
//! sentence saying what to do. Plain data, shared by validation, the error type and the page.

use std::fmt;

use serde::{Deserialize, Serialize};

/// How serious a [`Problem`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Generation is refused until it is fixed.
    Error,
    /// Worth knowing; generation goes on.
    Warning,
}

/// One thing wrong (or worth a second look) in a spec.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    /// Error or warning.
    pub severity: Severity,
    /// Where, e.g. `nodes[2].ips[0]`; `nodes` for the list as a whole.
    pub path: String,
    /// The offending value as written (empty when the problem is a missing value).
    pub value: String,
    /// What is wrong and how to fix it, as a sentence.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sev = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, "{sev}: {}: {}", self.path, self.message)
    }
}

/// Everything [`crate::validate()`] found, in spec order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Report {
    problems: Vec<Problem>,
}

impl Report {
    /// Every problem, errors and warnings, in the order of the spec's fields.
    pub fn problems(&self) -> &[Problem] {
        &self.problems
    }
    /// Only the errors.
    pub fn errors(&self) -> impl Iterator<Item = &Problem> {
        self.problems
            .iter()
            .filter(|p| p.severity == Severity::Error)
    }
    /// Only the warnings.
    pub fn warnings(&self) -> impl Iterator<Item = &Problem> {
        self.problems
            .iter()
            .filter(|p| p.severity == Severity::Warning)
    }
    /// True when generation must be refused.
    pub fn has_errors(&self) -> bool {
        self.errors().next().is_some()
    }
    /// The problems whose path is `path` or lies below it (`nodes[0]` finds
    /// `nodes[0].ips[1]`), for showing a message next to its field.
    pub fn at<'a>(&'a self, path: &'a str) -> impl Iterator<Item = &'a Problem> + 'a {
        self.problems.iter().filter(move |p| {
            p.path == path
                || (p.path.starts_with(path)
                    && matches!(p.path.as_bytes().get(path.len()), Some(b'.') | Some(b'[')))
        })
    }

    /// Adds every problem of `other` after this report's own.
    pub fn merge(&mut self, other: Report) {
        self.problems.extend(other.problems);
    }

    pub(crate) fn error(
        &mut self,
        path: impl Into<String>,
        value: &str,
        message: impl Into<String>,
    ) {
        self.push(Severity::Error, path.into(), value, message.into());
    }
    pub(crate) fn warning(
        &mut self,
        path: impl Into<String>,
        value: &str,
        message: impl Into<String>,
    ) {
        self.push(Severity::Warning, path.into(), value, message.into());
    }
    pub(crate) fn retain(&mut self, keep: impl FnMut(&Problem) -> bool) {
        self.problems.retain(keep);
    }
    fn push(&mut self, severity: Severity, path: String, value: &str, message: String) {
        self.problems.push(Problem {
            severity,
            path,
            value: value.to_string(),
            message,
        });
    }
}
