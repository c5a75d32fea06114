//! `manifest.json`: what every file in the bundle is, for scripts and for the page.

use serde::Serialize;

use crate::issue::{IssuedCert, rfc3339};
use crate::plan::Owner;
use crate::render::BundleFile;
use crate::spec::ClusterSpec;

#[derive(Serialize)]
struct Manifest<'a> {
    format: u32,
    generator: String,
    cluster_name: &'a str,
    generated_at: String,
    key_algorithm: &'a str,
    etcd_version: &'a str,
    layout: &'a str,
    files: Vec<Entry<'a>>,
    /// Every distinct certificate, soonest expiry first: what to renew when.
    expiry: Vec<Expiry<'a>>,
}

#[derive(Serialize)]
struct Expiry<'a> {
    path: &'a str,
    subject: &'a str,
    not_after: String,
}

#[derive(Serialize)]
struct Entry<'a> {
    path: &'a str,
    role: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    member: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    client: Option<&'a str>,
    mode: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    install_path: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    not_after: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sha256_fingerprint: Option<&'a str>,
}

fn expiry(files: &[BundleFile]) -> Vec<Expiry<'_>> {
    let mut seen = std::collections::HashSet::new();
    let mut v: Vec<(&BundleFile, &IssuedCert)> = files
        .iter()
        .filter_map(|f| f.cert.as_ref().map(|c| (f, c)))
        // The CA certificate is copied into every folder: list it once.
        .filter(|(_, c)| seen.insert(c.sha256_fingerprint.clone()))
        .collect();
    v.sort_by_key(|(f, c)| (c.not_after, f.path.clone()));
    v.into_iter()
        .map(|(f, c)| Expiry {
            path: &f.path,
            subject: &c.info.subject,
            not_after: rfc3339(c.not_after),
        })
        .collect()
}

/// Renders the manifest of `files` (which does not include the manifest itself).
pub fn render(spec: &ClusterSpec, generated_at: &str, files: &[BundleFile]) -> String {
    let m = Manifest {
        format: 1,
        generator: format!("etcd-pki {}", env!("CARGO_PKG_VERSION")),
        cluster_name: &spec.cluster_name,
        generated_at: generated_at.to_string(),
        key_algorithm: spec.key_algorithm.as_str(),
        etcd_version: spec.etcd_version.as_str(),
        layout: match spec.layout {
            crate::spec::Layout::Etcd => "etcd",
            crate::spec::Layout::Kubeadm => "kubeadm",
        },
        expiry: expiry(files),
        files: files
            .iter()
            .map(|f| Entry {
                path: &f.path,
                role: f.role.as_str(),
                member: match &f.owner {
                    Owner::Member(n) => Some(n.as_str()),
                    _ => None,
                },
                client: match &f.owner {
                    Owner::Client(n) => Some(n.as_str()),
                    _ => None,
                },
                mode: format!("{:04o}", f.mode),
                install_path: f.install_path.as_deref(),
                not_after: f.cert.as_ref().map(|c| rfc3339(c.not_after)),
                sha256_fingerprint: f.cert.as_ref().map(|c| c.sha256_fingerprint.as_str()),
            })
            .collect(),
    };
    let mut s = serde_json::to_string_pretty(&m).unwrap_or_default();
    s.push('\n');
    s
}
