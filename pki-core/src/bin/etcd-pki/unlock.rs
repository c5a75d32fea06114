//! Unlocking an existing CA key for a day-two command or `generate --ca-key`: the passphrase
//! is the first line of `--ca-passphrase-file`, or, when the key turns out to be encrypted and
//! no file was given, asked once on the terminal (echo off). The 12-character rule is for new
//! keys only: an imported key keeps whatever passphrase its owner chose (easy-rsa allows 4).

use std::path::Path;

use pki_core::Error;
use zeroize::Zeroizing;

use super::Failure;

/// The first line of the passphrase file, without the length rule of new keys.
pub fn read_file(path: &Path) -> Result<Zeroizing<String>, Failure> {
    let text = Zeroizing::new(std::fs::read(path).map_err(|e| {
        Failure::BadInput(format!(
            "cannot read the CA passphrase file {}: {e}",
            path.display()
        ))
    })?);
    let text = Zeroizing::new(String::from_utf8_lossy(&text).into_owned());
    Ok(Zeroizing::new(
        text.lines().next().unwrap_or("").to_string(),
    ))
}

/// Runs `attempt` with the file's passphrase, or without one; if the key is encrypted and no
/// file was given, asks on the terminal and runs it again. The passphrase is wiped on return.
/// `fail` turns any other error into the command's message.
pub fn with_passphrase<T>(
    file: Option<&Path>,
    key_path: &Path,
    attempt: impl Fn(Option<&[u8]>) -> Result<T, Error>,
    fail: impl Fn(Error) -> Failure,
) -> Result<T, Failure> {
    use std::io::IsTerminal;
    let bad = fail;
    if let Some(f) = file {
        let pass = read_file(f)?;
        return attempt(Some(pass.as_bytes())).map_err(bad);
    }
    match attempt(None) {
        Err(Error::CaPassphraseNeeded) if std::io::stdin().is_terminal() => {
            let pass = ask(&format!(
                "Passphrase of the CA key {}: ",
                key_path.display()
            ))?;
            attempt(Some(pass.as_bytes())).map_err(|e| match e {
                Error::CaPassphraseWrong => Failure::BadInput(format!(
                    "the passphrase typed does not decrypt the CA key {}; nothing was written",
                    key_path.display()
                )),
                e => bad(e),
            })
        }
        Err(Error::CaPassphraseNeeded) => Err(Failure::BadInput(format!(
            "the CA key {} is encrypted and there is no terminal to ask for its passphrase: \
             give --ca-passphrase-file FILE (a file whose first line is the passphrase); \
             nothing was written",
            key_path.display()
        ))),
        other => other.map_err(bad),
    }
}

/// One line read from the terminal with echo off (`stty -echo`, restored afterwards).
pub fn ask(prompt: &str) -> Result<Zeroizing<String>, Failure> {
    let stty = |arg: &str| {
        let _ = std::process::Command::new("stty")
            .arg(arg)
            .stdin(std::process::Stdio::inherit())
            .status();
    };
    // Echo off before the prompt shows: a passphrase typed ahead is not echoed either.
    stty("-echo");
    eprint!("{}", pki_core::rules::for_terminal(prompt));
    let mut line = Zeroizing::new(String::new());
    let read = std::io::stdin().read_line(&mut line);
    stty("echo");
    eprintln!();
    read.map_err(|e| Failure::Other(format!("cannot read the passphrase: {e}")))?;
    Ok(Zeroizing::new(
        line.trim_end_matches(['\n', '\r']).to_string(),
    ))
}
