//! The whole pipeline in one call, for the CLI, the page and anyone who wants a bundle from a
//! spec: validate → plan → make the CA → issue → render → package. Each call here is a
//! stage's function; nothing is decided in this file.

use time::OffsetDateTime;

use crate::error::Error;
use crate::issue;
use crate::keys::{Keys, PrivateKey};
use crate::package;
pub use crate::package::Bundle;
use crate::plan::{self, MemberPlan};
pub use crate::plan::{KeyRequest, Owner, Role};
use crate::render;
pub use crate::render::BundleFile;
use crate::sealing::SealingKey;
use crate::spec::ClusterSpec;
use crate::validate::ValidatedSpec;

pub use crate::issue::rfc3339;

/// The keys a spec needs, CA's first ([`plan::key_requests`]).
pub fn key_plan(spec: &ClusterSpec) -> Vec<KeyRequest> {
    plan::key_requests(spec)
}

/// Validates and generates, with fresh keys from the platform CSPRNG and the current time.
/// Keys are made on every core first (`parallel.rs`), then signed and laid out. The CA key
/// file is plain PEM; [`generate_sealed`] writes it encrypted.
pub fn generate(spec: &ClusterSpec) -> Result<Bundle, Error> {
    generate_sealed(spec, None)
}

/// [`generate`], with the CA key file sealed under `sealing` when given
/// ([`SealingKey::derive`] from the passphrase): the plan says so before anything is
/// rendered, so the README states it in the same pass and no file is written twice.
pub fn generate_sealed(spec: &ClusterSpec, sealing: Option<&SealingKey>) -> Result<Bundle, Error> {
    generate_sealed_apart(spec, sealing, None)
}

/// [`generate_sealed`], with the root key file (`root+issuing`) sealed under `root_sealing`
/// (a passphrase of its own: the root is kept offline, apart from the day-to-day CA key);
/// `None` seals it under `sealing`, as [`generate_sealed`] does.
pub fn generate_sealed_apart(
    spec: &ClusterSpec,
    sealing: Option<&SealingKey>,
    root_sealing: Option<&SealingKey>,
) -> Result<Bundle, Error> {
    // Bad input costs no key generation.
    let plan = plan::plan(&ValidatedSpec::new(spec)?).seal_ca_key(sealing.is_some());
    let keys = crate::parallel::generate_keys(&plan.keys, crate::parallel::cores())?;
    build(
        &plan,
        &keys,
        OffsetDateTime::now_utc(),
        sealing,
        root_sealing,
    )
}

/// Validates and generates with keys supplied by `key_for` (called once per
/// [`key_plan`] entry) at time `now`. Nothing is produced unless everything is.
pub fn generate_with_keys(
    spec: &ClusterSpec,
    now: OffsetDateTime,
    key_for: impl FnMut(&KeyRequest) -> Result<PrivateKey, Error>,
) -> Result<Bundle, Error> {
    generate_with_keys_sealed(spec, now, None, key_for)
}

/// [`generate_with_keys`], with the CA key file sealed under `sealing` when given (the page:
/// its keys made by its workers, the sealing key derived while the person typed).
pub fn generate_with_keys_sealed(
    spec: &ClusterSpec,
    now: OffsetDateTime,
    sealing: Option<&SealingKey>,
    key_for: impl FnMut(&KeyRequest) -> Result<PrivateKey, Error>,
) -> Result<Bundle, Error> {
    generate_with_keys_sealed_apart(spec, now, sealing, None, key_for)
}

/// [`generate_with_keys_sealed`], with the root key file sealed under `root_sealing` (the
/// page: the root's own passphrase); `None` seals it under `sealing`.
pub fn generate_with_keys_sealed_apart(
    spec: &ClusterSpec,
    now: OffsetDateTime,
    sealing: Option<&SealingKey>,
    root_sealing: Option<&SealingKey>,
    mut key_for: impl FnMut(&KeyRequest) -> Result<PrivateKey, Error>,
) -> Result<Bundle, Error> {
    let plan = plan::plan(&ValidatedSpec::new(spec)?).seal_ca_key(sealing.is_some());
    let mut keys = Keys::new();
    for req in &plan.keys {
        keys.insert(req.id.clone(), key_for(req)?);
    }
    build(&plan, &keys, now, sealing, root_sealing)
}

/// A new CA from the plan's CA key (with `root+issuing`, a new root from the root key and
/// the issuing CA under it), then every later stage. The root key file is sealed under
/// `root_sealing`, else under `sealing`.
fn build(
    plan: &plan::Plan,
    keys: &Keys,
    now: OffsetDateTime,
    sealing: Option<&SealingKey>,
    root_sealing: Option<&SealingKey>,
) -> Result<Bundle, Error> {
    let ca_key = issue::plan_key(plan, keys, &plan.ca.key)?;
    let (ca, root) = match &plan.root {
        None => (issue::new_ca(&plan.ca, ca_key, now)?, None),
        Some(root_plan) => {
            let root_key = issue::plan_key(plan, keys, &root_plan.key)?;
            let root = issue::new_root(root_plan, root_key, now)?;
            (
                issue::new_issuing(&plan.ca, ca_key, &root, now)?,
                Some(root),
            )
        }
    };
    let issued = issue::issue(plan, &ca, keys, now)?;
    let files = render::render(plan, &issued)?;
    let ca_key_file = render::ca_key_file(plan, &ca, sealing)?;
    let root_key_file = render::root_key_file(plan, root.as_ref(), root_sealing.or(sealing))?;
    Ok(package::assemble(
        plan,
        &issued,
        files,
        ca_key_file,
        root_key_file,
    ))
}

/// The member plans the files were rendered from (for callers that show them).
pub fn members(spec: &ClusterSpec) -> Vec<MemberPlan> {
    plan::plan_members(spec)
}
