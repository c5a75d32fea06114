//! What the checks need of a certificate, a key and a CRL, read once from their bytes.

use std::net::IpAddr;

use time::OffsetDateTime;
use x509_parser::extensions::{GeneralName, ParsedExtension};
use x509_parser::prelude::{FromDer, X509Certificate};

use crate::keys::PrivateKey;

/// One certificate as the checks see it.
#[derive(Clone, Debug)]
pub(crate) struct Cert {
    /// Where it came from: the input name, with the block number when one input held several.
    pub source: String,
    /// The subject's CN, or the whole subject when it has none.
    pub cn: String,
    pub subject_raw: Vec<u8>,
    pub issuer_raw: Vec<u8>,
    pub issuer: String,
    /// Lowercase hex ([`crate::crl::serial_hex`]).
    pub serial: String,
    pub not_before: OffsetDateTime,
    pub not_after: OffsetDateTime,
    pub ips: Vec<IpAddr>,
    pub dns: Vec<String>,
    /// Extended key usage present at all, and its serverAuth / clientAuth / any.
    pub eku: Option<(bool, bool, bool)>,
    pub is_ca: bool,
    pub ski: Option<Vec<u8>>,
    pub aki: Option<Vec<u8>>,
    /// The signature algorithm's name when it is one Go refuses (SHA-1, MD5).
    pub weak_signature: Option<&'static str>,
    /// subjectPublicKey bits.
    pub public_key: Vec<u8>,
    /// The certificate itself, for checking who signed it ([`Cert::signed_by`]).
    pub der: Vec<u8>,
}

impl Cert {
    /// Reads a DER certificate; `None` when it is not one.
    pub fn from_der(source: &str, der: &[u8]) -> Option<Cert> {
        let (_, x) = X509Certificate::from_der(der).ok()?;
        let mut c = Cert {
            source: source.to_string(),
            cn: x
                .subject()
                .iter_common_name()
                .next()
                .and_then(|a| a.as_str().ok())
                .map(str::to_string)
                .unwrap_or_else(|| x.subject().to_string()),
            subject_raw: x.subject().as_raw().to_vec(),
            issuer_raw: x.issuer().as_raw().to_vec(),
            issuer: x.issuer().to_string(),
            serial: crate::crl::serial_hex(x.raw_serial()),
            not_before: x.validity().not_before.to_datetime(),
            not_after: x.validity().not_after.to_datetime(),
            ips: Vec::new(),
            dns: Vec::new(),
            eku: None,
            is_ca: false,
            ski: None,
            aki: None,
            weak_signature: match x.signature_algorithm.algorithm.to_id_string().as_str() {
                "1.2.840.113549.1.1.5" | "1.2.840.10045.4.1" | "1.2.840.10040.4.3" => Some("SHA-1"),
                "1.2.840.113549.1.1.4" => Some("MD5"),
                _ => None,
            },
            public_key: x.public_key().subject_public_key.data.to_vec(),
            der: der.to_vec(),
        };
        for e in x.iter_extensions() {
            match e.parsed_extension() {
                ParsedExtension::SubjectAlternativeName(san) => {
                    for n in &san.general_names {
                        match n {
                            GeneralName::DNSName(d) => c.dns.push(d.to_string()),
                            GeneralName::IPAddress(b) => {
                                if let Ok(a) = <[u8; 4]>::try_from(*b) {
                                    c.ips.push(IpAddr::from(a));
                                } else if let Ok(a) = <[u8; 16]>::try_from(*b) {
                                    c.ips.push(IpAddr::from(a));
                                }
                            }
                            _ => {}
                        }
                    }
                }
                ParsedExtension::ExtendedKeyUsage(u) => {
                    c.eku = Some((u.server_auth, u.client_auth, u.any));
                }
                ParsedExtension::BasicConstraints(b) => c.is_ca = b.ca,
                ParsedExtension::SubjectKeyIdentifier(k) => c.ski = Some(k.0.to_vec()),
                ParsedExtension::AuthorityKeyIdentifier(a) => {
                    c.aki = a.key_identifier.as_ref().map(|k| k.0.to_vec());
                }
                _ => {}
            }
        }
        Some(c)
    }

    /// Whether `ca` could have signed this certificate: its issuer is the CA's subject and,
    /// when both say, its authority key id is the CA's key id. (A signature check would need
    /// every algorithm's verifier; names and key ids tell two CAs apart in practice, even two
    /// CAs of one name.)
    pub fn issued_by(&self, ca: &Cert) -> bool {
        if self.issuer_raw != ca.subject_raw {
            return false;
        }
        match (&self.aki, &ca.ski) {
            (Some(a), Some(s)) => a == s,
            _ => true,
        }
    }

    /// Whether `ca`'s key signed this certificate (the signature checked, not the names: two
    /// clusters' roots may share the name `etcd CA root`). `None` when it cannot be told (a
    /// signature algorithm etcd-pki does not check).
    pub fn signed_by(&self, ca: &Cert) -> Option<bool> {
        let (_, me) = X509Certificate::from_der(&self.der).ok()?;
        let (_, them) = X509Certificate::from_der(&ca.der).ok()?;
        match crate::ca_chain::signed_by(&me, &them) {
            Ok(()) => Some(true),
            Err(crate::ca_chain::NotSigned::Mismatch) => Some(false),
            Err(crate::ca_chain::NotSigned::Unchecked(_)) => None,
        }
    }

    /// The SANs as `openssl x509 -ext subjectAltName` lists them.
    pub fn sans(&self) -> String {
        let mut v: Vec<String> = self.dns.iter().map(|d| format!("DNS:{d}")).collect();
        v.extend(self.ips.iter().map(|i| format!("IP:{i}")));
        if v.is_empty() {
            "none".into()
        } else {
            v.join(", ")
        }
    }

    /// Whether the certificate is valid for `host` (an IP or a DNS name) as Go checks it.
    pub fn valid_for(&self, host: &str) -> bool {
        match host.parse::<IpAddr>() {
            Ok(ip) => self.ips.contains(&ip),
            Err(_) => self.dns.iter().any(|d| {
                d.eq_ignore_ascii_case(host)
                    || d.strip_prefix("*.").is_some_and(|rest| {
                        host.split_once('.')
                            .is_some_and(|(_, h)| h.eq_ignore_ascii_case(rest))
                    })
            }),
        }
    }

    /// Whether the key's public half is this certificate's.
    pub fn matches_key(&self, key: &PrivateKey) -> bool {
        crate::ca_import::same_public_key(key, &self.public_key)
    }
}

/// One private key as given.
pub(crate) struct Key {
    pub source: String,
    /// The key, or why it cannot be read (encrypted, damaged).
    pub key: Result<PrivateKey, KeyProblem>,
}

/// Why a key file is of no use to etcd.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum KeyProblem {
    /// It is encrypted: etcd cannot read encrypted keys.
    Encrypted,
    /// It is not a key etcd-pki can read (the reason).
    Unreadable(String),
}

/// One CRL as given.
pub(crate) struct Crl {
    pub source: String,
    /// PEM-wrapped (etcd 3.6+ reads DER only).
    pub pem: bool,
    pub info: crate::crl::CrlInfo,
    pub issuer_raw: Vec<u8>,
    /// Its authorityKeyIdentifier: which CA key signed it, even between two CAs of one name.
    pub aki: Option<Vec<u8>>,
}

impl Crl {
    pub fn from_der(source: &str, der: &[u8], pem: bool) -> Option<Crl> {
        let info = crate::crl::read(der).ok()?;
        let (_, parsed) = x509_parser::parse_x509_crl(der).ok()?;
        let aki = parsed
            .extensions()
            .iter()
            .find_map(|e| match e.parsed_extension() {
                ParsedExtension::AuthorityKeyIdentifier(a) => {
                    a.key_identifier.as_ref().map(|k| k.0.to_vec())
                }
                _ => None,
            });
        Some(Crl {
            source: source.to_string(),
            pem,
            info,
            issuer_raw: parsed.issuer().as_raw().to_vec(),
            aki,
        })
    }
}
