//! The TLS doctor: what etcd and its clients printed, and the files they were given, in; the
//! culprit and the fix out.
//!
//! etcd's log says only that a handshake failed (`rejected connection ... tls: bad
//! certificate`), and a client says only what it saw (`x509: certificate signed by unknown
//! authority`). The doctor reads any mix of log lines, client errors, certificates, keys, CAs,
//! CRLs, env files, YAML configs, command lines, static pod manifests and whole bundles
//! ([`Input`]), and answers with [`Finding`]s that name the member or client, the file, the
//! field and the rule, quote the log line they explain and give the fix as commands — and with
//! what it checked and found fine, so "no finding" is an answer.
//!
//! Pure: no file system, no network, no clock (the caller passes `now`), so the page and the
//! command line give the same answer for the same bytes.
//!
//! ```
//! use pki_core::doctor::{diagnose, Input};
//!
//! let line = r#"{"level":"warn","msg":"rejected connection","remote-addr":"10.0.0.9:40122","error":"tls: failed to verify client's certificate: x509: certificate signed by unknown authority"}"#;
//! let d = diagnose(&[Input::new("etcd.log", line.as_bytes())], pki_core::OffsetDateTime::now_utc());
//! assert_eq!(d.findings[0].class, "client-unknown-ca");
//! ```

mod certs;
mod checks;
mod config;
mod input;
mod logs;
mod report;

pub use report::{Diagnosis, Finding, InputNote, Level};

use time::OffsetDateTime;

/// The most bytes the doctor reads of one input; the rest is dropped with a note.
pub const MAX_INPUT: usize = 8 * 1024 * 1024;
/// The most log lines read in all (a day of a busy member's journal is far less than this
/// many TLS lines; the rest are dropped with a note).
pub const MAX_LINES: usize = 200_000;

/// One thing given to the doctor: a file (its name as given) or a paste.
#[derive(Clone, Debug)]
pub struct Input {
    /// The file name, `-` for standard input, `paste` for the page's text box.
    pub name: String,
    /// Its bytes, as read.
    pub bytes: Vec<u8>,
}

impl Input {
    /// An input called `name` holding `bytes`.
    pub fn new(name: &str, bytes: &[u8]) -> Input {
        Input {
            name: name.to_string(),
            bytes: bytes.to_vec(),
        }
    }
}

/// Reads every input and explains every failure it can: see the module documentation.
pub fn diagnose(inputs: &[Input], now: OffsetDateTime) -> Diagnosis {
    let material = input::read_all(inputs);
    checks::run(&material, now)
}
