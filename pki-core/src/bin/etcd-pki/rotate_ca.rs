//! `etcd-pki rotate-ca`: the kit that moves a cluster to new CA keys in three phases — in
//! the bundle's layout, or from `single` to `root+issuing` (`--ca-layout`) — or renews a single
//! CA's certificate with the same key (`--same-key`). The new keys are written beside the kit
//! like generate's, never over a file; on any refusal nothing is written.

use std::path::{Path, PathBuf};

use pki_core::options::CaLayout;
use pki_core::package::OpenedBundle;
use pki_core::rotate::{NewCa, NewRoot, RotateSummary};
use pki_core::{CaMaterial, Error, daytwo};
use zeroize::Zeroizing;

use super::revocation::{Args, open, refuse_unfinished};
use super::{Failure, check_out, read_passphrase, write_new};

/// rotate-ca's own options, beside the ones every bundle-opening command has ([`Args`]).
struct Rotation {
    same_key: bool,
    new_ca_key_out: Option<PathBuf>,
    new_pass: Option<PathBuf>,
    no_new_pass: bool,
    layout: Option<CaLayout>,
    root_pass: Option<PathBuf>,
    new_root_key_out: Option<PathBuf>,
}

/// `etcd-pki rotate-ca`: the kit that moves the cluster to a new CA (three phases), or renews
/// its CA certificate with the same key (`--same-key`).
pub(super) fn rotate_command(given: super::cli::RotateCaArgs) -> Result<(), Failure> {
    let r = Rotation {
        same_key: given.same_key,
        new_ca_key_out: given.new_ca_key_out,
        new_pass: given.new_ca_passphrase_file,
        no_new_pass: given.no_new_ca_passphrase,
        // clap allows only the two spellings.
        layout: given.ca_layout.as_deref().and_then(CaLayout::from_name),
        root_pass: given.root_passphrase_file,
        new_root_key_out: given.new_root_key_out,
    };
    let a = Args {
        same_key: r.same_key,
        ..Args::opened(given.opened)
    };
    check_options(&r)?;
    let (opened, ca, out) = open("rotate-ca", &a)?;
    let from = a.from.as_deref().unwrap_or(Path::new(""));
    refuse_unfinished(&opened, from, a.previous_done, "rotate-ca")?;
    let now = pki_core::OffsetDateTime::now_utc();
    if r.same_key {
        renew_ca(&opened, &ca, &out, a.force, now)
    } else {
        rotate_to_new_keys(&a, &r, &opened, &ca, &out, now)
    }
}

/// Refuses options of rotate-ca that contradict each other.
fn check_options(r: &Rotation) -> Result<(), Failure> {
    if r.same_key
        && (r.new_ca_key_out.is_some()
            || r.new_pass.is_some()
            || r.no_new_pass
            || r.layout.is_some()
            || r.root_pass.is_some()
            || r.new_root_key_out.is_some())
    {
        return Err(Failure::Usage(
            "--same-key keeps the CA key and the layout: --new-ca-key-out, --ca-layout, the \
             root options and the new passphrase options do not apply"
                .into(),
        ));
    }
    if r.no_new_pass && r.new_pass.is_some() {
        return Err(Failure::Usage(
            "--no-new-ca-passphrase and --new-ca-passphrase-file contradict each other; choose one"
                .into(),
        ));
    }
    Ok(())
}

/// `--same-key`: the kit of a renewed CA certificate, the key unchanged.
fn renew_ca(
    opened: &OpenedBundle,
    ca: &CaMaterial,
    out: &Path,
    force: bool,
    now: pki_core::OffsetDateTime,
) -> Result<(), Failure> {
    let (kit, summary) =
        pki_core::rotate::rotate_ca(opened, ca, None, pki_core::keys::Keys::new(), now, None)
            .map_err(|e| Failure::BadInput(e.to_string()))?;
    write_new(out, &kit.to_zip()?, force)?;
    super::lineage::wrote_bundle(&kit, out);
    say!("{summary}");
    say!("Wrote {} (the CA key is unchanged).", out.display());
    rotation_answer(&kit, out, (None, None), &summary);
    Ok(())
}

/// A rotation: a new CA key (and with `root+issuing` a new root key), written beside the kit
/// like generate's (never over the old one), then the kit.
fn rotate_to_new_keys(
    a: &Args,
    r: &Rotation,
    opened: &OpenedBundle,
    ca: &CaMaterial,
    out: &Path,
    now: pki_core::OffsetDateTime,
) -> Result<(), Failure> {
    let bad = |e: Error| Failure::BadInput(e.to_string());
    let layout = r.layout.unwrap_or(opened.state.spec.ca_layout);
    if !layout.is_layered() && (r.root_pass.is_some() || r.new_root_key_out.is_some()) {
        return Err(Failure::Usage(format!(
            "--root-passphrase-file and --new-root-key-out are for a root+issuing kit, and this \
             one is single ({}): drop them, or add --ca-layout root+issuing",
            if r.layout.is_some() {
                "--ca-layout single"
            } else {
                "the bundle's layout"
            }
        )));
    }
    let cluster = &opened.state.spec.cluster_name;
    let key_out = new_ca_key_path(a, r, out, cluster)?;
    let root_out = match layout {
        CaLayout::RootIssuing => Some(new_root_key_path(a, r, out, cluster, &key_out)?),
        CaLayout::Single => None,
    };
    let passphrase = new_ca_passphrase(r, &key_out)?;
    let root_pass = match &root_out {
        Some(_) => root_passphrase(r, passphrase.as_ref())?,
        None => None,
    };
    let spec = pki_core::rotate::rotation_spec(opened, layout);
    let plan = daytwo::plan_change(None, &spec, &daytwo::Change::Generate, now).map_err(bad)?;
    let keys = pki_core::parallel::generate_keys(&plan.keys_to_make, pki_core::parallel::cores())?;
    let new_key = pki_core::PrivateKey::generate(spec.key_algorithm)?;
    let root_key = match root_out {
        Some(_) => Some(pki_core::PrivateKey::generate(spec.key_algorithm)?),
        None => None,
    };
    let sealing = match &passphrase {
        Some(p) => Some(pki_core::SealingKey::derive(p)?),
        None => None,
    };
    let root_sealing = match &root_pass {
        Some(p) => Some(pki_core::SealingKey::derive(p)?),
        None => None,
    };
    let new = NewCa {
        key: &new_key,
        root: root_key.as_ref().map(|key| NewRoot {
            key,
            sealing: root_sealing.as_ref(),
        }),
    };
    let (kit, summary) =
        pki_core::rotate::rotate_ca_to(opened, ca, new, keys, now, sealing.as_ref())
            .map_err(bad)?;
    write_keys_and_kit(&kit, out, &key_out, root_out.as_deref(), a.force)?;
    super::lineage::wrote_bundle(&kit, out);
    say!("{summary}");
    say!(
        "Wrote {} and the new {}CA key to {}{} (mode 0600): the CA key of every later day-two \
         command; keep the old one until step 3 is done on every member.",
        out.display(),
        if root_out.is_some() { "issuing " } else { "" },
        key_out.display(),
        if passphrase.is_some() {
            ", encrypted with your passphrase"
        } else {
            " UNENCRYPTED"
        }
    );
    if let Some(p) = &root_out {
        say!(
            "Wrote the new root key to {}{} (mode 0600): it is needed only to make the next \
             issuing CA (etcd-pki rotate-issuer); keep it offline.",
            p.display(),
            if root_pass.is_some() {
                ", encrypted with the root passphrase"
            } else {
                " UNENCRYPTED (--no-new-ca-passphrase and no --root-passphrase-file)"
            }
        );
    }
    rotation_answer(&kit, out, (Some(&key_out), root_out.as_deref()), &summary);
    Ok(())
}

/// The keys first (a kit whose CA key could not be saved is of no use), then the kit; what
/// was written is taken back when a later file fails.
fn write_keys_and_kit(
    kit: &pki_core::Bundle,
    out: &Path,
    key_out: &Path,
    root_out: Option<&Path>,
    force: bool,
) -> Result<(), Failure> {
    write_new(key_out, &kit.ca_key.contents, force)?;
    if let Some(p) = root_out {
        let Some(root) = &kit.root_key else {
            let _ = std::fs::remove_file(key_out);
            return Err(Failure::Other(
                "the kit has no root key to write (a bug: please report it)".into(),
            ));
        };
        if let Err(e) = write_new(p, &root.contents, force) {
            let _ = std::fs::remove_file(key_out);
            return Err(e);
        }
    }
    if let Err(e) = write_new(out, &kit.to_zip()?, force) {
        let _ = std::fs::remove_file(key_out);
        if let Some(p) = root_out {
            let _ = std::fs::remove_file(p);
        }
        return Err(e);
    }
    Ok(())
}

/// rotate-ca's `--json` answer: a same-key renewal issues the CA certificate only, a
/// rotation every certificate. `keys`: the new CA key's and the new root key's paths.
fn rotation_answer(
    kit: &pki_core::Bundle,
    out: &Path,
    keys: (Option<&Path>, Option<&Path>),
    summary: &RotateSummary,
) {
    let printed = summary.to_string();
    super::wrote::print(super::wrote::Wrote {
        bundle: kit,
        out,
        ca_key: keys.0,
        issued: summary.same_key.then(|| vec!["ca".to_string()]),
        revoked: &[],
        next_steps: super::wrote::command_lines(&printed),
        summary: printed,
        extra: serde_json::json!({
            "same_key": summary.same_key,
            "ca_layout": { "from": summary.layouts.0.as_str(), "to": summary.layouts.1.as_str() },
            "new_ca": { "subject": summary.new_ca.0, "not_after": summary.new_ca.1 },
            "new_root": summary.new_root.as_ref().map(|(subject, end)| serde_json::json!({
                "subject": subject, "not_after": end, "key": keys.1,
                "key_encrypted": kit.root_key.as_ref().map(|f| f.text().contains("ENCRYPTED")),
            })),
            "old_ca_not_after": summary.old_ca_not_after,
            "new_ca_key_encrypted": keys.0.map(|_| kit.ca_key_encrypted()),
        }),
    });
}

/// Where the new CA key goes: `--new-ca-key-out`, else `<cluster>-ca-new.key` beside the kit;
/// checked like any output, and never the old key's file.
fn new_ca_key_path(a: &Args, r: &Rotation, out: &Path, cluster: &str) -> Result<PathBuf, Failure> {
    let key_out = r
        .new_ca_key_out
        .clone()
        .unwrap_or_else(|| super::beside(out, &format!("{cluster}-ca-new.key")));
    check_out(&key_out, a.force)?;
    super::same_file::distinct(
        &[("--out", out), ("--new-ca-key-out", key_out.as_path())],
        "the new CA key needs a file of its own",
    )?;
    if let Some(old) = a.ca_key.as_deref()
        && super::same_file::same_file(old, &key_out)
    {
        return Err(Failure::Usage(format!(
            "--new-ca-key-out {} and --ca-key {} are the same file: keep the old CA key until \
             the rotation is done; nothing was written",
            key_out.display(),
            old.display()
        )));
    }
    for (flag, p) in [
        ("--from", a.from.as_deref()),
        ("--ca-passphrase-file", a.pass.as_deref()),
    ] {
        if let Some(p) = p {
            super::same_file::distinct(
                &[("--new-ca-key-out", key_out.as_path()), (flag, p)],
                "the new CA key would be written over it",
            )?;
        }
    }
    Ok(key_out)
}

/// Where the new root key goes (`root+issuing`): `--new-root-key-out`, else
/// `<cluster>-root-ca-new.key` beside the kit; a file of its own, never an input's.
fn new_root_key_path(
    a: &Args,
    r: &Rotation,
    out: &Path,
    cluster: &str,
    key_out: &Path,
) -> Result<PathBuf, Failure> {
    let root_out = r
        .new_root_key_out
        .clone()
        .unwrap_or_else(|| super::beside(out, &format!("{cluster}-root-ca-new.key")));
    check_out(&root_out, a.force)?;
    super::same_file::distinct(
        &[
            ("--out", out),
            ("--new-ca-key-out", key_out),
            ("--new-root-key-out", root_out.as_path()),
        ],
        "the new root key needs a file of its own",
    )?;
    for (flag, p) in [
        ("--from", a.from.as_deref()),
        ("--ca-key", a.ca_key.as_deref()),
        ("--ca-passphrase-file", a.pass.as_deref()),
        ("--root-passphrase-file", r.root_pass.as_deref()),
    ] {
        if let Some(p) = p {
            super::same_file::distinct(
                &[("--new-root-key-out", root_out.as_path()), (flag, p)],
                "the new root key would be written over it",
            )?;
        }
    }
    Ok(root_out)
}

/// The new CA key's passphrase: none with `--no-new-ca-passphrase`, else the file's, else
/// asked on the terminal; without a terminal, refused.
fn new_ca_passphrase(r: &Rotation, key_out: &Path) -> Result<Option<Zeroizing<String>>, Failure> {
    use std::io::IsTerminal;
    if r.no_new_pass {
        Ok(None)
    } else if let Some(f) = &r.new_pass {
        Ok(Some(read_passphrase(f)?))
    } else if std::io::stdin().is_terminal() {
        Ok(Some(super::ask_passphrase()?))
    } else {
        Err(Failure::BadInput(format!(
            "the new CA key is written to {} encrypted with a passphrase, and there is no \
             terminal to ask for one: give --new-ca-passphrase-file FILE, or \
             --no-new-ca-passphrase to write it unencrypted; nothing was written",
            key_out.display()
        )))
    }
}

/// The new root key's passphrase: `--root-passphrase-file`'s first line, else the new CA
/// key's; none (the root key plain, as `generate --no-ca-passphrase` writes it) with
/// `--no-new-ca-passphrase` and no root passphrase file. A file that cannot be read or is
/// shorter than 12 characters is refused.
fn root_passphrase(
    r: &Rotation,
    ca_pass: Option<&Zeroizing<String>>,
) -> Result<Option<Zeroizing<String>>, Failure> {
    match (&r.root_pass, ca_pass) {
        (Some(f), _) => read_passphrase(f).map(Some).map_err(|e| match e {
            Failure::BadInput(m) => {
                Failure::BadInput(m.replace("the CA passphrase", "the root passphrase"))
            }
            other => other,
        }),
        (None, p) => Ok(p.cloned()),
    }
}
