//! `etcd-pki`: the same engine as the page, on the command line.
//!
//! `generate` reads a spec, validates it, and writes the bundle zip; the day-two commands
//! (`add-member`, `remove-member`, `replace-member`, `renew`, `revoke`, `rotate-ca`) open the
//! newest bundle and write a new one. Each prints what it made the way a person would say it.
//! Bad input prints the whole validation report (or the option and the fix) and exits 2
//! without writing.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use pki_core::{Bundle, ClusterSpec, Error};
use zeroize::Zeroizing;

/// `println!` that ignores a closed stdout (`etcd-pki … | head -1`): the files are written
/// by then, and a report cut short must not turn into a panic.
/// Every line goes through [`pki_core::rules::for_terminal`]: what comes from a bundle (names,
/// file names, subjects) reaches the terminal with its control characters escaped.
/// With `--json`, standard output is the JSON answer's alone, and this goes to standard error.
macro_rules! say {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let text = format!($($t)*);
        let text = pki_core::rules::for_terminal(&text);
        if crate::json::on() {
            let _ = writeln!(std::io::stderr(), "{text}");
        } else {
            let _ = writeln!(std::io::stdout(), "{text}");
        }
    }};
}

/// `eprintln!` with [`pki_core::rules::for_terminal`], for messages and problems.
macro_rules! tell {
    ($($t:tt)*) => {{
        let text = format!($($t)*);
        eprintln!("{}", pki_core::rules::for_terminal(&text));
    }};
}

#[path = "etcd-pki/cli.rs"]
mod cli;
#[path = "etcd-pki/doctor.rs"]
mod doctor;
#[path = "etcd-pki/json.rs"]
mod json;
#[path = "etcd-pki/lineage.rs"]
mod lineage;
#[path = "etcd-pki/reference.rs"]
mod reference;
#[path = "etcd-pki/revocation.rs"]
mod revocation;
#[path = "etcd-pki/same_file.rs"]
mod same_file;
#[path = "etcd-pki/status.rs"]
mod status;
#[path = "etcd-pki/unlock.rs"]
mod unlock;
#[path = "etcd-pki/wrote.rs"]
mod wrote;

use clap::FromArgMatches as _;
use cli::Command;

fn main() -> ExitCode {
    let matches = match cli::command().try_get_matches() {
        Ok(m) => m,
        Err(e) => return parse_failed(e),
    };
    let parsed = match cli::Cli::from_arg_matches(&matches) {
        Ok(c) => c,
        Err(e) => return parse_failed(e),
    };
    let Some(command) = parsed.command else {
        // No command: the help, as `etcd-pki` always answered.
        let _ = cli::command().print_long_help();
        return ExitCode::SUCCESS;
    };
    let name = matches.subcommand_name().unwrap_or("").to_string();
    let sub = matches
        .subcommand_matches(&name)
        .cloned()
        .unwrap_or_default();
    if sub.try_get_one::<bool>("json").ok().flatten() == Some(&true) {
        json::turn_on(&name);
    }
    let (code, msg) = match run(command, &sub) {
        Ok(()) => return ExitCode::SUCCESS,
        Err(Failure::Usage(msg)) => (
            2,
            format!("{msg}\n(`etcd-pki {name} --help` lists the options, with examples)"),
        ),
        Err(Failure::BadInput(msg)) => (2, msg),
        Err(Failure::Other(msg)) => (1, msg),
    };
    tell!("etcd-pki: {msg}");
    if json::on() {
        json::failure(&name, &msg, code);
    }
    ExitCode::from(code)
}

/// A command line clap refused (exit 2, the nearest valid option or command named), or
/// `--help`/`--version` (exit 0). With `--json` among the arguments, the refusal is a JSON
/// answer as well.
fn parse_failed(e: clap::Error) -> ExitCode {
    let code = u8::try_from(e.exit_code()).unwrap_or(2);
    if e.use_stderr() {
        let args: Vec<String> = std::env::args().skip(1).collect();
        if args.iter().any(|a| a == "--json" || a == "--json=true") {
            let cmd = args
                .iter()
                .find(|a| !a.starts_with('-'))
                .map_or("", String::as_str);
            json::failure(cmd, e.render().to_string().trim_end(), code);
        }
    }
    let _ = e.print();
    ExitCode::from(code)
}

enum Failure {
    Usage(String),
    BadInput(String),
    Other(String),
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        match e {
            Error::SpecSyntax { .. }
            | Error::SpecTooLarge { .. }
            | Error::SpecLimits { .. }
            | Error::Invalid(_)
            | Error::Passphrase(_) => Failure::BadInput(e.to_string()),
            other => Failure::Other(other.to_string()),
        }
    }
}

/// The options of generate, demo and validate --spec, as given.
#[derive(Default)]
struct Opts {
    spec: Option<String>,
    out: Option<PathBuf>,
    force: bool,
    passphrase_file: Option<PathBuf>,
    no_passphrase: bool,
    ca_key_out: Option<PathBuf>,
    ca_cert: Option<PathBuf>,
    ca_key: Option<PathBuf>,
    from: Option<PathBuf>,
    cap_validity: bool,
    ca_layout: Option<String>,
    root_passphrase_file: Option<PathBuf>,
}

impl From<cli::GenerateArgs> for Opts {
    fn from(a: cli::GenerateArgs) -> Self {
        Opts {
            spec: a.spec,
            out: a.out,
            force: a.force,
            passphrase_file: a.ca_passphrase_file,
            no_passphrase: a.no_ca_passphrase,
            ca_key_out: a.ca_key_out,
            ca_cert: a.ca_cert,
            ca_key: a.ca_key,
            from: a.from,
            cap_validity: a.cap_validity,
            ca_layout: a.ca_layout,
            root_passphrase_file: a.root_passphrase_file,
        }
    }
}

impl From<cli::DemoArgs> for Opts {
    fn from(a: cli::DemoArgs) -> Self {
        Opts {
            out: a.out,
            force: a.force,
            passphrase_file: a.ca_passphrase_file,
            ca_key_out: a.ca_key_out,
            ..Opts::default()
        }
    }
}

/// One line of dispatch per command; `sub` is the command's own matches (for what the typed
/// arguments lose: the order of revoke's targets).
fn run(command: Command, sub: &clap::ArgMatches) -> Result<(), Failure> {
    match command {
        Command::SpecTemplate => {
            say!("{}", ClusterSpec::template().to_json());
            Ok(())
        }
        Command::Validate(a) if a.from.is_some() => revocation::validate_bundle(a),
        Command::Validate(a) => validate_command(a),
        Command::Generate(a) => generate_command(a.into()),
        Command::Demo(a) => demo_command(a.into()),
        Command::AddMember(a) => daytwo_command("add-member", DayTwoArgs::add(a)),
        Command::RemoveMember(a) => daytwo_command("remove-member", DayTwoArgs::remove(a)),
        Command::ReplaceMember(a) => daytwo_command("replace-member", DayTwoArgs::replace(a)),
        Command::Renew(a) => daytwo_command("renew", DayTwoArgs::renew(a)),
        Command::Revoke(a) => revocation::revoke_command(a, sub),
        Command::RotateCa(a) => revocation::rotate_command(a),
        Command::Status(a) => status::status_command(a),
        Command::Doctor(a) => doctor::doctor_command(a),
        Command::GenerateReference(a) => reference::write_all(&a.root),
    }
}

/// `etcd-pki validate`: every problem of the spec, and whether it can be generated.
fn validate_command(a: cli::ValidateArgs) -> Result<(), Failure> {
    let spec = read_spec(a.spec.as_deref())?;
    let report = pki_core::validate(&spec);
    if a.json.json {
        json::print(
            "validate",
            serde_json::json!({
                "ok": !report.has_errors(),
                "spec": a.spec,
                "members": spec.nodes.len(),
                "clients": spec.clients.len(),
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
        return Err(Failure::BadInput(format!(
            "the spec has {} error(s); fix them and run again",
            report.errors().count()
        )));
    }
    if a.json.json {
        return Ok(());
    }
    say!(
        "The spec is valid: {} member(s), {} client(s){}.",
        spec.nodes.len(),
        spec.clients.len(),
        match report.warnings().count() {
            0 => String::new(),
            n => format!(", {n} warning(s) above"),
        }
    );
    Ok(())
}

/// `etcd-pki generate`: the bundle of a spec, the CA key beside it (encrypted unless told).
fn generate_command(o: Opts) -> Result<(), Failure> {
    if o.ca_cert.is_some() || o.ca_key.is_some() || o.from.is_some() {
        return generate_under_existing_ca(o);
    }
    let mut spec = read_spec(o.spec.as_deref())?;
    if let Some(l) = o
        .ca_layout
        .as_deref()
        .and_then(pki_core::CaLayout::from_name)
    {
        spec.ca_layout = l;
    }
    // A bad spec is reported before anyone is asked for a passphrase.
    let report = pki_core::validate(&spec);
    if report.has_errors() {
        return Err(Error::Invalid(report).into());
    }
    let out = o.out.unwrap_or_else(|| {
        PathBuf::from(pki_core::naming::default_bundle_name(
            &spec.cluster_name,
            "generate",
            pki_core::naming::next_generation(None),
        ))
    });
    let key_out = o
        .ca_key_out
        .unwrap_or_else(|| beside(&out, &format!("{}-ca.key", spec.cluster_name)));
    check_out(&out, o.force)?;
    check_out(&key_out, o.force)?;
    same_file_check(&out, &key_out)?;
    let key = if o.no_passphrase {
        CaKey::Plain(key_out)
    } else if let Some(f) = &o.passphrase_file {
        CaKey::Encrypted(key_out, read_passphrase(f)?)
    } else if std::io::stdin().is_terminal() && o.spec.as_deref() != Some("-") {
        CaKey::Encrypted(key_out, ask_passphrase()?)
    } else {
        return Err(Failure::BadInput(format!(
            "the CA key is written to {} encrypted with a passphrase, and there is no \
             terminal to ask for one: give --ca-passphrase-file FILE (at least {} \
             characters), or --no-ca-passphrase to write it unencrypted (anyone who gets \
             the file can then mint certificates your cluster trusts); nothing was written",
            key_out.display(),
            pki_core::keys::MIN_PASSPHRASE
        )));
    };
    let root = root_key_out(&spec, &key, o.root_passphrase_file.as_deref(), o.force)?;
    make(&spec, &out, key, root, o.force)
}

/// Where the root key goes (`root+issuing`): `<cluster>-root-ca.key` beside the CA key, in
/// the CA key's form, sealed under --root-passphrase-file when given, else under the CA key's
/// passphrase. `None` for a single CA or when the CA key is not kept.
fn root_key_out(
    spec: &ClusterSpec,
    ca_key: &CaKey,
    passphrase_file: Option<&Path>,
    force: bool,
) -> Result<Option<CaKey>, Failure> {
    if !spec.ca_layout.is_layered() {
        if passphrase_file.is_some() {
            return Err(Failure::Usage(
                "--root-passphrase-file is for a root+issuing bundle, and this one is single \
                 (--ca-layout single or the spec's ca_layout): drop one of them"
                    .into(),
            ));
        }
        return Ok(None);
    }
    let name = format!("{}-root-ca.key", spec.cluster_name);
    let root = match ca_key {
        CaKey::Dropped => return Ok(None),
        CaKey::Plain(p) => CaKey::Plain(beside(p, &name)),
        CaKey::Encrypted(p, pass) => CaKey::Encrypted(
            beside(p, &name),
            match passphrase_file {
                Some(f) => read_passphrase(f)?,
                None => pass.clone(),
            },
        ),
    };
    if let CaKey::Plain(p) | CaKey::Encrypted(p, _) = &root {
        check_out(p, force)?;
    }
    Ok(Some(root))
}

/// `etcd-pki generate --ca-cert C --ca-key K` (a CA from elsewhere: openssl, easy-rsa, cfssl,
/// kubeadm) or `generate --from OLD.zip --ca-key K` (the spec and CA of a bundle): every
/// certificate issued anew under that CA. No CA key is written: the one given stays the only
/// copy. Any refusal writes nothing.
fn generate_under_existing_ca(o: Opts) -> Result<(), Failure> {
    use pki_core::daytwo::{self, Change};
    let key_path = existing_ca_paths(&o)?;
    if let Some(out) = &o.out {
        existing_ca_out(&o, out, &key_path)?;
    }
    let read = |p: &Path| {
        std::fs::read(p).map_err(|e| Failure::BadInput(format!("cannot read {}: {e}", p.display())))
    };
    let bad = |e: Error| Failure::BadInput(e.to_string());
    let key_bytes = Zeroizing::new(read(&key_path)?);
    let opened = match &o.from {
        Some(f) => Some(
            pki_core::package::open(&read(f)?)
                .map_err(|e| Failure::BadInput(format!("--from {}: {e}", f.display())))?,
        ),
        None => None,
    };
    let mut spec = match (&o.spec, &opened) {
        (Some(_), _) => read_spec(o.spec.as_deref())?,
        (None, Some(b)) => b.state.spec.clone(),
        (None, None) => return Err(Failure::Usage("generate needs --spec cluster.json".into())),
    };
    let report = pki_core::validate(&spec);
    if report.has_errors() {
        return Err(Error::Invalid(report).into());
    }
    let out = match &o.out {
        Some(out) => out.clone(),
        None => {
            let out = PathBuf::from(pki_core::naming::default_bundle_name(
                &spec.cluster_name,
                "generate",
                pki_core::naming::next_generation(opened.as_ref()),
            ));
            existing_ca_out(&o, &out, &key_path)?;
            out
        }
    };
    let cert_bytes = existing_ca_cert(&o, opened.as_ref())?;
    // The CA key's own passphrase: whatever its owner chose (easy-rsa allows 4 characters).
    let imported = unlock::with_passphrase(
        o.passphrase_file.as_deref(),
        &key_path,
        |p| pki_core::ca_import::import_ca(&cert_bytes, &key_bytes, p),
        |e| match (e, o.from.is_some()) {
            (Error::CaKeyMismatch { .. }, true) => Failure::BadInput(
                "--ca-key: this key is not the key of the bundle's CA (ca.crt): give the CA key \
                 saved beside the bundle when it was first made; nothing was written"
                    .into(),
            ),
            // A chain that does not hold together: name the file it came from.
            (e @ Error::CaChain { .. }, _) => Failure::BadInput(format!(
                "{}: {e}; nothing was written",
                o.ca_cert
                    .as_deref()
                    .map_or("--from".into(), |c| format!("--ca-cert {}", c.display()))
            )),
            (e, _) => bad(e),
        },
    )?;
    let now = pki_core::OffsetDateTime::now_utc();
    fit_validity_to_ca(&imported, &mut spec, now, o.cap_validity)?;
    for w in &imported.warnings {
        say!("warning: {w}");
    }
    let ca = imported.material();
    // The layout is the CA's: a single CA imported makes a single-layout bundle, an issuing CA
    // given with its root a root+issuing one.
    spec.ca_layout = imported.layout();
    let plan = daytwo::plan_change(opened.as_ref(), &spec, &Change::Generate, now).map_err(bad)?;
    let keys = pki_core::parallel::generate_keys(&plan.keys_to_make, pki_core::parallel::cores())?;
    let (bundle, summary) = daytwo::apply_change(opened.as_ref(), &ca, &plan, keys).map_err(bad)?;
    write_new(&out, &bundle.to_zip()?, o.force)?;
    lineage::wrote_bundle(&bundle, &out);
    for w in &bundle.warnings {
        say!("{w}");
    }
    say!("{summary}");
    say!(
        "Issued under the existing CA {}; no CA key was written (keep {} where it is, offline).",
        imported.subject,
        key_path.display()
    );
    say!("wrote {}", out.display());
    wrote::print(wrote::Wrote {
        bundle: &bundle,
        out: &out,
        ca_key: None,
        issued: Some(plan.issued.iter().chain(&plan.renewed).cloned().collect()),
        revoked: &[],
        summary: summary.to_string(),
        next_steps: wrote::first_steps(&spec),
        extra: serde_json::json!({
            "existing_ca": imported.subject,
            "existing_ca_warnings": imported.warnings,
        }),
    });
    Ok(())
}

/// --out and --ca-key of `generate` under an existing CA, with the flags that cannot go
/// with them refused.
fn existing_ca_paths(o: &Opts) -> Result<PathBuf, Failure> {
    let key_path = o.ca_key.clone().ok_or_else(|| {
        Failure::Usage(
            "generate under an existing CA needs --ca-key K (the CA's private key)".into(),
        )
    })?;
    if o.ca_key_out.is_some() || o.no_passphrase {
        return Err(Failure::Usage(
            "--ca-key-out and --no-ca-passphrase are for a new CA; with --ca-key no CA key is written".into(),
        ));
    }
    if o.from.is_some() && o.ca_cert.is_some() {
        return Err(Failure::Usage(
            "--from restores the bundle's own CA certificate; leave out --ca-cert".into(),
        ));
    }
    Ok(key_path)
}

/// `--out` of `generate` under an existing CA: never the old bundle, the CA key, the CA
/// certificate or the passphrase file, however spelled; and not replaced without --force.
fn existing_ca_out(o: &Opts, out: &Path, key_path: &Path) -> Result<(), Failure> {
    if let Some(from) = &o.from
        && same_file::same_file(from, out)
    {
        return Err(Failure::Usage(
            "--out must differ from --from: the old bundle stays as it is".into(),
        ));
    }
    let mut inputs = vec![("--ca-key", key_path)];
    inputs.extend(o.ca_cert.as_deref().map(|c| ("--ca-cert", c)));
    inputs.extend(
        o.passphrase_file
            .as_deref()
            .map(|p| ("--ca-passphrase-file", p)),
    );
    for (flag, path) in inputs {
        same_file::distinct(
            &[("--out", out), (flag, path)],
            "the bundle would be written over it",
        )?;
    }
    check_out(out, o.force)
}

/// The CA certificate: --ca-cert, or the opened bundle's own.
fn existing_ca_cert(
    o: &Opts,
    opened: Option<&pki_core::package::OpenedBundle>,
) -> Result<Vec<u8>, Failure> {
    match (&o.ca_cert, opened) {
        (Some(c), _) => std::fs::read(c)
            .map_err(|e| Failure::BadInput(format!("cannot read {}: {e}", c.display()))),
        (None, Some(b)) => {
            let path = b.state.ca.paths.first().map_or("ca.crt", String::as_str);
            let mut pem = b
                .file(path)
                .ok_or_else(|| Failure::BadInput(format!("{path} is missing from the bundle")))?
                .contents
                .to_vec();
            // A root+issuing bundle: the issuing CA, then its root (the chain import reads).
            for der in
                pki_core::daytwo::root_chain(b).map_err(|e| Failure::BadInput(e.to_string()))?
            {
                pem.extend(pem::encode(&pem::Pem::new("CERTIFICATE", der)).into_bytes());
            }
            Ok(pem)
        }
        (None, None) => Err(Failure::Usage(
            "generate --ca-key needs --ca-cert C (the CA's certificate) or --from OLD.zip".into(),
        )),
    }
}

/// Refuses a CA that ends before the leaves would, or with --cap-validity shortens them.
fn fit_validity_to_ca(
    imported: &pki_core::ca_import::ImportedCa,
    spec: &mut ClusterSpec,
    now: pki_core::OffsetDateTime,
    cap: bool,
) -> Result<(), Failure> {
    let leaf_end = now + time::Duration::days(i64::from(spec.cert_validity_days));
    match pki_core::ca_import::check_validity(imported, now, leaf_end) {
        Ok(()) => {}
        Err(Error::CaOutlived { .. }) if cap => {
            let days =
                pki_core::ca_import::capped_validity_days(imported, now, spec.cert_validity_days);
            if days == 0 {
                return Err(Failure::BadInput(format!(
                    "the CA {} expires within a day; make or renew the CA first; nothing was written",
                    imported.subject
                )));
            }
            say!(
                "warning: the CA {} ends before {} days; the certificates are valid for {days} days (--cap-validity)",
                imported.subject,
                spec.cert_validity_days
            );
            spec.cert_validity_days = days;
        }
        Err(e) => return Err(Failure::BadInput(e.to_string())),
    }
    Ok(())
}

/// `etcd-pki demo`: the one-machine demo bundle; its CA key only when asked.
fn demo_command(o: Opts) -> Result<(), Failure> {
    let out = o.out.unwrap_or_else(|| {
        PathBuf::from(pki_core::naming::default_bundle_name(
            &ClusterSpec::demo().cluster_name,
            "demo",
            1,
        ))
    });
    check_out(&out, o.force)?;
    // A throwaway cluster: one command, no passphrase; its CA key is kept only when asked.
    let key = match (o.ca_key_out, &o.passphrase_file) {
        (None, None) => CaKey::Dropped,
        (None, Some(_)) => {
            return Err(Failure::Usage(
                "the demo keeps no CA key; add --ca-key-out PATH to keep it encrypted".into(),
            ));
        }
        (Some(k), None) => {
            check_out(&k, o.force)?;
            same_file_check(&out, &k)?;
            CaKey::Plain(k)
        }
        (Some(k), Some(f)) => {
            check_out(&k, o.force)?;
            same_file_check(&out, &k)?;
            CaKey::Encrypted(k, read_passphrase(f)?)
        }
    };
    let root = root_key_out(&ClusterSpec::demo(), &key, None, o.force)?;
    make(&ClusterSpec::demo(), &out, key, root, o.force)
}

/// Where the CA key goes and in which form.
enum CaKey {
    /// Not written (the demo).
    Dropped,
    /// Written unencrypted, by explicit choice.
    Plain(PathBuf),
    /// Written encrypted with this passphrase.
    Encrypted(PathBuf, Zeroizing<String>),
}

/// `name` in the folder of `path`.
fn beside(path: &Path, name: &str) -> PathBuf {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.join(name),
        _ => PathBuf::from(name),
    }
}

/// `--out` and `--ca-key-out` compared as files (`./b.zip` and `b.zip` are one).
fn same_file_check(out: &Path, key: &Path) -> Result<(), Failure> {
    same_file::distinct(
        &[("--out", out), ("--ca-key-out", key)],
        "the CA key needs a file of its own",
    )
}

fn read_spec(path: Option<&str>) -> Result<ClusterSpec, Failure> {
    let path = path.ok_or_else(|| Failure::Usage("--spec cluster.json is required".into()))?;
    let text = if path == "-" {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut s).map_err(|e| {
            Failure::BadInput(format!("cannot read the spec from standard input: {e}"))
        })?;
        s
    } else {
        std::fs::read_to_string(path).map_err(|e| {
            Failure::BadInput(format!(
                "cannot read the spec {path}: {e}; `etcd-pki spec-template > {path}` writes one to start from"
            ))
        })?
    };
    ClusterSpec::from_json(&text).map_err(|e| Failure::BadInput(format!("{path}: {e}")))
}

/// The early, friendly check; [`write_new`] is the one that holds even against a race.
fn check_out(out: &Path, force: bool) -> Result<(), Failure> {
    if out.symlink_metadata().is_ok() && !force {
        return Err(Failure::BadInput(format!(
            "{} already exists and may hold the only copy of a CA key; choose another path or add --force",
            out.display()
        )));
    }
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty())
        && !dir.is_dir()
    {
        return Err(Failure::BadInput(format!(
            "the folder {} does not exist; create it first",
            dir.display()
        )));
    }
    Ok(())
}

fn check_passphrase(pass: &str, source: &str) -> Result<(), Failure> {
    if let Some(n) = pki_core::keys::passphrase_shortfall(pass) {
        return Err(Failure::BadInput(format!(
            "the CA passphrase {source} has {n} characters; use at least {}; nothing was written",
            pki_core::keys::MIN_PASSPHRASE
        )));
    }
    Ok(())
}

fn read_passphrase(path: &Path) -> Result<Zeroizing<String>, Failure> {
    let text = Zeroizing::new(std::fs::read_to_string(path).map_err(|e| {
        Failure::BadInput(format!(
            "cannot read the CA passphrase file {}: {e}",
            path.display()
        ))
    })?);
    let pass = Zeroizing::new(text.lines().next().unwrap_or("").to_string());
    check_passphrase(&pass, &format!("in {}", path.display()))?;
    Ok(pass)
}

/// Asks twice on the terminal for a new key's passphrase, echo off.
fn ask_passphrase() -> Result<Zeroizing<String>, Failure> {
    let ask = unlock::ask;
    let first = ask(&format!(
        "Passphrase for the CA key (at least {} characters): ",
        pki_core::keys::MIN_PASSPHRASE
    ))?;
    check_passphrase(&first, "typed")?;
    let second = ask("The same passphrase again: ")?;
    if *first != *second {
        return Err(Failure::BadInput(
            "the two passphrases differ; nothing was written".into(),
        ));
    }
    Ok(first)
}

fn make(
    spec: &ClusterSpec,
    out: &Path,
    ca_key: CaKey,
    root_key: Option<CaKey>,
    force: bool,
) -> Result<(), Failure> {
    let start = Instant::now();
    let seal = |k: &CaKey| -> Result<Option<pki_core::SealingKey>, Failure> {
        Ok(match k {
            CaKey::Encrypted(_, p) => Some(pki_core::SealingKey::derive(p)?),
            CaKey::Dropped | CaKey::Plain(_) => None,
        })
    };
    let sealing = seal(&ca_key)?;
    let root_sealing = match &root_key {
        Some(k) => seal(k)?,
        None => None,
    };
    let bundle = pki_core::generate_sealed_apart(spec, sealing.as_ref(), root_sealing.as_ref())?;
    let zip = bundle.to_zip()?;
    let elapsed = start.elapsed();
    let path_of = |k: &CaKey| match k {
        CaKey::Dropped => None,
        CaKey::Plain(p) | CaKey::Encrypted(p, _) => Some(p.clone()),
    };
    let key_path = path_of(&ca_key);
    let root_path = root_key.as_ref().and_then(path_of);
    // The keys first: a zip whose CA key could not be saved is of no use.
    let mut written: Vec<PathBuf> = Vec::new();
    let keys = [
        (root_path.clone(), bundle.root_key.as_ref()),
        (key_path.clone(), Some(&bundle.ca_key)),
    ];
    for (path, file) in keys {
        if let (Some(p), Some(f)) = (path, file) {
            if let Err(e) = write_new(&p, &f.contents, force) {
                for w in &written {
                    let _ = std::fs::remove_file(w);
                }
                return Err(e);
            }
            written.push(p);
        }
    }
    if let Err(e) = write_new(out, &zip, force) {
        for w in &written {
            let _ = std::fs::remove_file(w);
        }
        return Err(e);
    }
    let key_path = key_path.as_deref();
    if let Some(p) = &root_path {
        say!(
            "Wrote the root key to {}, {} (mode 0600): it is needed only to make a new \
             issuing CA (etcd-pki rotate-issuer) or to revoke one; keep it offline, apart \
             from the CA key.",
            p.display(),
            if root_sealing.is_some() {
                "encrypted with its passphrase"
            } else {
                "UNENCRYPTED"
            }
        );
    }
    lineage::wrote_bundle(&bundle, out);
    report(spec, &bundle, out, &ca_key, elapsed.as_millis());
    wrote::print(wrote::Wrote {
        bundle: &bundle,
        out,
        ca_key: key_path,
        issued: None,
        revoked: &[],
        summary: String::new(),
        next_steps: wrote::first_steps(spec),
        extra: serde_json::json!({
            "ca_key_encrypted": matches!(ca_key, CaKey::Encrypted(..)),
            "ca_layout": spec.ca_layout.as_str(),
            "root_key": root_path,
        }),
    });
    Ok(())
}

/// Writes `bytes` to `path` (mode 0600) so that no reader ever sees half a file and, without
/// `force`, an existing `path` is never replaced — not even one created while we worked: the
/// bytes go to a temporary file in the same folder, fsynced, which is then hard-linked to
/// `path` (link(2) fails if `path` exists, where rename(2) would replace it). With `force`,
/// rename. The folder is fsynced afterwards so the new name survives a crash.
fn write_new(path: &Path, bytes: &[u8], force: bool) -> Result<(), Failure> {
    use std::io::Write;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".into());
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let fail = |e: std::io::Error| Failure::Other(format!("cannot write {}: {e}", path.display()));
    let result = (|| -> Result<(), Failure> {
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
        let mut f = opts.open(&tmp).map_err(fail)?;
        f.write_all(bytes).map_err(fail)?;
        f.sync_all().map_err(fail)?;
        drop(f);
        if force {
            std::fs::rename(&tmp, path).map_err(fail)?;
        } else {
            match std::fs::hard_link(&tmp, path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    return Err(Failure::BadInput(format!(
                        "{} appeared while generating; it was left as it is (add --force to replace it); nothing was written",
                        path.display()
                    )));
                }
                Err(e) => return Err(fail(e)),
            }
        }
        if let Ok(d) = std::fs::File::open(&dir) {
            d.sync_all().map_err(fail)?;
        }
        Ok(())
    })();
    let _ = std::fs::remove_file(&tmp);
    result
}

fn report(spec: &ClusterSpec, bundle: &Bundle, out: &Path, ca_key: &CaKey, ms: u128) {
    let ca = bundle.file("ca.crt").and_then(|f| f.cert.as_ref());
    say!(
        "Created the TLS PKI of etcd cluster \"{}\": {} keys and certificates ({}) in {ms} ms.",
        spec.cluster_name,
        bundle.key_count,
        spec.key_algorithm
    );
    let issuing = bundle.file("issuing-ca.crt").and_then(|f| f.cert.as_ref());
    match (ca, issuing) {
        (Some(root), Some(issuing)) => {
            say!(
                "  root     \"{}\", valid until {} (every ca.crt: members and clients trust it alone)",
                root.info.subject,
                day(&root.info.not_after)
            );
            say!(
                "  issuing  \"{}\", valid until {} (signs every certificate; each leaf file carries it)",
                issuing.info.subject,
                day(&issuing.info.not_after)
            );
        }
        (Some(ca), None) => say!(
            "  CA       \"{}\", valid until {}",
            spec.ca_subject.common_name,
            day(&ca.info.not_after)
        ),
        _ => {}
    }
    // One column for every name, however long (`kube-apiserver`).
    let width = pki_core::bundle::members(spec)
        .iter()
        .map(|m| m.name.len())
        .chain(spec.clients.iter().map(|c| c.name.len()))
        .max()
        .unwrap_or(0)
        .max(10);
    for m in pki_core::bundle::members(spec) {
        let server = bundle
            .file(&format!("members/{}/pki/server.crt", m.name))
            .and_then(|f| f.cert.as_ref());
        if let Some(c) = server {
            let mut names = c.info.ip_sans.clone();
            names.extend(c.info.dns_sans.iter().cloned());
            say!(
                "  member   {:<width$} server + peer for {}, valid until {}",
                m.name,
                names.join(", "),
                day(&c.info.not_after)
            );
        }
    }
    for c in &spec.clients {
        say!(
            "  client   {:<width$} etcd user \"{}\"",
            c.name,
            c.common_name
        );
    }
    for w in &bundle.warnings {
        say!("{w}");
    }
    say!(
        "Wrote {} ({} files). Unpack it, read README.md, and copy to each machine only its own folder (members/<name>/, clients/<name>/).",
        out.display(),
        bundle.files.len()
    );
    match ca_key {
        CaKey::Dropped => say!(
            "The demo's CA key was not saved (nothing more can be signed for this throwaway cluster); add --ca-key-out PATH to keep it."
        ),
        CaKey::Plain(p) => say!(
            "Wrote the CA key to {} UNENCRYPTED (mode 0600): anyone who gets it can mint certificates your cluster trusts; keep it offline and never copy it to a member.",
            p.display()
        ),
        CaKey::Encrypted(p, _) => say!(
            "Wrote the CA key to {}, encrypted with your passphrase (mode 0600): keep it offline and never copy it to a member.",
            p.display()
        ),
    }
}

fn day(rfc3339: &str) -> &str {
    rfc3339.get(..10).unwrap_or(rfc3339)
}

/// `etcd-pki add-member | remove-member | replace-member | renew`: opens the newest bundle,
/// checks the CA key against it, writes a new full bundle with the operation's runbook. On
/// any refusal nothing is written and the old bundle is not touched (it is only read).
/// add-member's refusal of the new member, its problems named by the options that gave them
/// (`--name`, `--ip`, `--dns`) rather than by their place in the grown spec (`nodes[3].ips[0]`).
fn added_member_refused(report: &pki_core::Report, index: usize) -> Failure {
    let at = format!("nodes[{index}]");
    let option = |path: &str| match path.strip_prefix(&at) {
        Some(".name") => "--name".to_string(),
        Some(rest) if rest.starts_with(".ips") => "--ip".to_string(),
        Some(rest) if rest.starts_with(".dns_names") => "--dns".to_string(),
        _ => path.to_string(),
    };
    let mut text = String::from("the new member cannot be added; nothing was written:");
    for p in report.errors() {
        text.push_str(&format!("\n  error: {}: {}", option(&p.path), p.message));
    }
    Failure::BadInput(text)
}

/// The options of add-member, remove-member, replace-member and renew, as given.
#[derive(Default)]
struct DayTwoArgs {
    from: Option<PathBuf>,
    ca_key: Option<PathBuf>,
    pass: Option<PathBuf>,
    out: Option<PathBuf>,
    name: Option<String>,
    new_name: Option<String>,
    ips: Vec<String>,
    dns: Vec<String>,
    only: Vec<String>,
    keep_keys: bool,
    within: Option<u32>,
    force: bool,
    previous_done: bool,
}

impl DayTwoArgs {
    fn opened(o: cli::Opened) -> Self {
        DayTwoArgs {
            from: Some(o.from),
            ca_key: Some(o.ca_key),
            pass: o.ca_passphrase_file,
            out: o.out,
            force: o.force,
            previous_done: o.previous_rotation_done,
            ..DayTwoArgs::default()
        }
    }

    fn add(a: cli::AddMemberArgs) -> Self {
        DayTwoArgs {
            name: Some(a.name),
            ips: a.ip,
            dns: a.dns,
            ..Self::opened(a.opened)
        }
    }

    fn remove(a: cli::RemoveMemberArgs) -> Self {
        DayTwoArgs {
            name: Some(a.name),
            ..Self::opened(a.opened)
        }
    }

    fn replace(a: cli::ReplaceMemberArgs) -> Self {
        DayTwoArgs {
            name: Some(a.name),
            new_name: a.new_name,
            ips: a.ip,
            dns: a.dns,
            ..Self::opened(a.opened)
        }
    }

    fn renew(a: cli::RenewArgs) -> Self {
        DayTwoArgs {
            only: a.only,
            keep_keys: a.keep_keys,
            within: a.within,
            ..Self::opened(a.opened)
        }
    }
}

/// The change `cmd` asks for, with the options it cannot do without.
fn daytwo_change(cmd: &str, a: &DayTwoArgs) -> Result<pki_core::daytwo::Change, Failure> {
    use pki_core::daytwo::Change;
    let node = |n: String| pki_core::Node {
        name: n,
        ips: a.ips.clone(),
        dns_names: a.dns.clone(),
    };
    let name = || {
        a.name
            .clone()
            .ok_or_else(|| Failure::Usage(format!("{cmd} needs --name")))
    };
    Ok(match cmd {
        "add-member" => {
            if a.ips.is_empty() {
                return Err(Failure::Usage("add-member needs --ip".into()));
            }
            Change::AddMembers(vec![node(name()?)])
        }
        "remove-member" => Change::RemoveMember(name()?),
        "replace-member" => {
            let old = name()?;
            if a.ips.is_empty() {
                return Err(Failure::Usage(
                    "replace-member needs --ip (the new address)".into(),
                ));
            }
            Change::ReplaceMember {
                new: node(a.new_name.clone().unwrap_or_else(|| old.clone())),
                old,
            }
        }
        _ => Change::Renew {
            only: a.only.clone(),
            keep_keys: a.keep_keys,
            within_days: a.within,
        },
    })
}

/// The operation part of a day-two bundle's default name: `add-etcd4`, `remove-etcd2`,
/// `replace-etcd2`, `renew`, `renew-same-keys`.
fn daytwo_operation(cmd: &str, a: &DayTwoArgs) -> String {
    let name = a.name.as_deref().unwrap_or("member");
    match cmd {
        "add-member" => format!("add-{name}"),
        "remove-member" => format!("remove-{name}"),
        "replace-member" => format!("replace-{name}"),
        _ if a.keep_keys => "renew-same-keys".into(),
        _ => "renew".into(),
    }
}

/// A day-two `--out` is never the CA key or its passphrase file, however it is spelled.
fn out_apart_from_inputs(out: &Path, ca_key: &Path, pass: Option<&Path>) -> Result<(), Failure> {
    same_file::distinct(
        &[("--out", out), ("--ca-key", ca_key)],
        "the bundle would be written over the CA key",
    )?;
    if let Some(p) = pass {
        same_file::distinct(
            &[("--out", out), ("--ca-passphrase-file", p)],
            "the bundle would be written over the passphrase file",
        )?;
    }
    Ok(())
}

fn daytwo_command(cmd: &str, args: DayTwoArgs) -> Result<(), Failure> {
    use pki_core::daytwo;
    let need =
        |v: Option<PathBuf>, n: &str| v.ok_or_else(|| Failure::Usage(format!("{cmd} needs {n}")));
    let from = need(args.from.clone(), "--from OLD.zip (the newest bundle)")?;
    let ca_key = need(
        args.ca_key.clone(),
        "--ca-key K (the CA key saved beside the first bundle)",
    )?;
    let read = |p: &Path| {
        std::fs::read(p).map_err(|e| Failure::BadInput(format!("cannot read {}: {e}", p.display())))
    };
    let change = daytwo_change(cmd, &args)?;
    let bad = |e: Error| Failure::BadInput(e.to_string());
    let opened = pki_core::package::open(&read(&from)?)
        .map_err(|e| Failure::BadInput(format!("--from {}: {e}", from.display())))?;
    // No --out: named for the cluster, the operation and the generation, in this folder.
    let out = args.out.clone().unwrap_or_else(|| {
        PathBuf::from(pki_core::naming::default_bundle_name(
            &opened.state.spec.cluster_name,
            &daytwo_operation(cmd, &args),
            pki_core::naming::next_generation(Some(&opened)),
        ))
    });
    if same_file::same_file(&out, &from) {
        return Err(Failure::Usage(
            "--out must differ from --from: the old bundle stays as it is".into(),
        ));
    }
    out_apart_from_inputs(&out, &ca_key, args.pass.as_deref())?;
    let (pass, force) = (args.pass.clone(), args.force);
    check_out(&out, force)?;
    lineage::check_opened(&opened.state, &from, force)?;
    revocation::refuse_unfinished(&opened, &from, args.previous_done, cmd)?;
    let key_bytes = Zeroizing::new(read(&ca_key)?);
    let ca = unlock::with_passphrase(
        pass.as_deref(),
        &ca_key,
        |p| daytwo::unlock_ca(&opened, &key_bytes, p),
        bad,
    )?;
    let now = pki_core::OffsetDateTime::now_utc();
    let new_index = opened.state.spec.nodes.len();
    let plan = daytwo::plan_change(Some(&opened), &opened.state.spec, &change, now).map_err(
        |e| match (e, cmd) {
            (Error::Invalid(report), "add-member") => added_member_refused(&report, new_index),
            (e, _) => bad(e),
        },
    )?;
    // A scheduled `renew --within D` (docs/RENEWAL.md) runs again and again: when nothing is
    // due it writes nothing, so the newest bundle stays the newest and nothing is rolled out.
    if let (Some(days), true) = (args.within, cmd == "renew" && plan.renewed.is_empty()) {
        say!(
            "renew: nothing is due within {days} days (every certificate of {} ends later); \
             nothing was written, and {} stays the newest bundle.",
            from.display(),
            from.display()
        );
        if json::on() {
            json::print(
                cmd,
                serde_json::json!({
                    "ok": true,
                    "nothing_due": true,
                    "within_days": days,
                    "wrote": null,
                    "newest": from.display().to_string(),
                    "certificates_issued": [],
                    "revoked": [],
                    "warnings": [],
                    "next_steps": [],
                }),
            );
        }
        return Ok(());
    }
    let keys = pki_core::parallel::generate_keys(&plan.keys_to_make, pki_core::parallel::cores())?;
    let (bundle, summary) = daytwo::apply_change(Some(&opened), &ca, &plan, keys).map_err(bad)?;
    write_new(&out, &bundle.to_zip()?, force)?;
    lineage::wrote_bundle(&bundle, &out);
    let printed = summary.with_paths(
        &out.display().to_string(),
        &ca_key.display().to_string(),
        pass.as_ref().map(|p| p.display().to_string()).as_deref(),
    );
    say!("{printed}");
    say!("wrote {}", out.display());
    wrote::print(wrote::Wrote {
        bundle: &bundle,
        out: &out,
        ca_key: None,
        issued: Some(plan.issued.iter().chain(&plan.renewed).cloned().collect()),
        revoked: &[],
        summary: printed.clone(),
        next_steps: wrote::runbook_steps(&summary.steps, &printed),
        extra: serde_json::json!({
            "members_added": plan.members_added,
            "members_removed": plan.members_removed,
            "to_revoke": plan.revoke.iter().map(|(path, serial)| serde_json::json!({"path": path, "serial": serial})).collect::<Vec<_>>(),
            "clients_renewed": summary.clients_renewed,
        }),
    });
    Ok(())
}
