//! `check-expiry.sh` at the bundle root: every certificate of the bundle (or of an installed
//! folder) with its expiry, and every CRL with its next update, soonest first, and a non-zero
//! exit when one is close.

use super::fill;
use crate::error::Error;
use crate::plan::Plan;

#[derive(askama::Template)]
#[template(path = "check-expiry.sh", escape = "none")]
struct CheckExpiry<'a> {
    cluster: &'a str,
    certs: &'a [(String, String)],
    /// The CA key file's default name (`<cluster>-ca.key`), shell-quoted, for the renew hint.
    ca_key: String,
    /// Its name after `rotate-ca` (`<cluster>-ca-new.key`), shell-quoted.
    ca_key_new: String,
}

/// Renders `check-expiry.sh`; `certs` is (bundle path, notAfter) as generated, kept as a
/// comment for reference.
pub fn render(plan: &Plan, certs: &[(String, String)]) -> Result<String, Error> {
    fill(&CheckExpiry {
        cluster: &plan.spec.cluster_name,
        certs,
        ca_key: crate::render::quote::sh(&format!("{}-ca.key", plan.spec.cluster_name)),
        ca_key_new: crate::render::quote::sh(&format!("{}-ca-new.key", plan.spec.cluster_name)),
    })
}
