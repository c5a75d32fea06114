//! What a change keeps from the old bundle byte for byte (certificates, keys) and the checks
//! that the CA it signs with is the bundle's and outlives what it issues.

#[allow(unused_imports)]
use super::*;

/// The old bundle's file that holds `content` (by the old plan's paths).
pub(super) fn old_file<'o>(
    opened: &'o OpenedBundle,
    old_plan: &Plan,
    content: &Content,
) -> Option<&'o crate::package::OpenedFile> {
    old_plan
        .files
        .iter()
        .find(|f| f.content == *content)
        .and_then(|f| opened.file(&f.path))
}

pub(super) fn read_key(
    opened: &OpenedBundle,
    old_plan: &Plan,
    req: &KeyRequest,
) -> Result<PrivateKey, Error> {
    let file = old_file(opened, old_plan, &Content::Key(req.id.clone()))
        .ok_or_else(|| Error::BadBundle(format!("the bundle has no key file for {}", req.label)))?;
    let der = pem::parse(file.contents.as_slice())
        .map_err(|e| Error::BadKey {
            key: req.label.clone(),
            reason: format!("{} is not PEM: {e}", file.path),
        })?
        .into_contents();
    let key = PrivateKey::from_pkcs8_der(req.algorithm, &der)?;
    Ok(key)
}

/// Refuses to issue certificates that would outlive the CA signing them (they would stop
/// verifying on the CA's last day, with no warning), naming the CA's end and the two fixes.
pub(super) fn check_within_ca(
    ca: &CaMaterial,
    validity_days: u32,
    now: OffsetDateTime,
) -> Result<(), Error> {
    let cert = ca.cert()?;
    let leaf_end = now + time::Duration::days(i64::from(validity_days));
    if leaf_end <= cert.not_after {
        return Ok(());
    }
    let day = |t: OffsetDateTime| t.date().to_string();
    let max = (cert.not_after - now).whole_days().max(0);
    Err(refuse(
        "cert_validity_days",
        format!(
            "the CA {:?} expires on {}, before certificates issued now for {validity_days} days \
             would ({}), and they would stop verifying that day: renew the CA first \
             (etcd-pki rotate-ca --same-key: one rolling restart, every certificate kept), or \
             set cert_validity_days to at most {max} in the spec; nothing was written",
            cert.info.subject,
            day(cert.not_after),
            day(leaf_end),
        ),
    ))
}

/// Refuses a CA that is not the opened bundle's: its certificate differs and is not a
/// same-key renewal of it (the same subject and public key, which every certificate the old
/// one issued verifies under).
pub(super) fn check_same_ca(o: &OpenedBundle, ca: &CaMaterial) -> Result<(), Error> {
    let bundle_ca = o
        .file(o.state.ca.paths.first().map_or("ca.crt", String::as_str))
        .map(|f| pem::parse(f.contents.as_slice()).map(|p| p.into_contents()));
    if let Some(Ok(der)) = bundle_ca
        && der != ca.cert_der
        && !same_name_and_key(&der, &ca.cert_der)
    {
        return Err(refuse(
            "--ca-key",
            "the CA given is not the CA of the bundle opened",
        ));
    }
    Ok(())
}

/// Whether two certificates have the same subject and public key (a same-key renewal).
pub(super) fn same_name_and_key(a: &[u8], b: &[u8]) -> bool {
    use x509_parser::prelude::{FromDer, X509Certificate};
    match (X509Certificate::from_der(a), X509Certificate::from_der(b)) {
        (Ok((_, a)), Ok((_, b))) => {
            a.subject().as_raw() == b.subject().as_raw() && a.public_key().raw == b.public_key().raw
        }
        _ => false,
    }
}

/// The kept certificates join the issued ones, read from the opened bundle as they are.
pub(super) fn add_kept_certificates(
    issued: &mut issue::Issued,
    o: &OpenedBundle,
    old: &Plan,
    plan: &ChangePlan,
    keys: &Keys,
) -> Result<(), Error> {
    let new_plan = &plan.plan;
    for id in &plan.kept {
        let c = new_plan.certs.iter().find(|c| c.id == *id);
        let file = old_file(o, old, &Content::Cert(id.clone()));
        let (Some(c), Some(file)) = (c, file) else {
            return Err(Error::BadBundle(format!(
                "the bundle has no certificate {id}"
            )));
        };
        let der = pem::parse(file.contents.as_slice())
            .map_err(|e| Error::BadBundle(format!("{} is not PEM: {e}", file.path)))?
            .into_contents();
        let alg = issue::plan_key(new_plan, keys, &c.key)?.algorithm();
        let mut cert = IssuedCert::from_der(der, alg, &c.path)?;
        // The old file's bytes, not a new encoding of the same certificate.
        // With a root, the file is the leaf then its issuing CA: the leaf's own bytes are the
        // first block, and render puts the issuing CA after it again.
        if let Ok(pem) = std::str::from_utf8(&file.contents) {
            const END: &str = "-----END CERTIFICATE-----\n";
            cert.pem = match (issued.root.is_some(), pem.find(END)) {
                (true, Some(at)) => pem[..at + END.len()].to_string(),
                _ => pem.to_string(),
            };
        }
        issued.certs.insert(id.clone(), cert);
    }
    Ok(())
}

/// Kept keys keep the old files' bytes (a key read and written again could be spelled
/// differently): the issue stage hands render the old PEM for each id of `kept`.
pub(crate) fn keep_key_bytes(
    issued: &mut issue::Issued,
    o: &OpenedBundle,
    old: &Plan,
    kept: &[String],
) {
    for id in kept {
        if let Some(f) = old_file(o, old, &Content::Key(id.clone()))
            && let Ok(pem) = std::str::from_utf8(&f.contents)
        {
            issued.keep_private_key_pem(id, pem);
        }
    }
}
