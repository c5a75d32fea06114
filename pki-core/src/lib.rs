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
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod bundle;
pub mod error;
pub mod issue;
pub mod keys;
pub mod listing;
pub mod next_steps;
pub mod options;
pub mod parallel;
pub mod render;
mod rsa_keygen;
pub mod rules;
pub mod spec;
pub mod validate;

pub use bundle::{
    Bundle, BundleFile, KeyRequest, Owner, Role, generate, generate_with_keys, key_plan,
};
pub use error::Error;
pub use issue::CertInfo;
pub use keys::PrivateKey;
pub use listing::{ListedFile, Listing};
pub use spec::{
    AuthToken, Client, ClientKind, ClusterSpec, EtcdVersion, Grant, KeyAlgorithm, Layout,
    Migration, Node, Permission, Subject, TlsVersion,
};
/// The time type of [`generate_with_keys`], re-exported so callers need no `time` dependency.
pub use time::OffsetDateTime;
pub use validate::{Problem, Report, Severity, validate};
