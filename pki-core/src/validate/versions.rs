//! What etcd itself refuses, by version: options a chosen `etcd_version` does not have, and
//! TLS settings that make etcd die at listener start. Kept apart from the field checks so the
//! version facts live in one place; each was seen on a real etcd (`tests/etcd/tests/matrix.rs`)
//! or read in etcd's source at the release tag.
//!
//! `etcd_version` names a minor line ("3.5"), not a patch release: a spec describes what the
//! files are for, and the same bundle is installed on members that are patched over time.
//! Where an option arrived in a patch release of a line, the check is therefore a warning that
//! names the first release that has it, not an error.

use super::Report;
use crate::options::{CIPHER_SUITES, EtcdVersion, TlsVersion};
use crate::spec::ClusterSpec;

/// Every version check; called by [`super::validate`].
pub(super) fn check(r: &mut Report, spec: &ClusterSpec) {
    end_of_life(r, spec);
    tls_version_flags(r, spec);
    http2_cipher(r, spec);
    allowed_cn(r, spec);
}

/// `--peer-cert-allowed-cn` takes one CN up to 3.5.14 (and the YAML file has no key for it
/// before 3.5.14); a list from 3.5.15 (read in etcd's source at those tags). Each peer certificate carries its
/// member's name, so a cluster needs the list.
fn allowed_cn(r: &mut Report, spec: &ClusterSpec) {
    if !spec.peer_cert_allowed_cn {
        return;
    }
    match spec.etcd_version {
        EtcdVersion::V3_4 => r.error(
            "peer_cert_allowed_cn",
            "true",
            "etcd_version 3.4 accepts one allowed peer CN, on the command line only, and each \
             member's peer certificate has its own name as CN: remove peer_cert_allowed_cn or \
             set etcd_version to 3.5 (3.5.15 or later), 3.6 or 3.7",
        ),
        EtcdVersion::V3_5 => r.warning(
            "peer_cert_allowed_cn",
            "true",
            "etcd_version 3.5 accepts a list of allowed peer CNs only from 3.5.15 (3.5.14 reads \
             one from the YAML file, earlier releases none): make sure every member runs 3.5.15 \
             or later, or remove peer_cert_allowed_cn",
        ),
        EtcdVersion::V3_6 | EtcdVersion::V3_7 => {}
    }
}

/// etcd 3.4.45 (2026-06-01) was the last 3.4 release: "end of support (EOL) for v3.4. No
/// further patches will be issued" (etcd's CHANGELOG-3.4.md).
fn end_of_life(r: &mut Report, spec: &ClusterSpec) {
    if spec.etcd_version == EtcdVersion::V3_4 {
        r.warning(
            "etcd_version",
            "3.4",
            "etcd 3.4 is end of life (3.4.45, June 2026, was its last release; no more \
             security fixes): plan the upgrade to 3.5 or 3.6 (one minor version at a time) and \
             set etcd_version to the version the members run",
        );
    }
}

/// `--tls-min-version`/`--tls-max-version` came with 3.6 and were backported to 3.4.25 and
/// 3.5.8. Seen on 3.4.23 (`matrix.rs`): `etcd-cmdline.sh` stops at "flag provided but not
/// defined: -tls-min-version"; the env file and the YAML file start, the setting ignored.
fn tls_version_flags(r: &mut Report, spec: &ClusterSpec) {
    let Some(v) = spec.tls_min_version else {
        return;
    };
    if let Some(since) = spec.etcd_version.tls_version_flags_since() {
        r.warning(
            "tls_min_version",
            v.as_str(),
            format!(
                "etcd_version {ver} has --tls-min-version only from {since}; an older release \
                 (Debian 12 ships 3.4.23) refuses the flag and silently ignores the env \
                 variable and YAML key: make sure every member runs {since} or later, or remove \
                 tls_min_version",
                ver = spec.etcd_version.as_str()
            ),
        );
    }
}

/// Go's HTTP/2 server, which etcd's client and peer listeners use, requires an
/// AES-128-GCM suite when a suite list is given: without one etcd logs "http2:
/// TLSConfig.CipherSuites is missing an HTTP/2-required AES_128_GCM_SHA256 cipher" and exits
/// at listener start. With a TLS 1.3 minimum, Go ignores any list and etcd refuses it outright
/// (checked in `validate.rs`, `check_tls`).
fn http2_cipher(r: &mut Report, spec: &ClusterSpec) {
    if spec.cipher_suites.is_empty() || spec.tls_min_version == Some(TlsVersion::Tls13) {
        return;
    }
    let known: Vec<_> = spec
        .cipher_suites
        .iter()
        .filter_map(|n| CIPHER_SUITES.iter().find(|(c, _)| c == n))
        .collect();
    if known.len() != spec.cipher_suites.len() {
        return; // an unknown name is already an error at its index
    }
    if known
        .iter()
        .any(|(n, _)| n.ends_with("_AES_128_GCM_SHA256"))
    {
        return;
    }
    let want = if spec.key_algorithm.rsa_bits().is_some() {
        "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"
    } else {
        "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"
    };
    r.error(
        "cipher_suites",
        &spec.cipher_suites.join(","),
        format!(
            "HTTP/2, which etcd serves clients and peers with, requires an AES-128-GCM suite; \
             without one etcd exits at start (\"TLSConfig.CipherSuites is missing an \
             HTTP/2-required AES_128_GCM_SHA256 cipher\"): add {want}"
        ),
    );
}
