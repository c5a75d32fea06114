//! Signing a leaf under an existing CA with the CA's subject copied byte-for-byte into the
//! leaf's issuer field.
//!
//! Why: Go's crypto/x509 (etcd) finds a certificate's issuer by comparing the raw issuer
//! bytes with the CA's raw subject bytes. rcgen writes the issuer from a `DistinguishedName`
//! (also through `Issuer::from_ca_cert_der`), which keeps each attribute's string type but
//! holds one value per attribute type and one attribute per RDN: a CA named
//! `DC=com, DC=example, CN=Corp CA` (openssl) loses a DC, and one with `OU=a + OU=b` (cfssl
//! and Go write several values of an attribute as one RDN) is refused. So rcgen builds the
//! leaf with a stand-in issuer and an unsigned stand-in signature; here the stand-in issuer is
//! replaced by the CA's own subject bytes and the result is signed, once, with the CA key.

use rcgen::{CertificateParams, DistinguishedName, DnType, Issuer, KeyIdMethod, PublicKeyData};

use crate::keys::PrivateKey;

/// The signature rcgen writes for a key: ECDSA with the curve's hash, RSA PKCS#1 v1.5 with
/// SHA-256 (every signature of pki-core: issue, import, CRLs).
pub(crate) fn rcgen_algorithm(
    algorithm: crate::spec::KeyAlgorithm,
) -> &'static rcgen::SignatureAlgorithm {
    match algorithm {
        crate::spec::KeyAlgorithm::EcdsaP256 => &rcgen::PKCS_ECDSA_P256_SHA256,
        crate::spec::KeyAlgorithm::EcdsaP384 => &rcgen::PKCS_ECDSA_P384_SHA384,
        crate::spec::KeyAlgorithm::Ed25519 => &rcgen::PKCS_ED25519,
        crate::spec::KeyAlgorithm::Rsa2048
        | crate::spec::KeyAlgorithm::Rsa3072
        | crate::spec::KeyAlgorithm::Rsa4096 => &rcgen::PKCS_RSA_SHA256,
    }
}

/// A CA key for rcgen that signs nothing: rcgen lays out the certificate, the real signature
/// comes after the issuer is replaced.
pub(crate) struct Unsigned<'a>(pub(crate) &'a PrivateKey);

impl PublicKeyData for Unsigned<'_> {
    fn der_bytes(&self) -> &[u8] {
        self.0.public_key_bytes()
    }
    fn algorithm(&self) -> &'static rcgen::SignatureAlgorithm {
        rcgen_algorithm(self.0.algorithm())
    }
}

impl rcgen::SigningKey for Unsigned<'_> {
    fn sign(&self, _msg: &[u8]) -> Result<Vec<u8>, rcgen::Error> {
        Ok(Vec::new())
    }
}

/// Signs `params` for `subject_key` under the CA whose subject Name is `issuer_name_der` (raw
/// DER, copied as is) and key is `ca_key`. The authorityKeyIdentifier is `ca_ski` when
/// `params.use_authority_key_identifier_extension` is set. Returns the certificate's DER.
pub(crate) fn sign_with_raw_issuer(
    params: &CertificateParams,
    subject_key: &impl PublicKeyData,
    issuer_name_der: &[u8],
    ca_ski: Option<&[u8]>,
    ca_key: &PrivateKey,
) -> Result<Vec<u8>, String> {
    let mut stand_in = CertificateParams::default();
    stand_in.distinguished_name = DistinguishedName::new();
    stand_in
        .distinguished_name
        .push(DnType::CommonName, "stand-in issuer");
    stand_in.key_identifier_method =
        KeyIdMethod::PreSpecified(ca_ski.map(<[u8]>::to_vec).unwrap_or_default());
    let issuer = Issuer::new(stand_in, Unsigned(ca_key));
    let laid_out = params
        .signed_by(subject_key, &issuer)
        .map_err(|e| e.to_string())?;

    let der = laid_out.der();
    let tbs = tlv(der)
        .and_then(|c| tlv(c.contents))
        .ok_or("rcgen wrote a damaged certificate")?;
    // TBSCertificate: [0] version, serialNumber, signature, issuer, validity, ...
    let issuer_index = if tlv(tbs.contents).map(|f| f.tag) == Some(0xa0) {
        3
    } else {
        2
    };
    resign(der, &[(issuer_index, issuer_name_der)], ca_key)
}

/// Takes a certificate or CRL laid out by rcgen (any signature), puts `fields` into its
/// to-be-signed part — each (index of the field in the TBS SEQUENCE, its new DER, e.g. a CA's
/// raw subject Name) — and signs the result once with `ca_key`. In a TBSCertificate the
/// issuer is field 3 and the subject field 5 (`[0]` version first); in a TBSCertList the issuer
/// is field 2 (version, signature, issuer).
pub(crate) fn resign(
    laid_out: &[u8],
    fields: &[(usize, &[u8])],
    ca_key: &PrivateKey,
) -> Result<Vec<u8>, String> {
    let outer = tlv(laid_out).ok_or("rcgen wrote a damaged certificate")?;
    let tbs = tlv(outer.contents).ok_or("no to-be-signed part")?;
    let signature_algorithm = tlv(tbs.rest).ok_or("no signatureAlgorithm")?.whole;

    let extra: usize = fields.iter().map(|(_, d)| d.len()).sum();
    let mut new_tbs = Vec::with_capacity(tbs.contents.len() + extra);
    let mut rest = tbs.contents;
    let mut index = 0;
    while !rest.is_empty() {
        let field = tlv(rest).ok_or("damaged to-be-signed part")?;
        match fields.iter().find(|(i, _)| *i == index) {
            Some((_, replacement)) => new_tbs.extend_from_slice(replacement),
            None => new_tbs.extend_from_slice(field.whole),
        }
        index += 1;
        rest = field.rest;
    }
    let new_tbs = der_tlv(0x30, &new_tbs);
    let signature = ca_key.sign(&new_tbs)?;
    let mut bits = Vec::with_capacity(signature.len() + 1);
    bits.push(0); // no unused bits
    bits.extend_from_slice(&signature);
    let mut body = new_tbs;
    body.extend_from_slice(signature_algorithm);
    body.extend_from_slice(&der_tlv(0x03, &bits));
    Ok(der_tlv(0x30, &body))
}

/// One DER element split off the front of a buffer.
pub(crate) struct Tlv<'a> {
    /// The tag byte.
    pub tag: u8,
    /// The whole element, header included.
    pub whole: &'a [u8],
    /// Its contents.
    pub contents: &'a [u8],
    /// What follows it.
    pub rest: &'a [u8],
}

/// The first DER element of `input`, or `None` if it does not fit.
pub(crate) fn tlv(input: &[u8]) -> Option<Tlv<'_>> {
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
    Some(Tlv {
        tag,
        whole,
        contents: &whole[header..],
        rest: &input[end..],
    })
}

/// A DER TLV with the definite, shortest length form.
fn der_tlv(tag: u8, contents: &[u8]) -> Vec<u8> {
    let len = contents.len();
    let mut out = Vec::with_capacity(len + 6);
    out.push(tag);
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
    out.extend_from_slice(contents);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Why this file exists: `Issuer::from_ca_cert_der` builds its name with `push` per
    /// attribute, and a second DC (or OU) replaces the first. If rcgen ever keeps both, this
    /// fails and the raw path could go.
    #[test]
    fn rcgen_distinguished_name_keeps_one_value_per_attribute() {
        let mut dn = DistinguishedName::new();
        dn.push(
            DnType::CustomDnType(vec![0, 9, 2342, 19200300, 100, 1, 25]),
            "com",
        );
        dn.push(
            DnType::CustomDnType(vec![0, 9, 2342, 19200300, 100, 1, 25]),
            "example",
        );
        dn.push(DnType::CommonName, "Corp etcd CA");
        assert_eq!(dn.iter().count(), 2);
    }

    #[test]
    fn der_lengths_round_trip() {
        for n in [0usize, 1, 127, 128, 255, 256, 65535, 65536] {
            let t = der_tlv(0x04, &vec![7u8; n]);
            let e = tlv(&t).unwrap();
            assert_eq!(
                (e.tag, e.whole.len(), e.contents.len(), e.rest.len()),
                (4, t.len(), n, 0)
            );
        }
    }
}
