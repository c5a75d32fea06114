//! What day two holds while the person works: the picked files (wiped when dropped), the
//! opened bundle, the CA check, the renew choices, and the lines of bundles seen before.

use std::sync::Arc;

use leptos::prelude::*;
use pki_core::ClusterSpec;
use zeroize::{Zeroize, Zeroizing};

use crate::change_form::{Renew, Seen, Source};
use crate::workers::{self, CaRefusal};
use protocol::{CaFacts, ChangeRequest, OpenedFacts};

use super::*;

/// An opened bundle: its zip, its spec and what pki-core found in it (on a worker).
pub struct Opened {
    /// The zip's file name.
    pub name: String,
    /// The zip (it holds every member's key).
    pub zip: Zeroizing<Vec<u8>>,
    /// The spec in its `spec.json`.
    pub spec: ClusterSpec,
    /// Its certificates, CRL and lints.
    pub facts: OpenedFacts,
}

/// Where the CA check stands.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum CaStatus {
    /// Not every file is there yet.
    #[default]
    Waiting,
    /// A worker is reading it.
    Checking,
    /// Read and accepted.
    Ok(CaFacts),
    /// Refused.
    Refused(CaRefusal),
}

/// The day-two signals, provided beside [`Ctx`].
#[derive(Clone, Copy)]
pub struct DayTwo {
    /// Where the CA comes from.
    pub source: RwSignal<Source>,
    /// The existing CA's certificate (picked, or read out of the opened bundle).
    pub ca_cert: RwSignal<Option<Arc<Picked>>>,
    /// The existing CA's key.
    pub ca_key: RwSignal<Option<Arc<Picked>>>,
    /// Its passphrase as typed (never stored).
    pub passphrase: RwSignal<String>,
    /// The key is encrypted: show the passphrase field.
    pub needs_passphrase: RwSignal<bool>,
    /// The CA check.
    pub ca: RwSignal<CaStatus>,
    /// The opened bundle.
    pub opened: RwSignal<Option<Arc<Opened>>>,
    /// Why the zip could not be opened.
    pub zip_error: RwSignal<Option<String>>,
    /// What to renew.
    pub renew: RwSignal<Renew>,
    /// The form rows (member and client row ids) restored from the opened bundle: locked.
    pub locked_rows: RwSignal<Vec<u64>>,
    /// The last change asked for (its refusal is shown beside the control that asked).
    pub last: RwSignal<Option<ChangeRequest>>,
    /// Renew keeps every key (`renew --keep-keys`).
    pub keep_keys: RwSignal<bool>,
    /// The person says the opened kit's rotation is done on every member
    /// (`--previous-rotation-done`).
    pub previous_done: RwSignal<bool>,
    /// Every line's newest bundle opened in this page (kept when another is opened).
    pub seen: RwSignal<Vec<Seen>>,
    /// The opened bundle is older than one opened before: what to say.
    pub older: RwSignal<Option<String>>,
    /// The root key file, for a new issuing CA (root+issuing).
    pub root_key: RwSignal<Option<Arc<Picked>>>,
    /// Its passphrase as typed (never stored).
    pub root_passphrase: RwSignal<String>,
}

impl DayTwo {
    pub(super) fn new() -> DayTwo {
        DayTwo {
            source: RwSignal::new(Source::NewCa),
            ca_cert: RwSignal::new(None),
            ca_key: RwSignal::new(None),
            passphrase: RwSignal::new(String::new()),
            needs_passphrase: RwSignal::new(false),
            ca: RwSignal::new(CaStatus::Waiting),
            opened: RwSignal::new(None),
            zip_error: RwSignal::new(None),
            renew: RwSignal::new(Renew::None),
            locked_rows: RwSignal::new(vec![]),
            last: RwSignal::new(None),
            keep_keys: RwSignal::new(false),
            previous_done: RwSignal::new(false),
            seen: RwSignal::new(vec![]),
            older: RwSignal::new(None),
            root_key: RwSignal::new(None),
            root_passphrase: RwSignal::new(String::new()),
        }
    }

    /// Drops every file and the passphrase (their bytes are wiped as they go).
    pub(super) fn forget(&self) {
        self.ca_cert.set(None);
        self.ca_key.set(None);
        self.passphrase.set(String::new());
        self.needs_passphrase.set(false);
        self.ca.set(CaStatus::Waiting);
        self.opened.set(None);
        self.zip_error.set(None);
        self.renew.set(Renew::None);
        self.keep_keys.set(false);
        self.previous_done.set(false);
        self.older.set(None);
        self.locked_rows.set(vec![]);
        self.root_key.set(None);
        self.root_passphrase.update(|p| p.zeroize());
    }

    /// Drops the CA key and its passphrase once the change that needed them is done (issue
    /// #21 item 14): the key's bytes are wiped as its last reference goes, the passphrase's
    /// text is overwritten, and the passphrase field goes with them; the person gives both
    /// again for the next change. The CA certificate (public) and the opened bundle stay. The
    /// root key and its passphrase (a new issuing CA) go the same way.
    pub(super) fn drop_ca_key(&self) {
        self.ca_key.set(None);
        self.passphrase.update(|p| p.zeroize());
        self.root_key.set(None);
        self.root_passphrase.update(|p| p.zeroize());
        self.needs_passphrase.set(false);
        self.ca.set(CaStatus::Waiting);
    }

    /// Why no bundle can be made from the opened one: it is the kit of a CA rotation whose
    /// steps may still run, and the person has not said they are done.
    pub(super) fn unfinished_kit(&self) -> Option<String> {
        let kind = self
            .opened
            .with(|o| o.as_ref().and_then(|o| o.facts.pending_rotation.clone()))?;
        (!self.previous_done.get()).then(|| {
            let e = protocol::unfinished_kit(&kind);
            format!("{}{}.", e[..1].to_uppercase(), &e[1..])
        })
    }

    /// Sends the CA certificate and key (and the passphrase, once asked for) to a worker.
    pub(super) fn check(&self) {
        let (Some(cert), Some(key)) = (self.ca_cert.get_untracked(), self.ca_key.get_untracked())
        else {
            self.ca.set(CaStatus::Waiting);
            return;
        };
        let pass = self.passphrase.get_untracked();
        let pass = (self.needs_passphrase.get_untracked() && !pass.is_empty()).then_some(pass);
        self.ca.set(CaStatus::Checking);
        let me = *self;
        workers::when_idle(move || {
            workers::check_ca(&cert.bytes, &key.bytes, pass.as_deref(), move |r| {
                if let Err(e) = &r
                    && e.needs_passphrase
                {
                    me.needs_passphrase.set(true);
                }
                me.ca.set(match r {
                    Ok(f) => CaStatus::Ok(f),
                    Err(e) => CaStatus::Refused(e),
                });
            })
        });
    }
}
