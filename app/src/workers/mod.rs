//! Generating a bundle without freezing the page: keys are made on a small pool of Web
//! Workers (`keygen-worker`), in parallel; then one worker signs the certificates and writes
//! the zip, and sends back the zip, the CA key and a listing of the files. The page's thread
//! only keeps score, so it stays responsive even for RSA-4096.
//!
//! The messages are [`protocol`]'s. Keys arrive as transferred buffers and stay in JS
//! buffers only until they are transferred on to the assembling worker; a cancelled run
//! zeroes them. The workers start from a `blob:` URL made by the page (both builds), so they
//! run under the page's Content-Security-Policy.
//!
//! `pool` starts the workers and routes their messages, `scheduler` shares a run's keys out
//! and hands them to the assembling worker, `requests` holds the one-worker questions.

mod pool;
mod requests;
mod scheduler;

pub use pool::{calibration_ms, cancel, later, now, pool_size, warm_up, when_idle};
pub(crate) use pool::{send_module, worker_url};
pub use requests::{change, check_ca, check_other_ca, diagnose, open_bundle, read_file};
pub use scheduler::generate;

use pki_core::Listing;
use zeroize::Zeroizing;

use protocol::{CaField, ChangeDone, ChangeRequest, Secrets};

/// Where generation stands, for the progress display.
#[derive(Clone, Debug, PartialEq)]
pub struct Progress {
    /// Keys made so far.
    pub done: usize,
    /// Keys in all.
    pub total: usize,
    /// What is being made right now ("server key of member etcd2", ...).
    pub making: Vec<String>,
}

/// A finished generation. The zip, the CA key and the root key are wiped from memory when it
/// is dropped.
pub struct Outcome {
    /// What the bundle holds (no key text).
    pub listing: Listing,
    /// Its zip (every member's and client's keys; not the CA key).
    pub zip: Zeroizing<Vec<u8>>,
    /// The CA key file, a separate download.
    pub ca_key: Zeroizing<Vec<u8>>,
    /// The CA key's download name.
    pub ca_key_name: String,
    /// Whether the CA key is encrypted with the passphrase.
    pub ca_key_encrypted: bool,
    /// The new root key file (root+issuing: always encrypted), a download of its own; empty
    /// when no root was made.
    pub root_key: Zeroizing<Vec<u8>>,
    /// The root key's download name.
    pub root_key_name: String,
    /// performance.now() figures, in milliseconds: making the keys.
    pub keygen_ms: f64,
    /// Signing and laying out the files (in the worker).
    pub assemble_ms: f64,
    /// Writing the zip (in the worker).
    pub zip_ms: f64,
    /// From click to done, as the page saw it.
    pub total_ms: f64,
    /// The page's thread reading the worker's last message (the listing).
    pub parse_ms: f64,
    /// How many workers made keys.
    pub workers: usize,
    /// For a day-two change: what it changed (`ca_key` is then empty).
    pub change: Option<ChangeDone>,
}

/// A day-two run's inputs, held until the assembling worker takes them: in `secrets`, the
/// opened bundle's `zip` (or, for a new bundle under an existing CA, its `ca_cert`), the
/// `ca_key` and its `passphrase` (a new issuing CA: the `root_key` and its `root_passphrase`),
/// a rotation's `new_passphrase`. Wiped when the run ends, whichever way.
pub struct ChangeInputs {
    /// The change.
    pub change: ChangeRequest,
    /// What the worker needs to sign with the existing CA (the new keys join them there).
    pub secrets: Secrets,
    /// The person says the opened kit's rotation is done on every member.
    pub previous_rotation_done: bool,
}

/// Why an existing CA was refused, and beside which field to say so.
#[derive(Clone, Debug, PartialEq)]
pub struct CaRefusal {
    /// The field at fault.
    pub field: CaField,
    /// The key is encrypted and the passphrase is missing or wrong.
    pub needs_passphrase: bool,
    /// For people.
    pub error: String,
}
