//! Day two on the page: "Use an existing CA" (its certificate and key, the passphrase when
//! the key is encrypted) and "Open a bundle" (its zip, then the CA key). The files' bytes live
//! in these signals only (wiped when dropped) and move to a key worker for every check and
//! for the change itself; the PKI logic is pki-core's, called there. The CA key and its
//! passphrase are dropped as soon as the change that needed them is done (issue #21).
//!
//! `state` holds the signals; `start_from`, `ca_files`, `open_bundle` (with `bundle_certs`,
//! `other_ca`, `timeline`, `revoke`, `rotate_ca`) are the components, top to bottom;
//! `generate_button` and `run` start a change; `row_mark` marks the form's rows.

mod bundle_certs;
mod ca_files;
mod generate_button;
mod open_bundle;
mod other_ca;
mod revoke;
mod rotate_ca;
mod row_mark;
mod run;
mod start_from;
mod state;
mod timeline;

pub(crate) use crate::ui::file_drop::{FileDrop, Picked};
pub use generate_button::{blocker, button_label, start_instead};
pub use row_mark::RowMark;
pub use start_from::StartFrom;
pub use state::{CaStatus, DayTwo, Opened};

use leptos::prelude::*;

use crate::change_form::Source;
// The components and the run, for one another (`use super::*` in each file).
use bundle_certs::BundleCerts;
use ca_files::CaFiles;
use open_bundle::OpenBundle;
use revoke::Revoke;
use rotate_ca::RenewCa;
use run::{run_change, run_change_with};
use timeline::Timeline;

/// The day-two signals, if the page has them.
pub fn day_two() -> Option<DayTwo> {
    use_context::<DayTwo>()
}

/// Provides the day-two signals (called once by `App`).
pub fn provide() {
    provide_context(DayTwo::new());
}

/// Whether the form row `id` (member or client) came from the opened bundle: its
/// certificates exist, so it is locked.
pub fn row_locked(id: u64) -> bool {
    day_two().is_some_and(|d| d.locked_rows.with(|r| r.contains(&id)))
}

/// The whole form was replaced (the demo, an imported spec, an /etc/hosts paste): its rows are
/// not the opened bundle's any more, and row ids start over in every form, so no lock stays.
pub fn form_replaced() {
    if let Some(d) = day_two() {
        d.locked_rows.set(vec![]);
    }
}

/// Whether the form row `id` is an addition to the opened bundle.
pub fn row_added(id: u64) -> bool {
    day_two().is_some_and(|d| d.opened.with(Option::is_some) && !row_locked(id))
}

/// Whether the new-CA passphrase section applies (no existing CA chosen).
pub fn new_ca() -> bool {
    day_two().is_none_or(|d| d.source.get() == Source::NewCa)
}
