//! The one error type of pki-core. Messages are sentences meant for the person who typed the
//! input: they name the field or file and say what to do.

use std::fmt;

use crate::report::Report;

/// Everything that can go wrong between a spec and a finished bundle.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The spec file is not the JSON we expect (syntax, a wrong type, an unknown or missing
    /// field). `line` and `column` point into the file.
    SpecSyntax {
        /// The field, e.g. `nodes[1].ips[0]` (empty for a syntax error outside any field).
        path: String,
        /// What serde_json said, e.g. "unknown field `node`, expected one of ...".
        message: String,
        /// 1-based line of the problem.
        line: usize,
        /// 1-based column of the problem.
        column: usize,
    },
    /// The spec file is larger than [`crate::rules::MAX_SPEC_BYTES`].
    SpecTooLarge {
        /// Size of the rejected input in bytes.
        size: usize,
    },
    /// The spec lists more members or clients than etcd-pki accepts.
    SpecLimits {
        /// `nodes` or `clients`.
        field: &'static str,
        /// How many the spec lists.
        count: usize,
        /// The most accepted.
        max: usize,
    },
    /// The spec parsed but validation found at least one error; the report holds every
    /// problem (warnings too). Nothing was generated.
    Invalid(Report),
    /// The platform's random number generator failed (no `crypto.getRandomValues`, no
    /// `getrandom(2)`): no key can be made safely, so none is.
    Randomness(String),
    /// Making a key pair failed.
    KeyGeneration {
        /// Which key, e.g. "members/etcd1 server key".
        key: String,
        /// The underlying reason.
        reason: String,
    },
    /// A key handed to [`crate::bundle::generate_with_keys`] could not be read or does not
    /// fit the request (wrong algorithm, not PKCS#8).
    BadKey {
        /// Which key, e.g. "ca".
        key: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Building or signing a certificate failed. This is a bug in pki-core if the spec
    /// validated; please report it with the spec.
    Certificate {
        /// Which certificate, e.g. "members/etcd1/pki/server.crt".
        cert: String,
        /// The underlying reason.
        reason: String,
    },
    /// Writing the zip archive failed.
    Zip(String),
    /// The CA key passphrase is unusable (too short).
    Passphrase(String),
    /// A zip given to [`crate::package::open`] is not a bundle this etcd-pki can read back:
    /// not a zip, no `spec.json`, an unknown format version, a spec that does not validate, or
    /// a certificate other than the one `spec.json` records.
    BadBundle(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::SpecSyntax {
                path,
                message,
                line,
                column,
            } => {
                let at = if path.is_empty() {
                    String::new()
                } else {
                    format!("{path}: ")
                };
                write!(
                    f,
                    "the spec is not valid: {at}{message} (line {line}, column {column}); \
                     `etcd-pki spec-template` prints a complete example"
                )
            }
            Error::SpecTooLarge { size } => write!(
                f,
                "the spec is {size} bytes; a cluster spec is a few kilobytes and at most {} \
                 bytes are accepted: is this the right file?",
                crate::rules::MAX_SPEC_BYTES
            ),
            Error::SpecLimits { field, count, max } => write!(
                f,
                "the spec lists {count} {}; etcd-pki accepts at most {max} (etcd itself advises \
                 3, 5 or 7 members): is this the right file?",
                if *field == "nodes" {
                    "members"
                } else {
                    "clients"
                }
            ),
            Error::Invalid(report) => {
                let n = report.errors().count();
                write!(
                    f,
                    "the spec has {n} error{} and nothing was generated:",
                    if n == 1 { "" } else { "s" }
                )?;
                for p in report.problems() {
                    write!(f, "\n  {p}")?;
                }
                Ok(())
            }
            Error::Randomness(reason) => write!(
                f,
                "the system's secure random number generator is not available ({reason}); \
                 no key was made"
            ),
            Error::KeyGeneration { key, reason } => {
                write!(f, "could not generate the {key}: {reason}")
            }
            Error::BadKey { key, reason } => {
                write!(f, "the key for {key} cannot be used: {reason}")
            }
            Error::Certificate { cert, reason } => write!(
                f,
                "could not build the certificate {cert}: {reason} (this is a bug in etcd-pki; \
                 please report it with your spec)"
            ),
            Error::Zip(reason) => write!(f, "could not write the zip archive: {reason}"),
            Error::Passphrase(reason) => write!(f, "{reason}; nothing was generated"),
            Error::BadBundle(reason) => write!(f, "cannot open the bundle: {reason}"),
        }
    }
}

impl std::error::Error for Error {}
