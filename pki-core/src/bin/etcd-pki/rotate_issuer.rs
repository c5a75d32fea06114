//! `etcd-pki rotate-issuer`: a new issuing CA under the same root and every leaf under it, as
//! a kit whose scripts swap the files in place with no restart
//! ([`pki_core::rotate::rotate_issuer`]). Needs the root key (offline the rest of the time);
//! the old issuing CA key is not needed. Writes the new issuing CA key beside the kit, like
//! rotate-ca. On any refusal nothing is written and the old bundle is only read.

use std::path::{Path, PathBuf};

use pki_core::Error;
use zeroize::Zeroizing;

use super::{Failure, check_out, read_passphrase, write_new};

/// `etcd-pki rotate-issuer`.
pub(super) fn rotate_issuer_command(a: super::cli::RotateIssuerArgs) -> Result<(), Failure> {
    let bad = |e: Error| Failure::BadInput(e.to_string());
    let read = |p: &Path| {
        std::fs::read(p).map_err(|e| Failure::BadInput(format!("cannot read {}: {e}", p.display())))
    };
    let mut opened = pki_core::package::open(&read(&a.from)?)
        .map_err(|e| Failure::BadInput(format!("--from {}: {e}", a.from.display())))?;
    super::revocation::refuse_unfinished(
        &opened,
        &a.from,
        a.previous_rotation_done,
        "rotate-issuer",
    )?;
    // The operator says the kit's steps are done everywhere: it is a bundle like any other.
    opened.state.rotation = None;
    let cluster = opened.state.spec.cluster_name.clone();
    let out = a.out.clone().unwrap_or_else(|| {
        PathBuf::from(pki_core::naming::default_bundle_name(
            &cluster,
            "rotate-issuer",
            pki_core::naming::next_generation(Some(&opened)),
        ))
    });
    let key_out = a
        .new_ca_key_out
        .clone()
        .unwrap_or_else(|| super::beside(&out, &format!("{cluster}-ca-new.key")));
    check_paths(&a, &out, &key_out)?;
    super::lineage::check_opened(&opened.state, &a.from, a.force)?;
    let now = pki_core::OffsetDateTime::now_utc();
    // The refusals that need no key come first: nobody is asked for a passphrase in vain.
    let plan =
        pki_core::rotate::plan_issuer_rotation_with(&opened, now, a.keep_keys).map_err(bad)?;
    let root_key = Zeroizing::new(read(&a.root_key)?);
    let root = unlock_root(&a, &opened, &root_key)?;
    let passphrase = new_key_passphrase(&a, &key_out)?;
    let sealing = match &passphrase {
        Some(p) => Some(pki_core::SealingKey::derive(p)?),
        None => None,
    };
    let keys = pki_core::parallel::generate_keys(&plan.keys_to_make, pki_core::parallel::cores())?;
    let new_key = pki_core::PrivateKey::generate(opened.state.spec.key_algorithm)?;
    let (kit, summary) = pki_core::rotate::rotate_issuer_with(
        &opened,
        &root,
        &new_key,
        keys,
        now,
        sealing.as_ref(),
        a.keep_keys,
    )
    .map_err(bad)?;
    // The key first: a kit whose issuing CA key could not be saved is of no use.
    write_new(&key_out, &kit.ca_key.contents, a.force)?;
    if let Err(e) = write_new(&out, &kit.to_zip()?, a.force) {
        let _ = std::fs::remove_file(&key_out);
        return Err(e);
    }
    super::lineage::wrote_bundle(&kit, &out);
    let shown = |p: &Path| p.display().to_string();
    let (kit_path, new_key, root_key_path) = (shown(&out), shown(&key_out), shown(&a.root_key));
    let (ca_pass, root_pass) = (
        a.ca_passphrase_file.as_deref().map(shown),
        a.root_passphrase_file.as_deref().map(shown),
    );
    let printed = summary.with_paths(pki_core::rotate::RevokeFiles {
        kit: &kit_path,
        ca_key: &new_key,
        ca_passphrase_file: ca_pass.as_deref(),
        root_key: &root_key_path,
        root_passphrase_file: root_pass.as_deref(),
    });
    say!("{printed}");
    say!(
        "Wrote {} and the new issuing CA key to {}{} (mode 0600): it is the --ca-key of every \
         day-two command from now on. Keep the old one until the old issuing CA is revoked; put \
         the root key back offline.",
        out.display(),
        key_out.display(),
        if passphrase.is_some() {
            ", encrypted with your passphrase"
        } else {
            " UNENCRYPTED"
        }
    );
    super::wrote::print(super::wrote::Wrote {
        bundle: &kit,
        out: &out,
        ca_key: Some(&key_out),
        issued: None,
        revoked: &[],
        next_steps: super::wrote::command_lines(&printed),
        summary: printed,
        extra: serde_json::json!({
            "root": summary.root,
            "new_issuing_ca": { "subject": summary.new_issuer.0, "not_after": summary.new_issuer.1 },
            "old_issuing_ca": {
                "subject": summary.old_issuer.0,
                "serial": summary.old_issuer.1,
                "not_after": summary.old_issuer.2,
            },
            "new_ca_key_encrypted": passphrase.is_some(),
            "keys_kept": summary.keys_kept,
        }),
    });
    Ok(())
}

/// `--out`, the new key's file and the inputs are distinct files; neither output exists
/// (unless `--force`).
fn check_paths(
    a: &super::cli::RotateIssuerArgs,
    out: &Path,
    key_out: &Path,
) -> Result<(), Failure> {
    if super::same_file::same_file(out, &a.from) {
        return Err(Failure::Usage(
            "--out must differ from --from: the old bundle stays as it is".into(),
        ));
    }
    check_out(out, a.force)?;
    check_out(key_out, a.force)?;
    super::same_file::distinct(
        &[("--out", out), ("--new-ca-key-out", key_out)],
        "the new issuing CA key needs a file of its own",
    )?;
    let inputs = [
        ("--from", Some(a.from.as_path())),
        ("--root-key", Some(a.root_key.as_path())),
        ("--root-passphrase-file", a.root_passphrase_file.as_deref()),
        ("--ca-passphrase-file", a.ca_passphrase_file.as_deref()),
    ];
    for (flag, p) in inputs {
        if let Some(p) = p {
            for (o, path) in [("--out", out), ("--new-ca-key-out", key_out)] {
                super::same_file::distinct(&[(o, path), (flag, p)], "it would be written over")?;
            }
        }
    }
    Ok(())
}

/// The bundle's root with its key: the passphrase from `--root-passphrase-file`, else asked on
/// the terminal when the key is encrypted (the root key always is when etcd-pki made it).
fn unlock_root(
    a: &super::cli::RotateIssuerArgs,
    opened: &pki_core::package::OpenedBundle,
    key: &[u8],
) -> Result<pki_core::CaMaterial, Failure> {
    use std::io::IsTerminal;
    let bad = |e: Error| Failure::BadInput(e.to_string());
    let attempt = |p: Option<&[u8]>| pki_core::rotate::unlock_root(opened, key, p);
    if let Some(f) = &a.root_passphrase_file {
        let pass = super::unlock::read_file(f)?;
        return attempt(Some(pass.as_bytes())).map_err(bad);
    }
    match attempt(None) {
        Err(Error::CaPassphraseNeeded) if std::io::stdin().is_terminal() => {
            let pass = super::unlock::ask(&format!(
                "Passphrase of the root key {}: ",
                a.root_key.display()
            ))?;
            attempt(Some(pass.as_bytes())).map_err(bad)
        }
        Err(Error::CaPassphraseNeeded) => Err(Failure::BadInput(format!(
            "the root key {} is encrypted and there is no terminal to ask for its passphrase: \
             give --root-passphrase-file FILE (a file whose first line is the passphrase); \
             nothing was written",
            a.root_key.display()
        ))),
        other => other.map_err(bad),
    }
}

/// The new issuing CA key's passphrase: none with `--no-ca-passphrase`, else the file's, else
/// asked on the terminal; without a terminal, refused.
fn new_key_passphrase(
    a: &super::cli::RotateIssuerArgs,
    key_out: &Path,
) -> Result<Option<Zeroizing<String>>, Failure> {
    use std::io::IsTerminal;
    if a.no_ca_passphrase {
        Ok(None)
    } else if let Some(f) = &a.ca_passphrase_file {
        Ok(Some(read_passphrase(f)?))
    } else if std::io::stdin().is_terminal() {
        Ok(Some(super::ask_passphrase()?))
    } else {
        Err(Failure::BadInput(format!(
            "the new issuing CA key is written to {} encrypted with a passphrase, and there is \
             no terminal to ask for one: give --ca-passphrase-file FILE, or --no-ca-passphrase \
             to write it unencrypted; nothing was written",
            key_out.display()
        )))
    }
}
