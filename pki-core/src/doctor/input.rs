//! Each input read as what it is — a bundle's zip, PEM blocks (certificates, keys, CRLs), a
//! DER certificate, CRL or key, or text (settings and log lines) — with a note on every
//! problem of the input itself (too big, binary, truncated PEM, not UTF-8). Nothing here
//! fails: a bad input is a note and the rest is still read.

use std::io::Read;

use super::certs::{Cert, Crl, Key, KeyProblem};
use super::config::{Setting, settings_of};
use super::{Input, InputNote, MAX_INPUT, MAX_LINES};
use crate::error::Error;

/// Everything the inputs held.
#[derive(Default)]
pub(crate) struct Material {
    pub certs: Vec<Cert>,
    pub keys: Vec<Key>,
    pub crls: Vec<Crl>,
    pub settings: Vec<Setting>,
    /// Log and error lines: (input name, line).
    pub lines: Vec<(String, String)>,
    pub notes: Vec<InputNote>,
    /// The name of a bundle zip given, for the fix commands.
    pub bundle: Option<String>,
}

/// Reads every input.
pub(crate) fn read_all(inputs: &[Input]) -> Material {
    let mut m = Material::default();
    for i in inputs {
        read_one(&mut m, &i.name, &i.bytes);
    }
    m
}

fn note(m: &mut Material, name: &str, read_as: impl Into<String>, problem: Option<String>) {
    m.notes.push(InputNote {
        name: name.to_string(),
        read_as: read_as.into(),
        problem,
    });
}

fn read_one(m: &mut Material, name: &str, bytes: &[u8]) {
    let mut problem = None;
    let bytes = if bytes.len() > MAX_INPUT {
        problem = Some(format!(
            "it is {} MB; only its first {} MB were read (give the lines around the failure, \
             e.g. `journalctl -u etcd --since -1h`)",
            bytes.len() / (1024 * 1024),
            MAX_INPUT / (1024 * 1024)
        ));
        &bytes[..MAX_INPUT]
    } else {
        bytes
    };
    if bytes.is_empty() {
        note(m, name, "nothing", Some("it is empty".into()));
        return;
    }
    if bytes.starts_with(b"PK\x03\x04") {
        read_zip(m, name, bytes);
        return;
    }
    let text = decode(bytes);
    let Some((text, lossy)) = text else {
        read_binary(m, name, bytes, problem);
        return;
    };
    if lossy {
        problem.get_or_insert_with(|| {
            "it is not valid UTF-8; the bytes that are not were replaced by \u{fffd}".into()
        });
    }
    read_text(m, name, &text, problem);
}

/// Text from bytes: UTF-8 (BOM dropped), UTF-16 with a BOM (PowerShell's `>` writes it), or
/// `None` when the bytes are binary.
fn decode(bytes: &[u8]) -> Option<(String, bool)> {
    let utf16 = |le: bool| {
        let units: Vec<u16> = bytes[2..]
            .chunks_exact(2)
            .map(|c| {
                if le {
                    u16::from_le_bytes([c[0], c[1]])
                } else {
                    u16::from_be_bytes([c[0], c[1]])
                }
            })
            .collect();
        let s = String::from_utf16_lossy(&units);
        let lossy = s.contains('\u{fffd}');
        Some((s, lossy))
    };
    match bytes {
        [0xff, 0xfe, ..] => return utf16(true),
        [0xfe, 0xff, ..] => return utf16(false),
        _ => {}
    }
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    let control = bytes
        .iter()
        .filter(|&&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x1b))
        .count();
    if bytes.contains(&0) || control * 100 > bytes.len() {
        return None;
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => Some((s.to_string(), false)),
        Err(_) => Some((String::from_utf8_lossy(bytes).into_owned(), true)),
    }
}

/// A DER certificate, CRL or key, or else a file the doctor cannot read.
fn read_binary(m: &mut Material, name: &str, der: &[u8], problem: Option<String>) {
    if der.first() == Some(&0x30) {
        if let Some(c) = Cert::from_der(name, der) {
            m.certs.push(c);
            // Read, but etcd would not: its --cert-file, --trusted-ca-file (and a client's
            // --cert, --cacert) take PEM only ("tls: failed to find any PEM data").
            let der_note = format!(
                "it is a DER certificate: read here, but etcd and etcdctl take PEM only; \
                 convert it with `openssl x509 -inform DER -in {name} -out {name}.pem`"
            );
            note(m, name, "certificate (DER)", problem.or(Some(der_note)));
            return;
        }
        if let Some(c) = Crl::from_der(name, der, false) {
            m.crls.push(c);
            note(m, name, "CRL (DER)", problem);
            return;
        }
        if let Some(k) = read_key(name, der) {
            m.keys.push(k);
            let der_note = format!(
                "it is a DER key: read here, but etcd and etcdctl take PEM only; convert it \
                 with `openssl pkey -inform DER -in {name} -out {name}.pem`"
            );
            note(m, name, "private key (DER)", problem.or(Some(der_note)));
            return;
        }
    }
    note(
        m,
        name,
        "nothing (binary)",
        Some(
            "it is binary and not a certificate, CRL, key or bundle zip the doctor knows \
             (is it a compressed log? give it uncompressed: `zcat` / `journalctl`)"
                .into(),
        ),
    );
}

fn read_key(name: &str, bytes: &[u8]) -> Option<Key> {
    match crate::ca_key::read_key(bytes, None) {
        Ok(k) => Some(Key {
            source: name.to_string(),
            key: Ok(k),
        }),
        Err(Error::CaPassphraseNeeded) => Some(Key {
            source: name.to_string(),
            key: Err(KeyProblem::Encrypted),
        }),
        Err(e) if bytes.starts_with(b"-----") => Some(Key {
            source: name.to_string(),
            key: Err(KeyProblem::Unreadable(e.to_string())),
        }),
        Err(_) => None,
    }
}

/// PEM blocks, then every other line as a setting or a log line.
fn read_text(m: &mut Material, name: &str, text: &str, mut problem: Option<String>) {
    let mut rest = String::new();
    let mut kinds: Vec<&str> = Vec::new();
    let mut block: Option<(String, String)> = None;
    let mut count = 0usize;
    for line in text.lines() {
        let t = line.trim();
        if let Some((label, body)) = block.as_mut() {
            if t.starts_with("-----END ") {
                count += 1;
                let source = format!("{name}#{count}");
                let source = if text.matches("-----BEGIN ").count() > 1 {
                    source
                } else {
                    name.to_string()
                };
                let pem_text = format!("-----BEGIN {label}-----\n{body}{t}\n");
                kinds.push(read_pem_block(m, &source, label, &pem_text, &mut problem));
                block = None;
            } else {
                body.push_str(t);
                body.push('\n');
            }
            continue;
        }
        if let Some(label) = t
            .strip_prefix("-----BEGIN ")
            .and_then(|l| l.strip_suffix("-----"))
        {
            block = Some((label.to_string(), String::new()));
            continue;
        }
        rest.push_str(line);
        rest.push('\n');
    }
    if let Some((label, _)) = block {
        problem.get_or_insert(format!(
            "its {label} block has no -----END {label}----- line: it was cut short (copy the \
             whole file, e.g. `cat FILE`)"
        ));
        kinds.push("a truncated PEM block");
    }
    let mut section = String::new();
    let (mut settings, mut lines) = (0usize, 0usize);
    for (n, line) in rest.lines().enumerate() {
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        let s = settings_of(line, name, n, &mut section);
        if !s.is_empty() {
            settings += s.len();
            m.settings.extend(s);
            continue;
        }
        if m.lines.len() >= MAX_LINES {
            problem.get_or_insert(format!(
                "only its first lines were read (the doctor reads at most {MAX_LINES} lines)"
            ));
            break;
        }
        lines += 1;
        m.lines.push((name.to_string(), line.to_string()));
    }
    let mut read_as: Vec<String> = Vec::new();
    if !kinds.is_empty() {
        read_as.push(kinds.join(", "));
    }
    if settings > 0 {
        read_as.push(format!("{settings} etcd settings"));
    }
    if lines > 0 {
        read_as.push(format!("{lines} log/output lines"));
    }
    if read_as.is_empty() {
        read_as.push("nothing".into());
    }
    note(m, name, read_as.join(", "), problem);
}

fn read_pem_block(
    m: &mut Material,
    source: &str,
    label: &str,
    text: &str,
    problem: &mut Option<String>,
) -> &'static str {
    if label.contains("PRIVATE KEY") {
        if let Some(k) = read_key(source, text.as_bytes()) {
            m.keys.push(k);
        }
        return "a private key";
    }
    let der = match pem::parse(text) {
        Ok(p) => p.into_contents(),
        Err(e) => {
            problem.get_or_insert(format!(
                "its {label} block is damaged ({e}): copy the whole file again"
            ));
            return "a damaged PEM block";
        }
    };
    match label {
        "CERTIFICATE" | "TRUSTED CERTIFICATE" => match Cert::from_der(source, &der) {
            Some(c) => {
                m.certs.push(c);
                "a certificate"
            }
            None => {
                problem.get_or_insert(format!(
                    "{source}: its CERTIFICATE block is not an X.509 certificate"
                ));
                "a damaged certificate"
            }
        },
        "X509 CRL" => match Crl::from_der(source, &der, true) {
            Some(c) => {
                m.crls.push(c);
                "a CRL (PEM)"
            }
            None => "a damaged CRL",
        },
        _ => "a PEM block the doctor does not read",
    }
}

fn read_zip(m: &mut Material, name: &str, bytes: &[u8]) {
    // A bundle etcd-pki made is checked on opening; a changed one is still read file by file.
    let opened = crate::package::open(bytes);
    let mut problem = opened.as_ref().err().map(|e| {
        format!("it is not a bundle etcd-pki can open ({e}); its files were read one by one")
    });
    let mut archive = match zip::ZipArchive::new(std::io::Cursor::new(bytes)) {
        Ok(a) => a,
        Err(e) => {
            note(
                m,
                name,
                "nothing",
                Some(format!("it looks like a zip but cannot be read ({e})")),
            );
            return;
        }
    };
    if opened.is_ok() {
        m.bundle = Some(name.to_string());
    }
    let mut files = 0;
    let mut total = 0usize;
    for i in 0..archive.len().min(20_000) {
        let Ok(mut f) = archive.by_index(i) else {
            continue;
        };
        let Ok(path) = f.name().map(|n| n.to_string()) else {
            continue;
        };
        let wanted = [
            ".crt", ".pem", ".key", ".crl", ".env", ".yaml", ".yml", ".conf",
        ]
        .iter()
        .any(|e| path.ends_with(e));
        if !wanted || f.is_dir() {
            continue;
        }
        let mut buf = Vec::new();
        if f.by_ref()
            .take(MAX_INPUT as u64)
            .read_to_end(&mut buf)
            .is_err()
        {
            problem.get_or_insert(format!("{path} in it cannot be read"));
            continue;
        }
        total += buf.len();
        if total > 4 * MAX_INPUT {
            problem
                .get_or_insert("it holds more than the doctor reads; the rest was skipped".into());
            break;
        }
        files += 1;
        let inner = format!("{name}:{path}");
        let before = m.notes.len();
        read_one(m, &inner, &buf);
        // One note for the zip, not one per file inside it.
        m.notes.truncate(before);
    }
    note(m, name, format!("bundle zip ({files} files read)"), problem);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_and_truncated_inputs_are_notes() {
        let m = read_all(&[
            Input::new("core", &[0u8, 1, 2, 3, 0xff, 0x00]),
            Input::new("half.crt", b"-----BEGIN CERTIFICATE-----\nMIIB\n"),
            Input::new("empty", b""),
        ]);
        assert!(m.notes[0].problem.as_deref().unwrap().contains("binary"));
        assert!(m.notes[1].problem.as_deref().unwrap().contains("cut short"));
        assert!(m.notes[2].problem.as_deref().unwrap().contains("empty"));
    }

    #[test]
    fn utf16_text_is_read() {
        let mut b = vec![0xff, 0xfe];
        for u in "ETCD_NAME=etcd1\n".encode_utf16() {
            b.extend(u.to_le_bytes());
        }
        let m = read_all(&[Input::new("etcd.env", &b)]);
        assert_eq!(m.settings[0].value, "etcd1");
    }
}
