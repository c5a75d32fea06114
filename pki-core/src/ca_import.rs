//! Issuing under an existing CA: read its certificate and key as people have them (made by
//! openssl, cfssl, easy-rsa, kubeadm), check that they can sign etcd's certificates, and hand
//! the issuing stage an [`ImportedCa`].
//!
//! ```no_run
//! # fn main() -> Result<(), pki_core::Error> {
//! let cert = std::fs::read("ca.crt").unwrap();
//! let key = std::fs::read("ca.key").unwrap();
//! let ca = pki_core::ca_import::import_ca(&cert, &key, Some(b"the passphrase"))?;
//! let now = pki_core::OffsetDateTime::now_utc();
//! pki_core::ca_import::check_validity(&ca, now, now + time::Duration::days(825))?;
//! # Ok(()) }
//! ```
//!
//! Why the subject check: Go's crypto/x509, which etcd uses, finds a certificate's issuer by
//! comparing the raw issuer bytes with the raw subject bytes of the CA, so a leaf whose issuer
//! is the same name written with other string types (UTF8String for PrintableString) does not
//! verify. rcgen writes the issuer from a `DistinguishedName`, which keeps each attribute's
//! string type but holds one value per attribute type and one attribute per RDN; [`import_ca`]
//! proves rcgen writes this CA's subject byte-for-byte and refuses the CA otherwise.

use std::fmt;

use rcgen::{
    CertificateParams, DistinguishedName, DnType, DnValue, IsCa, KeyIdMethod, PublicKeyData,
    SignatureAlgorithm, SigningKey,
};
use sha2::{Digest, Sha256};
use time::{Duration, OffsetDateTime};
use x509_cert::der::{Decode, Tag, Tagged, asn1::ObjectIdentifier};
use x509_cert::ext::pkix::{BasicConstraints, KeyUsage, SubjectKeyIdentifier};
use zeroize::Zeroizing;

use crate::ca_key::{
    OID_EC, OID_ED25519, OID_P256, OID_P384, OID_RSA, SUPPORTED, read_key, unsupported_name,
};
use crate::error::Error;
use crate::keys::PrivateKey;
use crate::spec::KeyAlgorithm;

/// An existing CA, read and checked: what the issuing stage signs leaves with.
pub struct ImportedCa {
    /// The CA certificate exactly as given (DER; PEM input is decoded, not re-encoded). The
    /// bundle's `ca.crt` is this certificate.
    pub cert_der: Vec<u8>,
    /// The CA key as PKCS#8 v1 DER, whatever form it came in; wiped on drop.
    pub key_pkcs8_der: Zeroizing<Vec<u8>>,
    /// The CA key's algorithm (an RSA CA's size is its key's).
    pub algorithm: KeyAlgorithm,
    /// The certificate's subject Name, the raw DER bytes: every leaf's issuer is these bytes.
    pub subject_der: Vec<u8>,
    /// The subject for people, e.g. `C=US, O=Example, CN=etcd-ca`.
    pub subject: String,
    /// notBefore.
    pub not_before: OffsetDateTime,
    /// notAfter: leaves must end by then.
    pub not_after: OffsetDateTime,
    /// The subjectKeyIdentifier, which every leaf's authorityKeyIdentifier repeats. `None` for
    /// CAs made without one (Go before 1.15, so kubeadm clusters from before 2020): leaves
    /// then carry no authorityKeyIdentifier, as Go's own leaves under such a CA do.
    pub ski: Option<Vec<u8>>,
}

impl fmt::Debug for ImportedCa {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print key material.
        f.debug_struct("ImportedCa")
            .field("subject", &self.subject)
            .field("algorithm", &self.algorithm)
            .field("not_after", &self.not_after)
            .finish_non_exhaustive()
    }
}

/// Reads and checks an existing CA: `cert` is PEM or DER, `key` any of PKCS#8, encrypted
/// PKCS#8, PKCS#1, SEC1 or legacy encrypted PEM (see `ca_key.rs`), `passphrase` needed only
/// for an encrypted key. Refuses, with a message saying what to do, a certificate that is not
/// a CA, a key that is not the certificate's, an algorithm etcd-pki cannot sign with, a
/// missing or wrong passphrase, and a subject rcgen would not write byte-for-byte.
///
/// Time is not checked here (the function is pure): call [`check_validity`] with the leaves'
/// notAfter.
pub fn import_ca(cert: &[u8], key: &[u8], passphrase: Option<&[u8]>) -> Result<ImportedCa, Error> {
    let cert_der = read_cert(cert)?;
    let parsed = x509_cert::Certificate::from_der(&cert_der).map_err(|e| Error::CaUnreadable {
        file: "CA certificate",
        reason: format!("it is not an X.509 certificate in DER ({e})"),
    })?;
    let raw = RawTbs::split(&cert_der).ok_or_else(|| Error::CaUnreadable {
        file: "CA certificate",
        reason: "its structure is damaged".into(),
    })?;
    let tbs = &parsed.tbs_certificate();
    let subject = display_name(tbs.subject());

    let spki = tbs.subject_public_key_info();
    let oid = spki.algorithm.oid;
    let curve = spki
        .algorithm
        .parameters
        .as_ref()
        .and_then(|p| p.decode_as::<ObjectIdentifier>().ok());
    let cert_key_kind = if oid == OID_RSA {
        "rsa"
    } else if oid == OID_EC && curve == Some(OID_P256) {
        "ecdsa-p256"
    } else if oid == OID_EC && curve == Some(OID_P384) {
        "ecdsa-p384"
    } else if oid == OID_ED25519 {
        "ed25519"
    } else {
        return Err(Error::CaUnsupported {
            what: format!(
                "the CA certificate \"{subject}\" has an {} key; etcd-pki signs with {SUPPORTED}",
                unsupported_name(oid, curve)
            ),
        });
    };

    check_is_ca(tbs, &subject)?;
    check_subject_reproducible(raw.subject, &subject)?;

    let private = read_key(key, passphrase)?;
    let cert_public = spki.subject_public_key.raw_bytes();
    if !same_public_key(&private, cert_public) {
        let key_kind = private.algorithm().as_str();
        let detail = if key_kind.starts_with(cert_key_kind) {
            String::new()
        } else {
            format!(" (the certificate's key is {cert_key_kind}, the key file holds {key_kind})")
        };
        return Err(Error::CaKeyMismatch { subject, detail });
    }

    let ski = match tbs.get_extension::<SubjectKeyIdentifier>() {
        Ok(found) => found.map(|(_, s)| s.0.as_bytes().to_vec()),
        Err(e) => return Err(damaged_extension("subjectKeyIdentifier", e)),
    };
    let validity = tbs.validity();
    let time = |t: x509_cert::time::Time| {
        OffsetDateTime::from_unix_timestamp(t.to_unix_duration().as_secs() as i64)
            .unwrap_or(OffsetDateTime::UNIX_EPOCH)
    };
    Ok(ImportedCa {
        subject_der: raw.subject.to_vec(),
        cert_der,
        key_pkcs8_der: Zeroizing::new(private.pkcs8_der().to_vec()),
        algorithm: private.algorithm(),
        subject,
        not_before: time(validity.not_before),
        not_after: time(validity.not_after),
        ski,
    })
}

/// Refuses a CA that cannot sign leaves ending at `leaf_not_after` at time `now`: expired, not
/// yet valid, or expiring first (a leaf outliving its CA stops verifying when the CA expires).
/// The message names the dates and the fix: `--cap-validity`, or at most
/// [`ImportedCa::days_left`] days.
pub fn check_validity(
    ca: &ImportedCa,
    now: OffsetDateTime,
    leaf_not_after: OffsetDateTime,
) -> Result<(), Error> {
    if now >= ca.not_after {
        return Err(Error::CaExpired {
            subject: ca.subject.clone(),
            not_after: when(ca.not_after),
        });
    }
    if ca.not_before > now + crate::issue::CLOCK_SKEW {
        return Err(Error::CaNotYetValid {
            subject: ca.subject.clone(),
            not_before: when(ca.not_before),
            now: when(now),
        });
    }
    if leaf_not_after > ca.not_after {
        return Err(Error::CaOutlived {
            subject: ca.subject.clone(),
            ca_not_after: when(ca.not_after),
            leaf_not_after: when(leaf_not_after),
            max_days: ca.days_left(now),
        });
    }
    Ok(())
}

impl ImportedCa {
    /// Whole days from `now` until the CA expires (0 if it has): the longest validity, in
    /// days, a leaf issued now may have (what `--cap-validity` uses).
    pub fn days_left(&self, now: OffsetDateTime) -> i64 {
        (self.not_after - now).whole_days().max(0)
    }

    /// The CA certificate as PEM, the bundle's `ca.crt` (the same DER bytes as given).
    pub fn cert_pem(&self) -> String {
        pem::encode_config(
            &pem::Pem::new("CERTIFICATE", self.cert_der.clone()),
            pem::EncodeConfig::new().set_line_ending(pem::LineEnding::LF),
        )
    }

    /// The CA key, ready to sign.
    pub(crate) fn private_key(&self) -> Result<PrivateKey, Error> {
        PrivateKey::from_pkcs8_der(self.algorithm, &self.key_pkcs8_der)
    }

    /// The issuer side of rcgen for this CA: its subject as a `DistinguishedName` that rcgen
    /// writes back byte-for-byte (proved by [`import_ca`]) and its SKI as the key identifier,
    /// for `rcgen::Issuer::new(params, key)`. Unlike `Issuer::from_ca_cert_der`, this needs
    /// neither rcgen's x509-parser feature nor its `crypto` feature for a CA without SKI, and
    /// refuses names rcgen would silently change (a repeated attribute type).
    pub(crate) fn issuer_params(&self) -> CertificateParams {
        let mut params = CertificateParams::default();
        // Cannot fail: import_ca built the same name from the same bytes.
        params.distinguished_name = rcgen_name(&self.subject_der).unwrap_or_default();
        params.key_identifier_method =
            KeyIdMethod::PreSpecified(self.ski.clone().unwrap_or_default());
        params.is_ca = IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params
    }
}

fn when(t: OffsetDateTime) -> String {
    let f = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute] UTC");
    t.to_offset(time::UtcOffset::UTC)
        .format(&f)
        .unwrap_or_default()
}

fn cert_unreadable(reason: impl Into<String>) -> Error {
    Error::CaUnreadable {
        file: "CA certificate",
        reason: reason.into(),
    }
}

/// The certificate's DER from PEM (one `CERTIFICATE` block) or DER input.
fn read_cert(input: &[u8]) -> Result<Vec<u8>, Error> {
    let text = std::str::from_utf8(input).ok();
    let Some(text) = text.filter(|t| t.contains("-----BEGIN ")) else {
        if input.first() == Some(&0x30) {
            return Ok(input.to_vec());
        }
        return Err(cert_unreadable(
            "it is neither PEM (-----BEGIN CERTIFICATE-----) nor DER; give the CA's certificate \
             file (ca.crt, ca.pem)",
        ));
    };
    let blocks = pem::parse_many(text).map_err(|e| cert_unreadable(format!("broken PEM: {e}")))?;
    let certs: Vec<_> = blocks
        .iter()
        .filter(|b| matches!(b.tag(), "CERTIFICATE" | "X509 CERTIFICATE"))
        .collect();
    match certs.as_slice() {
        [one] => Ok(one.contents().to_vec()),
        [] if blocks.iter().any(|b| b.tag().ends_with("PRIVATE KEY")) => Err(cert_unreadable(
            "it holds a private key, not a certificate: were the CA certificate and key files \
             swapped?",
        )),
        [] => Err(cert_unreadable(
            "it holds no -----BEGIN CERTIFICATE----- block",
        )),
        many => Err(cert_unreadable(format!(
            "it holds {} certificates; give the certificate of the CA that signs etcd's \
             certificates alone",
            many.len()
        ))),
    }
}

/// The raw TLVs of a certificate's TBS that must be copied, not re-encoded.
struct RawTbs<'a> {
    subject: &'a [u8],
}

/// One DER TLV: (tag byte, whole TLV, contents), or `None` if it does not fit `input`.
fn tlv(input: &[u8]) -> Option<(u8, &[u8], &[u8], &[u8])> {
    let tag = *input.first()?;
    let first = *input.get(1)?;
    let (len, header) = if first < 0x80 {
        (usize::from(first), 2)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 {
            return None;
        }
        let mut len = 0usize;
        for b in input.get(2..2 + n)? {
            len = (len << 8) | usize::from(*b);
        }
        (len, 2 + n)
    };
    let end = header.checked_add(len)?;
    let whole = input.get(..end)?;
    Some((tag, whole, &whole[header..], &input[end..]))
}

impl<'a> RawTbs<'a> {
    fn split(cert: &'a [u8]) -> Option<RawTbs<'a>> {
        let (_, _, cert_body, _) = tlv(cert)?;
        let (_, _, tbs, _) = tlv(cert_body)?;
        let mut rest = tbs;
        let mut next = || {
            let (tag, whole, _, after) = tlv(rest)?;
            rest = after;
            Some((tag, whole))
        };
        let (mut tag, mut item) = next()?;
        if tag == 0xa0 {
            (tag, item) = next()?; // version
        }
        let _serial = (tag, item);
        let _signature = next()?;
        let _issuer = next()?;
        let _validity = next()?;
        let (_, subject) = next()?;
        Some(RawTbs { subject })
    }
}

fn damaged_extension(name: &str, e: x509_cert::der::Error) -> Error {
    cert_unreadable(format!("its {name} extension is damaged ({e})"))
}

fn check_is_ca(tbs: &x509_cert::TbsCertificate, subject: &str) -> Result<(), Error> {
    let not_ca = |reason: &str| Error::NotACa {
        subject: subject.to_string(),
        reason: reason.to_string(),
    };
    let bc = tbs
        .get_extension::<BasicConstraints>()
        .map_err(|e| damaged_extension("basicConstraints", e))?;
    match bc {
        Some((_, bc)) if bc.ca => {}
        Some(_) => return Err(not_ca("its basicConstraints says CA:FALSE")),
        None if tbs.extensions().is_none() => {
            return Err(not_ca(
                "it has no extensions (an X.509 v1 certificate), so no basicConstraints CA:TRUE",
            ));
        }
        None => return Err(not_ca("it has no basicConstraints extension with CA:TRUE")),
    }
    // No keyUsage at all means any usage (RFC 5280 4.2.1.3), as `openssl req -x509` writes
    // by default; one without keyCertSign forbids signing certificates.
    let ku = tbs
        .get_extension::<KeyUsage>()
        .map_err(|e| damaged_extension("keyUsage", e))?;
    if let Some((_, ku)) = ku
        && !ku.key_cert_sign()
    {
        return Err(not_ca(
            "its keyUsage does not include keyCertSign, so it may not sign certificates",
        ));
    }
    Ok(())
}

fn same_public_key(key: &PrivateKey, cert_public: &[u8]) -> bool {
    let ours = key.public_key_bytes();
    if ours == cert_public {
        return true;
    }
    // A certificate may carry a compressed EC point; ours is uncompressed.
    let uncompressed = match key.algorithm() {
        KeyAlgorithm::EcdsaP256 => p256::ecdsa::VerifyingKey::from_sec1_bytes(cert_public)
            .map(|k| k.to_sec1_point(false).as_bytes().to_vec())
            .ok(),
        KeyAlgorithm::EcdsaP384 => p384::ecdsa::VerifyingKey::from_sec1_bytes(cert_public)
            .map(|k| k.to_sec1_point(false).as_bytes().to_vec())
            .ok(),
        _ => None,
    };
    uncompressed.as_deref() == Some(ours)
}

/// Short names as `openssl x509 -subject` prints them (the rest as dotted OIDs).
fn attribute_name(oid: &ObjectIdentifier) -> String {
    match oid.to_string().as_str() {
        "2.5.4.6" => "C",
        "2.5.4.8" => "ST",
        "2.5.4.7" => "L",
        "2.5.4.10" => "O",
        "2.5.4.11" => "OU",
        "2.5.4.3" => "CN",
        "2.5.4.5" => "serialNumber",
        "2.5.4.9" => "street",
        "2.5.4.12" => "title",
        "0.9.2342.19200300.100.1.25" => "DC",
        "0.9.2342.19200300.100.1.1" => "UID",
        "1.2.840.113549.1.9.1" => "emailAddress",
        other => return other.to_string(),
    }
    .to_string()
}

fn value_text(value: &x509_cert::attr::AttributeValue) -> String {
    let bytes = value.value();
    match value.tag() {
        Tag::Utf8String | Tag::PrintableString | Tag::Ia5String | Tag::TeletexString => {
            String::from_utf8_lossy(bytes).into_owned()
        }
        Tag::BmpString => char::decode_utf16(
            bytes
                .chunks(2)
                .map(|c| u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)])),
        )
        .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
        .collect(),
        _ => format!(
            "#{}",
            bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()
        ),
    }
}

/// The subject for people, in certificate order: `C=US, O=Example, CN=etcd-ca`.
fn display_name(name: &x509_cert::name::Name) -> String {
    name.iter_rdn()
        .map(|rdn| {
            rdn.iter()
                .map(|a| format!("{}={}", attribute_name(&a.oid), value_text(&a.value)))
                .collect::<Vec<_>>()
                .join(" + ")
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The subject as an rcgen `DistinguishedName`, or why rcgen cannot hold it exactly.
fn rcgen_name(subject_der: &[u8]) -> Result<DistinguishedName, String> {
    use rcgen::string::{BmpString, Ia5String, PrintableString, TeletexString};
    let name = x509_cert::name::Name::from_der(subject_der).map_err(|e| e.to_string())?;
    let mut dn = DistinguishedName::new();
    for rdn in name.iter_rdn() {
        let mut attrs = rdn.iter();
        let (Some(attr), None) = (attrs.next(), attrs.next()) else {
            return Err(
                "it has an RDN with several attributes (e.g. `OU=a + OU=b`, as Go and \
                        cfssl write several values of one attribute)"
                    .into(),
            );
        };
        let arcs: Vec<u64> = attr.oid.arcs().map(u64::from).collect();
        let ty = DnType::from_oid(&arcs);
        if dn.get(&ty).is_some() {
            return Err(format!(
                "it repeats the attribute {} (rcgen keeps one value per attribute)",
                attribute_name(&attr.oid)
            ));
        }
        let bytes = attr.value.value();
        let text = || std::str::from_utf8(bytes).map_err(|e| e.to_string());
        let bad = |e: rcgen::Error| e.to_string();
        let value = match attr.value.tag() {
            Tag::Utf8String => DnValue::Utf8String(text()?.to_string()),
            Tag::PrintableString => {
                DnValue::PrintableString(PrintableString::try_from(text()?).map_err(bad)?)
            }
            Tag::Ia5String => DnValue::Ia5String(Ia5String::try_from(text()?).map_err(bad)?),
            Tag::TeletexString => {
                DnValue::TeletexString(TeletexString::try_from(text()?).map_err(bad)?)
            }
            Tag::BmpString => {
                DnValue::BmpString(BmpString::from_utf16be(bytes.to_vec()).map_err(bad)?)
            }
            other => {
                return Err(format!(
                    "its {} is a {other}, not a string",
                    attribute_name(&attr.oid)
                ));
            }
        };
        dn.push(ty, value);
    }
    Ok(dn)
}

/// A stand-in key for writing a name through rcgen without signing anything: the "signature"
/// is empty and the certificate is dropped.
struct NameProbe;

impl PublicKeyData for NameProbe {
    fn der_bytes(&self) -> &[u8] {
        &[]
    }
    fn algorithm(&self) -> &'static SignatureAlgorithm {
        &rcgen::PKCS_ED25519
    }
}

impl SigningKey for NameProbe {
    fn sign(&self, _msg: &[u8]) -> Result<Vec<u8>, rcgen::Error> {
        Ok(Vec::new())
    }
}

/// Proves rcgen writes this subject byte-for-byte: the same writer writes a certificate's
/// subject and its issuer, so a probe's subject is what every leaf's issuer will be.
fn check_subject_reproducible(subject_der: &[u8], subject: &str) -> Result<(), Error> {
    let refuse = |reason: String| Error::CaSubjectUnsupported {
        subject: subject.to_string(),
        reason,
    };
    let dn = rcgen_name(subject_der).map_err(refuse)?;
    let mut params = CertificateParams::default();
    params.distinguished_name = dn;
    params.serial_number = Some(rcgen::SerialNumber::from_slice(&[1]));
    params.key_identifier_method = KeyIdMethod::PreSpecified(vec![1]);
    let probe = params
        .self_signed(&NameProbe)
        .map_err(|e| refuse(e.to_string()))?;
    let written = RawTbs::split(probe.der()).map(|r| r.subject.to_vec());
    if written.as_deref() != Some(subject_der) {
        return Err(refuse(
            "rcgen would encode it differently (another string type or order)".into(),
        ));
    }
    Ok(())
}

/// RFC 7093 method 1 over the key, as pki-core's own leaves use for their SKI.
pub(crate) fn key_id(public_key: &[u8]) -> Vec<u8> {
    Sha256::digest(public_key)[..20].to_vec()
}

/// How long before the CA's end a leaf may be valid at most, for `--cap-validity`: the CA's
/// remaining whole days, never more than `wanted`.
pub fn capped_validity_days(ca: &ImportedCa, now: OffsetDateTime, wanted: u32) -> u32 {
    let left = u32::try_from(ca.days_left(now)).unwrap_or(u32::MAX);
    wanted.min(left)
}

/// Wraps our key for rcgen's signing traits (the same as issue.rs's; one of them goes when
/// the issue stage takes an [`ImportedCa`]).
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

/// A leaf signed under an imported CA, PEM.
#[doc(hidden)]
pub struct TestLeaf {
    /// The certificate.
    pub cert_pem: String,
    /// Its key (PKCS#8).
    pub key_pem: Zeroizing<String>,
}

impl ImportedCa {
    /// Interim, for the tests of issue 12 until the issue stage takes an `ImportedCa`: signs
    /// an ECDSA P-256 server+client leaf for `ip` the way issue.rs signs a member's, with the
    /// issuer built by [`ImportedCa::issuer_params`]. Checks validity first.
    #[doc(hidden)]
    pub fn sign_test_leaf(
        &self,
        common_name: &str,
        ip: std::net::IpAddr,
        now: OffsetDateTime,
        validity_days: u32,
    ) -> Result<TestLeaf, Error> {
        use rcgen::{ExtendedKeyUsagePurpose, KeyUsagePurpose, SanType};
        let not_after = now + Duration::days(i64::from(validity_days));
        check_validity(self, now, not_after)?;
        let fail = |e: rcgen::Error| Error::Certificate {
            cert: common_name.to_string(),
            reason: e.to_string(),
        };
        let leaf_key = PrivateKey::generate(KeyAlgorithm::EcdsaP256)?;
        let mut params = CertificateParams::default();
        params.distinguished_name = DistinguishedName::new();
        params
            .distinguished_name
            .push(DnType::CommonName, common_name);
        params.is_ca = IsCa::ExplicitNoCa;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![
            ExtendedKeyUsagePurpose::ServerAuth,
            ExtendedKeyUsagePurpose::ClientAuth,
        ];
        params.subject_alt_names = vec![SanType::IpAddress(ip)];
        params.not_before = now - crate::issue::CLOCK_SKEW;
        params.not_after = not_after;
        let mut serial = [0u8; 16];
        crate::keys::random_bytes(&mut serial)?;
        serial[0] = (serial[0] & 0x7f) | 1;
        params.serial_number = Some(rcgen::SerialNumber::from_slice(&serial));
        params.use_authority_key_identifier_extension = self.ski.is_some();
        params.key_identifier_method =
            KeyIdMethod::PreSpecified(key_id(leaf_key.public_key_bytes()));
        let ca_key = self.private_key()?;
        let issuer = rcgen::Issuer::new(self.issuer_params(), RcgenKey(&ca_key));
        let cert = params
            .signed_by(&RcgenKey(&leaf_key), &issuer)
            .map_err(fail)?;
        Ok(TestLeaf {
            cert_pem: cert.pem(),
            key_pem: leaf_key.to_pem(),
        })
    }
}
