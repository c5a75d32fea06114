//! pki-core turns an etcd cluster spec into the cluster's whole TLS PKI and its deploy files.
//!
//! Parse a [`ClusterSpec`] (or build one), call [`generate`], and write [`Bundle::to_zip`]
//! somewhere; [`validate()`] alone gives the field-by-field report the page shows as you type.
//! Keys come only from the platform CSPRNG and never leave the returned [`Bundle`].
//!
//! ```
//! use pki_core::{ClusterSpec, generate};
//!
//! let spec = ClusterSpec::from_json(r#"{
//!     "cluster_name": "prod",
//!     "nodes": [
//!         {"name": "etcd1", "ips": ["10.0.0.1"]},
//!         {"name": "etcd2", "ips": ["10.0.0.2"]},
//!         {"name": "etcd3", "ips": ["10.0.0.3"]}
//!     ]
//! }"#)?;
//! let bundle = generate(&spec)?;
//! assert!(bundle.file("members/etcd2/pki/server.key").is_some());
//! let zip: Vec<u8> = bundle.to_zip()?;
//! # assert!(zip.len() > 1000);
//! # Ok::<(), pki_core::Error>(())
//! ```
//!
//! # The stages
//!
//! [`generate`] is five stages, each a module with plain data in and out, each depending only
//! on the ones before it:
//!
//! | stage | in | out |
//! |---|---|---|
//! | [`validate`](mod@validate) | [`ClusterSpec`] | [`validate::ValidatedSpec`] (or every problem) |
//! | [`plan`] | `ValidatedSpec` | [`plan::Plan`]: keys, certificates, files with role and mode |
//! | [`issue`] | `Plan`, a CA as [`issue::CaMaterial`], [`keys::Keys`] | [`issue::Issued`] |
//! | [`render`] | `Plan`, `Issued` | every [`render::BundleFile`] |
//! | [`package`] | the files | [`Bundle`], its zip |
//!
//! A CA enters at `issue` as bytes ([`issue::CaMaterial`]): made by [`issue::new_ca`], or
//! imported from elsewhere. Each module's documentation has an example of its stage.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod ca_chain;
pub mod ca_import;
mod ca_key;
pub mod crl;
pub mod doctor;
pub mod error;
pub mod issue;
pub mod keys;
pub mod kit;
pub mod limits;
pub mod listing;
pub mod naming;
pub mod next_steps;
pub mod ops;
pub mod options;
pub mod package;
pub mod parallel;
pub mod plan;
mod raw_issuer;
pub mod record;
pub mod render;
pub mod report;
mod revocations;
mod rsa_keygen;
pub mod rules;
pub mod runbook;
pub mod sealing;
pub mod spec;
pub mod status;
pub mod validate;

pub use bundle::{
    generate, generate_sealed, generate_sealed_apart, generate_with_keys,
    generate_with_keys_sealed, generate_with_keys_sealed_apart, key_plan,
};
pub use error::Error;
pub use issue::{CaMaterial, CertInfo};
pub use keys::PrivateKey;
pub use listing::{ListedFile, Listing};
pub use ops::change as daytwo;
pub use ops::generate as bundle;
pub use ops::{revoke, rotate};
pub use package::Bundle;
pub use plan::{KeyRequest, Owner, Role};
pub use render::BundleFile;
pub use report::{Problem, Report, Severity};
pub use sealing::SealingKey;
pub use spec::{
    AuthToken, CaLayout, Client, ClientKind, ClusterSpec, EtcdVersion, Grant, KeyAlgorithm, Layout,
    Migration, Node, Permission, Subject, TlsVersion,
};
/// The time type of [`generate_with_keys`], re-exported so callers need no `time` dependency.
pub use time::OffsetDateTime;
pub use validate::validate;
