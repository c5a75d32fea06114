//! A new issuing CA under the opened bundle's root (the page's "New issuing CA"): pki-core's
//! `rotate::plan_issuer_rotation` says which keys to make, `rotate::rotate_issuer` makes the
//! kit, as `etcd-pki rotate-issuer` does. The root key comes as the file the person gave, with
//! its passphrase (`ca_import::unlock_root` refuses a key that is not the bundle's root's);
//! the new issuing CA key comes back to the page, sealed with the passphrase typed for it.

use pki_core::daytwo::ChangePlan;
use pki_core::keys::Keys;
use pki_core::package::OpenedBundle;
use pki_core::{KeyRequest, OffsetDateTime};
use protocol::{ChangeDone, ChangeRequest, Secrets};

use crate::changes::{Reply, bundle_reply, utf8};

use pki_core::rotate::{plan_issuer_rotation, rotate_issuer, unlock_root};

/// The root key's refusals in the page's words (pki-core's name the command line's flags).
fn root_error(e: &pki_core::Error) -> String {
    match e {
        pki_core::Error::CaPassphraseNeeded => {
            "The root key is encrypted: type its passphrase.".into()
        }
        pki_core::Error::CaPassphraseWrong => {
            "This passphrase does not decrypt the root key: check it and type it again.".into()
        }
        _ => e.to_string(),
    }
}

/// The id of the new issuing CA's key among the keys the page makes.
const NEW_ISSUING_KEY: &str = "rotate/new-issuing-ca";

/// The keys to make: every leaf's (pki-core's plan) and the new issuing CA's.
pub fn plan(opened: &OpenedBundle) -> Result<ChangePlan, String> {
    let now = OffsetDateTime::now_utc();
    let mut plan = plan_issuer_rotation(opened, now).map_err(|e| e.to_string())?;
    plan.keys_to_make.push(KeyRequest {
        id: NEW_ISSUING_KEY.into(),
        label: "the new issuing CA key".into(),
        algorithm: opened.state.spec.key_algorithm,
    });
    Ok(plan)
}

/// The kit: the root unlocked from `root_key` and `root_passphrase`, the new issuing CA made
/// with the key the page made and sealed with `new_passphrase` (unencrypted only when the
/// person chose so), every leaf re-issued with `keys`.
pub fn apply(opened: &OpenedBundle, mut keys: Keys, secrets: &Secrets) -> Result<Reply, String> {
    let Some(root_key) = &secrets.root_key else {
        return Err("the root key did not reach the worker: give the root key file again".into());
    };
    let pass = secrets.root_passphrase.as_deref().map(|p| p.as_slice());
    let root = unlock_root(opened, root_key, pass).map_err(|e| root_error(&e))?;
    let new_key = keys
        .remove(NEW_ISSUING_KEY)
        .ok_or("the new issuing CA key was never made")?;
    let new_passphrase = secrets.new_passphrase.as_deref().map(|p| p.as_slice());
    let sealing = new_passphrase
        .map(|p| pki_core::SealingKey::derive(utf8(p)?).map_err(|e| e.to_string()))
        .transpose()?;
    let now = OffsetDateTime::now_utc();
    let (kit, summary) = rotate_issuer(opened, &root, &new_key, keys, now, sealing.as_ref())
        .map_err(|e| e.to_string())?;
    let done = ChangeDone {
        summary: summary.to_string().trim().to_string(),
    };
    let ca_key = (
        kit.ca_key.path.clone(),
        kit.ca_key.contents.clone(),
        new_passphrase.is_some(),
    );
    bundle_reply(&kit, &ChangeRequest::RotateIssuer, Some(ca_key), done)
}
