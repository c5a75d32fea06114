//! The reverse of packaging: a bundle's zip read back — its files, and from `spec.json` the
//! spec and every certificate it was made with — for day two (renew, add members, rotate).
//! A zip that is not an etcd-pki bundle, a format version this etcd-pki does not know, a
//! `spec.json` whose spec does not validate, or a certificate that is not the one `spec.json`
//! records is refused with a sentence saying which.

use std::io::Read;

use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::state::{BundleState, FORMAT, FORMAT_VERSION};
use crate::error::Error;
use crate::issue::info_hex;
use crate::plan::{self, Plan};
use crate::validate::ValidatedSpec;

/// The most entries a bundle's zip may have (a 100-member bundle has about 3,000).
const MAX_ENTRIES: usize = 20_000;
/// The largest file inside a bundle (the biggest is a README of some kilobytes).
const MAX_FILE: u64 = 16 * 1024 * 1024;
/// The most bytes read out of one zip in all.
const MAX_TOTAL: u64 = 256 * 1024 * 1024;

/// A bundle read back from its zip.
#[derive(Debug)]
pub struct OpenedBundle {
    /// Its `spec.json`.
    pub state: BundleState,
    /// The spec in it, validated again.
    pub spec: ValidatedSpec,
    /// Every file of the zip, in its order.
    pub files: Vec<OpenedFile>,
}

/// One file of an opened bundle. Contents are wiped on drop (they may be a key), and `Debug`
/// does not show them.
pub struct OpenedFile {
    /// Path in the zip.
    pub path: String,
    /// Unix mode as the zip records it.
    pub mode: Option<u32>,
    /// The bytes.
    pub contents: Zeroizing<Vec<u8>>,
}

impl std::fmt::Debug for OpenedFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenedFile")
            .field("path", &self.path)
            .field("mode", &self.mode.map(|m| format!("{:04o}", m & 0o7777)))
            .field("contents", &format_args!("[{} bytes]", self.contents.len()))
            .finish()
    }
}

impl OpenedBundle {
    /// The file at `path`.
    pub fn file(&self, path: &str) -> Option<&OpenedFile> {
        self.files.iter().find(|f| f.path == path)
    }

    /// The plan of the bundle's spec, as it is planned today.
    pub fn plan(&self) -> Plan {
        plan::plan(&self.spec)
    }
}

/// The bundle's `renewal.ics` (its renewal dates as a calendar), read from its zip: the page
/// offers it as a download of its own, so that importing the dates needs no unzipping.
pub fn renewal_calendar(zip_bytes: &[u8]) -> Result<Vec<u8>, Error> {
    read_zip(zip_bytes)?
        .iter()
        .find(|f| f.path == "renewal.ics")
        .map(|f| f.contents.to_vec())
        .ok_or_else(|| {
            bad("the zip has no renewal.ics: it was made before bundles carried their renewal calendar; make the bundle again (etcd-pki generate --from it) for one")
        })
}

fn bad(reason: impl Into<String>) -> Error {
    Error::BadBundle(reason.into())
}

/// Reads a bundle's zip.
pub fn open(zip_bytes: &[u8]) -> Result<OpenedBundle, Error> {
    let files = read_zip(zip_bytes)?;
    let state_file = files.iter().find(|f| f.path == "spec.json").ok_or_else(|| {
        bad(
            "the zip has no spec.json at its root, so it is not an etcd-pki bundle (or one made \
             before bundles carried their spec); only a bundle etcd-pki made can be opened",
        )
    })?;
    let mut state = read_state(&state_file.contents)?;
    // The layout is what the certificates are, whatever the spec says (a bundle made before
    // the layout existed has no field, which reads as the new default).
    state.spec.ca_layout = state.ca_layout();
    let spec = ValidatedSpec::new(&state.spec).map_err(|e| match e {
        Error::Invalid(report) => {
            let mut s = String::from("spec.json holds a spec that does not validate:");
            for p in report.problems() {
                s.push_str(&format!("\n  {p}"));
            }
            bad(s)
        }
        other => other,
    })?;
    check_certificates(&state, &files)?;
    Ok(OpenedBundle { state, spec, files })
}

fn read_zip(zip_bytes: &[u8]) -> Result<Vec<OpenedFile>, Error> {
    crate::limits::check_zip(zip_bytes)?;
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip_bytes)).map_err(|e| {
        bad(format!(
            "the file is not a zip archive ({e}); a bundle is the .zip that `etcd-pki generate` \
             or the page wrote"
        ))
    })?;
    if archive.len() > MAX_ENTRIES {
        return Err(bad(format!(
            "the zip has {} entries; a bundle has at most {MAX_ENTRIES}: is this the right file?",
            archive.len()
        )));
    }
    let mut files = Vec::new();
    let mut total = 0u64;
    for i in 0..archive.len() {
        let mut entry = archive
            .by_index(i)
            .map_err(|e| bad(format!("entry {i} of the zip cannot be read: {e}")))?;
        if entry.is_dir() {
            continue;
        }
        let path = entry
            .name()
            .map_err(|e| bad(format!("entry {i} of the zip has an unreadable name: {e}")))?
            .to_string();
        let mut contents = Zeroizing::new(Vec::new());
        let read = (&mut entry)
            .take(MAX_FILE + 1)
            .read_to_end(&mut contents)
            .map_err(|e| bad(format!("{path} in the zip cannot be read: {e}")))?;
        total += read as u64;
        if read as u64 > MAX_FILE || total > MAX_TOTAL {
            return Err(bad(format!(
                "{path} makes the zip unpack to more than a bundle ever holds; is this the right file?"
            )));
        }
        files.push(OpenedFile {
            path,
            mode: entry.unix_mode(),
            contents,
        });
    }
    Ok(files)
}

fn read_state(bytes: &[u8]) -> Result<BundleState, Error> {
    let unreadable = |e: String| bad(format!("spec.json is not readable: {e}"));
    let value: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| unreadable(e.to_string()))?;
    let format = value.get("format").and_then(|v| v.as_str());
    if format != Some(FORMAT) {
        return Err(bad(format!(
            "its spec.json says format {}, not \"{FORMAT}\": this zip is not an etcd-pki bundle",
            format.map_or("nothing".to_string(), |f| format!("{f:?}"))
        )));
    }
    match value.get("format_version").and_then(|v| v.as_u64()) {
        Some(v) if v == u64::from(FORMAT_VERSION) => {}
        Some(v) => {
            return Err(bad(format!(
                "the bundle is of format version {v}, and this etcd-pki reads version \
                 {FORMAT_VERSION}: open it with the etcd-pki that made it or a newer one"
            )));
        }
        None => {
            return Err(unreadable(
                "format_version is missing or not a number".into(),
            ));
        }
    }
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        unreadable(format!("{path}: {}", e.into_inner()))
    })
}

/// Every certificate file spec.json lists is in the zip and is that certificate.
fn check_certificates(state: &BundleState, files: &[OpenedFile]) -> Result<(), Error> {
    let cas = std::iter::once(&state.ca).chain(&state.root);
    for (i, record) in cas.chain(&state.certificates).enumerate() {
        let is_leaf = i > usize::from(state.root.is_some());
        for path in &record.paths {
            let file = files.iter().find(|f| &f.path == path).ok_or_else(|| {
                bad(format!(
                    "{path}, which spec.json lists, is missing from the zip"
                ))
            })?;
            let blocks = pem::parse_many(file.contents.as_slice())
                .map_err(|e| bad(format!("{path} is not a PEM certificate: {e}")))?;
            let der = blocks
                .first()
                .ok_or_else(|| bad(format!("{path} holds no PEM certificate")))?
                .contents()
                .to_vec();
            if info_hex(&Sha256::digest(&der)) != record.sha256_fingerprint {
                return Err(bad(format!(
                    "{path} is not the certificate spec.json records for {} (SHA-256 {}): the \
                     bundle was changed after it was made",
                    record.id, record.sha256_fingerprint
                )));
            }
            check_record(path, record, der, state.spec.key_algorithm)?;
            if is_leaf && state.root.is_some() {
                check_leaf_chain(path, &blocks, &state.ca)?;
            }
        }
    }
    Ok(())
}

/// `root+issuing`: a leaf file holds the leaf and then its issuing CA, nothing else — what its
/// peers, which trust the root alone, need to verify it.
fn check_leaf_chain(
    path: &str,
    blocks: &[pem::Pem],
    issuing: &super::state::CertRecord,
) -> Result<(), Error> {
    let second = blocks
        .get(1)
        .map(|b| info_hex(&Sha256::digest(b.contents())));
    if blocks.len() != 2 || second.as_deref() != Some(issuing.sha256_fingerprint.as_str()) {
        return Err(bad(format!(
            "{path} should hold the leaf certificate and then the issuing CA ({}), and it \
             holds {} certificate(s){}: peers that trust the root alone could not verify it; \
             use the bundle as etcd-pki wrote it",
            issuing.subject,
            blocks.len(),
            if blocks.len() == 2 {
                " with another second one"
            } else {
                ""
            }
        )));
    }
    Ok(())
}

/// What spec.json says of a certificate is what the certificate says: day two takes serials
/// (revoke), dates (renew) and subjects from the records, so a record that disagrees with its
/// certificate — spec.json edited by hand, or by someone who wants the wrong serial revoked —
/// is refused, naming the field and both values.
fn check_record(
    path: &str,
    record: &super::state::CertRecord,
    der: Vec<u8>,
    algorithm: crate::spec::KeyAlgorithm,
) -> Result<(), Error> {
    let cert = crate::issue::IssuedCert::from_der(der, algorithm, path)?;
    let fields = [
        ("serial", &record.serial, &cert.info.serial),
        ("not_before", &record.not_before, &cert.info.not_before),
        ("not_after", &record.not_after, &cert.info.not_after),
        ("subject", &record.subject, &cert.info.subject),
    ];
    for (field, recorded, actual) in fields {
        if recorded != actual {
            return Err(bad(format!(
                "spec.json says the {field} of {} is {recorded:?}, but {path} says {actual:?}: \
                 spec.json was changed after the bundle was made; use the bundle as etcd-pki \
                 wrote it",
                record.id
            )));
        }
    }
    Ok(())
}
