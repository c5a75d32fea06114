//! `etcd-pki`: the same engine as the page, on the command line.
//!
//! Reads a spec, validates it, and writes the bundle zip; prints what it made the way a person
//! would say it. Bad input prints the whole validation report and exits 2 without writing.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use pki_core::{Bundle, ClusterSpec, Error, Role, generate};

const USAGE: &str = "\
etcd-pki: an etcd cluster's whole TLS PKI and deploy files from one spec.

Usage:
  etcd-pki spec-template                     print a complete example spec (every default filled in)
  etcd-pki validate --spec cluster.json      check a spec and print every problem
  etcd-pki generate --spec cluster.json --out bundle.zip [--force] [--ca-passphrase-file F]
                                             make the CA, member and client certificates and keys,
                                             etcd env files, systemd drop-ins and etcdctl scripts
  etcd-pki demo --out demo.zip [--force]     a 3-member cluster on 127.0.0.1-3 of this machine,
                                             ready to try (see README.md inside)
  etcd-pki --help | --version

--ca-passphrase-file F encrypts the CA key with the passphrase in F (PKCS#8, PBKDF2-SHA256 +
AES-256-CBC; at least 8 characters). Member and client keys stay plain: etcd cannot read
encrypted keys. --spec - reads the spec from standard input. An existing --out file is never overwritten
without --force: it may hold the only copy of a CA key.

Exit status: 0 done, 2 bad input (nothing written), 1 anything else.";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Usage(msg)) => {
            eprintln!("etcd-pki: {msg}\n\n{USAGE}");
            ExitCode::from(2)
        }
        Err(Failure::BadInput(msg)) => {
            eprintln!("etcd-pki: {msg}");
            ExitCode::from(2)
        }
        Err(Failure::Other(msg)) => {
            eprintln!("etcd-pki: {msg}");
            ExitCode::from(1)
        }
    }
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

struct Opts {
    spec: Option<String>,
    out: Option<PathBuf>,
    force: bool,
    passphrase_file: Option<PathBuf>,
}

fn parse_opts(args: &[String]) -> Result<Opts, Failure> {
    let mut o = Opts {
        spec: None,
        out: None,
        force: false,
        passphrase_file: None,
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .cloned()
                .ok_or_else(|| Failure::Usage(format!("{name} needs a value")))
        };
        match a.as_str() {
            "--spec" => o.spec = Some(value("--spec")?),
            "--out" | "-o" => o.out = Some(PathBuf::from(value("--out")?)),
            "--force" => o.force = true,
            "--ca-passphrase-file" => {
                o.passphrase_file = Some(PathBuf::from(value("--ca-passphrase-file")?))
            }
            other => {
                if let Some(v) = other.strip_prefix("--spec=") {
                    o.spec = Some(v.to_string());
                } else if let Some(v) = other.strip_prefix("--out=") {
                    o.out = Some(PathBuf::from(v));
                } else {
                    return Err(Failure::Usage(format!("unknown option {other:?}")));
                }
            }
        }
    }
    Ok(o)
}

fn run(args: &[String]) -> Result<(), Failure> {
    let Some((cmd, rest)) = args.split_first() else {
        println!("{USAGE}");
        return Ok(());
    };
    match cmd.as_str() {
        "-h" | "--help" | "help" => {
            println!("{USAGE}");
            Ok(())
        }
        "-V" | "--version" => {
            println!("etcd-pki {}", env!("CARGO_PKG_VERSION"));
            Ok(())
        }
        "spec-template" => {
            if !rest.is_empty() {
                return Err(Failure::Usage("spec-template takes no options".into()));
            }
            println!("{}", ClusterSpec::template().to_json());
            Ok(())
        }
        "validate" => {
            let o = parse_opts(rest)?;
            let spec = read_spec(o.spec.as_deref())?;
            let report = pki_core::validate(&spec);
            for p in report.problems() {
                eprintln!("{p}");
            }
            if report.has_errors() {
                return Err(Failure::BadInput(format!(
                    "the spec has {} error(s); fix them and run again",
                    report.errors().count()
                )));
            }
            println!(
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
        "generate" => {
            let o = parse_opts(rest)?;
            let out = o
                .out
                .ok_or_else(|| Failure::Usage("generate needs --out bundle.zip".into()))?;
            check_out(&out, o.force)?;
            let spec = read_spec(o.spec.as_deref())?;
            let pass = read_passphrase(o.passphrase_file.as_deref())?;
            make(&spec, &out, pass.as_deref())
        }
        "demo" => {
            let o = parse_opts(rest)?;
            if o.spec.is_some() {
                return Err(Failure::Usage(
                    "demo makes its own spec; use generate --spec".into(),
                ));
            }
            let out = o.out.unwrap_or_else(|| PathBuf::from("demo.zip"));
            check_out(&out, o.force)?;
            let pass = read_passphrase(o.passphrase_file.as_deref())?;
            make(&ClusterSpec::demo(), &out, pass.as_deref())
        }
        other => Err(Failure::Usage(format!("unknown command {other:?}"))),
    }
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

fn check_out(out: &Path, force: bool) -> Result<(), Failure> {
    if out.exists() && !force {
        return Err(Failure::BadInput(format!(
            "{} already exists and may hold the only copy of a CA key; choose another --out or add --force",
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

fn read_passphrase(path: Option<&Path>) -> Result<Option<String>, Failure> {
    let Some(path) = path else { return Ok(None) };
    let text = std::fs::read_to_string(path).map_err(|e| {
        Failure::BadInput(format!(
            "cannot read the CA passphrase file {}: {e}",
            path.display()
        ))
    })?;
    let pass = text.trim_end_matches(['\n', '\r']).to_string();
    if pass.chars().count() < pki_core::keys::MIN_PASSPHRASE {
        return Err(Failure::BadInput(format!(
            "the CA passphrase in {} has {} characters; use at least {}",
            path.display(),
            pass.chars().count(),
            pki_core::keys::MIN_PASSPHRASE
        )));
    }
    Ok(Some(pass))
}

fn make(spec: &ClusterSpec, out: &Path, passphrase: Option<&str>) -> Result<(), Failure> {
    let start = Instant::now();
    let mut bundle = generate(spec)?;
    if let Some(p) = passphrase {
        bundle.encrypt_ca_key(p)?;
    }
    let zip = bundle.to_zip()?;
    let elapsed = start.elapsed();
    // Write beside the target and rename, so a failure never leaves half a bundle.
    let tmp = out.with_extension(format!("zip.tmp-{}", std::process::id()));
    let write = || -> std::io::Result<()> {
        use std::io::Write;
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
        let mut f = opts.open(&tmp)?;
        f.write_all(&zip)?;
        f.sync_all()?;
        std::fs::rename(&tmp, out)
    };
    if let Err(e) = write() {
        let _ = std::fs::remove_file(&tmp);
        return Err(Failure::Other(format!(
            "cannot write {}: {e}",
            out.display()
        )));
    }
    report(spec, &bundle, out, elapsed.as_millis());
    Ok(())
}

fn report(spec: &ClusterSpec, bundle: &Bundle, out: &Path, ms: u128) {
    let ca = bundle.file("ca.crt").and_then(|f| f.cert.as_ref());
    println!(
        "Created the TLS PKI of etcd cluster \"{}\": {} keys and certificates ({}) in {ms} ms.",
        spec.cluster_name, bundle.key_count, spec.key_algorithm
    );
    if let Some(ca) = ca {
        println!(
            "  CA       \"{}\", valid until {}",
            spec.ca_subject.common_name,
            day(&ca.info.not_after)
        );
    }
    for m in pki_core::bundle::members(spec) {
        let server = bundle
            .file(&format!("members/{}/pki/server.crt", m.name))
            .and_then(|f| f.cert.as_ref());
        if let Some(c) = server {
            let mut names = c.info.ip_sans.clone();
            names.extend(c.info.dns_sans.iter().cloned());
            println!(
                "  member   {:<10} server + peer for {}, valid until {}",
                m.name,
                names.join(", "),
                day(&c.info.not_after)
            );
        }
    }
    for c in &spec.clients {
        println!("  client   {:<10} etcd user \"{}\"", c.name, c.common_name);
    }
    for w in &bundle.warnings {
        println!("{w}");
    }
    let ca_key = bundle
        .files
        .iter()
        .find(|f| f.role == Role::CaKey)
        .map(|f| f.path.as_str())
        .unwrap_or("");
    println!(
        "Wrote {} ({} files). Unpack it and read README.md for the next steps.",
        out.display(),
        bundle.files.len()
    );
    println!(
        "The CA key ({ca_key}) lets anyone mint certificates your cluster trusts: keep it offline and never copy it to a member."
    );
}

fn day(rfc3339: &str) -> &str {
    rfc3339.get(..10).unwrap_or(rfc3339)
}
