//! What a certificate says, read back from its DER with an independent parser (x509-parser):
//! the same reading for a certificate signed a moment ago, a CA imported from elsewhere, or
//! one in a bundle opened again.

use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use x509_parser::extensions::{GeneralName, ParsedExtension};
use x509_parser::oid_registry as oids;
use x509_parser::prelude::{FromDer, X509Certificate, X509Name};

use crate::error::Error;
use crate::spec::KeyAlgorithm;

/// A certificate, signed once, in both encodings (never re-signed per encoding: rcgen #62).
#[derive(Clone, Debug)]
pub struct IssuedCert {
    /// DER bytes.
    pub der: Vec<u8>,
    /// PEM text of the same bytes.
    pub pem: String,
    /// notAfter, for the manifest and the README.
    pub not_after: OffsetDateTime,
    /// SHA-256 over the DER, lowercase hex with colons (what `openssl x509 -fingerprint
    /// -sha256` prints, in lowercase).
    pub sha256_fingerprint: String,
    /// What the certificate says, for people (the page shows it beside the PEM).
    pub info: CertInfo,
}

/// A certificate's contents in words, as `openssl x509 -text` would show them.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CertInfo {
    /// Subject, e.g. `CN=root, O=ops`.
    pub subject: String,
    /// Issuer's subject.
    pub issuer: String,
    /// Serial number, lowercase hex with colons.
    pub serial: String,
    /// IP SANs.
    pub ip_sans: Vec<String>,
    /// DNS SANs.
    pub dns_sans: Vec<String>,
    /// Key usages, e.g. `digitalSignature`.
    pub key_usages: Vec<String>,
    /// Extended key usages: `serverAuth`, `clientAuth`.
    pub extended_key_usages: Vec<String>,
    /// Whether it is a CA.
    pub is_ca: bool,
    /// notBefore, RFC 3339.
    pub not_before: String,
    /// notAfter, RFC 3339.
    pub not_after: String,
    /// The key's algorithm, e.g. `ecdsa-p256`.
    pub key_algorithm: String,
}

/// RFC 3339 in UTC, seconds precision.
pub fn rfc3339(t: OffsetDateTime) -> String {
    t.replace_nanosecond(0)
        .unwrap_or(t)
        .format(&Rfc3339)
        .unwrap_or_default()
}

/// Lowercase hex pairs joined by colons.
pub(crate) fn hex_colons(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

impl IssuedCert {
    /// Reads a DER certificate whose key is of `algorithm`; `label` names it in errors.
    pub fn from_der(
        der: Vec<u8>,
        algorithm: KeyAlgorithm,
        label: &str,
    ) -> Result<IssuedCert, Error> {
        let (_, x) = X509Certificate::from_der(&der).map_err(|e| Error::Certificate {
            cert: label.to_string(),
            reason: format!("it is not a readable X.509 certificate ({e})"),
        })?;
        let not_after = x.validity().not_after.to_datetime();
        let info = info(&x, algorithm);
        let pem = pem::encode_config(
            &pem::Pem::new("CERTIFICATE", der.clone()),
            pem::EncodeConfig::new().set_line_ending(pem::LineEnding::LF),
        );
        Ok(IssuedCert {
            sha256_fingerprint: hex_colons(&Sha256::digest(&der)),
            pem,
            der,
            not_after,
            info,
        })
    }
}

fn info(x: &X509Certificate<'_>, algorithm: KeyAlgorithm) -> CertInfo {
    let mut ip_sans = Vec::new();
    let mut dns_sans = Vec::new();
    let mut key_usages = Vec::new();
    let mut extended_key_usages = Vec::new();
    let mut is_ca = false;
    for ext in x.extensions() {
        match ext.parsed_extension() {
            ParsedExtension::SubjectAlternativeName(san) => {
                for name in &san.general_names {
                    match name {
                        GeneralName::IPAddress(b) => ip_sans.extend(ip_text(b)),
                        GeneralName::DNSName(d) => dns_sans.push(d.to_string()),
                        _ => {}
                    }
                }
            }
            ParsedExtension::KeyUsage(ku) => {
                for (set, name) in [
                    (ku.digital_signature(), "digitalSignature"),
                    (ku.key_encipherment(), "keyEncipherment"),
                    (ku.key_cert_sign(), "keyCertSign"),
                    (ku.crl_sign(), "cRLSign"),
                ] {
                    if set {
                        key_usages.push(name.to_string());
                    }
                }
            }
            ParsedExtension::ExtendedKeyUsage(eku) => {
                for (set, name) in [
                    (eku.server_auth, "serverAuth"),
                    (eku.client_auth, "clientAuth"),
                ] {
                    if set {
                        extended_key_usages.push(name.to_string());
                    }
                }
            }
            ParsedExtension::BasicConstraints(bc) => is_ca = bc.ca,
            _ => {}
        }
    }
    CertInfo {
        subject: dn_text(x.subject()),
        issuer: dn_text(x.issuer()),
        serial: hex_colons(x.raw_serial()),
        ip_sans,
        dns_sans,
        key_usages,
        extended_key_usages,
        is_ca,
        not_before: rfc3339(x.validity().not_before.to_datetime()),
        not_after: rfc3339(x.validity().not_after.to_datetime()),
        key_algorithm: algorithm.as_str().to_string(),
    }
}

fn ip_text(b: &[u8]) -> Option<String> {
    let ip: std::net::IpAddr = match b.len() {
        4 => <[u8; 4]>::try_from(b).ok()?.into(),
        16 => <[u8; 16]>::try_from(b).ok()?.into(),
        _ => return None,
    };
    Some(ip.to_string())
}

/// `C=US, O=Example Org, CN=etcd CA`, in the certificate's order.
fn dn_text(name: &X509Name<'_>) -> String {
    let mut parts = Vec::new();
    for attr in name.iter_attributes() {
        let oid = attr.attr_type();
        let key = [
            (&oids::OID_X509_COUNTRY_NAME, "C"),
            (&oids::OID_X509_STATE_OR_PROVINCE_NAME, "ST"),
            (&oids::OID_X509_LOCALITY_NAME, "L"),
            (&oids::OID_X509_ORGANIZATION_NAME, "O"),
            (&oids::OID_X509_ORGANIZATIONAL_UNIT, "OU"),
            (&oids::OID_X509_COMMON_NAME, "CN"),
        ]
        .into_iter()
        .find(|(o, _)| *o == oid)
        .map_or("?", |(_, k)| k);
        parts.push(format!("{key}={}", attr.as_str().unwrap_or("?")));
    }
    parts.join(", ")
}
