//! A bundle described as plain data (JSON-friendly): what a page shows of it without holding
//! the bundle itself — the page's worker builds the bundle and sends this, with the zip.

use serde::{Deserialize, Serialize};

use crate::issue::CertInfo;
use crate::package::Bundle;
use crate::plan::Owner;
use crate::report::Problem;

/// One file as the page lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListedFile {
    /// Path in the bundle.
    pub path: String,
    /// Manifest role, e.g. `server-key`.
    pub role: String,
    /// Whether it holds a private key (shown only on request).
    pub private_key: bool,
    /// Unix mode.
    pub mode: u32,
    /// Member or client it belongs to, if any.
    pub owner: Option<String>,
    /// The text; empty for a private key, which the page reads from the zip only when the
    /// person asks to see it (so a listing kept for display never holds key material).
    pub text: String,
    /// For certificates: what it says.
    pub cert: Option<CertInfo>,
    /// For certificates: SHA-256 fingerprint.
    pub sha256_fingerprint: Option<String>,
}

/// A bundle as plain data.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Listing {
    /// Cluster name.
    pub cluster_name: String,
    /// Download name of the zip.
    pub zip_name: String,
    /// Keys and certificates made.
    pub key_count: usize,
    /// Warnings generated despite.
    pub warnings: Vec<Problem>,
    /// Every file.
    pub files: Vec<ListedFile>,
}

impl Listing {
    /// The file at `path`.
    pub fn file(&self, path: &str) -> Option<&ListedFile> {
        self.files.iter().find(|f| f.path == path)
    }
}

impl Bundle {
    /// The bundle as plain data.
    pub fn listing(&self) -> Listing {
        Listing {
            cluster_name: self.cluster_name.clone(),
            // The operation is the caller's to say (the page names each download for it);
            // a first bundle is a `generate`.
            zip_name: self.zip_name(if self.plan.carried.parent.is_some() {
                "change"
            } else {
                "generate"
            }),
            key_count: self.key_count,
            warnings: self.warnings.clone(),
            files: self
                .files
                .iter()
                .map(|f| ListedFile {
                    path: f.path.clone(),
                    role: f.role.as_str().to_string(),
                    private_key: f.role.is_private_key(),
                    mode: f.mode,
                    owner: match &f.owner {
                        Owner::Cluster => None,
                        Owner::Member(n) | Owner::Client(n) => Some(n.clone()),
                    },
                    text: if f.role.is_private_key() {
                        String::new()
                    } else {
                        f.text().to_string()
                    },
                    cert: f.cert.as_ref().map(|c| c.info.clone()),
                    sha256_fingerprint: f.cert.as_ref().map(|c| c.sha256_fingerprint.clone()),
                })
                .collect(),
        }
    }
}
