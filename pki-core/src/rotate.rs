//! A new CA for a running cluster: a same-key renewal of the CA certificate (`etcd-pki
//! rotate-ca --same-key`). The three-phase rotation to a new key is run by the scripts of
//! [`crate::kit`].
//!
//! A renewed CA certificate keeps the old one's subject (byte for byte, string types kept),
//! key and subject key identifier, so every certificate the old one issued — issuer field =
//! subject, AKI = SKI, signature by the same key — verifies under the renewed one: only the
//! validity and the serial change. etcd reads its trusted CA file only at start, so deploying
//! it takes one rolling restart (`renew-ca.sh`) and nothing else.

use rcgen::{
    BasicConstraints, CertificateParams, IsCa, KeyIdMethod, KeyUsagePurpose, SerialNumber,
};
use time::{Duration, OffsetDateTime};
use x509_parser::extensions::ParsedExtension;
use x509_parser::prelude::{FromDer, X509Certificate};

use crate::crl::{CrlKey, subject};
use crate::error::Error;
use crate::keys::{PrivateKey, random_bytes};

/// notBefore is set this far back, as for every certificate of etcd-pki (clock skew).
const CLOCK_SKEW: Duration = Duration::minutes(5);

fn bad(field: &str, reason: &str) -> Error {
    Error::Revocation {
        field: field.to_string(),
        value: String::new(),
        reason: reason.to_string(),
    }
}

/// The CA certificate `ca_cert_der` renewed with its key `ca_key`: same subject, key, key
/// identifier, path length and key usages; a new random serial; valid from `now` (less five
/// minutes) for `validity_days`. DER.
pub fn renew_ca_same_key(
    ca_cert_der: &[u8],
    ca_key: &PrivateKey,
    now: OffsetDateTime,
    validity_days: u32,
) -> Result<Vec<u8>, Error> {
    if validity_days == 0 || validity_days > 36500 {
        return Err(Error::Revocation {
            field: "validity_days".into(),
            value: validity_days.to_string(),
            reason: "is out of range; use 1 to 36500 days".into(),
        });
    }
    let (_, x) = X509Certificate::from_der(ca_cert_der).map_err(|e| {
        bad(
            "ca.crt",
            &format!("is not a readable X.509 certificate ({e})"),
        )
    })?;
    if !x.is_ca() {
        return Err(bad(
            "ca.crt",
            "is not a CA certificate (its basic constraints lack CA:TRUE)",
        ));
    }
    if x.public_key().subject_public_key.data.as_ref() != ca_key.public_key_bytes() {
        return Err(bad(
            "ca key",
            "does not belong to the CA certificate (their public keys differ): is it the key of another cluster's CA?",
        ));
    }
    let mut params = CertificateParams::default();
    params.distinguished_name = subject(&x)?;
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let mut ski = None;
    for ext in x.extensions() {
        match ext.parsed_extension() {
            ParsedExtension::SubjectKeyIdentifier(id) => ski = Some(id.0.to_vec()),
            ParsedExtension::BasicConstraints(bc) => {
                if let Some(n) = bc.path_len_constraint {
                    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(n.min(255) as u8));
                }
            }
            ParsedExtension::KeyUsage(ku) => {
                params.key_usages = [
                    (ku.digital_signature(), KeyUsagePurpose::DigitalSignature),
                    (ku.key_cert_sign(), KeyUsagePurpose::KeyCertSign),
                    (ku.crl_sign(), KeyUsagePurpose::CrlSign),
                ]
                .into_iter()
                .filter_map(|(on, u)| on.then_some(u))
                .collect();
            }
            _ => {}
        }
    }
    // Leaves carry the old SKI as their AKI: the renewed certificate must have the same one.
    let ski = ski.ok_or_else(|| {
        bad(
            "ca.crt",
            "has no subject key identifier, so a renewed certificate cannot promise to match its leaves' authority key identifier; rotate to a new CA instead",
        )
    })?;
    params.key_identifier_method = KeyIdMethod::PreSpecified(ski);
    params.not_before = now - CLOCK_SKEW;
    params.not_after = now + Duration::days(i64::from(validity_days));
    let mut serial = [0u8; 16];
    random_bytes(&mut serial)?;
    serial[0] = (serial[0] & 0x7f) | 0x01;
    params.serial_number = Some(SerialNumber::from_slice(&serial));
    let cert = params
        .self_signed(&CrlKey(ca_key))
        .map_err(|e| bad("ca.crt", &format!("could not be renewed: {e}")))?;
    Ok(cert.der().to_vec())
}
