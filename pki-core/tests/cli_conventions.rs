//! The command line behaves like one (issue #24 item 1): `--version`, `--help` on every
//! command with its EXIT STATUS and EXAMPLES, `--opt=value` as well as `--opt value`, the
//! nearest valid command or option offered for a typo, and the exit codes a script relies on
//! (0 done, 1 anything else, 2 bad input or usage), also with `--json`. Runs the real binary;
//! nothing here makes keys, so it takes well under a second.

use std::process::Command;

/// The visible commands, as `etcd-pki --help` lists them.
const COMMANDS: &[&str] = &[
    "generate",
    "demo",
    "spec-template",
    "validate",
    "status",
    "doctor",
    "add-member",
    "remove-member",
    "replace-member",
    "renew",
    "revoke",
    "rotate-ca",
    "rotate-issuer",
];

/// `etcd-pki ARGS`: exit code, stdout, stderr.
fn run(args: &[&str]) -> (Option<i32>, String, String) {
    let dir = std::env::temp_dir();
    let o = Command::new(env!("CARGO_BIN_EXE_etcd-pki"))
        .env("ETCD_PKI_STATE_DIR", "/dev/null")
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap();
    (
        o.status.code(),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn version_and_help_exit_0_on_stdout() {
    let (code, out, _) = run(&["--version"]);
    assert_eq!(code, Some(0));
    assert_eq!(
        out.trim(),
        format!("etcd-pki {}", env!("CARGO_PKG_VERSION"))
    );

    let (code, out, _) = run(&["--help"]);
    assert_eq!(code, Some(0));
    for c in COMMANDS {
        assert!(out.contains(c), "etcd-pki --help does not list {c}:\n{out}");
    }
    assert!(
        out.contains("EXIT STATUS") && out.contains("EXAMPLES"),
        "{out}"
    );
    assert!(
        !out.contains("generate-reference"),
        "the hidden command shows:\n{out}"
    );
    // No command at all: the help, exit 0, as etcd-pki always answered.
    let (code, bare, _) = run(&[]);
    assert_eq!(
        (code, bare.contains("rotate-ca")),
        (Some(0), true),
        "{bare}"
    );

    for c in COMMANDS {
        let (code, out, err) = run(&[c, "--help"]);
        assert_eq!(code, Some(0), "{c} --help: {err}");
        assert!(
            out.contains(&format!("Usage: etcd-pki {c}"))
                && out.contains("EXIT STATUS:\n  0  ")
                && out.contains("EXAMPLES:\n  "),
            "{c} --help lacks its usage, exit status or examples:\n{out}"
        );
        // Every option is described: no option line is followed by an empty description.
        let lines: Vec<&str> = out.lines().collect();
        for w in lines.windows(2) {
            // Option lines are indented 2 or 6 columns, their descriptions 10.
            let indent = w[0].len() - w[0].trim_start().len();
            let option = (2..=6).contains(&indent) && w[0].trim_start().starts_with('-');
            assert!(
                !(option && w[1].trim().is_empty()),
                "{c}: {} has no description:\n{out}",
                w[0].trim()
            );
        }
        // `help COMMAND` says the same.
        let (code, again, _) = run(&["help", c]);
        assert_eq!((code, &again), (Some(0), &out), "{c}");
    }
}

#[test]
fn typos_are_answered_with_the_nearest_command_or_option_and_exit_2() {
    let (code, out, err) = run(&["renw", "--from", "a.zip"]);
    assert_eq!(code, Some(2), "{out}{err}");
    assert!(err.contains("'renew'"), "no suggestion: {err}");
    assert!(out.is_empty(), "{out}");

    let (code, _, err) = run(&["renew", "--form", "a.zip", "--ca-key", "k"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("'--from'"), "no suggestion: {err}");

    let (code, _, err) = run(&["rotate-ca", "--same-keys", "--from", "a", "--ca-key", "k"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("'--same-key'"), "no suggestion: {err}");

    // A missing required option is named.
    let (code, _, err) = run(&[
        "add-member",
        "--from",
        "a.zip",
        "--ca-key",
        "k",
        "--name",
        "e4",
    ]);
    assert_eq!(code, Some(2));
    assert!(err.contains("--ip <IP>"), "{err}");

    // A value that is no number of days.
    let (code, _, err) = run(&["renew", "--from=a.zip", "--ca-key=k", "--within=soon"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("give a number of days"), "{err}");
}

#[test]
fn both_spellings_of_an_option_and_the_exit_codes_of_failures() {
    let missing = std::env::temp_dir().join(format!("epki-nothing-{}.json", std::process::id()));
    let m = missing.display().to_string();
    // A missing file is bad input: 2, the file named, in either spelling.
    for args in [
        vec!["validate".to_string(), "--spec".into(), m.clone()],
        vec!["validate".to_string(), format!("--spec={m}")],
        vec![
            "generate".to_string(),
            format!("--spec={m}"),
            "--no-ca-passphrase".into(),
        ],
        vec!["status".to_string(), format!("--from={m}")],
        vec!["doctor".to_string(), m.clone()],
    ] {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (code, out, err) = run(&args);
        assert_eq!(code, Some(2), "{args:?}: {out}{err}");
        assert!(err.contains(&m), "{args:?} does not name the file: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
    // Anything else is 1: here a folder that cannot be made.
    let (code, _, err) = run(&["generate-reference", "/proc/etcd-pki-cannot"]);
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("cannot create the folder /proc/etcd-pki-cannot"),
        "{err}"
    );

    // With --json, a refusal is a JSON answer on stdout, the exit code unchanged.
    for args in [
        vec!["renew", "--json", "--form", "a.zip"],
        vec!["status", "--json"],
        vec!["validate", "--json", "--spec", &m],
    ] {
        let (code, out, err) = run(&args);
        assert_eq!(code, Some(2), "{args:?}: {err}");
        let v: serde_json::Value = serde_json::from_str(&out)
            .unwrap_or_else(|e| panic!("{args:?}: stdout is not JSON ({e}): {out}"));
        assert_eq!(
            (&v["format"], &v["ok"], &v["exit_code"]),
            (
                &format!("etcd-pki-{}", args[0]).into(),
                &false.into(),
                &2.into()
            ),
            "{v}"
        );
        assert!(v["error"].as_str().is_some_and(|e| !e.is_empty()), "{v}");
    }
}
