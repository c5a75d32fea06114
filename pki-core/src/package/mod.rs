//! Stage 5 of 5: the finished bundle — its files, `spec.json`, `manifest.json`, the CA key
//! beside them — and the zip with every file's mode; and the way back, [`open()`]. [`Bundle`]
//! is what the CLI writes and the page offers for download.
//!
//! ```
//! use pki_core::{ClusterSpec, generate, package};
//!
//! let bundle = generate(&ClusterSpec::template())?;
//! let zip = package::zip(&bundle)?;
//! // And back: the files, and from spec.json the spec and every certificate.
//! let opened = package::open(&zip)?;
//! assert_eq!(opened.spec.spec(), &ClusterSpec::template());
//! assert!(opened.file("members/etcd1/pki/server.crt").is_some());
//! # Ok::<(), pki_core::Error>(())
//! ```

pub mod chain_lints;
pub mod lints;
pub mod manifest;
mod open;
pub mod state;

pub use open::{OpenedBundle, OpenedFile, open, renewal_calendar};

use std::io::{Cursor, Write};

use time::OffsetDateTime;

use crate::error::Error;
use crate::issue::{Issued, rfc3339};
use crate::plan::{Content, Plan, Role};
use crate::render::BundleFile;
use crate::report::Problem;

/// A finished bundle: every file, the CA key beside them, and the warnings the spec had.
#[derive(Debug)]
pub struct Bundle {
    /// From the spec; names the zip.
    pub cluster_name: String,
    /// When it was generated (also the zip entries' time).
    pub generated_at: OffsetDateTime,
    /// Every file of the zip, README and manifest included. Each member's and client's files
    /// are under its own folder, so that folder alone is what goes to that machine.
    pub files: Vec<BundleFile>,
    /// The CA private key, kept out of [`Bundle::files`] and the zip so that it is saved
    /// (sealed when the plan says so, [`Plan::ca_key_sealed`]) on its own and never travels with the files
    /// copied to members. Role [`Role::CaKey`], path `<cluster>-ca.key`, mode 0600.
    pub ca_key: BundleFile,
    /// `root+issuing`, when the operation made a root: the root's private key, saved apart
    /// like the CA key (role [`Role::RootKey`], `<cluster>-root-ca.key`, mode 0600) and
    /// needed only to make an issuing CA or sign the root's CRL: keep it offline.
    pub root_key: Option<BundleFile>,
    /// Warnings from validation, generated despite.
    pub warnings: Vec<Problem>,
    /// How many keys (and certificates) were made.
    pub key_count: usize,
    /// The plan it was made from.
    pub plan: Plan,
}

/// Puts the rendered `files` of `plan` together with `spec.json`, `manifest.json`, the CA
/// key file and the root key file when a root was made.
pub fn assemble(
    plan: &Plan,
    issued: &Issued,
    files: Vec<BundleFile>,
    ca_key: BundleFile,
    root_key: Option<BundleFile>,
) -> Bundle {
    let generated_at = rfc3339(issued.issued_at);
    // Back into the plan's order, spec.json in its place; the manifest lists all of them.
    let mut rendered = files.into_iter();
    let mut files = Vec::with_capacity(plan.files.len());
    let mut manifest_at = None;
    for (i, f) in plan.files.iter().enumerate() {
        match f.content {
            Content::Manifest => manifest_at = Some((i, f)),
            Content::State => {
                let text = state::render(plan, issued);
                files.push(BundleFile::new(f, None, text.into_bytes()));
            }
            _ => files.extend(rendered.next()),
        }
    }
    if let Some((at, f)) = manifest_at {
        let text = manifest::render(&plan.spec, &generated_at, &files);
        files.insert(
            at.min(files.len()),
            BundleFile::new(f, None, text.into_bytes()),
        );
    }
    Bundle {
        cluster_name: plan.spec.cluster_name.clone(),
        generated_at: issued.issued_at,
        files,
        ca_key,
        root_key,
        warnings: plan.warnings.clone(),
        key_count: plan.keys.len(),
        plan: plan.clone(),
    }
}

impl Bundle {
    /// Whether [`Bundle::ca_key`] is passphrase-encrypted (encrypted PKCS#8).
    pub fn ca_key_encrypted(&self) -> bool {
        self.ca_key
            .text()
            .starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----")
    }

    /// Its `spec.json` as data: the state the next operation opens it with (lineage,
    /// revocations, every certificate).
    pub fn state(&self) -> Result<state::BundleState, Error> {
        let f = self
            .files
            .iter()
            .find(|f| f.role == Role::State)
            .ok_or_else(|| Error::BadBundle("the bundle has no spec.json".into()))?;
        serde_json::from_slice(&f.contents).map_err(|e| Error::BadBundle(format!("spec.json: {e}")))
    }

    /// The file at `path`, if any.
    pub fn file(&self, path: &str) -> Option<&BundleFile> {
        self.files.iter().find(|f| f.path == path)
    }

    /// The bundle as a zip ([`zip()`]).
    pub fn to_zip(&self) -> Result<Vec<u8>, Error> {
        zip(self)
    }
}

/// The bundle as a zip: modes as in the manifest (keys 0600, scripts 0755, the rest 0644),
/// every entry dated `generated_at`. It never holds the CA key ([`Bundle::ca_key`] is saved
/// on its own).
pub fn zip(bundle: &Bundle) -> Result<Vec<u8>, Error> {
    use zip::write::SimpleFileOptions;
    let zerr = |e: zip::result::ZipError| Error::Zip(e.to_string());
    let t = bundle.generated_at;
    let when = zip::DateTime::from_date_and_time(
        t.year().clamp(1980, 2107) as u16,
        t.month() as u8,
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
    )
    .unwrap_or_default();
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let mut dirs: Vec<String> = Vec::new();
    for f in bundle
        .files
        .iter()
        .filter(|f| f.role != Role::CaKey && f.role != Role::RootKey)
    {
        // Directory entries first, so unzip gives them sensible modes.
        let mut prefix = String::new();
        let parts: Vec<&str> = f.path.split('/').collect();
        for part in &parts[..parts.len().saturating_sub(1)] {
            prefix.push_str(part);
            prefix.push('/');
            if !dirs.contains(&prefix) {
                let opts = SimpleFileOptions::default()
                    .unix_permissions(0o755)
                    .last_modified_time(when);
                w.add_directory(prefix.clone(), opts).map_err(zerr)?;
                dirs.push(prefix.clone());
            }
        }
        let opts = SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .unix_permissions(f.mode)
            .last_modified_time(when);
        w.start_file(f.path.clone(), opts).map_err(zerr)?;
        w.write_all(&f.contents)
            .map_err(|e| Error::Zip(e.to_string()))?;
    }
    Ok(w.finish().map_err(zerr)?.into_inner())
}
