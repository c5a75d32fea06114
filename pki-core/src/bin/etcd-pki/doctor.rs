//! `etcd-pki doctor FILE... [-] [--json]`: reads the files (a folder: every file in it, e.g.
//! `/etc/etcd/pki`), and standard input for `-`, and prints what `pki_core::doctor` found.
//! The reading is here; the doctor itself is pure and shared with the page.

use std::io::Read;
use std::path::Path;

use pki_core::doctor::{Input, MAX_INPUT, diagnose};

use super::Failure;

/// The most files read from the folders given.
const MAX_FILES: usize = 2_000;

pub fn doctor_command(a: super::cli::DoctorArgs) -> Result<(), Failure> {
    let json = a.json.json;
    let mut inputs = Vec::new();
    for f in &a.files {
        match f.as_str() {
            "-" => inputs.push(Input {
                name: "-".into(),
                bytes: read_limited(std::io::stdin().lock()).map_err(|e| {
                    Failure::BadInput(format!("standard input cannot be read ({e})"))
                })?,
            }),
            path => read_path(Path::new(path), &mut inputs)?,
        }
    }
    if inputs.is_empty() {
        return Err(Failure::Usage(
            "doctor needs something to read: files, a folder, a bundle .zip, or - for standard \
             input (e.g. `journalctl -u etcd | etcd-pki doctor - /etc/etcd/pki`)"
                .into(),
        ));
    }
    let d = diagnose(&inputs, pki_core::OffsetDateTime::now_utc());
    if json {
        let fields = serde_json::from_str(&d.to_json()).unwrap_or_default();
        super::json::print("doctor", fields);
    } else {
        say!("{}", d.to_text().trim_end());
    }
    Ok(())
}

fn read_limited(r: impl Read) -> std::io::Result<Vec<u8>> {
    let mut buf = Vec::new();
    // One byte more than the doctor reads, so it can say the input was cut.
    r.take(MAX_INPUT as u64 + 1).read_to_end(&mut buf)?;
    Ok(buf)
}

fn read_path(path: &Path, inputs: &mut Vec<Input>) -> Result<(), Failure> {
    let shown = path.display();
    if path.is_dir() {
        let mut entries: Vec<_> = std::fs::read_dir(path)
            .map_err(|e| Failure::BadInput(format!("the folder {shown} cannot be read ({e})")))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        entries.sort();
        for p in entries {
            if inputs.len() >= MAX_FILES {
                break;
            }
            // Subfolders too (a bundle unzipped: members/*/pki/), but not symlinked loops.
            if p.is_dir() && !p.is_symlink() || p.is_file() {
                read_path(&p, inputs)?;
            }
        }
        return Ok(());
    }
    let f = std::fs::File::open(path)
        .map_err(|e| Failure::BadInput(format!("{shown} cannot be read ({e})")))?;
    let bytes =
        read_limited(f).map_err(|e| Failure::BadInput(format!("{shown} cannot be read ({e})")))?;
    inputs.push(Input {
        name: shown.to_string(),
        bytes,
    });
    Ok(())
}
