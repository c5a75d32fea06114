//! Lints of a root+issuing bundle's chain, read from its files: every leaf file holds the leaf
//! then the issuing CA that signed it; the root may have a CA below it and the issuing CA none;
//! the issuing CA lies within the root's validity and signed by it; no serial is shared
//! between what the root signed (issuing CAs, current and earlier) and what the issuing CAs
//! signed (leaves). A single-CA bundle has no chain: nothing to report.
//!
//! Why each matters to etcd (Go's `crypto/tls` and `crypto/x509`, etcd 3.4 to 3.7):
//! - a member sends its certificate file as it is, and the other side, trusting the root only,
//!   builds the path from the certificates sent after the leaf: a leaf file without its issuing
//!   CA is refused with `x509: certificate signed by unknown authority`, and a file whose first
//!   certificate is not the leaf fails to load (`tls: private key does not match public key`);
//! - Go enforces basicConstraints' pathLenConstraint: a root with pathlen 0 has every
//!   certificate under an issuing CA refused;
//! - Go checks every certificate of the path against the clock: leaves stop verifying when the
//!   first CA above them ends, whatever their own notAfter;
//! - etcd matches a CRL's serials against every certificate of the peer's chain, without
//!   looking at the issuer: an issuing CA and a leaf of the same serial are revoked together.

use time::OffsetDateTime;
use x509_parser::prelude::{FromDer, X509Certificate};

use crate::ca_chain::{path_len, signed_by};
use crate::crl::{parse_serial, serial_hex};
use crate::package::OpenedBundle;
use crate::report::Report;

/// An issuing CA within this many days of its end is flagged, with `rotate-issuer`.
pub const ISSUING_WARN_DAYS: i64 = 365;

fn day(t: OffsetDateTime) -> String {
    format!("{}-{:02}-{:02}", t.year(), u8::from(t.month()), t.day())
}

/// The DER of every PEM certificate of `text`, in file order.
fn pem_certs(text: &[u8]) -> Vec<Vec<u8>> {
    pem::parse_many(text)
        .unwrap_or_default()
        .into_iter()
        .filter(|p| p.tag() == "CERTIFICATE")
        .map(pem::Pem::into_contents)
        .collect()
}

/// The first certificate of the bundle file at the first of `paths`.
fn first_cert(b: &OpenedBundle, paths: &[String]) -> Option<(String, Vec<u8>)> {
    let path = paths.first()?;
    let der = pem_certs(&b.file(path)?.contents).into_iter().next()?;
    Some((path.clone(), der))
}

/// Every chain problem of `b` (see the module documentation), as of `now`.
pub fn check_chain(b: &OpenedBundle, now: OffsetDateTime) -> Report {
    let mut r = Report::default();
    let Some(root_rec) = &b.state.root else {
        return r;
    };
    let (Some((root_path, root_der)), Some((issuing_path, issuing_der))) = (
        first_cert(b, &root_rec.paths),
        first_cert(b, &b.state.ca.paths),
    ) else {
        r.error(
            "root",
            "",
            "the bundle records a root and an issuing CA, but holds no file for one of them \
             (ca.crt, issuing-ca.crt): the bundle was changed after it was made; open the one \
             etcd-pki wrote",
        );
        return r;
    };
    let (Ok((_, root)), Ok((_, issuing))) = (
        X509Certificate::from_der(&root_der),
        X509Certificate::from_der(&issuing_der),
    ) else {
        r.error(
            "root",
            "",
            "the root or the issuing CA is not a readable certificate",
        );
        return r;
    };
    authority(&mut r, &root, &issuing, &root_path, &issuing_path);
    lifetimes(&mut r, &root, &issuing, now);
    leaf_files(&mut r, b, &issuing, &issuing_der);
    serial_collisions(&mut r, b);
    r
}

/// Who may sign what: the issuing CA signed by the root, the root allowing a CA below it, the
/// issuing CA allowing none.
fn authority(
    r: &mut Report,
    root: &X509Certificate<'_>,
    issuing: &X509Certificate<'_>,
    root_path: &str,
    issuing_path: &str,
) {
    if let Err(why) = signed_by(issuing, root) {
        r.error(
            "issuing-ca",
            issuing_path,
            format!(
                "{issuing_path} is not signed by the root of {root_path} ({why}): members \
                 trust only the root and refuse every certificate under this issuing CA (`x509: \
                 certificate signed by unknown authority`); make a new issuing CA under the \
                 cluster's root (etcd-pki rotate-issuer)"
            ),
        );
    }
    if path_len(root) == Some(0) {
        r.error(
            "root",
            "pathlen 0",
            format!(
                "the root ({root_path}) says pathlen 0: no CA may be below it, so Go refuses \
                 every certificate under the issuing CA; make a new root with pathlen 1 or more \
                 (etcd-pki rotate-ca)"
            ),
        );
    }
    match path_len(issuing) {
        Some(0) => {}
        other => r.warning(
            "issuing-ca",
            &other.map_or("none".into(), |p| format!("pathlen {p}")),
            format!(
                "the issuing CA ({issuing_path}) may sign further CAs ({}): pathlen 0 confines it \
                 to leaves, so that its key, used every day, cannot make a CA; etcd-pki's issuing \
                 CAs have it (etcd-pki rotate-issuer makes one)",
                other.map_or("no pathlen".into(), |p| format!("pathlen {p}"))
            ),
        ),
    }
}

/// The issuing CA within the root's validity, and neither ending within a year.
fn lifetimes(
    r: &mut Report,
    root: &X509Certificate<'_>,
    issuing: &X509Certificate<'_>,
    now: OffsetDateTime,
) {
    let (root_start, root_end) = (
        root.validity().not_before.to_datetime(),
        root.validity().not_after.to_datetime(),
    );
    let (iss_start, iss_end) = (
        issuing.validity().not_before.to_datetime(),
        issuing.validity().not_after.to_datetime(),
    );
    if iss_end > root_end {
        r.warning(
            "issuing-ca",
            &day(iss_end),
            format!(
                "the issuing CA ends on {}, after the root ({}): every certificate stops \
                 verifying when the root ends; rotate the root before (etcd-pki rotate-ca)",
                day(iss_end),
                day(root_end)
            ),
        );
    }
    if iss_start < root_start {
        r.warning(
            "issuing-ca",
            &day(iss_start),
            format!(
                "the issuing CA starts on {}, before the root ({}): verifiers that check the \
                 chain's nesting (RFC 5280 path validation in some TLS stacks) refuse it",
                day(iss_start),
                day(root_start)
            ),
        );
    }
    let left = |end: OffsetDateTime| (end - now).whole_days();
    if root_end > now && left(root_end) < ISSUING_WARN_DAYS {
        r.warning(
            "root",
            &day(root_end),
            format!(
                "the root expires on {}, within a year: rotate the root well before (etcd-pki \
                 rotate-ca: a kit of three phases, two rolling restarts)",
                day(root_end)
            ),
        );
    } else if root_end <= now {
        r.error(
            "root",
            &day(root_end),
            format!(
                "the root expired on {}: no member accepts any certificate of this cluster; \
                 make a new root (etcd-pki rotate-ca), restarting every member",
                day(root_end)
            ),
        );
    }
    if iss_end > now && left(iss_end) < ISSUING_WARN_DAYS {
        r.warning(
            "issuing-ca",
            &day(iss_end),
            format!(
                "the issuing CA expires on {}, within a year: make a new one under the root and \
                 swap every leaf file, no restart (etcd-pki rotate-issuer --from BUNDLE.zip \
                 --root-key ROOT.key --out kit.zip)",
                day(iss_end)
            ),
        );
    }
}

/// Every leaf file: the leaf, then the issuing CA that signed it; the leaf within the issuing
/// CA's validity.
fn leaf_files(r: &mut Report, b: &OpenedBundle, issuing: &X509Certificate<'_>, issuing_der: &[u8]) {
    let iss_start = issuing.validity().not_before.to_datetime();
    for rec in &b.state.certificates {
        for path in &rec.paths {
            let Some(file) = b.file(path) else { continue };
            let certs = pem_certs(&file.contents);
            let parsed: Vec<X509Certificate<'_>> = certs
                .iter()
                .filter_map(|d| X509Certificate::from_der(d).ok().map(|(_, x)| x))
                .collect();
            let Some(first) = parsed.first() else {
                continue;
            };
            if first.is_ca() {
                r.error(
                    path.clone(),
                    "chain order",
                    format!(
                        "{path} starts with a CA certificate: etcd takes a file's first \
                         certificate as its own and refuses to start (`tls: private key does \
                         not match public key`); the leaf comes first, then the issuing CA"
                    ),
                );
                continue;
            }
            match certs.get(1) {
                None => r.error(
                    path.clone(),
                    "leaf alone",
                    format!(
                        "{path} holds the leaf alone: its issuing CA must follow it, as members \
                         trust only the root (the other side refuses it with `x509: \
                         certificate signed by unknown authority`); append issuing-ca.crt to \
                         it, or renew it (etcd-pki renew)"
                    ),
                ),
                Some(next) if next.as_slice() != issuing_der => r.error(
                    path.clone(),
                    "chain",
                    format!(
                        "{path}: the certificate after the leaf is not the bundle's issuing CA \
                         (issuing-ca.crt): the file mixes chains; renew it (etcd-pki renew)"
                    ),
                ),
                Some(_) => {
                    if signed_by(first, issuing).is_err() {
                        r.error(
                            path.clone(),
                            "signature",
                            format!(
                                "{path}: the leaf was not signed by the issuing CA that follows \
                                 it: renew it (etcd-pki renew)"
                            ),
                        );
                    }
                }
            }
            // A leaf outliving its issuing CA: `lints::check_bundle`'s `ca` lint says so.
            let start = first.validity().not_before.to_datetime();
            if start < iss_start {
                r.warning(
                    path.clone(),
                    &day(start),
                    format!(
                        "{path}: the leaf starts on {}, before its issuing CA ({}): renew it \
                         (etcd-pki renew)",
                        day(start),
                        day(iss_start)
                    ),
                );
            }
        }
    }
}

/// Serials shared between a certificate the root signed (an issuing CA, current or earlier)
/// and one an issuing CA signed (a leaf, current or of a removed member): etcd, matching
/// serials only, would refuse both when either is revoked.
fn serial_collisions(r: &mut Report, b: &OpenedBundle) {
    let s = &b.state;
    let by_root: Vec<(&str, Vec<u8>)> = std::iter::once(&s.ca)
        .chain(&s.previous_issuers)
        .filter_map(|c| Some((c.subject.as_str(), parse_serial(&c.serial).ok()?)))
        .collect();
    for leaf in s.certificates.iter().chain(&s.removed_members) {
        let Ok(serial) = parse_serial(&leaf.serial) else {
            continue;
        };
        if let Some((ca, _)) = by_root.iter().find(|(_, x)| *x == serial) {
            r.error(
                leaf.id.clone(),
                &serial_hex(&serial),
                format!(
                    "has serial {} like the issuing CA {ca}: etcd matches a CRL's serials \
                     against every certificate of a chain, so revoking either cuts off both; \
                     re-issue it (etcd-pki renew --only {})",
                    leaf.serial,
                    leaf.id.split('/').nth(1).unwrap_or(&leaf.id)
                ),
            );
        }
    }
}
