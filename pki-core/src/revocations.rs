//! What a bundle carries from the one it is made from (every operation that opens a bundle:
//! revoke, the day-two changes, CA rotations): its revocations and CRL, the certificates of
//! the members that left, its lineage. Decided before anything is issued and handed to the
//! plan ([`crate::plan::Plan::carry`]), so each member's CRL files and settings, rbac.sh and
//! `spec.json` are rendered from it in one pass; nothing is added to a finished bundle. Below
//! [`crate::ops::revoke`] and [`crate::ops::change`], which both use it.

use crate::crl;
use crate::error::Error;
use crate::package::OpenedBundle;
use crate::package::state::{BundleState, Revocations};
use crate::record::Carried;

pub use crate::render::crl::CRL_DROPIN;

/// What a child of `opened` carries: its revocations, the removed members' certificates (and
/// those of the members in `leaving`, which this operation removes), its id as the parent and
/// the next generation.
pub(crate) fn carried(opened: &OpenedBundle, leaving: &[String]) -> Carried {
    let state = &opened.state;
    let now_leaving = state
        .certificates
        .iter()
        .filter(|c| c.member.as_ref().is_some_and(|m| leaving.contains(m)));
    Carried {
        revocations: state.revocations.clone(),
        removed_members: state
            .removed_members
            .iter()
            .chain(now_leaving)
            .cloned()
            .collect(),
        parent: Some(state.id().to_string()).filter(|id| !id.is_empty()),
        root: state
            .lineage
            .as_ref()
            .map(|l| l.root.clone())
            .filter(|r| !r.is_empty()),
        generation: state.generation() + 1,
        rotation: None,
        ca_key_kept: true,
        previous_issuers: state.previous_issuers.clone(),
        root_crl: opened
            .file(crate::plan::paths::files::ROOT_CRL)
            .map(|f| f.contents.to_vec()),
    }
}

/// The CRL (DER) of `opened`, which a child that does not revoke carries byte for byte; none
/// while it has no revocations. Every member folder holds the same CRL: a bundle whose
/// folders disagree was changed after it was made, and is refused.
pub(crate) fn crl_of(opened: &OpenedBundle) -> Result<Option<Vec<u8>>, Error> {
    if opened.state.revocations.is_none() {
        return Ok(None);
    }
    let suffix = format!("/pki/{}", crate::render::crl::CRL_FILE);
    let mut found: Option<&[u8]> = None;
    for f in opened.files.iter().filter(|f| f.path.ends_with(&suffix)) {
        match found {
            None => found = Some(&f.contents),
            Some(first) if first != f.contents.as_slice() => {
                return Err(Error::BadBundle(format!(
                    "{} is not the CRL the other member folders hold: the bundle was changed \
                     after it was made",
                    f.path
                )));
            }
            Some(_) => {}
        }
    }
    found.map(|d| Some(d.to_vec())).ok_or_else(|| {
        Error::BadBundle(format!(
            "spec.json lists revocations but no member folder holds pki/{}",
            crate::render::crl::CRL_FILE
        ))
    })
}

/// The clients of `state` whose current certificate is on `revocations`, compared by serial: a
/// client renewed after its revocation holds a new certificate and is not revoked.
pub(crate) fn revoked_clients(state: &BundleState, revocations: &Revocations) -> Vec<String> {
    let revoked: Vec<Vec<u8>> = revocations
        .revoked
        .iter()
        .filter_map(|r| crl::parse_serial(&r.serial).ok())
        .collect();
    let mut names: Vec<String> = Vec::new();
    for c in &state.certificates {
        if let Some(name) = &c.client
            && crl::parse_serial(&c.serial).is_ok_and(|s| revoked.contains(&s))
            && !names.contains(name)
        {
            names.push(name.clone());
        }
    }
    names
}
