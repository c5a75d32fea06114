//! Stage 3 of 5: the certificates of a plan, signed by a CA given as data ([`CaMaterial`]).
//! Certificate policy lives here once: the CA, a member's server and peer certificates, and
//! client certificates, each with its key usages. rcgen lays the certificates out (it is also
//! used by the CRL, CA-import and CA-rotation code).
//!
//! Every leaf is signed the same way (`raw_issuer.rs`: laid out by rcgen, its issuer field
//! replaced by the CA certificate's subject bytes, then signed with the CA key), so a CA made a
//! moment ago ([`new_ca`]) and one imported or read back from a bundle take the same path, and
//! a leaf's issuer field is the CA's subject field byte for byte.
//!
//! ```
//! use pki_core::{ClusterSpec, OffsetDateTime, issue, keys::Keys, plan, PrivateKey};
//! use pki_core::validate::ValidatedSpec;
//!
//! let plan = plan::plan(&ValidatedSpec::new(&ClusterSpec::template())?);
//! let keys: Keys = plan
//!     .keys
//!     .iter()
//!     .map(|r| Ok((r.id.clone(), PrivateKey::generate(r.algorithm)?)))
//!     .collect::<Result<_, pki_core::Error>>()?;
//! let now = OffsetDateTime::now_utc();
//! let ca = issue::new_ca(&plan.ca, keys.get("ca").unwrap(), now)?;
//! let issued = issue::issue(&plan, &ca, &keys, now)?;
//! assert_eq!(issued.cert("members/etcd1/server").unwrap().info.subject, "CN=etcd1");
//! # Ok::<(), pki_core::Error>(())
//! ```

mod ca;
mod info;
mod issuer;

use std::collections::BTreeMap;

use rcgen::string::PrintableString;
use rcgen::{
    CertificateParams, DistinguishedName, DnType, DnValue, ExtendedKeyUsagePurpose, IsCa,
    KeyIdMethod, KeyUsagePurpose, PublicKeyData, SanType, SerialNumber, SignatureAlgorithm,
    SigningKey,
};
use sha2::{Digest, Sha256};
use time::{Duration, OffsetDateTime};
use zeroize::Zeroizing;

pub use ca::{CaMaterial, issuing_common_name, new_ca, new_issuing, new_root};
pub(crate) use info::hex_colons as info_hex;
pub use info::{CertInfo, IssuedCert, rfc3339};

use crate::error::Error;
use crate::keys::{Keys, PrivateKey, random_bytes};
use crate::plan::{CertPlan, Content, Plan, Profile};
use crate::spec::Subject;

/// How far back notBefore is set, so a member whose clock is a little behind the machine
/// that generated the bundle still accepts the certificates.
pub const CLOCK_SKEW: Duration = Duration::minutes(5);

/// What the issuing stage made: the CA certificate, every leaf by its id, and the key files'
/// text. Key text is wiped on drop and `Debug` shows only ids.
pub struct Issued {
    /// When the certificates were issued (the bundle's `generated_at`).
    pub issued_at: OffsetDateTime,
    /// The CA certificate: the one that signs the leaves (the issuing CA, with
    /// `root+issuing`).
    pub ca: IssuedCert,
    /// `root+issuing`: the root, the trusted CA file of every folder. `None` for a single CA.
    pub root: Option<IssuedCert>,
    /// Every leaf certificate, by [`CertPlan::id`].
    pub certs: BTreeMap<String, IssuedCert>,
    /// The CRL (DER) every member's `pki/crl.der` holds, when the plan carries revocations:
    /// signed by the day-two operation that revoked, or carried byte for byte.
    pub crl: Option<Vec<u8>>,
    private_keys: BTreeMap<String, Zeroizing<String>>,
    public_keys: BTreeMap<String, String>,
}

impl std::fmt::Debug for Issued {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Issued")
            .field("issued_at", &self.issued_at)
            .field("ca", &self.ca.info.subject)
            .field("certs", &self.certs.keys().collect::<Vec<_>>())
            .field(
                "private_keys",
                &self.private_keys.keys().collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl Issued {
    /// The leaf certificate with this id.
    pub fn cert(&self, id: &str) -> Option<&IssuedCert> {
        self.certs.get(id)
    }
    /// The PKCS#8 PEM of the key with this id (every key a file of the plan holds).
    pub fn private_key_pem(&self, id: &str) -> Option<&str> {
        self.private_keys.get(id).map(|s| s.as_str())
    }
    /// Hands render the bytes a kept key's file already has (day two keeps files byte for
    /// byte; a key written again could be spelled differently).
    pub fn keep_private_key_pem(&mut self, id: &str, pem: &str) {
        self.private_keys
            .insert(id.to_string(), Zeroizing::new(pem.to_string()));
    }
    /// The trusted CA certificate of every folder: the root, or the CA when single.
    pub fn trust_anchor(&self) -> &IssuedCert {
        self.root.as_ref().unwrap_or(&self.ca)
    }
    /// What a leaf certificate's file holds: the leaf, then its issuing CA when a root stands
    /// above it (etcd sends the file's certificates in its handshakes, and its peers verify
    /// them against the root alone).
    pub fn leaf_file_pem(&self, leaf: &IssuedCert) -> String {
        match self.root {
            Some(_) => format!("{}{}", leaf.pem, self.ca.pem),
            None => leaf.pem.clone(),
        }
    }
    /// The public key PEM of the key with this id (the JWT verification key).
    pub fn public_key_pem(&self, id: &str) -> Option<&str> {
        self.public_keys.get(id).map(String::as_str)
    }
}

/// Issues every certificate of `plan` under `ca`, with the plan's keys looked up by id, at
/// `now`. Nothing is returned unless every certificate was made.
pub fn issue(
    plan: &Plan,
    ca: &CaMaterial,
    keys: &Keys,
    now: OffsetDateTime,
) -> Result<Issued, Error> {
    let ca_key = ca.key()?;
    let ca_cert = IssuedCert::from_der(ca.cert_der.clone(), ca_key.algorithm(), "ca.crt")?;
    let issuer = issuer::from_ca_der(&ca.cert_der, &ca_key)?;
    let key = |id: &str| plan_key(plan, keys, id);
    let mut certs = BTreeMap::new();
    for c in &plan.certs {
        certs.insert(c.id.clone(), leaf(c, key(&c.key)?, &issuer, &ca_key, now)?);
    }
    let mut private_keys = BTreeMap::new();
    let mut public_keys = BTreeMap::new();
    for f in &plan.files {
        match &f.content {
            Content::Key(id) => {
                private_keys.insert(id.clone(), key(id)?.to_pem());
            }
            Content::PublicKey(id) => {
                public_keys.insert(id.clone(), key(id)?.public_key_pem());
            }
            _ => {}
        }
    }
    Ok(Issued {
        issued_at: now,
        root: ca.root_cert()?,
        ca: ca_cert,
        certs,
        crl: None,
        private_keys,
        public_keys,
    })
}

/// The key of the plan with this id from `keys`, checked against its request (missing: "it
/// was never made"; another algorithm: which is needed).
pub fn plan_key<'k>(plan: &Plan, keys: &'k Keys, id: &str) -> Result<&'k PrivateKey, Error> {
    let label = plan.key(id).map_or(id, |r| r.label.as_str());
    let k = keys.get(id).ok_or_else(|| Error::BadKey {
        key: label.to_string(),
        reason: "it was never made".into(),
    })?;
    if let Some(req) = plan.key(id)
        && k.algorithm() != req.algorithm
    {
        return Err(Error::BadKey {
            key: label.to_string(),
            reason: format!("it is {} and {} is needed", k.algorithm(), req.algorithm),
        });
    }
    Ok(k)
}

/// Issues one leaf: CA:FALSE, digitalSignature (+ keyEncipherment for RSA), the profile's
/// extended key usages, the plan's SANs, SKI and AKI.
fn leaf(
    c: &CertPlan,
    key: &PrivateKey,
    issuer: &issuer::CaIssuer,
    ca_key: &PrivateKey,
    now: OffsetDateTime,
) -> Result<IssuedCert, Error> {
    let fail = |reason: String| Error::Certificate {
        cert: c.path.clone(),
        reason,
    };
    let mut params = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    if let Some(o) = &c.organization {
        dn.push(DnType::OrganizationName, o.as_str());
    }
    dn.push(DnType::CommonName, c.common_name.as_str());
    params.distinguished_name = dn;
    // ExplicitNoCa writes CA:FALSE and, with the crypto feature off, is what makes rcgen
    // emit the SKI.
    params.is_ca = IsCa::ExplicitNoCa;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    if key.algorithm().rsa_bits().is_some() {
        // RSA key exchange in TLS 1.2 encrypts to the certificate's key.
        params.key_usages.push(KeyUsagePurpose::KeyEncipherment);
    }
    params.extended_key_usages = match c.profile {
        Profile::Server | Profile::Peer => vec![
            ExtendedKeyUsagePurpose::ServerAuth,
            ExtendedKeyUsagePurpose::ClientAuth,
        ],
        Profile::Client => vec![ExtendedKeyUsagePurpose::ClientAuth],
    };
    let mut sans = Vec::new();
    for ip in &c.ips {
        if !sans.contains(&SanType::IpAddress(*ip)) {
            sans.push(SanType::IpAddress(*ip));
        }
    }
    for d in &c.dns_names {
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
    params.not_after = now + Duration::days(i64::from(c.validity_days));
    params.serial_number = Some(random_serial()?);
    // The CA's SKI as the AKI; a CA without one gets leaves without one (as Go's own).
    params.use_authority_key_identifier_extension = issuer.ski.is_some();
    params.key_identifier_method = KeyIdMethod::PreSpecified(key_id(key));
    // The issuer field is the CA's subject bytes as they are (repeated DCs, multi-valued
    // RDNs, any string type), so Go's byte comparison finds the CA.
    let der = crate::raw_issuer::sign_with_raw_issuer(
        &params,
        &RcgenKey(key),
        &issuer.subject_der,
        issuer.ski.as_deref(),
        ca_key,
    )
    .map_err(fail)?;
    IssuedCert::from_der(der, key.algorithm(), &c.path)
}

/// Wraps our key for rcgen's signing traits.
struct RcgenKey<'a>(&'a PrivateKey);

impl PublicKeyData for RcgenKey<'_> {
    fn der_bytes(&self) -> &[u8] {
        self.0.public_key_bytes()
    }
    fn algorithm(&self) -> &'static SignatureAlgorithm {
        crate::raw_issuer::rcgen_algorithm(self.0.algorithm())
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

/// The id of the bundle `plan` makes with `issued` ([`crate::record::bundle_id`]): known once
/// everything is issued, so every renderer (install.sh's generation check) and `spec.json`
/// name the same id.
pub fn bundle_id(plan: &Plan, issued: &Issued) -> String {
    let leaves = plan
        .certs
        .iter()
        .filter_map(|c| issued.cert(&c.id))
        .map(|c| c.sha256_fingerprint.as_str());
    crate::record::bundle_id(
        plan.carried.parent.as_deref(),
        &rfc3339(issued.issued_at),
        std::iter::once(issued.ca.sha256_fingerprint.as_str()).chain(leaves),
        issued.crl.as_deref(),
    )
}
