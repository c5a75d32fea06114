//! `etcd-pki generate-reference ROOT` (hidden): the man pages, shell completions and the
//! Markdown CLI reference, written from the parser's own definitions ([`super::cli`]) so that
//! they say what `--help` says. `tests/cli_reference.rs` runs it into a scratch folder and
//! fails when the committed files differ. Where each file goes (under ROOT):
//! - `share/man/man1/etcd-pki.1` and `etcd-pki-<command>.1` (clap_mangen, with EXIT STATUS
//!   and EXAMPLES sections of their own);
//! - `share/completions/etcd-pki.bash`, `_etcd-pki` (zsh), `etcd-pki.fish` (clap_complete);
//! - `docs/CLI.md`.

use std::path::{Path, PathBuf};

use clap_complete::Shell;

use super::Failure;
use super::cli::{self, Notes};

/// The one command that writes them all again, as the staleness test prints it.
pub const REGENERATE: &str = "cargo run -p pki-core --bin etcd-pki -- generate-reference .";

/// Every generated file: its path under the root and its bytes.
pub fn files() -> Vec<(PathBuf, Vec<u8>)> {
    let mut cmd = cli::command().disable_help_subcommand(true);
    cmd.build();
    let mut out = Vec::new();
    for c in commands(&cmd) {
        let name = c.get_display_name().unwrap_or(c.get_name()).to_string();
        let notes = cli::notes(if c.get_name() == "etcd-pki" {
            ""
        } else {
            c.get_name()
        });
        out.push((
            PathBuf::from(format!("share/man/man1/{name}.1")),
            man_page(c, notes),
        ));
    }
    for (shell, file) in [
        (Shell::Bash, "etcd-pki.bash"),
        (Shell::Zsh, "_etcd-pki"),
        (Shell::Fish, "etcd-pki.fish"),
    ] {
        let mut buf = Vec::new();
        clap_complete::generate(shell, &mut visible(&cmd), "etcd-pki", &mut buf);
        if shell == Shell::Bash {
            buf = bash_hyphen_fix(&buf);
        }
        out.push((PathBuf::from(format!("share/completions/{file}")), buf));
    }
    out.push((PathBuf::from("docs/CLI.md"), markdown(&cmd).into_bytes()));
    out
}

/// Writes every file under `root`.
pub fn write_all(root: &Path) -> Result<(), Failure> {
    for (path, bytes) in files() {
        let p = root.join(&path);
        if let Some(dir) = p.parent() {
            std::fs::create_dir_all(dir).map_err(|e| {
                Failure::Other(format!("cannot create the folder {}: {e}", dir.display()))
            })?;
        }
        std::fs::write(&p, bytes)
            .map_err(|e| Failure::Other(format!("cannot write {}: {e}", p.display())))?;
        say!("wrote {}", p.display());
    }
    Ok(())
}

/// clap_complete's bash script names a command's state `etcd__pki__subcmd__renew` where it
/// sets it and `etcd__subcmd__pki__subcmd__renew` where it matches it, for any program whose
/// name has a hyphen, so that no option after a command completes
/// (<https://github.com/clap-rs/clap/issues/6421>, open in clap_complete 4.6.12): the
/// matching side is spelled like the setting side. Drop this once the fix is released;
/// tests/cli_reference.rs completes `rotate-ca --same` to check it.
fn bash_hyphen_fix(script: &[u8]) -> Vec<u8> {
    String::from_utf8_lossy(script)
        .replace("etcd__subcmd__pki", "etcd__pki")
        .into_bytes()
}

/// `etcd-pki` without its hidden command, which completions would otherwise offer (the root
/// has no option of its own but --help and --version, which clap adds again).
fn visible(cmd: &clap::Command) -> clap::Command {
    clap::Command::new("etcd-pki")
        .version(env!("CARGO_PKG_VERSION"))
        .about(cmd.get_about().cloned().unwrap_or_default())
        .subcommands(cmd.get_subcommands().filter(|s| !s.is_hide_set()).cloned())
}

/// `etcd-pki` and its visible commands, in `--help`'s order.
fn commands(cmd: &clap::Command) -> Vec<&clap::Command> {
    std::iter::once(cmd)
        .chain(cmd.get_subcommands().filter(|s| !s.is_hide_set()))
        .collect()
}

/// The man page of `c`: clap_mangen's sections, then EXIT STATUS, EXAMPLES and (for
/// `etcd-pki` itself) NOTES as sections of their own rather than clap_mangen's one EXTRA
/// paragraph.
fn man_page(c: &clap::Command, notes: Option<&Notes>) -> Vec<u8> {
    // after_long_help is not rendered as clap_mangen's EXTRA: it is below, section by section.
    let man = clap_mangen::Man::new(c.clone())
        .manual("etcd-pki manual")
        .source(format!("etcd-pki {}", env!("CARGO_PKG_VERSION")));
    let mut buf = Vec::new();
    let _ = man.render_title(&mut buf);
    let _ = man.render_name_section(&mut buf);
    let _ = man.render_synopsis_section(&mut buf);
    let _ = man.render_description_section(&mut buf);
    if c.get_arguments().any(|a| !a.is_hide_set()) {
        let _ = man.render_options_section(&mut buf);
    }
    if c.has_subcommands() {
        let _ = man.render_subcommands_section(&mut buf);
    }
    let mut roff = String::new();
    if let Some(n) = notes {
        roff.push_str(".SH \"EXIT STATUS\"\n");
        for l in n.exit_status {
            let (code, what) = l.split_once("  ").unwrap_or((l, ""));
            roff.push_str(&format!(".TP\n.B {code}\n{}\n", escape(what.trim())));
        }
        roff.push_str(".SH EXAMPLES\n");
        for l in n.examples {
            match l.strip_prefix("# ") {
                Some(comment) => roff.push_str(&format!(".PP\n{}\n", escape(comment))),
                None => roff.push_str(&format!(".PP\n.RS 4\n.nf\n{}\n.fi\n.RE\n", escape(l))),
            }
        }
        if n.command.is_empty() {
            roff.push_str(".SH NOTES\n");
            for para in cli::OVERVIEW.split("\n\n") {
                roff.push_str(&format!(".PP\n{}\n", escape(&para.replace('\n', " "))));
            }
        }
    }
    roff.push_str(&format!(
        ".SH \"SEE ALSO\"\n{}\n",
        escape("etcd-pki(1), etcd-pki-COMMAND(1) for each command; docs/CLI.md")
    ));
    buf.extend_from_slice(roff.as_bytes());
    if c.get_version().is_some() {
        let _ = man.render_version_section(&mut buf);
    }
    buf
}

/// Text for roff: backslashes and hyphens escaped, no line starting a request.
fn escape(text: &str) -> String {
    let t = text.replace('\\', "\\e").replace('-', "\\-");
    if t.starts_with('.') || t.starts_with('\'') {
        format!("\\&{t}")
    } else {
        t
    }
}

/// docs/CLI.md: how it is made, then every command with its description, usage, options,
/// exit status and examples.
fn markdown(root: &clap::Command) -> String {
    let mut md = String::from(
        "# etcd-pki command-line reference\n\n\
         <!-- Generated from pki-core/src/bin/etcd-pki/cli.rs; do not edit by hand. -->\n\n\
         This file, the man pages in `share/man/man1/` and the shell completions in\n\
         `share/completions/` are generated from the parser's definitions\n\
         (`pki-core/src/bin/etcd-pki/cli.rs`). After changing a command or an option, run\n\n\
         ```sh\n",
    );
    md.push_str(REGENERATE);
    md.push_str(
        "\n```\n\n\
         from the repository's root and commit the result; `pki-core/tests/cli_reference.rs`\n\
         fails while they differ. To install: copy `share/man/man1/*.1` to\n\
         `/usr/local/share/man/man1/`, `share/completions/etcd-pki.bash` to\n\
         `/usr/share/bash-completion/completions/etcd-pki`, `_etcd-pki` to a folder on zsh's\n\
         `$fpath` (e.g. `/usr/local/share/zsh/site-functions/`) and `etcd-pki.fish` to\n\
         `~/.config/fish/completions/`. Every command takes `--opt value` and `--opt=value`,\n\
         answers `--help` (a summary with `-h`), and exits 0 when done, 2 on bad input or\n\
         usage (nothing written), 1 otherwise; `--json` makes a reporting command answer with\n\
         one JSON object on standard output, a refusal included.\n\n",
    );
    md.push_str("## Commands\n\n");
    for c in root.get_subcommands().filter(|s| !s.is_hide_set()) {
        md.push_str(&format!(
            "- [`etcd-pki {}`](#etcd-pki-{}): {}\n",
            c.get_name(),
            c.get_name(),
            text(c.get_about())
        ));
    }
    md.push('\n');
    for c in commands(root) {
        let is_root = std::ptr::eq(c, root);
        let title = if is_root {
            "etcd-pki".to_string()
        } else {
            format!("etcd-pki {}", c.get_name())
        };
        md.push_str(&format!("## {title}\n\n"));
        let about = c.get_long_about().or(c.get_about());
        md.push_str(&format!("{}\n\n", text(about)));
        md.push_str(&format!(
            "```text\n{}\n```\n\n",
            c.clone().render_usage().to_string().trim_end()
        ));
        let args: Vec<&clap::Arg> = c
            .get_arguments()
            .filter(|a| !a.is_hide_set() && !matches!(a.get_id().as_str(), "help" | "version"))
            .collect();
        if !args.is_empty() {
            md.push_str("Options:\n\n");
            for a in args {
                md.push_str(&format!("- {}: {}\n", arg_names(a), arg_help(a)));
            }
            md.push('\n');
        }
        let notes = cli::notes(if is_root { "" } else { c.get_name() });
        if let Some(n) = notes {
            md.push_str("Exit status:\n\n");
            for l in n.exit_status {
                let (code, what) = l.split_once("  ").unwrap_or((l, ""));
                md.push_str(&format!("- `{code}` {}\n", what.trim()));
            }
            md.push_str("\nExamples:\n\n```sh\n");
            for l in n.examples {
                md.push_str(l);
                md.push('\n');
            }
            md.push_str("```\n\n");
            if is_root {
                md.push_str(cli::OVERVIEW);
                md.push_str("\n\n");
            }
        }
    }
    md.trim_end().to_string() + "\n"
}

fn text(s: Option<&clap::builder::StyledStr>) -> String {
    s.map(|s| s.to_string()).unwrap_or_default()
}

/// `` `-o`, `--out <bundle.zip>` `` or `` `FILE...` ``.
fn arg_names(a: &clap::Arg) -> String {
    let value = a
        .get_value_names()
        .and_then(|v| v.first())
        .map(|v| v.to_string())
        .unwrap_or_else(|| a.get_id().to_string().to_uppercase());
    let takes = a.get_num_args().is_some_and(|n| n.takes_values());
    let mut names = Vec::new();
    if let Some(s) = a.get_short() {
        names.push(format!("`-{s}`"));
    }
    match a.get_long() {
        Some(l) if a.get_id() == "json" => names.push(format!("`--{l}`")),
        Some(l) if takes => names.push(format!("`--{l} <{value}>`")),
        Some(l) => names.push(format!("`--{l}`")),
        None => names.push(format!("`{value}...`")),
    }
    names.join(", ")
}

fn arg_help(a: &clap::Arg) -> String {
    let mut h = text(a.get_long_help().or(a.get_help()));
    if a.is_required_set() {
        h.push_str(" Required.");
    }
    if a.get_action().takes_values() && a.get_id() != "json" {
        let defaults: Vec<String> = a
            .get_default_values()
            .iter()
            .map(|v| v.to_string_lossy().into_owned())
            .collect();
        if !defaults.is_empty() {
            h.push_str(&format!(" Default: {}.", defaults.join(", ")));
        }
    }
    if matches!(a.get_action(), clap::ArgAction::Append) {
        h.push_str(" Repeatable.");
    }
    h
}
