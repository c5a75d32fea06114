//! `etcd-pki revoke` and `etcd-pki rotate-ca`: open the newest bundle, check the CA key
//! against it, write a new full bundle (or a rotation kit). On any refusal nothing is written
//! and the old bundle is only read.

use std::path::{Path, PathBuf};

use pki_core::crl::RevocationReason;
use pki_core::package::OpenedBundle;
use pki_core::revoke::{self, Request, Target};
use pki_core::{CaMaterial, Error, daytwo};
use zeroize::Zeroizing;

use super::{Failure, check_out, read_passphrase, write_new};

/// The options both commands share, and the ones each adds.
#[derive(Default)]
struct Args {
    from: Option<PathBuf>,
    ca_key: Option<PathBuf>,
    pass: Option<PathBuf>,
    out: Option<PathBuf>,
    force: bool,
    targets: Vec<Target>,
    same_key: bool,
    new_ca_key_out: Option<PathBuf>,
    new_pass: Option<PathBuf>,
    no_new_pass: bool,
    previous_done: bool,
}

impl Args {
    fn opened(o: super::cli::Opened) -> Self {
        Args {
            from: Some(o.from),
            ca_key: Some(o.ca_key),
            pass: o.ca_passphrase_file,
            out: o.out,
            force: o.force,
            previous_done: o.previous_rotation_done,
            ..Args::default()
        }
    }
}

/// revoke's targets in the order they were given (`--client a --serial X --client b`): the
/// CRL lists them, and the summary names them, in that order.
fn targets_in_order(a: &super::cli::RevokeArgs, sub: &clap::ArgMatches) -> Vec<Target> {
    let mut at: Vec<(usize, Target)> = Vec::new();
    let mut add = |id: &str, values: &[String], make: fn(String) -> Target| {
        let indices: Vec<usize> = sub
            .indices_of(id)
            .map(Iterator::collect)
            .unwrap_or_default();
        for (i, v) in values.iter().enumerate() {
            at.push((
                indices.get(i).copied().unwrap_or(usize::MAX),
                make(v.clone()),
            ));
        }
    };
    add("client", &a.client, Target::Client);
    add("member", &a.member, Target::Member);
    add("serial", &a.serial, Target::Serial);
    add("unlisted_serial", &a.unlisted_serial, Target::Unlisted);
    add("issuing_ca", &a.issuing_ca, Target::IssuingCa);
    at.sort_by_key(|(i, _)| *i);
    at.into_iter().map(|(_, t)| t).collect()
}

/// The opened bundle and its CA, or why not; `out` checked.
fn open(
    cmd: &str,
    a: &Args,
) -> Result<
    (
        pki_core::package::OpenedBundle,
        pki_core::CaMaterial,
        PathBuf,
    ),
    Failure,
> {
    let need = |v: &Option<PathBuf>, n: &str| {
        v.clone()
            .ok_or_else(|| Failure::Usage(format!("{cmd} needs {n}")))
    };
    let from = need(&a.from, "--from OLD.zip (the newest bundle)")?;
    let ca_key = need(
        &a.ca_key,
        "--ca-key K (the CA key saved beside the first bundle)",
    )?;
    let read = |p: &Path| {
        std::fs::read(p).map_err(|e| Failure::BadInput(format!("cannot read {}: {e}", p.display())))
    };
    let bad = |e: Error| Failure::BadInput(e.to_string());
    let opened = pki_core::package::open(&read(&from)?)
        .map_err(|e| Failure::BadInput(format!("--from {}: {e}", from.display())))?;
    // No --out: named for the cluster, the operation and the generation, in this folder.
    let out = a.out.clone().unwrap_or_else(|| {
        let operation = match cmd {
            "rotate-ca" if a.same_key => "renew-ca",
            other => other,
        };
        PathBuf::from(pki_core::naming::default_bundle_name(
            &opened.state.spec.cluster_name,
            operation,
            pki_core::naming::next_generation(Some(&opened)),
        ))
    });
    if super::same_file::same_file(&out, &from) {
        return Err(Failure::Usage(
            "--out must differ from --from: the old bundle stays as it is".into(),
        ));
    }
    super::out_apart_from_inputs(&out, &ca_key, a.pass.as_deref())?;
    check_out(&out, a.force)?;
    super::lineage::check_opened(&opened.state, &from, a.force)?;
    let key_bytes = Zeroizing::new(read(&ca_key)?);
    let ca = super::unlock::with_passphrase(
        a.pass.as_deref(),
        &ca_key,
        |p| daytwo::unlock_ca(&opened, &key_bytes, p),
        bad,
    )?;
    Ok((opened, ca, out))
}

/// `etcd-pki revoke`.
pub(super) fn revoke_command(
    given: super::cli::RevokeArgs,
    sub: &clap::ArgMatches,
) -> Result<(), Failure> {
    let targets = targets_in_order(&given, sub);
    let reason = match &given.reason {
        Some(r) => RevocationReason::parse(r).map_err(|e| Failure::BadInput(e.to_string()))?,
        None => RevocationReason::Unspecified,
    };
    let next_update_days = given
        .next_update
        .unwrap_or(revoke::DEFAULT_NEXT_UPDATE_DAYS);
    let (root_key, root_pass) = (given.root_key.clone(), given.root_passphrase_file.clone());
    let a = Args {
        targets,
        ..Args::opened(given.opened)
    };
    let (opened, ca, out) = open("revoke", &a)?;
    for (flag, p) in [
        ("--root-key", &root_key),
        ("--root-passphrase-file", &root_pass),
    ] {
        if let Some(p) = p {
            super::same_file::distinct(
                &[("--out", out.as_path()), (flag, p.as_path())],
                "the bundle would be written over it",
            )?;
        }
    }
    refuse_unfinished(
        &opened,
        a.from.as_deref().unwrap_or(Path::new("")),
        a.previous_done,
        "revoke",
    )?;
    let root = match &root_key {
        Some(k) => Some(unlock_root(&opened, k, root_pass.as_deref())?),
        None => None,
    };
    let req = Request {
        targets: a.targets.clone(),
        reason,
        next_update_days,
        force: a.force,
    };
    let (bundle, summary) = revoke::revoke_under_root(
        &opened,
        &ca,
        root.as_ref(),
        &req,
        pki_core::OffsetDateTime::now_utc(),
    )
    .map_err(|e| Failure::BadInput(e.to_string()))?;
    write_new(&out, &bundle.to_zip()?, a.force)?;
    super::lineage::wrote_bundle(&bundle, &out);
    say!("{summary}");
    say!("Wrote {}.", out.display());
    let printed = summary.to_string();
    super::wrote::print(super::wrote::Wrote {
        bundle: &bundle,
        out: &out,
        ca_key: None,
        issued: Some(Vec::new()),
        revoked: &summary.revoked,
        next_steps: super::wrote::command_lines(&printed),
        summary: printed,
        extra: serde_json::json!({
            "crl": {
                "number": summary.crl_number,
                "revoked": summary.total,
                "next_update": summary.next_update,
                "first": summary.first,
            },
            "etcd_users_to_remove": summary.users,
        }),
    });
    Ok(())
}

/// The bundle's root with its key (`--root-key`): the passphrase from
/// `--root-passphrase-file`, else asked on the terminal (etcd-pki always seals a root key).
fn unlock_root(
    opened: &OpenedBundle,
    key_path: &Path,
    pass_file: Option<&Path>,
) -> Result<CaMaterial, Failure> {
    use std::io::IsTerminal;
    let key = Zeroizing::new(
        std::fs::read(key_path)
            .map_err(|e| Failure::BadInput(format!("cannot read {}: {e}", key_path.display())))?,
    );
    let bad = |e: Error| Failure::BadInput(e.to_string());
    let attempt = |p: Option<&[u8]>| daytwo::unlock_root(opened, &key, p);
    if let Some(f) = pass_file {
        let pass = super::unlock::read_file(f)?;
        return attempt(Some(pass.as_bytes())).map_err(bad);
    }
    match attempt(None) {
        Err(Error::CaPassphraseNeeded) if std::io::stdin().is_terminal() => {
            let pass = super::unlock::ask(&format!(
                "Passphrase of the root key {}: ",
                key_path.display()
            ))?;
            attempt(Some(pass.as_bytes())).map_err(bad)
        }
        Err(Error::CaPassphraseNeeded) => Err(Failure::BadInput(format!(
            "the root key {} is encrypted and there is no terminal to ask for its passphrase: \
             give --root-passphrase-file FILE (a file whose first line is the passphrase); \
             nothing was written",
            key_path.display()
        ))),
        other => other.map_err(bad),
    }
}

/// `etcd-pki rotate-ca`: the kit that moves the cluster to a new CA (three phases), or renews
/// its CA certificate with the same key (`--same-key`).
pub(super) fn rotate_command(given: super::cli::RotateCaArgs) -> Result<(), Failure> {
    let a = Args {
        same_key: given.same_key,
        new_ca_key_out: given.new_ca_key_out,
        new_pass: given.new_ca_passphrase_file,
        no_new_pass: given.no_new_ca_passphrase,
        ..Args::opened(given.opened)
    };
    check_rotate_options(&a)?;
    let (opened, ca, out) = open("rotate-ca", &a)?;
    refuse_unfinished_change(&opened, &a)?;
    let now = pki_core::OffsetDateTime::now_utc();
    if a.same_key {
        renew_ca(&opened, &ca, &out, a.force, now)
    } else {
        rotate_to_new_key(&a, &opened, &ca, &out, now)
    }
}

/// Refuses options of rotate-ca that contradict each other.
fn check_rotate_options(a: &Args) -> Result<(), Failure> {
    if a.same_key && (a.new_ca_key_out.is_some() || a.new_pass.is_some() || a.no_new_pass) {
        return Err(Failure::Usage(
            "--same-key keeps the CA key: --new-ca-key-out and the new passphrase options do not apply"
                .into(),
        ));
    }
    if a.no_new_pass && a.new_pass.is_some() {
        return Err(Failure::Usage(
            "--no-new-ca-passphrase and --new-ca-passphrase-file contradict each other; choose one"
                .into(),
        ));
    }
    Ok(())
}

/// Refuses a new kit over the kit of a rotation or renewal not yet done on every member
/// (unless `--previous-rotation-done` says it is).
fn refuse_unfinished_change(opened: &OpenedBundle, a: &Args) -> Result<(), Failure> {
    let from = a.from.as_deref().unwrap_or(Path::new(""));
    refuse_unfinished(opened, from, a.previous_done, "rotate-ca")
}

/// Refuses to make any bundle from a CA rotation kit whose steps may still be running (its
/// spec.json records the rotation), unless `done` (`--previous-rotation-done`) says they are
/// finished on every member: the new bundle would not carry the kit's scripts, and a member
/// half-way through them would be left with neither the old nor the new state.
pub(super) fn refuse_unfinished(
    opened: &OpenedBundle,
    from: &Path,
    done: bool,
    cmd: &str,
) -> Result<(), Failure> {
    let Some(kind) = pki_core::rotate::pending_change(opened) else {
        return Ok(());
    };
    if done {
        return Ok(());
    }
    let last = if kind == "rotation" {
        "rotate/3-drop-old.sh --clients-reissued"
    } else {
        "rotate/renew-ca.sh"
    };
    let why = if cmd == "rotate-ca" {
        format!(
            "a new one before that {kind} is done on every member would leave members with a \
             CA file holding neither CA the new kit expects"
        )
    } else {
        format!(
            "{cmd} makes a bundle without the kit's rotate/ scripts, so a member half-way \
             through the {kind} could not finish it"
        )
    };
    Err(Failure::BadInput(format!(
        "--from {} is the kit of a CA {kind} (rotate-ca): {why}. Finish the {kind} first \
         ({last} on every member, ROTATE.md of the kit), then run this again with \
         --previous-rotation-done; nothing was written",
        from.display()
    )))
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
    rotation_answer(&kit, out, None, &summary);
    Ok(())
}

/// A rotation: a new CA key, written beside the kit like generate's (never over the old
/// one), then the kit.
fn rotate_to_new_key(
    a: &Args,
    opened: &OpenedBundle,
    ca: &CaMaterial,
    out: &Path,
    now: pki_core::OffsetDateTime,
) -> Result<(), Failure> {
    let bad = |e: Error| Failure::BadInput(e.to_string());
    let key_out = new_ca_key_path(a, out, &opened.state.spec.cluster_name)?;
    let passphrase = new_ca_passphrase(a, &key_out)?;
    let plan = daytwo::plan_change(None, &opened.state.spec, &daytwo::Change::Generate, now)
        .map_err(bad)?;
    let keys = pki_core::parallel::generate_keys(&plan.keys_to_make, pki_core::parallel::cores())?;
    let new_key = pki_core::PrivateKey::generate(opened.state.spec.key_algorithm)?;
    let sealing = match &passphrase {
        Some(p) => Some(pki_core::SealingKey::derive(p)?),
        None => None,
    };
    let (kit, summary) =
        pki_core::rotate::rotate_ca(opened, ca, Some(&new_key), keys, now, sealing.as_ref())
            .map_err(bad)?;
    // The key first: a kit whose CA key could not be saved is of no use.
    write_new(&key_out, &kit.ca_key.contents, a.force)?;
    if let Err(e) = write_new(out, &kit.to_zip()?, a.force) {
        let _ = std::fs::remove_file(&key_out);
        return Err(e);
    }
    super::lineage::wrote_bundle(&kit, out);
    say!("{summary}");
    say!(
        "Wrote {} and the new CA key to {}{} (mode 0600): keep it offline, and keep the old one \
         until step 3 is done on every member.",
        out.display(),
        key_out.display(),
        if passphrase.is_some() {
            ", encrypted with your passphrase"
        } else {
            " UNENCRYPTED"
        }
    );
    rotation_answer(&kit, out, Some(&key_out), &summary);
    Ok(())
}

/// rotate-ca's `--json` answer: a same-key renewal issues the CA certificate only, a
/// rotation every certificate.
fn rotation_answer(
    kit: &pki_core::Bundle,
    out: &Path,
    key_out: Option<&Path>,
    summary: &pki_core::rotate::RotateSummary,
) {
    let printed = summary.to_string();
    super::wrote::print(super::wrote::Wrote {
        bundle: kit,
        out,
        ca_key: key_out,
        issued: summary.same_key.then(|| vec!["ca".to_string()]),
        revoked: &[],
        next_steps: super::wrote::command_lines(&printed),
        summary: printed,
        extra: serde_json::json!({
            "same_key": summary.same_key,
            "new_ca": { "subject": summary.new_ca.0, "not_after": summary.new_ca.1 },
            "old_ca_not_after": summary.old_ca_not_after,
            "new_ca_key_encrypted": key_out.map(|_| true),
        }),
    });
}

/// Where the new CA key goes: `--new-ca-key-out`, else `<cluster>-ca-new.key` beside the kit;
/// checked like any output, and never the old key's file.
fn new_ca_key_path(a: &Args, out: &Path, cluster: &str) -> Result<PathBuf, Failure> {
    let key_out = a
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

/// The new CA key's passphrase: none with `--no-new-ca-passphrase`, else the file's, else
/// asked on the terminal; without a terminal, refused.
fn new_ca_passphrase(a: &Args, key_out: &Path) -> Result<Option<Zeroizing<String>>, Failure> {
    use std::io::IsTerminal;
    if a.no_new_pass {
        Ok(None)
    } else if let Some(f) = &a.new_pass {
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

/// `etcd-pki validate --from BUNDLE.zip [--other-ca OTHER.zip]`: the day-two checks of an
/// existing bundle ([`pki_core::package::lints::check_bundle`]); exit 2 on an error.
pub(super) fn validate_bundle(a: super::cli::ValidateArgs) -> Result<(), Failure> {
    let (from, other, json) = (a.from, a.other_ca, a.json.json);
    let open = |p: &Path| -> Result<pki_core::package::OpenedBundle, Failure> {
        let bytes = std::fs::read(p)
            .map_err(|e| Failure::BadInput(format!("cannot read {}: {e}", p.display())))?;
        pki_core::package::open(&bytes)
            .map_err(|e| Failure::BadInput(format!("{}: {e}", p.display())))
    };
    let bundle = open(from.as_deref().unwrap_or(Path::new("")))?;
    let (ca, leaves) = pki_core::package::lints::certs_of(&bundle)?;
    let other_ca_leaves = match &other {
        Some(p) => pki_core::package::lints::other_ca_leaves(&bundle, &open(p)?)
            .map_err(|e| Failure::BadInput(e.to_string()))?,
        None => Vec::new(),
    };
    let crl = bundle
        .files
        .iter()
        .find(|f| f.path.ends_with("/pki/crl.der"))
        .map(|f| pki_core::crl::read(&f.contents))
        .transpose()?;
    let now = pki_core::OffsetDateTime::now_utc();
    let mut report =
        pki_core::package::lints::check_bundle(&pki_core::package::lints::BundleFacts {
            spec: bundle.spec.spec(),
            ca,
            leaves,
            crl: crl.as_ref(),
            other_ca_leaves,
            now,
        });
    report.merge(pki_core::package::chain_lints::check_chain(&bundle, now));
    if json {
        super::json::print(
            "validate",
            serde_json::json!({
                "ok": !report.has_errors(),
                "bundle": from.as_deref().map(|p| p.display().to_string()),
                "certificates": bundle.state.certificates.len() + 1,
                "crl": crl.as_ref().map(|c| serde_json::json!({
                    "number": c.number.unwrap_or(0),
                    "revoked": c.revoked.len(),
                })),
                "errors": report.errors().count(),
                "warnings": report.warnings().count(),
                "problems": report.problems(),
            }),
        );
    } else {
        for p in report.problems() {
            tell!("{p}");
        }
    }
    if report.has_errors() {
        return Err(Failure::BadInput(
            "the bundle has errors (above); fix them before the next operation".into(),
        ));
    }
    if json {
        return Ok(());
    }
    say!(
        "The bundle is sound for day two: {} certificate(s){}, {}.",
        bundle.state.certificates.len() + 1,
        match &crl {
            Some(c) => format!(
                ", CRL number {} with {} revoked serial(s)",
                c.number.unwrap_or(0),
                c.revoked.len()
            ),
            None => String::new(),
        },
        match report.warnings().count() {
            0 => "no warning".to_string(),
            n => format!("{n} warning(s) above"),
        }
    );
    Ok(())
}
