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
    /// `root+issuing`: the certificates above this CA, DER, nearest first and the root last
    /// (every leaf file carries this CA after the leaf; every trusted CA file holds the
    /// root). Empty for a single CA, which is its own trust anchor.
    pub chain: Vec<Vec<u8>>,
}

impl std::fmt::Debug for CaMaterial {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CaMaterial")
            .field("cert_der", &format_args!("[{} bytes]", self.cert_der.len()))
            .field("key_pkcs8_der", &format_args!("[not shown]"))
            .field("chain", &self.chain.len())
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

    /// Whether a root stands above this CA (`root+issuing`).
    pub fn is_layered(&self) -> bool {
        !self.chain.is_empty()
    }

    /// The trust anchor's DER: the root, or this CA when it is single.
    pub fn trust_anchor_der(&self) -> &[u8] {
        self.chain.last().unwrap_or(&self.cert_der)
    }

    /// The root as the bundle holds it (`ca.crt` of every folder), when layered.
    pub fn root_cert(&self) -> Result<Option<IssuedCert>, Error> {
        let alg = self.key()?.algorithm();
        self.chain
            .last()
            .map(|der| IssuedCert::from_der(der.clone(), alg, "ca.crt"))
            .transpose()
    }

    /// The key as PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`).
    pub fn key_pem(&self) -> Result<Zeroizing<String>, Error> {
        Ok(self.key()?.to_pem())
    }
}

/// Makes a new self-signed CA with `key`: CA:TRUE (critical), pathlen 0 (it signs leaves
/// only), keyCertSign + cRLSign, SKI, valid from a little before `now` for the plan's days.
pub fn new_ca(ca: &CaPlan, key: &PrivateKey, now: OffsetDateTime) -> Result<CaMaterial, Error> {
    self_signed(ca, key, now, 0, "ca.crt")
}

/// Makes a new root (`root+issuing`) with `key`: as [`new_ca`] but pathlen 1, so it signs
/// issuing CAs, which sign leaves.
pub fn new_root(root: &CaPlan, key: &PrivateKey, now: OffsetDateTime) -> Result<CaMaterial, Error> {
    self_signed(root, key, now, 1, "root CA")
}

fn self_signed(
    ca: &CaPlan,
    key: &PrivateKey,
    now: OffsetDateTime,
    pathlen: u8,
    label: &str,
) -> Result<CaMaterial, Error> {
    let params = ca_params(
        &distinguished_name(&ca.subject),
        key,
        now,
        ca.validity_days,
        pathlen,
    )?;
    let cert = params
        .self_signed(&RcgenKey(key))
        .map_err(|e| Error::Certificate {
            cert: label.into(),
            reason: e.to_string(),
        })?;
    Ok(CaMaterial {
        cert_der: cert.der().to_vec(),
        key_pkcs8_der: Zeroizing::new(key.pkcs8_der().to_vec()),
        chain: Vec::new(),
    })
}

fn ca_params(
    dn: &rcgen::DistinguishedName,
    key: &PrivateKey,
    now: OffsetDateTime,
    days: u32,
    pathlen: u8,
) -> Result<CertificateParams, Error> {
    let mut params = CertificateParams::default();
    params.distinguished_name = dn.clone();
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(pathlen));
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    params.not_before = now - CLOCK_SKEW;
    params.not_after = now + Duration::days(i64::from(days));
    params.serial_number = Some(random_serial()?);
    params.key_identifier_method = KeyIdMethod::PreSpecified(key_id(key));
    Ok(params)
}

/// The common name of an issuing CA made at `now`: the plan's, then "issuing" and the minute,
/// so that two issuing CAs of one root never share a name (people tell them apart in
/// listings, and a chain is never built through the wrong one).
pub fn issuing_common_name(ca: &CaPlan, now: OffsetDateTime) -> String {
    format!(
        "{} issuing {:04}{:02}{:02}-{:02}{:02}",
        ca.subject.common_name,
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute()
    )
}

/// Makes a new issuing CA (`root+issuing`) with `key`, signed by `root` (its certificate and
/// key): pathlen 0, keyCertSign + cRLSign, SKI and the root's SKI as AKI, valid from a little
/// before `now` for the plan's days but never past the root. Its chain is the root's chain
/// with the root in front (the root alone, for a root made by etcd-pki).
pub fn new_issuing(
    ca: &CaPlan,
    key: &PrivateKey,
    root: &CaMaterial,
    now: OffsetDateTime,
) -> Result<CaMaterial, Error> {
    let root_key = root.key()?;
    let issuer = super::issuer::from_ca_der(&root.cert_der, &root_key)?;
    let mut subject = ca.subject.clone();
    subject.common_name = issuing_common_name(ca, now);
    let mut params = ca_params(&distinguished_name(&subject), key, now, ca.validity_days, 0)?;
    let (_, root_x) =
        <x509_parser::certificate::X509Certificate as x509_parser::prelude::FromDer<
            '_,
            x509_parser::error::X509Error,
        >>::from_der(&root.cert_der)
        .map_err(|e| Error::Certificate {
            cert: "root CA".into(),
            reason: format!("it is not a readable X.509 certificate ({e})"),
        })?;
    let root_end = root_x.validity().not_after.to_datetime();
    if params.not_after > root_end {
        params.not_after = root_end;
    }
    params.use_authority_key_identifier_extension = issuer.ski.is_some();
    let der = crate::raw_issuer::sign_with_raw_issuer(
        &params,
        &RcgenKey(key),
        &issuer.subject_der,
        issuer.ski.as_deref(),
        &root_key,
    )
    .map_err(|reason| Error::Certificate {
        cert: "issuing-ca.crt".into(),
        reason,
    })?;
    let mut chain = vec![root.cert_der.clone()];
    chain.extend(root.chain.iter().cloned());
    Ok(CaMaterial {
        cert_der: der,
        key_pkcs8_der: Zeroizing::new(key.pkcs8_der().to_vec()),
        chain,
    })
}
