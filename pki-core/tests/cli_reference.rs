//! The files generated from the parser's definitions — the man pages in share/man/man1/, the
//! shell completions in share/completions/ and docs/CLI.md — are the ones committed (the
//! test prints the one command that regenerates them), the man pages open with `man -l` and
//! show the command's name and every option its `--help` lists, and the bash completion loads
//! and completes. Cheap: no key is made.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

const REGENERATE: &str = "cargo run -p pki-core --bin etcd-pki -- generate-reference .";

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn etcd_pki(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_etcd-pki"))
        .args(args)
        .output()
        .unwrap()
}

/// Every file under `dir`, relative to it.
fn listing(dir: &Path, under: &Path, out: &mut BTreeSet<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir.join(under)) else {
        return;
    };
    for e in entries.flatten() {
        let rel = under.join(e.file_name());
        if e.path().is_dir() {
            listing(dir, &rel, out);
        } else {
            out.insert(rel);
        }
    }
}

#[test]
fn the_committed_reference_man_pages_and_completions_are_generated_from_the_definitions() {
    let tmp = std::env::temp_dir().join(format!("epki-reference-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    let o = etcd_pki(&["generate-reference", tmp.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let mut generated = BTreeSet::new();
    listing(&tmp, Path::new(""), &mut generated);
    assert!(generated.len() > 10, "{generated:?}");
    let mut stale = Vec::new();
    for f in &generated {
        let now = std::fs::read(tmp.join(f)).unwrap();
        match std::fs::read(repo().join(f)) {
            Ok(committed) if committed == now => {}
            Ok(_) => stale.push(format!("{} differs", f.display())),
            Err(_) => stale.push(format!("{} is missing", f.display())),
        }
    }
    // A man page or completion of a command that no longer exists.
    let mut committed = BTreeSet::new();
    listing(&repo(), Path::new("share"), &mut committed);
    for f in committed.difference(&generated) {
        stale.push(format!("{} is no longer generated", f.display()));
    }
    let _ = std::fs::remove_dir_all(&tmp);
    assert!(
        stale.is_empty(),
        "the generated CLI reference is stale:\n  {}\nregenerate it from the repository's root \
         with:\n  {REGENERATE}\nand commit the result",
        stale.join("\n  ")
    );
}

/// The `--long` options an `--help` text lists.
fn options_of(help: &str) -> BTreeSet<String> {
    help.split(|c: char| c.is_whitespace() || matches!(c, ',' | '[' | '='))
        .filter(|w| w.starts_with("--") && w.len() > 2)
        .map(|w| {
            w.trim_end_matches(|c: char| !c.is_ascii_alphanumeric())
                .to_string()
        })
        .filter(|w| w.len() > 2 && w[2..].chars().all(|c| c.is_ascii_lowercase() || c == '-'))
        .collect()
}

#[test]
fn each_man_page_opens_with_man_and_shows_its_command_and_options() {
    let dir = repo().join("share/man/man1");
    let mut pages: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    pages.sort();
    assert!(pages.len() >= 13, "{pages:?}");
    for page in pages {
        let name = page.file_stem().unwrap().to_str().unwrap().to_string();
        let o = Command::new("man")
            .args(["-P", "cat", "-l"])
            .arg(&page)
            .env("MANPAGER", "cat")
            .env("MANWIDTH", "200")
            .env("LC_ALL", "C")
            .output()
            .expect("man (apt package man-db; scripts/setup.sh installs it)");
        let text = String::from_utf8_lossy(&o.stdout);
        assert!(
            o.status.success(),
            "man -l {name}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        // groff may emphasise with backspaces when not told otherwise; read the letters.
        let text: String = text
            .split('\u{8}')
            .enumerate()
            .map(|(i, s)| if i == 0 { s } else { &s[1..] })
            .collect();
        assert!(
            text.contains(&name) && text.contains("EXIT STATUS") && text.contains("EXAMPLES"),
            "{name}: the page lacks its name, exit status or examples:\n{text}"
        );
        let sub = name.strip_prefix("etcd-pki-");
        let mut args: Vec<&str> = sub.into_iter().collect();
        args.push("--help");
        let help = String::from_utf8_lossy(&etcd_pki(&args).stdout).into_owned();
        let opts = options_of(&help);
        assert!(
            sub.is_none() || !opts.is_empty(),
            "{name}: no option in --help:\n{help}"
        );
        for opt in opts
            .iter()
            .filter(|o| help.contains(&format!("  {o}")) || help.contains(&format!(", {o}")))
        {
            assert!(
                text.contains(opt.as_str()),
                "{name}: man page lacks {opt}:\n{text}"
            );
        }
    }
}

#[test]
fn the_bash_completion_loads_and_completes_commands_and_options() {
    let script = repo().join("share/completions/etcd-pki.bash");
    let o = Command::new("bash")
        .arg("-c")
        .arg(
            r#"source "$1" && complete -p etcd-pki || exit 1
               f=$(complete -p etcd-pki | sed -n 's/.* -F \([^ ]*\) .*/\1/p')
               COMP_WORDS=(etcd-pki ren); COMP_CWORD=1; COMP_LINE="etcd-pki ren"; COMP_POINT=12
               "$f" etcd-pki ren etcd-pki; echo "commands: ${COMPREPLY[*]}"
               COMP_WORDS=(etcd-pki rotate-ca --same); COMP_CWORD=2; COMP_LINE="etcd-pki rotate-ca --same"; COMP_POINT=25
               "$f" etcd-pki --same rotate-ca; echo "options: ${COMPREPLY[*]}""#,
        )
        .arg("bash")
        .arg(&script)
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "{out}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(out.contains(" -F ") && out.contains(" etcd-pki\n"), "{out}");
    assert!(out.contains("commands: renew"), "{out}");
    assert!(out.contains("options: --same-key"), "{out}");
}
