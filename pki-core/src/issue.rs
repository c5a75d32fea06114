//! The four certificate roles and their policy, set once here: the CA, a member's server and
//! peer certificates, and client certificates. rcgen is named in this file only, so an rcgen
//! API change stays here.

use std::net::IpAddr;

use rcgen::string::PrintableString;
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, DnValue,
    ExtendedKeyUsagePurpose, IsCa, Issuer, KeyIdMethod, KeyUsagePurpose, PublicKeyData, SanType,
    SerialNumber, SignatureAlgorithm, SigningKey,
};
use sha2::{Digest, Sha256};
use time::{Duration, OffsetDateTime};

use crate::error::Error;
use crate::keys::{PrivateKey, random_bytes};
use crate::spec::{KeyAlgorithm, Subject};

/// How far back notBefore is set, so a member whose clock is a little behind the machine
/// that generated the bundle still accepts the certificates.
pub const CLOCK_SKEW: Duration = Duration::minutes(5);

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

/// What a leaf certificate is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LeafRole {
    /// A member's client-facing certificate: serverAuth, and clientAuth because etcd's
    /// grpc-gateway dials the member with it.
    Server,
    /// A member's peer certificate: serverAuth + clientAuth, both ends of peer TLS.
    Peer,
    /// A client: clientAuth only.
    Client,
}

/// The CA: its parameters and key, ready to sign leaves.
pub struct CertificateAuthority {
    params: CertificateParams,
    key: PrivateKey,
    /// The CA certificate.
    pub cert: IssuedCert,
}

/// Wraps our key for rcgen's signing traits.
struct RcgenKey<'a>(&'a PrivateKey);

impl PublicKeyData for RcgenKey<'_> {
    fn der_bytes(&self) -> &[u8] {
        self.0.public_key_bytes()
    }
    fn algorithm(&self) -> &'static SignatureAlgorithm {
        match self.0.algorithm() {
            KeyAlgorithm::EcdsaP256 => &rcgen::PKCS_ECDSA_P256_SHA256,
            KeyAlgorithm::EcdsaP384 => &rcgen::PKCS_ECDSA_P384_SHA384,
            KeyAlgorithm::Ed25519 => &rcgen::PKCS_ED25519,
            KeyAlgorithm::Rsa2048 | KeyAlgorithm::Rsa3072 | KeyAlgorithm::Rsa4096 => {
                &rcgen::PKCS_RSA_SHA256
            }
        }
    }
}

impl SigningKey for RcgenKey<'_> {
    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, rcgen::Error> {
        self.0.sign(msg).map_err(|_| rcgen::Error::RemoteKeyError)
    }
}

/// RFC 7093 method 1: the leftmost 160 bits of SHA-256 over the subjectPublicKey.
fn key_id(key: &PrivateKey) -> Vec<u8> {
    Sha256::digest(key.public_key_bytes())[..20].to_vec()
}

/// A random positive 128-bit serial (CA/Browser Forum asks for at least 64 random bits).
fn random_serial() -> Result<SerialNumber, Error> {
    let mut b = [0u8; 16];
    random_bytes(&mut b)?;
    // Keep all 16 bytes significant and the INTEGER positive without a padding byte.
    b[0] = (b[0] & 0x7f) | 0x01;
    Ok(SerialNumber::from_slice(&b))
}

fn hex_colons(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

fn dn_text(dn: &DistinguishedName) -> String {
    let mut parts = Vec::new();
    for (ty, value) in dn.iter() {
        let key = match ty {
            DnType::CountryName => "C",
            DnType::StateOrProvinceName => "ST",
            DnType::LocalityName => "L",
            DnType::OrganizationName => "O",
            DnType::OrganizationalUnitName => "OU",
            DnType::CommonName => "CN",
            _ => "?",
        };
        let v = match value {
            rcgen::DnValue::PrintableString(s) => s.as_str().to_string(),
            rcgen::DnValue::Utf8String(s) => s.clone(),
            other => format!("{other:?}"),
        };
        parts.push(format!("{key}={v}"));
    }
    parts.join(", ")
}

fn finish(
    cert: rcgen::Certificate,
    params: &CertificateParams,
    issuer: &DistinguishedName,
    algorithm: KeyAlgorithm,
) -> IssuedCert {
    let der = cert.der().to_vec();
    let digest = Sha256::digest(&der);
    let mut ip_sans = Vec::new();
    let mut dns_sans = Vec::new();
    for san in &params.subject_alt_names {
        match san {
            SanType::IpAddress(ip) => ip_sans.push(ip.to_string()),
            SanType::DnsName(d) => dns_sans.push(d.as_str().to_string()),
            _ => {}
        }
    }
    let info = CertInfo {
        subject: dn_text(&params.distinguished_name),
        issuer: dn_text(issuer),
        serial: params
            .serial_number
            .as_ref()
            .map(|s| hex_colons(&s.to_bytes()))
            .unwrap_or_default(),
        ip_sans,
        dns_sans,
        key_usages: params
            .key_usages
            .iter()
            .map(|k| {
                match k {
                    KeyUsagePurpose::DigitalSignature => "digitalSignature",
                    KeyUsagePurpose::KeyEncipherment => "keyEncipherment",
                    KeyUsagePurpose::KeyCertSign => "keyCertSign",
                    KeyUsagePurpose::CrlSign => "cRLSign",
                    _ => "other",
                }
                .to_string()
            })
            .collect(),
        extended_key_usages: params
            .extended_key_usages
            .iter()
            .map(|k| {
                match k {
                    ExtendedKeyUsagePurpose::ServerAuth => "serverAuth",
                    ExtendedKeyUsagePurpose::ClientAuth => "clientAuth",
                    _ => "other",
                }
                .to_string()
            })
            .collect(),
        is_ca: matches!(params.is_ca, IsCa::Ca(_)),
        not_before: crate::bundle::rfc3339(params.not_before),
        not_after: crate::bundle::rfc3339(params.not_after),
        key_algorithm: algorithm.as_str().to_string(),
    };
    IssuedCert {
        pem: cert.pem(),
        der,
        not_after: params.not_after,
        sha256_fingerprint: hex_colons(&digest),
        info,
    }
}

fn distinguished_name(s: &Subject) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    if let Some(c) = &s.country {
        // RFC 5280 Appendix A: X520countryName is a PrintableString; rcgen's default for
        // a &str is UTF8String, which strict parsers and linters (pkilint) reject.
        // Validation allows only two ASCII letters, so the conversion cannot fail.
        match PrintableString::try_from(c.as_str()) {
            Ok(p) => dn.push(DnType::CountryName, DnValue::PrintableString(p)),
            Err(_) => dn.push(DnType::CountryName, c.as_str()),
        }
    }
    if let Some(st) = &s.state {
        dn.push(DnType::StateOrProvinceName, st.as_str());
    }
    if let Some(l) = &s.locality {
        dn.push(DnType::LocalityName, l.as_str());
    }
    if let Some(o) = &s.organization {
        dn.push(DnType::OrganizationName, o.as_str());
    }
    if let Some(ou) = &s.organizational_unit {
        dn.push(DnType::OrganizationalUnitName, ou.as_str());
    }
    dn.push(DnType::CommonName, s.common_name.as_str());
    dn
}

impl CertificateAuthority {
    /// A self-signed CA: CA:TRUE (critical), pathlen 0 (it signs leaves only), keyCertSign +
    /// cRLSign, SKI.
    pub fn new(
        subject: &Subject,
        key: PrivateKey,
        now: OffsetDateTime,
        validity_days: u32,
    ) -> Result<CertificateAuthority, Error> {
        let mut params = CertificateParams::default();
        params.distinguished_name = distinguished_name(subject);
        params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        params.not_before = now - CLOCK_SKEW;
        params.not_after = now + Duration::days(i64::from(validity_days));
        params.serial_number = Some(random_serial()?);
        params.key_identifier_method = KeyIdMethod::PreSpecified(key_id(&key));
        let cert = params
            .self_signed(&RcgenKey(&key))
            .map_err(|e| Error::Certificate {
                cert: "ca.crt".into(),
                reason: e.to_string(),
            })?;
        let cert = finish(cert, &params, &params.distinguished_name, key.algorithm());
        Ok(CertificateAuthority { params, key, cert })
    }

    /// The CA's private key.
    pub fn key(&self) -> &PrivateKey {
        &self.key
    }

    /// Issues a leaf for `key`. `label` names the certificate in errors.
    #[allow(clippy::too_many_arguments)]
    pub fn issue(
        &self,
        label: &str,
        role: LeafRole,
        subject: LeafSubject,
        ips: &[IpAddr],
        dns_names: &[String],
        key: &PrivateKey,
        now: OffsetDateTime,
        validity_days: u32,
    ) -> Result<IssuedCert, Error> {
        let fail = |reason: String| Error::Certificate {
            cert: label.to_string(),
            reason,
        };
        let mut params = CertificateParams::default();
        let mut dn = DistinguishedName::new();
        if let Some(o) = &subject.organization {
            dn.push(DnType::OrganizationName, o.as_str());
        }
        dn.push(DnType::CommonName, subject.common_name.as_str());
        params.distinguished_name = dn;
        // ExplicitNoCa writes CA:FALSE and, with the crypto feature off, is what makes rcgen
        // emit the SKI.
        params.is_ca = IsCa::ExplicitNoCa;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        if key.algorithm().rsa_bits().is_some() {
            // RSA key exchange in TLS 1.2 encrypts to the certificate's key.
            params.key_usages.push(KeyUsagePurpose::KeyEncipherment);
        }
        params.extended_key_usages = match role {
            LeafRole::Server | LeafRole::Peer => vec![
                ExtendedKeyUsagePurpose::ServerAuth,
                ExtendedKeyUsagePurpose::ClientAuth,
            ],
            LeafRole::Client => vec![ExtendedKeyUsagePurpose::ClientAuth],
        };
        let mut sans = Vec::new();
        for ip in ips {
            if !sans.contains(&SanType::IpAddress(*ip)) {
                sans.push(SanType::IpAddress(*ip));
            }
        }
        for d in dns_names {
            let name = d
                .as_str()
                .try_into()
                .map_err(|e: rcgen::Error| fail(format!("DNS name {d:?}: {e}")))?;
            let san = SanType::DnsName(name);
            if !sans.contains(&san) {
                sans.push(san);
            }
        }
        params.subject_alt_names = sans;
        params.not_before = now - CLOCK_SKEW;
        params.not_after = now + Duration::days(i64::from(validity_days));
        params.serial_number = Some(random_serial()?);
        params.use_authority_key_identifier_extension = true;
        params.key_identifier_method = KeyIdMethod::PreSpecified(key_id(key));
        let issuer = Issuer::from_params(&self.params, RcgenKey(&self.key));
        let cert = params
            .signed_by(&RcgenKey(key), &issuer)
            .map_err(|e| fail(e.to_string()))?;
        Ok(finish(
            cert,
            &params,
            &self.params.distinguished_name,
            key.algorithm(),
        ))
    }
}

/// The subject of a leaf: CN and an optional O.
#[derive(Clone, Debug)]
pub struct LeafSubject {
    /// CN.
    pub common_name: String,
    /// O.
    pub organization: Option<String>,
}
