//! Certificate revocation lists: a DER CRL signed by the cluster's CA, and the same file read
//! back.
//!
//! What etcd does with one (read in etcd's source, 3.4 to 3.7, `client/pkg/transport`):
//! `--client-crl-file` / `--peer-crl-file` (flag or `ETCD_*` env only; the YAML config has no
//! such key) is read again at every new connection, after the handshake, and the connection is
//! closed when a serial number of the peer's chain is listed. Only serials are compared: etcd
//! checks neither the CRL's signature, nor its issuer, nor its next update. From 3.6 on it
//! parses the file with Go's `x509.ParseRevocationList`, which takes **DER only** (3.4/3.5's
//! `x509.ParseCRL` also took PEM), so this module writes DER. A missing or unreadable file
//! rejects every connection. Before 3.5.32 / 3.6.13 (and on all of 3.4), a client listener split
//! by `--listen-client-http-urls` serves gRPC without the check.
//!
//! openssl and every other verifier do check the signature, the issuer and the dates, so the
//! CRL is a proper RFC 5280 v2 CRL all the same: the issuer field copied from the CA
//! certificate's subject (string types kept), thisUpdate and nextUpdate as the person chose,
//! a CRL number, the CA's key identifier as AKI, and per revoked serial its date and reason.
//!
//! ```
//! use pki_core::crl::{self, CrlParams, RevokedCert, RevocationReason};
//! # let bundle = pki_core::generate(&pki_core::ClusterSpec::template())?;
//! # // The CA that signs the leaves signs their CRL: the issuing CA of a root+issuing bundle.
//! # let ca_der = pem::parse(&bundle.file("issuing-ca.crt").unwrap().contents).unwrap().into_contents();
//! # let ca_pem = pem::parse(&bundle.ca_key.contents).unwrap();
//! # let ca_key = pki_core::PrivateKey::from_pkcs8_der(pki_core::KeyAlgorithm::EcdsaP256, ca_pem.contents())?;
//! let now = pki_core::OffsetDateTime::now_utc();
//! let days = |n| pki_core::crl::days(n);
//! let der = crl::sign(
//!     &ca_der,
//!     &ca_key,
//!     &CrlParams {
//!         this_update: now,
//!         next_update: now + days(30),
//!         number: 1,
//!         revoked: vec![RevokedCert {
//!             serial: crl::parse_serial("4A:3F:01")?,
//!             revoked_at: now,
//!             reason: RevocationReason::KeyCompromise,
//!         }],
//!     },
//! )?;
//! let back = crl::read(&der)?;
//! assert_eq!(back.revoked[0].serial, "4a3f01");
//! # Ok::<(), pki_core::Error>(())
//! ```

use rcgen::{
    CertificateParams, CertificateRevocationListParams, DistinguishedName, DnType, Issuer,
    KeyIdMethod, KeyUsagePurpose, RevokedCertParams, SerialNumber,
};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use x509_parser::extensions::ParsedExtension;
use x509_parser::prelude::{FromDer, X509Certificate};

use crate::error::Error;
use crate::keys::PrivateKey;
use crate::raw_issuer::{Unsigned, resign};

/// Why a certificate was revoked (RFC 5280 §5.3.1), as the CLI and `spec.json` spell it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum RevocationReason {
    /// No reason given (RFC 5280 asks to leave the reason out then, and this module does).
    Unspecified,
    /// The certificate's private key leaked or may have.
    KeyCompromise,
    /// The CA's key leaked: rotate the CA as well.
    CaCompromise,
    /// The holder's name or role changed.
    AffiliationChanged,
    /// Replaced by a new certificate (a renewal whose old key must stop working).
    Superseded,
    /// No longer used: a removed member, a retired client.
    CessationOfOperation,
    /// The holder lost the right to use it.
    PrivilegeWithdrawn,
}

impl RevocationReason {
    /// Every reason, in RFC 5280 order.
    pub const ALL: [RevocationReason; 7] = [
        RevocationReason::Unspecified,
        RevocationReason::KeyCompromise,
        RevocationReason::CaCompromise,
        RevocationReason::AffiliationChanged,
        RevocationReason::Superseded,
        RevocationReason::CessationOfOperation,
        RevocationReason::PrivilegeWithdrawn,
    ];

    /// The spelling of the CLI and `spec.json`, e.g. `key-compromise`.
    pub fn as_str(self) -> &'static str {
        match self {
            RevocationReason::Unspecified => "unspecified",
            RevocationReason::KeyCompromise => "key-compromise",
            RevocationReason::CaCompromise => "ca-compromise",
            RevocationReason::AffiliationChanged => "affiliation-changed",
            RevocationReason::Superseded => "superseded",
            RevocationReason::CessationOfOperation => "cessation-of-operation",
            RevocationReason::PrivilegeWithdrawn => "privilege-withdrawn",
        }
    }

    /// Parses [`RevocationReason::as_str`]'s spelling; the error names the accepted ones.
    pub fn parse(s: &str) -> Result<RevocationReason, Error> {
        Self::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| {
                bad(
                    "reason",
                    s,
                    &format!(
                        "is not a revocation reason; use one of {}",
                        Self::ALL.map(Self::as_str).join(", ")
                    ),
                )
            })
    }

    fn code(self) -> rcgen::RevocationReason {
        match self {
            RevocationReason::Unspecified => rcgen::RevocationReason::Unspecified,
            RevocationReason::KeyCompromise => rcgen::RevocationReason::KeyCompromise,
            RevocationReason::CaCompromise => rcgen::RevocationReason::CaCompromise,
            RevocationReason::AffiliationChanged => rcgen::RevocationReason::AffiliationChanged,
            RevocationReason::Superseded => rcgen::RevocationReason::Superseded,
            RevocationReason::CessationOfOperation => rcgen::RevocationReason::CessationOfOperation,
            RevocationReason::PrivilegeWithdrawn => rcgen::RevocationReason::PrivilegeWithdrawn,
        }
    }
}

impl std::fmt::Display for RevocationReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One revoked certificate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RevokedCert {
    /// Its serial number, big-endian bytes without leading zeros (see [`parse_serial`]).
    pub serial: Vec<u8>,
    /// When it was revoked.
    pub revoked_at: OffsetDateTime,
    /// Why.
    pub reason: RevocationReason,
}

/// What a CRL says; plain data, chosen by the person (the dates) and kept by the bundle (the
/// number and the list).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CrlParams {
    /// When this CRL was issued.
    pub this_update: OffsetDateTime,
    /// By when the next one will be: verifiers other than etcd refuse the CRL after it.
    pub next_update: OffsetDateTime,
    /// The CRL number: one more than the last CRL of this CA (RFC 5280 §5.2.3).
    pub number: u64,
    /// Every revoked certificate of this CA still within its validity.
    pub revoked: Vec<RevokedCert>,
}

/// The longest serial RFC 5280 allows, in bytes.
pub const MAX_SERIAL_BYTES: usize = 20;

/// Reads a serial number as people copy it: hex, with or without colons, either case, an
/// optional `0x`, e.g. `4A3F01` (`openssl x509 -serial`), `4a:3f:01` (`openssl x509 -text`,
/// etcd-pki's manifest). Leading zero bytes are dropped: etcd compares serials as numbers.
pub fn parse_serial(text: &str) -> Result<Vec<u8>, Error> {
    let t = text.trim();
    let t = t
        .strip_prefix("0x")
        .or_else(|| t.strip_prefix("0X"))
        .unwrap_or(t);
    let t = t
        .strip_prefix("serial=")
        .unwrap_or(t)
        .replace([':', ' '], "");
    if t.is_empty() || !t.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(bad(
            "serial",
            text,
            "is not a serial number in hex; write it as openssl prints it, e.g. 4A3F01 or 4a:3f:01",
        ));
    }
    let padded = if t.len() % 2 == 1 { format!("0{t}") } else { t };
    let mut bytes: Vec<u8> = (0..padded.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&padded[i..i + 2], 16).unwrap_or(0))
        .collect();
    while bytes.len() > 1 && bytes[0] == 0 {
        bytes.remove(0);
    }
    if bytes == [0] {
        return Err(bad(
            "serial",
            text,
            "is zero, which no certificate of etcd-pki has",
        ));
    }
    if bytes.len() > MAX_SERIAL_BYTES {
        return Err(bad(
            "serial",
            text,
            "is longer than the 20 bytes RFC 5280 allows; is it a fingerprint rather than a serial?",
        ));
    }
    Ok(bytes)
}

/// A serial as lowercase hex without separators (`4a3f01`): how `spec.json` and messages write it.
pub fn serial_hex(serial: &[u8]) -> String {
    let mut s: String = serial.iter().map(|b| format!("{b:02x}")).collect();
    while s.len() > 2 && s.starts_with("00") {
        s.drain(..2);
    }
    s
}

/// Signs a CRL with the CA whose certificate is `ca_cert_der` and key is `ca_key`, DER.
/// Refused: a key that is not the certificate's, a certificate that is not a CA or may not sign
/// CRLs (a key usage without cRLSign), a next update not after this update, a serial listed
/// twice.
pub fn sign(ca_cert_der: &[u8], ca_key: &PrivateKey, params: &CrlParams) -> Result<Vec<u8>, Error> {
    if params.next_update <= params.this_update {
        return Err(bad(
            "next_update",
            &rfc3339(params.next_update),
            &format!(
                "is not after this update ({}); choose a next update in the future, e.g. 30 days",
                rfc3339(params.this_update)
            ),
        ));
    }
    let mut seen = std::collections::BTreeSet::new();
    for r in &params.revoked {
        let hex = serial_hex(&r.serial);
        if !seen.insert(hex.clone()) {
            return Err(bad(
                "revoked",
                &hex,
                "is listed twice; a serial is revoked once",
            ));
        }
    }
    let ca = ca_facts(ca_cert_der, ca_key)?;
    if ca
        .key_usages
        .is_some_and(|ku| !ku.contains(&KeyUsagePurpose::CrlSign))
    {
        return Err(bad(
            "ca.crt",
            "",
            "may not sign CRLs: its key usage lacks cRLSign (kubeadm's CA, for one); openssl \
             would refuse such a CRL. Rotate to a CA made by etcd-pki (etcd-pki rotate-ca)",
        ));
    }
    // rcgen lays the CRL out under a stand-in issuer; the CA's own subject Name goes in byte
    // for byte (field 2 of TBSCertList) and the result is signed once (raw_issuer.rs says why).
    let mut stand_in = CertificateParams::default();
    stand_in.distinguished_name = DistinguishedName::new();
    stand_in
        .distinguished_name
        .push(DnType::CommonName, "stand-in issuer");
    let laid_out = CertificateRevocationListParams {
        this_update: params.this_update,
        next_update: params.next_update,
        crl_number: SerialNumber::from_slice(&params.number.to_be_bytes()),
        issuing_distribution_point: None,
        revoked_certs: params
            .revoked
            .iter()
            .map(|r| RevokedCertParams {
                serial_number: SerialNumber::from_slice(&r.serial),
                revocation_time: r.revoked_at,
                reason_code: Some(r.reason.code()),
                invalidity_date: None,
            })
            .collect(),
        key_identifier_method: KeyIdMethod::PreSpecified(ca.key_id.clone()),
    }
    .signed_by(&Issuer::new(stand_in, Unsigned(ca_key)))
    .map_err(|e| bad("crl", "", &format!("could not be laid out: {e}")))?;
    resign(laid_out.der(), &[(2, &ca.subject_der)], ca_key)
        .map_err(|e| bad("crl", "", &format!("could not be signed: {e}")))
}

/// What signing under a CA needs of its certificate.
pub(crate) struct CaFacts {
    /// The subject Name, DER, as the certificate holds it.
    pub subject_der: Vec<u8>,
    /// Its subject key identifier (RFC 7093's SHA-256 key id when it has none).
    pub key_id: Vec<u8>,
    /// Whether it has a subject key identifier of its own.
    pub has_ski: bool,
    /// Its key usages, when it lists them.
    pub key_usages: Option<Vec<KeyUsagePurpose>>,
    /// Its basic constraints' path length, when set.
    pub path_len: Option<u32>,
}

/// Reads `der` as a CA certificate whose key is `key`: refuses a certificate that is not a
/// CA or a key that is not its own.
pub(crate) fn ca_facts(der: &[u8], key: &PrivateKey) -> Result<CaFacts, Error> {
    let (_, x) = X509Certificate::from_der(der).map_err(|e| {
        bad(
            "ca.crt",
            "",
            &format!("is not a readable X.509 certificate ({e})"),
        )
    })?;
    if !x.is_ca() {
        return Err(bad(
            "ca.crt",
            "",
            "is not a CA certificate (its basic constraints lack CA:TRUE)",
        ));
    }
    if x.public_key().subject_public_key.data.as_ref() != key.public_key_bytes() {
        return Err(bad(
            "ca key",
            "",
            "does not belong to the CA certificate (their public keys differ): is it the key of \
             another cluster's CA?",
        ));
    }
    let mut ski = None;
    let mut key_usages = None;
    let mut path_len = None;
    for ext in x.extensions() {
        match ext.parsed_extension() {
            ParsedExtension::SubjectKeyIdentifier(id) => ski = Some(id.0.to_vec()),
            ParsedExtension::BasicConstraints(bc) => path_len = bc.path_len_constraint,
            ParsedExtension::KeyUsage(ku) => {
                key_usages = Some(
                    [
                        (ku.digital_signature(), KeyUsagePurpose::DigitalSignature),
                        (ku.key_cert_sign(), KeyUsagePurpose::KeyCertSign),
                        (ku.crl_sign(), KeyUsagePurpose::CrlSign),
                    ]
                    .into_iter()
                    .filter_map(|(on, u)| on.then_some(u))
                    .collect(),
                )
            }
            _ => {}
        }
    }
    Ok(CaFacts {
        subject_der: x.subject().as_raw().to_vec(),
        has_ski: ski.is_some(),
        key_id: ski.unwrap_or_else(|| Sha256::digest(key.public_key_bytes())[..20].to_vec()),
        key_usages,
        path_len,
    })
}

/// A CRL read back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CrlInfo {
    /// The issuer, as `openssl crl -issuer` prints it (RFC 4514 order).
    pub issuer: String,
    /// thisUpdate.
    pub this_update: OffsetDateTime,
    /// nextUpdate (etcd-pki always writes one).
    pub next_update: Option<OffsetDateTime>,
    /// The CRL number, when it fits 64 bits.
    pub number: Option<u64>,
    /// The revoked serials, in the CRL's order.
    pub revoked: Vec<RevokedInfo>,
}

/// One entry of a CRL read back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RevokedInfo {
    /// Lowercase hex, no separators ([`serial_hex`]).
    pub serial: String,
    /// The revocation date.
    pub revoked_at: OffsetDateTime,
    /// The reason code's RFC 5280 number, when present.
    pub reason_code: Option<u8>,
}

/// Reads a DER CRL (what etcd 3.6+ accepts).
pub fn read(der: &[u8]) -> Result<CrlInfo, Error> {
    let (rest, crl) = x509_parser::parse_x509_crl(der).map_err(|e| {
        bad(
            "crl",
            "",
            &format!("is not a DER certificate revocation list ({e})"),
        )
    })?;
    if !rest.is_empty() {
        return Err(bad(
            "crl",
            "",
            "has bytes after the CRL; is it PEM or two files joined?",
        ));
    }
    let time = |t: x509_parser::time::ASN1Time| t.to_datetime();
    Ok(CrlInfo {
        issuer: crl.issuer().to_string(),
        this_update: time(crl.last_update()),
        next_update: crl.next_update().map(time),
        number: crl.crl_number().and_then(|n| u64::try_from(n).ok()),
        revoked: crl
            .iter_revoked_certificates()
            .map(|r| RevokedInfo {
                serial: serial_hex(r.raw_serial()),
                revoked_at: time(r.revocation_date),
                reason_code: r.reason_code().map(|(_, c)| c.0),
            })
            .collect(),
    })
}

/// `n` days, for [`CrlParams::next_update`] (so callers need no `time` dependency).
pub fn days(n: i64) -> time::Duration {
    time::Duration::days(n)
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| t.to_string())
}

fn bad(field: &str, value: &str, reason: &str) -> Error {
    Error::Revocation {
        field: field.to_string(),
        value: value.to_string(),
        reason: reason.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serials_are_read_as_people_copy_them() {
        assert_eq!(parse_serial("4A3F01").unwrap(), vec![0x4a, 0x3f, 0x01]);
        assert_eq!(parse_serial("4a:3f:01").unwrap(), vec![0x4a, 0x3f, 0x01]);
        assert_eq!(parse_serial("0x00ff").unwrap(), vec![0xff]);
        assert_eq!(parse_serial("serial=ABC").unwrap(), vec![0x0a, 0xbc]);
        assert_eq!(serial_hex(&[0x0a, 0xbc]), "0abc");
        for (bad, why) in [
            ("", "not a serial"),
            ("4g", "not a serial"),
            ("00", "zero"),
            (&"ab".repeat(21), "20 bytes"),
        ] {
            let e = parse_serial(bad).unwrap_err().to_string();
            assert!(e.contains("serial") && e.contains(why), "{bad}: {e}");
        }
    }

    #[test]
    fn reasons_round_trip_and_name_the_choices() {
        for r in RevocationReason::ALL {
            assert_eq!(RevocationReason::parse(r.as_str()).unwrap(), r);
            assert_eq!(
                serde_json::to_string(&r).unwrap(),
                format!("\"{}\"", r.as_str())
            );
        }
        let e = RevocationReason::parse("stolen").unwrap_err().to_string();
        assert!(
            e.contains("key-compromise") && e.contains("\"stolen\""),
            "{e}"
        );
    }
}
