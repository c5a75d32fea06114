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
    /// A key could not be read or does not fit its request (wrong algorithm, not PKCS#8): one
    /// handed to [`crate::ops::generate::generate_with_keys`], or a key read back (a bundle's CA key).
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
    /// A value for a day-two runbook ([`crate::runbook`], [`crate::kit`]) is outside its
    /// allowlist.
    Runbook {
        /// The runbook's field, e.g. `peer_urls`.
        field: String,
        /// The value as given.
        value: String,
        /// What is wrong with it and what it should look like.
        reason: String,
    },
    /// A revocation or its CRL cannot be made ([`crate::crl`]): a bad serial or reason, dates
    /// in the wrong order, a CA key that is not the CA's, a CA that may not sign CRLs.
    Revocation {
        /// What is wrong, e.g. `serial`, `next_update`, `ca.crt`.
        field: String,
        /// The value as given (may be empty).
        value: String,
        /// What is wrong with it and what to do.
        reason: String,
    },
    /// A CA certificate file holding a chain (issuing CA + root) whose certificates do not
    /// make one: a gap, a certificate its named issuer did not sign, a key of none of them.
    CaChain {
        /// What is wrong and what to give instead, naming the certificates.
        reason: String,
    },
    /// An existing CA's certificate or key file could not be read at all (neither PEM nor
    /// DER, the wrong kind of file, damaged).
    CaUnreadable {
        /// `CA certificate` or `CA key`.
        file: &'static str,
        /// What is wrong, e.g. "it holds a private key, not a certificate".
        reason: String,
    },
    /// The existing CA uses an algorithm, curve, key size or key encryption etcd-pki cannot
    /// use.
    CaUnsupported {
        /// A sentence naming what and what is supported.
        what: String,
    },
    /// The certificate given as the CA may not sign certificates.
    NotACa {
        /// Its subject, e.g. `CN=etcd1`.
        subject: String,
        /// Why, e.g. "its basicConstraints says CA:FALSE".
        reason: String,
    },
    /// The CA key is encrypted and no passphrase was given (the page asks for one on this).
    CaPassphraseNeeded,
    /// The passphrase given does not decrypt the CA key.
    CaPassphraseWrong,
    /// The CA key is not the private key of the CA certificate.
    CaKeyMismatch {
        /// The certificate's subject.
        subject: String,
        /// Empty, or e.g. " (the certificate's key is rsa, the key file holds ecdsa-p256)".
        detail: String,
    },
    /// The CA certificate has expired.
    CaExpired {
        /// Its subject.
        subject: String,
        /// Its notAfter, e.g. `2026-01-01 12:00 UTC`.
        not_after: String,
    },
    /// The CA certificate is not valid yet (or this machine's clock is wrong).
    CaNotYetValid {
        /// Its subject.
        subject: String,
        /// Its notBefore.
        not_before: String,
        /// The time now, by this machine's clock.
        now: String,
    },
    /// The certificates would still be valid after the CA expires.
    CaOutlived {
        /// The CA's subject.
        subject: String,
        /// The CA's notAfter.
        ca_not_after: String,
        /// The certificates' notAfter.
        leaf_not_after: String,
        /// The longest validity, in days, that ends before the CA does.
        max_days: i64,
    },
    /// A zip given to [`crate::package::open`] is not a bundle this etcd-pki can read back:
    /// not a zip, no `spec.json`, an unknown format version, a spec that does not validate, or
    /// a certificate other than the one `spec.json` records.
    BadBundle(String),
    /// A day-two change ([`crate::ops::change`]) that cannot be made: a member name that exists
    /// already, an address in use, a removal below quorum, a CA key not the bundle's.
    Change {
        /// What the person gave, e.g. `--name`, `--ip`, `--ca-key`.
        field: String,
        /// What is wrong and what to do.
        reason: String,
    },
}

impl fmt::Display for Error {
    // Long, but a straight list: one message per variant, the logic in the helpers below.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::SpecSyntax {
                path,
                message,
                line,
                column,
            } => write!(
                f,
                "the spec is not valid: {}{message} (line {line}, column {column}); \
                 `etcd-pki spec-template` prints a complete example",
                path_prefix(path)
            ),
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
                listed_things(field)
            ),
            Error::Invalid(report) => write_invalid(f, report),
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
            Error::Runbook {
                field,
                value,
                reason,
            } => write!(
                f,
                "cannot write the runbook: {field} {} {reason}; nothing was written",
                crate::rules::shown(value)
            ),
            Error::Revocation {
                field,
                value,
                reason,
            } => write_field_value(f, field, value, reason),
            Error::CaChain { reason } => {
                write!(
                    f,
                    "the CA certificate file holds a chain etcd-pki cannot use: {reason}"
                )
            }
            Error::CaUnreadable { file, reason } => {
                write!(f, "the {file} cannot be read: {reason}")
            }
            Error::CaUnsupported { what } => write!(f, "{what}"),
            Error::NotACa { subject, reason } => write!(
                f,
                "\"{subject}\" is not a CA certificate: {reason}; give the certificate of the \
                 CA that signs your etcd certificates (often ca.crt), not a member's or a \
                 client's"
            ),
            Error::CaPassphraseNeeded => write!(
                f,
                "the CA key is encrypted: give --ca-passphrase-file FILE (a file whose first \
                 line is the passphrase)"
            ),
            Error::CaPassphraseWrong => write!(
                f,
                "the passphrase does not decrypt the CA key: check --ca-passphrase-file (its \
                 first line is the passphrase, without the line break)"
            ),
            Error::CaKeyMismatch { subject, detail } => write!(
                f,
                "the CA key does not belong to the CA certificate \"{subject}\"{detail}: their \
                 public keys differ; give the key file made with that certificate"
            ),
            Error::CaExpired { subject, not_after } => write!(
                f,
                "the CA \"{subject}\" expired on {not_after}: certificates it signs now would \
                 not verify; renew or replace the CA first"
            ),
            Error::CaNotYetValid {
                subject,
                not_before,
                now,
            } => write!(
                f,
                "the CA \"{subject}\" is valid only from {not_before}, but this machine's \
                 clock says {now}: check the clock"
            ),
            Error::CaOutlived {
                subject,
                ca_not_after,
                leaf_not_after,
                max_days,
            } => write!(
                f,
                "the CA \"{subject}\" expires on {ca_not_after}, before the certificates would \
                 ({leaf_not_after}), and they would stop verifying then: give --cap-validity \
                 to end them with the CA, or set cert_validity_days to at most {max_days}"
            ),
            Error::BadBundle(reason) => write!(f, "cannot open the bundle: {reason}"),
            Error::Change { field, reason } => write!(f, "{field}: {reason}"),
        }
    }
}

impl std::error::Error for Error {}

/// `path: ` before a syntax error's message, or nothing when serde names no path (the root).
fn path_prefix(path: &str) -> String {
    if path.is_empty() {
        String::new()
    } else {
        format!("{path}: ")
    }
}

/// What the spec field of [`Error::SpecLimits`] lists, in the words of the message.
fn listed_things(field: &str) -> &'static str {
    if field == "nodes" {
        "members"
    } else {
        "clients"
    }
}

/// [`Error::Invalid`]: the count of errors, then every problem (warnings too) on its own line.
fn write_invalid(f: &mut fmt::Formatter<'_>, report: &Report) -> fmt::Result {
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

/// [`Error::Revocation`]: the field, its value when there is one (shown safely), the reason.
fn write_field_value(
    f: &mut fmt::Formatter<'_>,
    field: &str,
    value: &str,
    reason: &str,
) -> fmt::Result {
    if value.is_empty() {
        write!(f, "{field} {reason}")
    } else {
        write!(f, "{field} {} {reason}", crate::rules::shown(value))
    }
}
