//! The admin machine's memory of each line of bundles (the bundles of one cluster, from its
//! `generate` on): the newest generation a command wrote here, with its id and path.
//! A command opening an older generation of a line it has made is refused unless `--force`,
//! naming both: day two from a stale bundle would undo what was done since (members added,
//! certificates revoked). Kept in `$ETCD_PKI_STATE_DIR`, else `$XDG_STATE_HOME/etcd-pki`,
//! else `~/.local/state/etcd-pki`; one small JSON file per line, no key material. A folder
//! that cannot be written (`ETCD_PKI_STATE_DIR=/dev/null`) means no memory at all.

use std::path::{Path, PathBuf};

use pki_core::package::state::BundleState;
use serde::{Deserialize, Serialize};

use super::Failure;

/// What the machine remembers of one line.
#[derive(Debug, Serialize, Deserialize)]
struct Seen {
    generation: u64,
    bundle: String,
    path: String,
}

fn dir() -> Option<PathBuf> {
    let env = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    env("ETCD_PKI_STATE_DIR")
        .or_else(|| env("XDG_STATE_HOME").map(|d| d.join("etcd-pki")))
        .or_else(|| env("HOME").map(|h| h.join(".local/state/etcd-pki")))
}

/// The file of `state`'s line, when it has one (bundles made before lineage have none).
fn file_of(state: &BundleState) -> Option<PathBuf> {
    let root = &state.lineage.as_ref()?.root;
    // The root is hex written by etcd-pki; anything else (a hand-edited spec.json) is not
    // used as a file name.
    if root.is_empty() || !root.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    Some(dir()?.join("lines").join(format!("{root}.json")))
}

fn read(file: &Path) -> Option<Seen> {
    serde_json::from_slice(&std::fs::read(file).ok()?).ok()
}

/// Refuses `state`, opened from `path`, when this machine has written a later generation of
/// its line, unless `force`. Opening alone remembers nothing: a command refused later (a
/// wrong CA key) must not change what the next one is compared with.
pub(super) fn check_opened(state: &BundleState, path: &Path, force: bool) -> Result<(), Failure> {
    let Some(file) = file_of(state) else {
        return Ok(());
    };
    let generation = state.generation();
    if let Some(seen) = read(&file)
        && seen.generation > generation
    {
        if !force {
            return Err(Failure::BadInput(format!(
                "{} is generation {generation} (bundle {}) of cluster {}'s bundles, but this \
                 machine has made generation {} (bundle {}, {}): a change from an older bundle \
                 would undo what was done since. Use the newest bundle, or add --force to go \
                 back; nothing was written",
                path.display(),
                state.id(),
                state.spec.cluster_name,
                seen.generation,
                seen.bundle,
                seen.path
            )));
        }
        eprintln!(
            "etcd-pki: --force: going back from generation {} (bundle {}) to generation {generation}",
            seen.generation, seen.bundle
        );
        return Ok(());
    }
    Ok(())
}

/// Remembers the bundle just written to `path`.
pub(super) fn wrote_bundle(bundle: &pki_core::Bundle, path: &Path) {
    if let Ok(state) = bundle.state() {
        wrote(&state, path);
    }
}

/// Remembers the bundle just written to `path` (`state` is its spec.json).
fn wrote(state: &BundleState, path: &Path) {
    if let Some(file) = file_of(state)
        && read(&file).is_none_or(|s| s.generation <= state.generation())
    {
        remember(&file, state, path);
    }
}

/// Best effort: a machine where the state folder cannot be written still works, it only
/// cannot warn later.
fn remember(file: &Path, state: &BundleState, path: &Path) {
    let seen = Seen {
        generation: state.generation(),
        bundle: state.id().to_string(),
        path: std::fs::canonicalize(path)
            .unwrap_or_else(|_| path.to_path_buf())
            .display()
            .to_string(),
    };
    let Some(parent) = file.parent() else { return };
    if std::fs::create_dir_all(parent).is_err() {
        return;
    }
    if let Ok(text) = serde_json::to_vec_pretty(&seen) {
        let tmp = file.with_extension(format!("tmp-{}", std::process::id()));
        if std::fs::write(&tmp, text).is_ok() {
            let _ = std::fs::rename(&tmp, file);
        }
    }
}
