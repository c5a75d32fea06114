//! The issuer of every leaf, read from the CA certificate's DER with x509-parser: its subject
//! Name as raw bytes (a leaf's issuer field is these bytes, whatever string types, repeated
//! attributes or multi-valued RDNs the CA's maker wrote; see `raw_issuer.rs`) and its subject
//! key identifier (a leaf's authority key identifier; none when the CA has none).

use x509_parser::extensions::ParsedExtension;
use x509_parser::prelude::{FromDer, X509Certificate};

use crate::error::Error;
use crate::keys::PrivateKey;

fn bad(reason: impl Into<String>) -> Error {
    Error::Certificate {
        cert: "ca.crt".into(),
        reason: reason.into(),
    }
}

/// What a leaf copies from its CA.
pub(super) struct CaIssuer {
    /// The CA certificate's subject Name, DER, exactly as in the certificate.
    pub subject_der: Vec<u8>,
    /// The CA's subjectKeyIdentifier, if it has one.
    pub ski: Option<Vec<u8>>,
}

/// The issuer of every leaf: the CA certificate `der` with its key `key`. Refuses a
/// certificate that is no CA, or a key that is not the certificate's.
pub(super) fn from_ca_der(der: &[u8], key: &PrivateKey) -> Result<CaIssuer, Error> {
    let (_, x) = X509Certificate::from_der(der)
        .map_err(|e| bad(format!("it is not a readable X.509 certificate ({e})")))?;
    if !x.is_ca() {
        return Err(bad(
            "it is not a CA certificate (its basic constraints lack CA:TRUE)",
        ));
    }
    if x.public_key().subject_public_key.data.as_ref() != key.public_key_bytes() {
        return Err(bad(
            "the CA key does not belong to this certificate (their public keys differ)",
        ));
    }
    let mut ski = None;
    for ext in x.extensions() {
        if let ParsedExtension::SubjectKeyIdentifier(id) = ext.parsed_extension() {
            ski = Some(id.0.to_vec());
        }
    }
    Ok(CaIssuer {
        subject_der: x.subject().as_raw().to_vec(),
        ski,
    })
}
