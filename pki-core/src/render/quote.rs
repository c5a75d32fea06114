//! Quoting for every sink, the second wall behind [`crate::rules`]: validation already keeps
//! quotes, backslashes, `$`, backticks and newlines out of every value that reaches a file,
//! and these functions make a value that slipped through inert anyway.

/// A shell word in single quotes (`'it'\''s'`): nothing inside is expanded. Also the value
/// form of our env files: `KEY='value'` means the same to `sh` (`set -a; . file`) and to
/// systemd's `EnvironmentFile=`, which strips single quotes and expands nothing inside them
/// (validation guarantees no `'`, `\` or newline, the three characters the two read
/// differently).
pub fn sh(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// A YAML single-quoted scalar: nothing inside is special but `'`, written `''`.
pub fn yaml(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// Text for a `#` comment: control and format characters escaped, so a value cannot end the
/// comment line and start a command.
pub fn comment(s: &str) -> String {
    let shown = crate::rules::shown(s);
    shown[1..shown.len() - 1].to_string()
}

/// `KEY='value'` lines, sourced by a runbook script (`. file`): shell and quoting as in the
/// env files of the bundle.
pub(crate) fn data_file(script: &str, vars: &[(&str, String)]) -> String {
    let mut s = format!(
        "# Parameters of {script}, written by etcd-pki. The script sources this file.\n\
         # shellcheck shell=bash disable=SC2034\n"
    );
    for (k, v) in vars {
        s.push_str(&format!("{k}={}\n", sh(v)));
    }
    s
}

/// `s` as one shell word for a command printed to a person: as it is when it is plain
/// (letters, digits, `._/:@%+=,-`), else single-quoted ([`sh`]).
pub(crate) fn word(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "._/:@%+=,-".contains(c));
    if plain { s.to_string() } else { sh(s) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_words_keep_quotes_inert() {
        assert_eq!(sh("a'b"), r"'a'\''b'");
        assert_eq!(yaml("a'b"), "'a''b'");
        assert_eq!(comment("a\nrm -rf /"), r"a\nrm -rf /");
    }
}
