//! rcgen's `Issuer` for a CA given as DER. rcgen can build one itself only with its
//! `x509-parser` feature, which needs ring (a C compiler for wasm32); this reads the same
//! three things with x509-parser: the subject, attribute by attribute with its string type kept
//! (so a leaf's issuer field is the CA's subject field byte for byte), the subject key
//! identifier (a leaf's authority key identifier) and the key usages.

use rcgen::KeyUsagePurpose as Ku;
use rcgen::string::{BmpString, Ia5String, PrintableString, TeletexString, UniversalString};
use rcgen::{CertificateParams, DistinguishedName, DnType, DnValue, Issuer, KeyIdMethod};
use x509_parser::der_parser::asn1_rs::Tag;
use x509_parser::extensions::ParsedExtension;
use x509_parser::prelude::{FromDer, X509Certificate};

use super::{RcgenKey, key_id};
use crate::error::Error;
use crate::keys::PrivateKey;

fn bad(reason: impl Into<String>) -> Error {
    Error::Certificate {
        cert: "ca.crt".into(),
        reason: reason.into(),
    }
}

/// The issuer of every leaf: the CA certificate `der` with its key `key`. Refuses a
/// certificate that is no CA, or a key that is not the certificate's.
pub(super) fn from_ca_der<'k>(
    der: &[u8],
    key: &'k PrivateKey,
) -> Result<Issuer<'static, RcgenKey<'k>>, Error> {
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
    let mut params = CertificateParams::default();
    params.distinguished_name = subject(&x)?;
    let mut ski = None;
    for ext in x.extensions() {
        match ext.parsed_extension() {
            ParsedExtension::SubjectKeyIdentifier(id) => ski = Some(id.0.to_vec()),
            ParsedExtension::KeyUsage(ku) => params.key_usages = key_usages(ku),
            _ => {}
        }
    }
    params.key_identifier_method = KeyIdMethod::PreSpecified(ski.unwrap_or_else(|| key_id(key)));
    Ok(Issuer::new(params, RcgenKey(key)))
}

fn subject(x: &X509Certificate<'_>) -> Result<DistinguishedName, Error> {
    let mut dn = DistinguishedName::new();
    for rdn in x.subject().iter() {
        let mut attrs = rdn.iter();
        let (Some(attr), None) = (attrs.next(), attrs.next()) else {
            return Err(bad(
                "its subject has a multi-valued name part, which etcd-pki cannot copy",
            ));
        };
        let oid: Vec<u64> = attr
            .attr_type()
            .iter()
            .ok_or_else(|| bad("its subject has an attribute type etcd-pki cannot read"))?
            .collect();
        let data = attr.attr_value().data;
        let text = || std::str::from_utf8(data).map_err(|_| bad("its subject is not valid text"));
        let invalid = |e: rcgen::Error| bad(format!("its subject: {e}"));
        let value = match attr.attr_value().header.tag() {
            Tag::PrintableString => {
                DnValue::PrintableString(PrintableString::try_from(text()?).map_err(invalid)?)
            }
            Tag::Utf8String => DnValue::Utf8String(text()?.to_string()),
            Tag::Ia5String => DnValue::Ia5String(Ia5String::try_from(text()?).map_err(invalid)?),
            Tag::T61String => {
                DnValue::TeletexString(TeletexString::try_from(text()?).map_err(invalid)?)
            }
            Tag::BmpString => {
                DnValue::BmpString(BmpString::from_utf16be(data.to_vec()).map_err(invalid)?)
            }
            Tag::UniversalString => DnValue::UniversalString(
                UniversalString::from_utf32be(data.to_vec()).map_err(invalid)?,
            ),
            _ => return Err(bad("its subject uses a string type etcd-pki cannot copy")),
        };
        dn.push(DnType::from_oid(&oid), value);
    }
    Ok(dn)
}

fn key_usages(ku: &x509_parser::extensions::KeyUsage) -> Vec<Ku> {
    [
        (ku.digital_signature(), Ku::DigitalSignature),
        (ku.non_repudiation(), Ku::ContentCommitment),
        (ku.key_encipherment(), Ku::KeyEncipherment),
        (ku.data_encipherment(), Ku::DataEncipherment),
        (ku.key_agreement(), Ku::KeyAgreement),
        (ku.key_cert_sign(), Ku::KeyCertSign),
        (ku.crl_sign(), Ku::CrlSign),
        (ku.encipher_only(), Ku::EncipherOnly),
        (ku.decipher_only(), Ku::DecipherOnly),
    ]
    .into_iter()
    .filter_map(|(set, usage)| set.then_some(usage))
    .collect()
}
