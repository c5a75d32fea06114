//! Every command and option of `etcd-pki`, as clap definitions: the parser, `--help`, the man
//! pages, the shell completions and docs/CLI.md all come from here (`reference.rs` writes the
//! last three), so they cannot say different things. A command's EXIT STATUS and EXAMPLES are
//! data ([`NOTES`]) rather than free text, so that the man page gets them as sections of its
//! own and `--help` as its last paragraphs.

use std::path::PathBuf;

use clap::{Args, CommandFactory, Parser, Subcommand};

/// What `etcd-pki --help` says after the commands: where the CA key goes, what `--out`
/// defaults to.
pub const OVERVIEW: &str = "\
The CA key is never in the zip: generate writes it on its own to --ca-key-out (default: beside
the zip, <cluster>-ca.key, mode 0600), encrypted with a passphrase (PKCS#8, PBKDF2-SHA256 +
AES-256-CBC) that is the first line of --ca-passphrase-file or is asked twice on the terminal;
--no-ca-passphrase writes it UNENCRYPTED. Member and client keys stay plain: etcd cannot read
encrypted keys. The passphrase of an existing CA key is the first line of --ca-passphrase-file,
or is asked on the terminal; any length unlocks a key (the 12-character rule is for new keys).

Without --out, a new bundle goes to this folder named for the cluster, the operation and the
generation, e.g. prod-generate-g1.zip, prod-add-etcd4-g2.zip, prod-renew-g2.zip. An existing
--out or CA key file is never replaced without --force.

`etcd-pki COMMAND --help` explains a command, its options, exit status and examples.";

/// `etcd-pki`: an etcd cluster's whole TLS PKI and deploy files from one spec.
#[derive(Debug, Parser)]
#[command(
    name = "etcd-pki",
    version,
    about = "An etcd cluster's whole TLS PKI and deploy files from one spec",
    long_about = "An etcd cluster's whole TLS PKI and deploy files from one spec: the CA, \
                  every member's server and peer certificate, the clients' certificates, etcd \
                  env files, systemd drop-ins and etcdctl scripts, in one zip; then day two \
                  (add, remove, replace members, renew, revoke, rotate the CA) from the newest \
                  zip.",
    max_term_width = 100
)]
pub struct Cli {
    /// The command; none prints this help.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The commands, in the order `--help` lists them.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Make the CA, member and client certificates and keys, etcd env files, systemd drop-ins
    /// and etcdctl scripts from a spec.
    ///
    /// With --ca-cert and --ca-key, or --from OLD.zip and --ca-key, every certificate is issued
    /// under an existing CA instead (openssl, easy-rsa, cfssl, kubeadm, or the CA of a bundle)
    /// and no CA key is written. --spec - reads the spec from standard input.
    Generate(GenerateArgs),
    /// A 3-member cluster on 127.0.0.1-3 of this machine, ready to try (see README.md inside).
    ///
    /// Its CA key is not kept unless --ca-key-out is given (then unencrypted unless
    /// --ca-passphrase-file).
    Demo(DemoArgs),
    /// Print a complete example spec, every default filled in.
    SpecTemplate,
    /// Check a spec (--spec) or an existing bundle (--from) and print every problem.
    ///
    /// A bundle is checked for day two: its CA's lifetime, its CRL, serials shared with
    /// another CA's bundle (--other-ca).
    Validate(ValidateArgs),
    /// Every certificate's days left, the action and the command due, the CRL's next update.
    ///
    /// Where each cluster's PKI stands: every certificate with its serial, end date and days
    /// left, the action that applies (none, renew within DAYS (--within DAYS), expired, CA
    /// within a year) and the etcd-pki command that performs it; the CRL's next update; the
    /// bundle's lints; the renewal due. A folder is searched for *.zip (not recursively): the
    /// newest bundle of each cluster is reported on, the older ones named. Nothing is written.
    Status(StatusArgs),
    /// Explain a TLS failure: etcd's log, the client's error and the files involved in;
    /// culprit and fix out.
    ///
    /// Give it what etcd and the client printed (journalctl, pod logs, etcdctl or curl output,
    /// zap JSON or capnslog) and any of the files involved (certificates, keys, CA, CRL,
    /// etcd.env, YAML config, a command line, a static pod manifest, a folder such as
    /// /etc/etcd/pki, or the whole bundle .zip). Each finding names the member or client, the
    /// file, the field and the rule that fails, quotes the log line it explains and gives the
    /// fix as commands; what was checked and found fine is listed too. No live probe of an
    /// endpoint: the doctor reads what was printed and the files.
    Doctor(DoctorArgs),
    /// Add a member: a new bundle with its certificates and the runbook that joins it.
    AddMember(AddMemberArgs),
    /// Remove a member: a new bundle without it and the runbook that takes it out.
    RemoveMember(RemoveMemberArgs),
    /// Replace a member by one on a new address (or with a new name).
    ReplaceMember(ReplaceMemberArgs),
    /// Issue certificates again (all, --only some, or those ending --within DAYS).
    ///
    /// A scheduled `renew --within DAYS` writes nothing when nothing is due, so the newest
    /// bundle stays the newest (docs/RENEWAL.md).
    Renew(RenewArgs),
    /// Revoke client or member certificates: a CRL in every member folder.
    ///
    /// None named: a new CRL of what is revoked already (e.g. the first, empty one that turns
    /// CRLs on, or one with a later next update).
    Revoke(RevokeArgs),
    /// A new CA and every certificate under it, with the three-phase runbook (ROTATE.md).
    ///
    /// --same-key renews the CA certificate with the same key instead: one rolling restart.
    /// From a kit, --previous-rotation-done says its steps are done on every member.
    RotateCa(RotateCaArgs),
    /// Write the man pages, shell completions and docs/CLI.md from these definitions.
    ///
    /// Hidden: for the people who change the CLI, not for its users. A subcommand of the
    /// binary itself rather than a second program, so that the definitions exist once and the
    /// test that keeps the committed files in step runs the very parser users run.
    #[command(hide = true)]
    GenerateReference(ReferenceArgs),
}

/// `--json` where a command reports: a plain flag, `--json=true` accepted as well.
#[derive(Debug, Args)]
pub struct Json {
    /// Print the answer as one JSON object on standard output (format etcd-pki-COMMAND,
    /// version 1); errors too, with the same exit status.
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "true",
          default_value = "false", value_name = "BOOL", hide_default_value = true,
          hide_possible_values = true)]
    pub json: bool,
}

/// The options every day-two command opens the newest bundle with.
#[derive(Debug, Args)]
pub struct Opened {
    /// The newest bundle of the cluster.
    #[arg(long, value_name = "OLD.zip")]
    pub from: PathBuf,
    /// The CA key saved beside the first bundle.
    #[arg(long, value_name = "CA.key")]
    pub ca_key: PathBuf,
    /// A file whose first line is the CA key's passphrase (else asked on the terminal).
    #[arg(long, value_name = "FILE")]
    pub ca_passphrase_file: Option<PathBuf>,
    /// Where to write the new bundle (default: <cluster>-<operation>-g<generation>.zip here).
    #[arg(short, long, value_name = "NEW.zip")]
    pub out: Option<PathBuf>,
    /// Replace an existing --out; open a bundle older than one this machine made.
    #[arg(long)]
    pub force: bool,
    /// --from is the kit of a CA rotation or renewal whose steps are done on every member.
    #[arg(long)]
    pub previous_rotation_done: bool,
}

#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// The cluster spec (JSON; - reads standard input; `etcd-pki spec-template` writes one).
    #[arg(long, value_name = "cluster.json")]
    pub spec: Option<String>,
    /// Where to write the bundle (default: <cluster>-generate-g1.zip here).
    #[arg(short, long, value_name = "bundle.zip")]
    pub out: Option<PathBuf>,
    /// Replace an existing --out or CA key file (it may hold the only copy of a CA key).
    #[arg(long)]
    pub force: bool,
    /// The new CA key's passphrase is the first line of FILE (at least 12 characters); with
    /// --ca-key, the existing key's passphrase.
    #[arg(long, value_name = "FILE", conflicts_with = "no_ca_passphrase")]
    pub ca_passphrase_file: Option<PathBuf>,
    /// Write the new CA key UNENCRYPTED: anyone who gets the file can mint certificates your
    /// cluster trusts.
    #[arg(long)]
    pub no_ca_passphrase: bool,
    /// Where to write the new CA key (default: <cluster>-ca.key beside the zip, mode 0600).
    #[arg(long, value_name = "PATH")]
    pub ca_key_out: Option<PathBuf>,
    /// `root+issuing` (default): a root whose key stays offline signs an issuing CA, which
    /// signs every leaf, so the issuing CA can be rotated without restarting etcd;
    /// `single`: one CA, as the tutorials make it. Overrides the spec's ca_layout.
    #[arg(long, value_name = "LAYOUT", value_parser = ["root+issuing", "single"])]
    pub ca_layout: Option<String>,
    /// The root key's passphrase is the first line of FILE (at least 12 characters; default:
    /// the CA key's). The root key is written apart, <cluster>-root-ca.key beside the CA key.
    #[arg(long, value_name = "FILE", conflicts_with = "no_ca_passphrase")]
    pub root_passphrase_file: Option<PathBuf>,
    /// An existing CA's certificate (PEM) to issue under, with --ca-key.
    #[arg(long, value_name = "CA.crt")]
    pub ca_cert: Option<PathBuf>,
    /// An existing CA's private key (with --ca-cert or --from); no CA key is written.
    #[arg(long, value_name = "CA.key")]
    pub ca_key: Option<PathBuf>,
    /// A bundle whose spec and CA are used again (with --ca-key): every certificate anew.
    #[arg(long, value_name = "OLD.zip")]
    pub from: Option<PathBuf>,
    /// Under an existing CA that ends before the certificates would: shorten them to fit.
    #[arg(long)]
    pub cap_validity: bool,
    #[command(flatten)]
    pub json: Json,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Where to write the bundle (default: demo-demo-g1.zip here).
    #[arg(short, long, value_name = "demo.zip")]
    pub out: Option<PathBuf>,
    /// Replace an existing --out or CA key file.
    #[arg(long)]
    pub force: bool,
    /// Keep the demo's CA key in PATH (unencrypted unless --ca-passphrase-file).
    #[arg(long, value_name = "PATH")]
    pub ca_key_out: Option<PathBuf>,
    /// Encrypt the kept CA key with the first line of FILE (needs --ca-key-out).
    #[arg(long, value_name = "FILE")]
    pub ca_passphrase_file: Option<PathBuf>,
    #[command(flatten)]
    pub json: Json,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// The spec to check.
    #[arg(long, value_name = "cluster.json", conflicts_with = "from")]
    pub spec: Option<String>,
    /// A bundle to check for day two instead of a spec.
    #[arg(long, value_name = "BUNDLE.zip")]
    pub from: Option<PathBuf>,
    /// Another CA's bundle: serials the two CAs share are reported (with --from).
    #[arg(long, value_name = "OTHER.zip", requires = "from")]
    pub other_ca: Option<PathBuf>,
    #[command(flatten)]
    pub json: Json,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// A bundle, or a folder of bundles; repeat for more.
    #[arg(long, value_name = "PATH")]
    pub from: Vec<PathBuf>,
    /// Bundles or folders, as with --from.
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// A certificate ending within DAYS is due for renewal.
    #[arg(long, value_name = "DAYS", default_value_t = pki_core::status::DEFAULT_WITHIN_DAYS,
          value_parser = status_days)]
    pub within: u32,
    /// The CA key to put in the commands (default: <cluster>-ca.key beside the bundle).
    #[arg(long, value_name = "CA.key")]
    pub ca_key: Option<String>,
    #[command(flatten)]
    pub json: Json,
}

#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// Logs, certificates, keys, configs, folders or a bundle .zip; - reads standard input.
    #[arg(value_name = "FILE")]
    pub files: Vec<String>,
    #[command(flatten)]
    pub json: Json,
}

#[derive(Debug, Args)]
pub struct AddMemberArgs {
    #[command(flatten)]
    pub opened: Opened,
    /// The new member's name.
    #[arg(long, value_name = "NAME")]
    pub name: String,
    /// Its IP address; repeat for more.
    #[arg(long, value_name = "IP", required = true)]
    pub ip: Vec<String>,
    /// A DNS name it is reached by; repeat for more.
    #[arg(long, value_name = "NAME")]
    pub dns: Vec<String>,
    #[command(flatten)]
    pub json: Json,
}

#[derive(Debug, Args)]
pub struct RemoveMemberArgs {
    #[command(flatten)]
    pub opened: Opened,
    /// The member that leaves.
    #[arg(long, value_name = "NAME")]
    pub name: String,
    #[command(flatten)]
    pub json: Json,
}

#[derive(Debug, Args)]
pub struct ReplaceMemberArgs {
    #[command(flatten)]
    pub opened: Opened,
    /// The member that goes.
    #[arg(long, value_name = "OLD")]
    pub name: String,
    /// The name of the member that comes (default: the same name).
    #[arg(long, value_name = "NAME")]
    pub new_name: Option<String>,
    /// The new member's IP address; repeat for more.
    #[arg(long, value_name = "IP", required = true)]
    pub ip: Vec<String>,
    /// A DNS name of the new member; repeat for more.
    #[arg(long, value_name = "NAME")]
    pub dns: Vec<String>,
    #[command(flatten)]
    pub json: Json,
}

#[derive(Debug, Args)]
pub struct RenewArgs {
    #[command(flatten)]
    pub opened: Opened,
    /// Renew only this member's or client's certificates; repeat for more.
    #[arg(long, value_name = "NAME")]
    pub only: Vec<String>,
    /// Keep each certificate's key (only the certificate changes).
    #[arg(long)]
    pub keep_keys: bool,
    /// Renew only certificates ending within DAYS; nothing due, nothing written.
    #[arg(long, value_name = "DAYS", value_parser = renew_days)]
    pub within: Option<u32>,
    #[command(flatten)]
    pub json: Json,
}

#[derive(Debug, Args)]
pub struct RevokeArgs {
    #[command(flatten)]
    pub opened: Opened,
    /// A client whose certificates are revoked; repeat for more.
    #[arg(long, value_name = "NAME")]
    pub client: Vec<String>,
    /// A member removed earlier whose certificates are revoked; repeat for more.
    #[arg(long, value_name = "REMOVED")]
    pub member: Vec<String>,
    /// A certificate of the bundle, by serial (hex); repeat for more.
    #[arg(long, value_name = "HEX")]
    pub serial: Vec<String>,
    /// A serial the bundle no longer lists (a replaced key), as renew or remove-member printed it.
    #[arg(long, value_name = "HEX")]
    pub unlisted_serial: Vec<String>,
    /// An earlier issuing CA, revoked by the root: `old` (the one rotate-issuer replaced last)
    /// or its SHA-256 fingerprint; needs --root-key.
    #[arg(long, value_name = "old|SHA256")]
    pub issuing_ca: Vec<String>,
    /// The root's key (<cluster>-root-ca.key): signs the root's CRL, root.crl.
    #[arg(long, value_name = "ROOT.key")]
    pub root_key: Option<PathBuf>,
    /// A file whose first line is the root key's passphrase (else asked on the terminal).
    #[arg(long, value_name = "FILE", requires = "root_key")]
    pub root_passphrase_file: Option<PathBuf>,
    /// Why: key-compromise, superseded, cessation-of-operation, affiliation-changed, ...
    #[arg(long, value_name = "REASON")]
    pub reason: Option<String>,
    /// Days until the CRL's next update (default 30).
    #[arg(long, value_name = "DAYS", value_parser = next_update_days)]
    pub next_update: Option<u32>,
    #[command(flatten)]
    pub json: Json,
}

#[derive(Debug, Args)]
pub struct RotateCaArgs {
    #[command(flatten)]
    pub opened: Opened,
    /// Renew the CA certificate with the same key (one rolling restart) instead of a new CA.
    #[arg(long)]
    pub same_key: bool,
    /// Where to write the new CA key (default: <cluster>-ca-new.key beside the kit).
    #[arg(long, value_name = "PATH")]
    pub new_ca_key_out: Option<PathBuf>,
    /// The new CA key's passphrase is the first line of FILE.
    #[arg(long, value_name = "FILE")]
    pub new_ca_passphrase_file: Option<PathBuf>,
    /// Write the new CA key UNENCRYPTED.
    #[arg(long)]
    pub no_new_ca_passphrase: bool,
    #[command(flatten)]
    pub json: Json,
}

#[derive(Debug, Args)]
pub struct ReferenceArgs {
    /// The repository's root: share/man/man1/, share/completions/ and docs/CLI.md under it.
    #[arg(value_name = "ROOT", default_value = ".")]
    pub root: PathBuf,
}

/// `status --within`: days, said the way `status` always said it.
fn status_days(v: &str) -> Result<u32, String> {
    v.parse()
        .map_err(|_| format!("--within {v:?} is not a number of days; write e.g. --within 30"))
}

fn renew_days(v: &str) -> Result<u32, String> {
    v.parse()
        .map_err(|_| format!("--within {v:?}: give a number of days, e.g. --within 30"))
}

fn next_update_days(v: &str) -> Result<u32, String> {
    v.parse().map_err(|_| {
        format!("--next-update {v:?}: give the days until the next CRL, e.g. --next-update 30")
    })
}

/// A command's EXIT STATUS and EXAMPLES.
pub struct Notes {
    /// The subcommand's name; "" for `etcd-pki` itself.
    pub command: &'static str,
    /// One line per exit code.
    pub exit_status: &'static [&'static str],
    /// Command lines, each after a `#` comment line saying what it does.
    pub examples: &'static [&'static str],
}

const WRITES: &[&str] = &[
    "0  done: the new bundle was written",
    "1  anything else (a file that cannot be written, ...)",
    "2  bad input or usage (an unknown option, a missing or unreadable file, a wrong CA key, a \
     refused change); nothing was written",
];

const READS: &[&str] = &[
    "0  done: the answer was printed (whatever it says is due)",
    "1  anything else",
    "2  bad input or usage (an unknown option, a file that cannot be read)",
];

/// Every command's notes; [`command`] puts them in `--help`, `reference.rs` in the man pages
/// and docs/CLI.md.
pub const NOTES: &[Notes] = &[
    Notes {
        command: "",
        exit_status: &[
            "0  done",
            "1  anything else",
            "2  bad input or usage; nothing was written",
        ],
        examples: &[
            "# a spec to start from, the bundle, then the newest bundle's state",
            "etcd-pki spec-template > cluster.json",
            "etcd-pki generate --spec cluster.json --ca-passphrase-file pass.txt",
            "etcd-pki status --from prod-generate-g1.zip",
        ],
    },
    Notes {
        command: "generate",
        exit_status: &[
            "0  done: the bundle (and the CA key) were written",
            "1  anything else",
            "2  bad input or usage (an invalid spec, a short passphrase, an existing --out); \
             nothing was written",
        ],
        examples: &[
            "# a new CA, its key encrypted with the first line of pass.txt",
            "etcd-pki generate --spec cluster.json --ca-passphrase-file pass.txt --out prod.zip",
            "# under a CA made elsewhere (openssl, easy-rsa, kubeadm)",
            "etcd-pki generate --spec cluster.json --ca-cert ca.crt --ca-key ca.key",
            "# the bundle's own spec and CA, every certificate anew, as JSON",
            "etcd-pki generate --from prod.zip --ca-key prod-ca.key --json",
        ],
    },
    Notes {
        command: "demo",
        exit_status: WRITES,
        examples: &[
            "# a throwaway 3-member cluster on this machine",
            "etcd-pki demo --out demo.zip",
        ],
    },
    Notes {
        command: "spec-template",
        exit_status: &["0  the spec was printed", "2  usage (an unknown option)"],
        examples: &["etcd-pki spec-template > cluster.json"],
    },
    Notes {
        command: "validate",
        exit_status: &[
            "0  no error (warnings may be printed)",
            "1  anything else",
            "2  the spec or bundle has errors, or cannot be read",
        ],
        examples: &[
            "etcd-pki validate --spec cluster.json",
            "# a bundle before day two, and serials shared with another CA's bundle",
            "etcd-pki validate --from prod.zip --other-ca old-ca.zip --json",
        ],
    },
    Notes {
        command: "status",
        exit_status: READS,
        examples: &[
            "etcd-pki status --from prod-renew-g3.zip",
            "# every cluster in a folder, for a script",
            "etcd-pki status --from bundles/ --within 45 --json",
        ],
    },
    Notes {
        command: "doctor",
        exit_status: &[
            "0  the diagnosis was printed (findings or not)",
            "1  anything else",
            "2  bad input (a file that cannot be read, no input)",
        ],
        examples: &[
            "journalctl -u etcd --since -1h | etcd-pki doctor - /etc/etcd/pki /etc/etcd/etcd.env",
            "etcdctl endpoint health 2>&1 | etcd-pki doctor - prod-bundle.zip",
        ],
    },
    Notes {
        command: "add-member",
        exit_status: WRITES,
        examples: &[
            "etcd-pki add-member --from prod.zip --ca-key prod-ca.key --name etcd4 --ip 10.0.0.4 \
             --out prod-add-etcd4.zip",
        ],
    },
    Notes {
        command: "remove-member",
        exit_status: WRITES,
        examples: &["etcd-pki remove-member --from prod.zip --ca-key prod-ca.key --name etcd2"],
    },
    Notes {
        command: "replace-member",
        exit_status: WRITES,
        examples: &[
            "# etcd2 on a new address",
            "etcd-pki replace-member --from prod.zip --ca-key prod-ca.key --name etcd2 --ip 10.0.0.12",
            "# etcd2 replaced by etcd5",
            "etcd-pki replace-member --from prod.zip --ca-key prod-ca.key --name etcd2 --new-name \
             etcd5 --ip 10.0.0.5",
        ],
    },
    Notes {
        command: "renew",
        exit_status: &[
            "0  done: the new bundle was written, or nothing was due within --within DAYS",
            "1  anything else",
            "2  bad input or usage; nothing was written",
        ],
        examples: &[
            "etcd-pki renew --from prod.zip --ca-key prod-ca.key --ca-passphrase-file pass.txt",
            "# from a timer: only what ends within 30 days, the same keys",
            "etcd-pki renew --from prod.zip --ca-key prod-ca.key --within 30 --keep-keys --json",
        ],
    },
    Notes {
        command: "revoke",
        exit_status: WRITES,
        examples: &[
            "etcd-pki revoke --from prod.zip --ca-key prod-ca.key --client alice --reason \
             key-compromise",
            "# the first, empty CRL",
            "etcd-pki revoke --from prod.zip --ca-key prod-ca.key --next-update 30",
        ],
    },
    Notes {
        command: "rotate-ca",
        exit_status: WRITES,
        examples: &[
            "etcd-pki rotate-ca --from prod.zip --ca-key prod-ca.key --new-ca-passphrase-file \
             new-pass.txt",
            "# the CA certificate renewed with the same key",
            "etcd-pki rotate-ca --from prod.zip --ca-key prod-ca.key --same-key",
        ],
    },
];

impl Notes {
    /// As the end of `--help`: EXIT STATUS and EXAMPLES.
    pub fn as_help(&self, overview: Option<&str>) -> String {
        let mut s = String::new();
        if let Some(o) = overview {
            s.push_str(o);
            s.push_str("\n\n");
        }
        s.push_str("EXIT STATUS:\n");
        for l in self.exit_status {
            s.push_str(&format!("  {l}\n"));
        }
        s.push_str("\nEXAMPLES:\n");
        for l in self.examples {
            s.push_str(&format!("  {l}\n"));
        }
        s.trim_end().to_string()
    }
}

/// The parser with every command's notes in its `--help`. An option given twice takes the
/// last value, as the hand-written parsers did (a script that appends `--ca-key OTHER` to a
/// command line overrides the first); repeatable options (`--ip`, `--client`) still collect.
pub fn command() -> clap::Command {
    let mut cmd = Cli::command();
    for n in NOTES {
        if n.command.is_empty() {
            cmd = cmd.after_long_help(n.as_help(Some(OVERVIEW)));
        } else {
            cmd = cmd.mut_subcommand(n.command, |c| {
                c.after_long_help(n.as_help(None)).args_override_self(true)
            });
        }
    }
    cmd
}

/// The notes of `name` ("" for `etcd-pki`).
pub fn notes(name: &str) -> Option<&'static Notes> {
    NOTES.iter().find(|n| n.command == name)
}
