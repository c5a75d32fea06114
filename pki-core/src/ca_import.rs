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
//! The imported CA enters the issue stage as a [`crate::issue::CaMaterial`] (its `cert_der`
//! and `key_pkcs8_der`); that stage copies the CA's subject bytes into each leaf's issuer
//! field (see `raw_issuer.rs` for why rcgen's own issuer is not used).

use std::fmt;

use pkcs8::der::asn1::ObjectIdentifier;
use rcgen::{
    CertificateParams, DistinguishedName, DnType, IsCa, KeyIdMethod, PublicKeyData,
    SignatureAlgorithm,
};
use sha2::{Digest, Sha256};
use time::{Duration, OffsetDateTime};
use x509_parser::der_parser::asn1_rs::Tag;
use x509_parser::extensions::ParsedExtension;
use x509_parser::prelude::{FromDer, X509Certificate};
use x509_parser::x509::{AttributeTypeAndValue, SubjectPublicKeyInfo, X509Name};
use zeroize::Zeroizing;

use crate::ca_key::{
    OID_EC, OID_ED25519, OID_P256, OID_P384, OID_RSA, SUPPORTED, read_key, unsupported_name,
};
use crate::error::Error;
use crate::keys::PrivateKey;
use crate::spec::KeyAlgorithm;

/// An existing CA, read and checked: what the issuing stage signs leaves with.
pub struct ImportedCa {
    /// The CA certificate exactly as given (DER; PEM input is decoded, not re-encoded): the
    /// one whose key was given. Alone, the bundle's `ca.crt` is this certificate.
    pub cert_der: Vec<u8>,
    /// The CA key as PKCS#8 v1 DER, whatever form it came in; wiped on drop.
    pub key_pkcs8_der: Zeroizing<Vec<u8>>,
    /// The CA key's algorithm (an RSA CA's size is its key's).
    pub algorithm: KeyAlgorithm,
    /// The CAs above it when the certificate file held a chain (`issuing CA + root`): their
    /// DER, nearest first, root last; empty for a CA given alone. The bundle's trust files
    /// then hold the root, its leaf files the leaf and this CA.
    pub chain: Vec<Vec<u8>>,
    /// What [`check_validity`] checks of each CA of [`ImportedCa::chain`], in its order.
    pub above: Vec<ChainCa>,
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
    /// What is unusual but accepted about this CA, one sentence each (e.g. a basicConstraints
    /// not marked critical, as easy-rsa writes): for the CLI and the page to show.
    pub warnings: Vec<String>,
}

/// A CA above the imported one, as far as validity goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainCa {
    /// Its subject, for messages.
    pub subject: String,
    /// notBefore.
    pub not_before: OffsetDateTime,
    /// notAfter: leaves must end by then too.
    pub not_after: OffsetDateTime,
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
/// missing or wrong passphrase. What a strict verifier would object to in a CA that etcd
/// accepts goes into [`ImportedCa::warnings`].
///
/// Time is not checked here (the function is pure): call [`check_validity`] with the leaves'
/// notAfter.
pub fn import_ca(cert: &[u8], key: &[u8], passphrase: Option<&[u8]>) -> Result<ImportedCa, Error> {
    let ders = read_certs(cert)?;
    let mut parsed = Vec::with_capacity(ders.len());
    for der in &ders {
        let (_, x) = X509Certificate::from_der(der).map_err(|e| Error::CaUnreadable {
            file: "CA certificate",
            reason: format!("it is not an X.509 certificate in DER ({e})"),
        })?;
        parsed.push(x);
    }
    // A CA alone: its key kind is checked before the key file is read, so that a P-521 CA
    // is named as the certificate's problem.
    if let [only] = parsed.as_slice() {
        key_kind(only.public_key(), &display_name(only.subject()))?;
    }
    let private = read_key(key, passphrase)?;
    let (order, mut warnings) = if parsed.len() == 1 {
        (vec![0], Vec::new())
    } else {
        order_chain(&parsed, &ders, &private)?
    };
    let top = &parsed[order[0]];
    let subject = display_name(top.subject());

    let spki = top.public_key();
    let cert_key_kind = key_kind(spki, &subject)?;

    let mut ca_warnings = check_is_ca(top, &subject)?;
    ca_warnings.append(&mut warnings);
    let mut warnings = ca_warnings;

    check_key_matches(
        &private,
        &spki.subject_public_key.data,
        cert_key_kind,
        &subject,
    )?;

    let ski = subject_key_id(top);
    if ski.is_none() {
        warnings.push(
            "the CA has no subjectKeyIdentifier (Go before 1.15 wrote none), so the \
             certificates carry no authorityKeyIdentifier; etcd accepts them, `openssl verify \
             -x509_strict` does not"
                .to_string(),
        );
    }
    let (not_before, not_after) = validity_of(top);
    let above = order[1..]
        .iter()
        .map(|&i| {
            let (not_before, not_after) = validity_of(&parsed[i]);
            ChainCa {
                subject: display_name(parsed[i].subject()),
                not_before,
                not_after,
            }
        })
        .collect();
    let subject_der = top.subject().as_raw().to_vec();
    drop(parsed);
    Ok(ImportedCa {
        subject_der,
        cert_der: ders[order[0]].clone(),
        chain: order[1..].iter().map(|&i| ders[i].clone()).collect(),
        above,
        key_pkcs8_der: Zeroizing::new(private.pkcs8_der().to_vec()),
        algorithm: private.algorithm(),
        subject,
        not_before,
        not_after,
        ski,
        warnings,
    })
}

fn validity_of(cert: &X509Certificate<'_>) -> (OffsetDateTime, OffsetDateTime) {
    let validity = cert.validity();
    let time = |t: &x509_parser::time::ASN1Time| {
        OffsetDateTime::from_unix_timestamp(t.timestamp()).unwrap_or(OffsetDateTime::UNIX_EPOCH)
    };
    (time(&validity.not_before), time(&validity.not_after))
}

/// A CA certificate file that holds several certificates: the index of the CA whose key is
/// `key` (the issuing CA, which signs etcd's certificates), then the CAs above it up to the
/// self-signed root, each checked to have signed the one below; and the warnings to show (a
/// file listing the root first is sorted, and says so). Refused, naming the certificates: a
/// key that is none of theirs or is a higher CA's, a certificate whose issuer the file does not
/// hold (a gap), one its named issuer did not sign, a path length the chain exceeds, a
/// certificate outside the chain.
fn order_chain(
    certs: &[X509Certificate<'_>],
    ders: &[Vec<u8>],
    key: &PrivateKey,
) -> Result<(Vec<usize>, Vec<String>), Error> {
    let name = |i: usize| display_name(certs[i].subject());
    let names = || {
        (0..certs.len())
            .map(|i| format!("\"{}\"", name(i)))
            .collect::<Vec<_>>()
    };
    let chain_err = |reason: String| Error::CaChain { reason };
    if let Some(i) = (1..ders.len()).find(|&i| ders[..i].contains(&ders[i])) {
        return Err(chain_err(format!(
            "it holds \"{}\" twice: give each certificate once, the issuing CA first, up to \
             the root",
            name(i)
        )));
    }
    let Some(issuing) = certs
        .iter()
        .position(|c| same_public_key(key, &c.public_key().subject_public_key.data))
    else {
        return Err(chain_err(format!(
            "the CA key is the key of none of its {} certificates ({}): give the key of the \
             issuing CA, the one that signs etcd's certificates",
            certs.len(),
            names().join(", ")
        )));
    };
    // The key of a leaf in the file: a member's or client's certificate, not a CA.
    check_is_ca(&certs[issuing], &name(issuing))?;
    // A CA below the key's own in the same file: the key given is a higher CA's.
    if let Some(below) = (0..certs.len()).find(|&i| {
        i != issuing
            && certs[i].is_ca()
            && certs[i].issuer().as_raw() == certs[issuing].subject().as_raw()
            && crate::ca_chain::signed_by(&certs[i], &certs[issuing]).is_ok()
    }) {
        return Err(chain_err(format!(
            "the CA key is the key of \"{}\", which signed \"{}\" in the same file: give the \
             key of \"{}\", the issuing CA that signs etcd's certificates ({} stays offline)",
            name(issuing),
            name(below),
            name(below),
            name(issuing)
        )));
    }
    let mut order = vec![issuing];
    loop {
        let cur = *order.last().unwrap_or(&issuing);
        let c = &certs[cur];
        if crate::ca_chain::self_issued(c) {
            crate::ca_chain::signed_by(c, c).map_err(|why| {
                chain_err(format!(
                    "the root \"{}\" is not signed by its own key: {why}",
                    name(cur)
                ))
            })?;
            break;
        }
        let issuer_name = display_name(c.issuer());
        let Some(up) = (0..certs.len())
            .find(|&j| !order.contains(&j) && certs[j].subject().as_raw() == c.issuer().as_raw())
        else {
            return Err(chain_err(format!(
                "\"{}\" was issued by \"{issuer_name}\", which the file does not hold: the \
                 chain has a gap; add that CA's certificate, and the ones above it up to the \
                 root, to the file",
                name(cur)
            )));
        };
        crate::ca_chain::signed_by(c, &certs[up]).map_err(|why| {
            chain_err(format!(
                "\"{}\" names \"{issuer_name}\" as its issuer, but was not signed by the \
                 \"{issuer_name}\" certificate of the file ({why}): the file mixes CAs of two \
                 chains; give the issuing CA with its own root",
                name(cur)
            ))
        })?;
        let upper = name(up);
        check_is_ca(&certs[up], &upper)?;
        // Every CA already in `order` stands between this one and the leaves.
        let below = u32::try_from(order.len()).unwrap_or(u32::MAX);
        if let Some(p) = crate::ca_chain::path_len(&certs[up])
            && p < below
        {
            return Err(chain_err(format!(
                "\"{upper}\" allows {p} CA(s) between it and the certificates (pathlen {p}), \
                 and the chain puts {below} there: Go refuses every certificate of this chain"
            )));
        }
        order.push(up);
    }
    if let Some(extra) = (0..certs.len()).find(|i| !order.contains(i)) {
        if !certs[extra].is_ca() {
            return Err(chain_err(format!(
                "\"{}\" is not a CA certificate (a member's or a client's?): give the issuing \
                 CA and the CAs above it only",
                name(extra)
            )));
        }
        return Err(chain_err(format!(
            "\"{}\" is not in the chain of the issuing CA \"{}\": give the issuing CA and the \
             CAs above it only",
            name(extra),
            name(issuing)
        )));
    }
    let mut warnings = Vec::new();
    if order != (0..certs.len()).collect::<Vec<_>>() {
        warnings.push(format!(
            "the CA certificate file lists its certificates in another order; etcd-pki uses \
             them issuing CA first, up to the root ({}), as every leaf file it writes does",
            order
                .iter()
                .map(|&i| name(i))
                .collect::<Vec<_>>()
                .join(" → ")
        ));
    }
    let (_, issuing_end) = validity_of(&certs[issuing]);
    for &i in &order[1..] {
        let (_, end) = validity_of(&certs[i]);
        if end < issuing_end {
            warnings.push(format!(
                "\"{}\" ends on {}, before the issuing CA \"{}\" ({}): certificates under it \
                 stop verifying then",
                name(i),
                when(end),
                name(issuing),
                when(issuing_end)
            ));
        }
    }
    Ok((order, warnings))
}

/// The kind of the CA certificate's public key, as [`crate::spec::KeyAlgorithm`] names it
/// (`ecdsa-p256`; `rsa` for any size); refused when etcd-pki cannot sign with it.
fn key_kind(spki: &SubjectPublicKeyInfo<'_>, subject: &str) -> Result<&'static str, Error> {
    let oid = to_oid(&spki.algorithm.algorithm);
    let curve = spki
        .algorithm
        .parameters
        .as_ref()
        .and_then(|p| p.as_oid().ok())
        .and_then(|c| to_oid(&c));
    match (oid, curve) {
        (Some(o), _) if o == OID_RSA => Ok("rsa"),
        (Some(o), Some(c)) if o == OID_EC && c == OID_P256 => Ok("ecdsa-p256"),
        (Some(o), Some(c)) if o == OID_EC && c == OID_P384 => Ok("ecdsa-p384"),
        (Some(o), _) if o == OID_ED25519 => Ok("ed25519"),
        _ => {
            let name = match oid {
                Some(o) => unsupported_name(o, curve),
                None => format!("the public-key algorithm {}", spki.algorithm.algorithm),
            };
            Err(Error::CaUnsupported {
                what: format!(
                    "the CA certificate \"{subject}\" has an {name} key; etcd-pki signs with \
                     {SUPPORTED}"
                ),
            })
        }
    }
}

/// Refuses a key that is not the certificate's; the message names both algorithms when they
/// differ (`cert_key_kind` from [`key_kind`]).
fn check_key_matches(
    private: &PrivateKey,
    cert_public: &[u8],
    cert_key_kind: &str,
    subject: &str,
) -> Result<(), Error> {
    if same_public_key(private, cert_public) {
        return Ok(());
    }
    let key_kind = private.algorithm().as_str();
    let detail = if key_kind.starts_with(cert_key_kind) {
        String::new()
    } else {
        format!(" (the certificate's key is {cert_key_kind}, the key file holds {key_kind})")
    };
    Err(Error::CaKeyMismatch {
        subject: subject.to_string(),
        detail,
    })
}

/// The CA's subjectKeyIdentifier, which the leaves' authorityKeyIdentifier repeats.
fn subject_key_id(parsed: &X509Certificate<'_>) -> Option<Vec<u8>> {
    parsed
        .iter_extensions()
        .find_map(|e| match e.parsed_extension() {
            ParsedExtension::SubjectKeyIdentifier(id) => Some(id.0.to_vec()),
            _ => None,
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
    // The CAs above count as much: Go verifies the whole chain at every handshake.
    for up in &ca.above {
        if now >= up.not_after {
            return Err(Error::CaExpired {
                subject: up.subject.clone(),
                not_after: when(up.not_after),
            });
        }
        if up.not_before > now + crate::issue::CLOCK_SKEW {
            return Err(Error::CaNotYetValid {
                subject: up.subject.clone(),
                not_before: when(up.not_before),
                now: when(now),
            });
        }
        if leaf_not_after > up.not_after {
            return Err(Error::CaOutlived {
                subject: up.subject.clone(),
                ca_not_after: when(up.not_after),
                leaf_not_after: when(leaf_not_after),
                max_days: ca.days_left(now),
            });
        }
    }
    Ok(())
}

impl ImportedCa {
    /// Whole days from `now` until the CA expires (0 if it has): the longest validity, in
    /// days, a leaf issued now may have (what `--cap-validity` uses).
    pub fn days_left(&self, now: OffsetDateTime) -> i64 {
        let end = self
            .above
            .iter()
            .map(|c| c.not_after)
            .fold(self.not_after, OffsetDateTime::min);
        (end - now).whole_days().max(0)
    }

    /// The CA certificate as PEM, the bundle's `ca.crt` (the same DER bytes as given).
    pub fn cert_pem(&self) -> String {
        pem::encode_config(
            &pem::Pem::new("CERTIFICATE", self.cert_der.clone()),
            pem::EncodeConfig::new().set_line_ending(pem::LineEnding::LF),
        )
    }

    /// What the issuing stage signs with: this CA, its key, and the CAs above it.
    pub fn material(&self) -> crate::issue::CaMaterial {
        crate::issue::CaMaterial {
            cert_der: self.cert_der.clone(),
            key_pkcs8_der: self.key_pkcs8_der.clone(),
            chain: self.chain.clone(),
        }
    }

    /// The layout a bundle under this CA has: `root+issuing` when a root came with it (its
    /// trust files then hold the root), `single` for a CA given alone.
    pub fn layout(&self) -> crate::spec::CaLayout {
        if self.chain.is_empty() {
            crate::spec::CaLayout::Single
        } else {
            crate::spec::CaLayout::RootIssuing
        }
    }

    /// The CA key, ready to sign.
    pub(crate) fn private_key(&self) -> Result<PrivateKey, Error> {
        PrivateKey::from_pkcs8_der(self.algorithm, &self.key_pkcs8_der)
    }

    /// Signs a leaf laid out by rcgen from `params` for `subject_key`: its issuer is this CA's
    /// subject, byte-for-byte; its authorityKeyIdentifier this CA's SKI (set
    /// `use_authority_key_identifier_extension` when [`ImportedCa::ski`] is `Some`). Returns
    /// the certificate's DER.
    pub(crate) fn sign_leaf(
        &self,
        params: &CertificateParams,
        subject_key: &impl PublicKeyData,
    ) -> Result<Vec<u8>, String> {
        let ca_key = self.private_key().map_err(|e| e.to_string())?;
        crate::raw_issuer::sign_with_raw_issuer(
            params,
            subject_key,
            &self.subject_der,
            self.ski.as_deref(),
            &ca_key,
        )
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

/// The most certificates a CA certificate file may hold: an issuing CA, two CAs above it,
/// the root. A longer file is a bundle of unrelated certificates, not a chain.
const MAX_CHAIN: usize = 4;

/// The certificates' DER from PEM (`CERTIFICATE` blocks, in file order) or DER input (one).
fn read_certs(input: &[u8]) -> Result<Vec<Vec<u8>>, Error> {
    let text = std::str::from_utf8(input).ok();
    let Some(text) = text.filter(|t| t.contains("-----BEGIN ")) else {
        if input.first() == Some(&0x30) {
            return Ok(vec![input.to_vec()]);
        }
        return Err(cert_unreadable(
            "it is neither PEM (-----BEGIN CERTIFICATE-----) nor DER; give the CA's certificate \
             file (ca.crt, ca.pem)",
        ));
    };
    let blocks = pem::parse_many(text).map_err(|e| cert_unreadable(format!("broken PEM: {e}")))?;
    let certs: Vec<Vec<u8>> = blocks
        .iter()
        .filter(|b| matches!(b.tag(), "CERTIFICATE" | "X509 CERTIFICATE"))
        .map(|b| b.contents().to_vec())
        .collect();
    match certs.len() {
        0 if blocks.iter().any(|b| b.tag().ends_with("PRIVATE KEY")) => Err(cert_unreadable(
            "it holds a private key, not a certificate: were the CA certificate and key files \
             swapped?",
        )),
        0 => Err(cert_unreadable(
            "it holds no -----BEGIN CERTIFICATE----- block",
        )),
        n if n > MAX_CHAIN => Err(cert_unreadable(format!(
            "it holds {n} certificates; give the issuing CA's certificate, alone or followed by \
             the CAs above it up to the root (at most {MAX_CHAIN})"
        ))),
        _ => Ok(certs),
    }
}

/// An x509-parser OID as the RustCrypto type the key side compares with.
fn to_oid(oid: &x509_parser::der_parser::oid::Oid<'_>) -> Option<ObjectIdentifier> {
    ObjectIdentifier::new(&oid.to_id_string()).ok()
}

fn damaged_extension(name: &str, e: x509_parser::error::X509Error) -> Error {
    cert_unreadable(format!("its {name} extension is damaged ({e})"))
}

/// Refuses a certificate that may not sign certificates; returns what a strict verifier would
/// object to in a CA that etcd (Go) accepts.
fn check_is_ca(cert: &X509Certificate<'_>, subject: &str) -> Result<Vec<String>, Error> {
    let mut warnings = Vec::new();
    let strict = "etcd accepts the CA, but `openssl verify -x509_strict` rejects every \
                  certificate under it";
    let not_ca = |reason: &str| Error::NotACa {
        subject: subject.to_string(),
        reason: reason.to_string(),
    };
    let bc = cert
        .basic_constraints()
        .map_err(|e| damaged_extension("basicConstraints", e))?;
    match bc {
        Some(bc) if bc.value.ca => {
            if !bc.critical {
                // easy-rsa 3.1 writes `basicConstraints = CA:TRUE`, not critical.
                warnings.push(format!(
                    "the CA's basicConstraints is not marked critical (RFC 5280 4.2.1.9 asks \
                     for it); {strict}"
                ));
            }
        }
        Some(_) => return Err(not_ca("its basicConstraints says CA:FALSE")),
        None if cert.extensions().is_empty() => {
            return Err(not_ca(
                "it has no extensions (an X.509 v1 certificate), so no basicConstraints CA:TRUE",
            ));
        }
        None => return Err(not_ca("it has no basicConstraints extension with CA:TRUE")),
    }
    // No keyUsage at all means any usage (RFC 5280 4.2.1.3), as `openssl req -x509` writes
    // by default; one without keyCertSign forbids signing certificates.
    let ku = cert
        .key_usage()
        .map_err(|e| damaged_extension("keyUsage", e))?;
    match ku {
        Some(ku) if !ku.value.key_cert_sign() => {
            return Err(not_ca(
                "its keyUsage does not include keyCertSign, so it may not sign certificates",
            ));
        }
        Some(_) => {}
        None => warnings.push(format!(
            "the CA has no keyUsage extension (RFC 5280 4.2.1.3 asks a CA for one with \
             keyCertSign; `openssl req -x509` leaves it out unless told); {strict}"
        )),
    }
    Ok(warnings)
}

pub(crate) fn same_public_key(key: &PrivateKey, cert_public: &[u8]) -> bool {
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
fn attribute_name(attr: &AttributeTypeAndValue<'_>) -> String {
    let oid = attr.attr_type().to_id_string();
    match oid.as_str() {
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
        _ => return oid,
    }
    .to_string()
}

fn value_text(attr: &AttributeTypeAndValue<'_>) -> String {
    let value = attr.attr_value();
    let bytes: &[u8] = value.data;
    match value.tag() {
        Tag::Utf8String | Tag::PrintableString | Tag::Ia5String | Tag::T61String => {
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
/// `CN=…, O=…` for messages. Every control or format character (a line break too: a subject
/// must not forge a line of output) is written as an escape, `\u{a}`.
fn display_name(name: &X509Name<'_>) -> String {
    let text = display_name_raw(name);
    if !text.chars().any(crate::rules::is_invisible) {
        return text;
    }
    text.chars()
        .map(|c| {
            if crate::rules::is_invisible(c) {
                format!("\\u{{{:x}}}", c as u32)
            } else {
                c.to_string()
            }
        })
        .collect()
}

fn display_name_raw(name: &X509Name<'_>) -> String {
    name.iter()
        .map(|rdn| {
            rdn.iter()
                .map(|a| format!("{}={}", attribute_name(a), value_text(a)))
                .collect::<Vec<_>>()
                .join(" + ")
        })
        .collect::<Vec<_>>()
        .join(", ")
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

/// A leaf's key for rcgen: only its public half is used.
struct RcgenKey<'a>(&'a PrivateKey);

impl PublicKeyData for RcgenKey<'_> {
    fn der_bytes(&self) -> &[u8] {
        self.0.public_key_bytes()
    }
    fn algorithm(&self) -> &'static SignatureAlgorithm {
        crate::raw_issuer::rcgen_algorithm(self.0.algorithm())
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

impl fmt::Debug for TestLeaf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TestLeaf")
    }
}

impl ImportedCa {
    /// For the CA-import tests (`tests/etcd/tests/ca_import.rs`), without a whole bundle: signs
    /// an ECDSA P-256 server+client leaf for `ip` as the issue stage signs a member's, with
    /// the issuer copied by [`ImportedCa::sign_leaf`]. Checks validity first.
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
        let der = self
            .sign_leaf(&params, &RcgenKey(&leaf_key))
            .map_err(|reason| Error::Certificate {
                cert: common_name.to_string(),
                reason,
            })?;
        Ok(TestLeaf {
            cert_pem: pem::encode_config(
                &pem::Pem::new("CERTIFICATE", der),
                pem::EncodeConfig::new().set_line_ending(pem::LineEnding::LF),
            ),
            key_pem: leaf_key.to_pem(),
        })
    }
}
