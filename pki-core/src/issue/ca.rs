//! The CA as data: its certificate's DER and its key's PKCS#8 DER. This is the seam where a CA
//! enters the issuing stage — one made now ([`new_ca`]), one imported from files
//! ([`crate::ca_import`]) or one read back from a bundle ([`crate::ops::change::unlock_ca`]) — and
//! every leaf is signed from it the same way.

use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyIdMethod, KeyUsagePurpose};
use time::{Duration, OffsetDateTime};
use zeroize::Zeroizing;

use super::info::IssuedCert;
use super::{CLOCK_SKEW, RcgenKey, distinguished_name, key_id, random_serial};
use crate::error::Error;
use crate::keys::PrivateKey;
use crate::plan::CaPlan;

/// A CA certificate and its private key, as bytes. The key is wiped when this is dropped and
/// `Debug` never shows it.
#[derive(Clone)]
pub struct CaMaterial {
    /// The CA certificate, DER.
    pub cert_der: Vec<u8>,
    /// The CA private key, PKCS#8 DER (unencrypted).
    pub key_pkcs8_der: Zeroizing<Vec<u8>>,
}

impl std::fmt::Debug for CaMaterial {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CaMaterial")
            .field("cert_der", &format_args!("[{} bytes]", self.cert_der.len()))
            .field("key_pkcs8_der", &format_args!("[not shown]"))
            .finish()
    }
}

impl CaMaterial {
    /// The CA's key, its algorithm found from the PKCS#8 DER.
    pub fn key(&self) -> Result<PrivateKey, Error> {
        PrivateKey::from_pkcs8_der_any(&self.key_pkcs8_der)
    }

    /// The CA certificate as the bundle holds it (DER, PEM, fingerprint, what it says).
    pub fn cert(&self) -> Result<IssuedCert, Error> {
        IssuedCert::from_der(self.cert_der.clone(), self.key()?.algorithm(), "ca.crt")
    }

    /// The key as PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`).
    pub fn key_pem(&self) -> Result<Zeroizing<String>, Error> {
        Ok(self.key()?.to_pem())
    }
}

/// Makes a new self-signed CA with `key`: CA:TRUE (critical), pathlen 0 (it signs leaves
/// only), keyCertSign + cRLSign, SKI, valid from a little before `now` for the plan's days.
pub fn new_ca(ca: &CaPlan, key: &PrivateKey, now: OffsetDateTime) -> Result<CaMaterial, Error> {
    let mut params = CertificateParams::default();
    params.distinguished_name = distinguished_name(&ca.subject);
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    params.not_before = now - CLOCK_SKEW;
    params.not_after = now + Duration::days(i64::from(ca.validity_days));
    params.serial_number = Some(random_serial()?);
    params.key_identifier_method = KeyIdMethod::PreSpecified(key_id(key));
    let cert = params
        .self_signed(&RcgenKey(key))
        .map_err(|e| Error::Certificate {
            cert: "ca.crt".into(),
            reason: e.to_string(),
        })?;
    Ok(CaMaterial {
        cert_der: cert.der().to_vec(),
        key_pkcs8_der: Zeroizing::new(key.pkcs8_der().to_vec()),
    })
}
