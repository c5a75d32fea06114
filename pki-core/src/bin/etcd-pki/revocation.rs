//! `etcd-pki revoke` (and what `rotate-ca`, in rotate_ca.rs, shares with it): open the newest
//! bundle, check the CA key against it, write a new full bundle. On any refusal nothing is
//! written and the old bundle is only read.

use std::path::{Path, PathBuf};

use pki_core::crl::RevocationReason;
use pki_core::package::OpenedBundle;
use pki_core::revoke::{self, Request, Target};
use pki_core::{CaMaterial, Error, daytwo};
use zeroize::Zeroizing;

use super::{Failure, check_out, write_new};

/// The options both commands share, and the ones each adds.
#[derive(Default)]
pub(super) struct Args {
    pub(super) from: Option<PathBuf>,
    pub(super) ca_key: Option<PathBuf>,
    pub(super) pass: Option<PathBuf>,
    pub(super) out: Option<PathBuf>,
    pub(super) force: bool,
    pub(super) targets: Vec<Target>,
    pub(super) same_key: bool,
    pub(super) previous_done: bool,
}

impl Args {
    pub(super) fn opened(o: super::cli::Opened) -> Self {
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
pub(super) fn open(
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
    let issuer = kind == pki_core::rotate::ISSUER_ROTATION;
    let (made_by, guide) = if issuer {
        ("rotate-issuer", "ROTATE-ISSUER.md")
    } else {
        ("rotate-ca", "ROTATE.md")
    };
    let last = match opened.state.rotation.as_ref() {
        Some(r) if issuer => r.last_step.clone(),
        Some(r) => format!("{} on every member", r.last_step),
        None if kind == "rotation" => {
            "rotate/3-drop-old.sh --clients-reissued on every member".into()
        }
        None => "rotate/renew-ca.sh on every member".into(),
    };
    let why = if cmd == "rotate-ca" || cmd == "rotate-issuer" {
        format!(
            "a new kit before that {kind} is done everywhere would leave members with \
             certificates or a CA file the new kit does not expect"
        )
    } else {
        format!(
            "{cmd} makes a bundle without the kit's scripts, so a member half-way through the \
             {kind} could not finish it"
        )
    };
    Err(Failure::BadInput(format!(
        "--from {} is the kit of a CA {kind} ({made_by}): {why}. Finish the {kind} first \
         ({last}; {guide} of the kit), then run this again with --previous-rotation-done; \
         nothing was written",
        from.display()
    )))
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
