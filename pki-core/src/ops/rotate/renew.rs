//! A same-key renewal of the CA certificate (`rotate-ca --same-key`): the renewed
//! certificate and the plan of the kit that deploys it.

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, IsCa, KeyIdMethod,
    KeyUsagePurpose, SerialNumber,
};
use time::{Duration, OffsetDateTime};

use super::{CLOCK_SKEW, bad, rotation_state};
use crate::crl::ca_facts;
use crate::error::Error;
use crate::keys::{PrivateKey, random_bytes};
use crate::raw_issuer::{Unsigned, resign};

/// The CA certificate `ca_cert_der` renewed with its key `ca_key`: same subject, key, key
/// identifier, path length and key usages; a new random serial; valid from `now` (less five
/// minutes) for `validity_days`. DER.
pub fn renew_ca_same_key(
    ca_cert_der: &[u8],
    ca_key: &PrivateKey,
    now: OffsetDateTime,
    validity_days: u32,
) -> Result<Vec<u8>, Error> {
    if validity_days == 0 || validity_days > 36500 {
        return Err(Error::Revocation {
            field: "validity_days".into(),
            value: validity_days.to_string(),
            reason: "is out of range; use 1 to 36500 days".into(),
        });
    }
    let ca = ca_facts(ca_cert_der, ca_key)?;
    // Leaves carry the old SKI as their AKI: the renewed certificate must have the same one.
    if !ca.has_ski {
        return Err(bad(
            "ca.crt",
            "has no subject key identifier, so a renewed certificate cannot promise to match \
             its leaves' authority key identifier; rotate to a new CA instead",
        ));
    }
    let mut params = CertificateParams::default();
    // A stand-in name: the old subject goes in byte for byte below.
    params.distinguished_name = DistinguishedName::new();
    params
        .distinguished_name
        .push(DnType::CommonName, "stand-in subject");
    params.is_ca = IsCa::Ca(match ca.path_len {
        Some(n) => BasicConstraints::Constrained(n.min(255) as u8),
        None => BasicConstraints::Unconstrained,
    });
    params.key_usages = ca
        .key_usages
        .clone()
        .unwrap_or_else(|| vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign]);
    params.key_identifier_method = KeyIdMethod::PreSpecified(ca.key_id.clone());
    params.not_before = now - CLOCK_SKEW;
    params.not_after = now + Duration::days(i64::from(validity_days));
    let mut serial = [0u8; 16];
    random_bytes(&mut serial)?;
    serial[0] = (serial[0] & 0x7f) | 0x01;
    params.serial_number = Some(SerialNumber::from_slice(&serial));
    let laid_out = params
        .self_signed(&Unsigned(ca_key))
        .map_err(|e| bad("ca.crt", &format!("could not be renewed: {e}")))?;
    // TBSCertificate: [0] version, serial, signature, issuer (3), validity, subject (5).
    resign(
        laid_out.der(),
        &[(3, &ca.subject_der), (5, &ca.subject_der)],
        ca_key,
    )
    .map_err(|e| bad("ca.crt", &format!("could not be signed: {e}")))
}

/// A same-key renewal: the renewed CA certificate in every folder and spec.json, everything
/// else byte for byte.
pub(super) fn same_key_plan(
    opened: &crate::package::OpenedBundle,
    ca: &crate::issue::CaMaterial,
    now: OffsetDateTime,
) -> Result<(crate::issue::CaMaterial, crate::ops::change::ChangePlan), Error> {
    use crate::ops::change::{self, Change};

    let spec = &opened.state.spec;
    let renewed = renew_ca_same_key(&ca.cert_der, &ca.key()?, now, spec.ca_validity_days)?;
    let mut plan = change::plan_change(Some(opened), spec, &Change::Keep, now)?;
    let mut carried = plan.plan.carried.clone();
    carried.rotation = Some(rotation_state(true));
    plan.plan.carry(carried);
    // The renewed certificate is the CA the new bundle is made under: every folder's ca.crt
    // and spec.json's record come from it in one pass.
    let renewed_ca = crate::issue::CaMaterial {
        cert_der: renewed,
        key_pkcs8_der: ca.key_pkcs8_der.clone(),
        chain: Vec::new(),
    };
    Ok((renewed_ca, plan))
}
