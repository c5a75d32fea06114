//! The generate button in day-two mode: what it says, why it cannot run yet, and the change
//! it starts instead of a new CA's bundle.

use leptos::prelude::*;

use crate::change_form::{self, Source};
use crate::ui::Ctx;
use protocol::{CaField, ChangeRequest};

use super::*;

/// Why the generate button cannot make a day-two bundle yet, if it cannot.
pub fn blocker(ctx: &Ctx) -> Option<String> {
    let d = day_two()?;
    let source = d.source.get();
    if source == Source::NewCa {
        return None;
    }
    if source == Source::Bundle && d.opened.with(Option::is_none) {
        return Some("Open a bundle first (its zip).".into());
    }
    if let Some(why) = d.unfinished_kit() {
        return Some(why);
    }
    match d.ca.get() {
        CaStatus::Ok(_) => {}
        CaStatus::Checking => return Some("Reading the CA…".into()),
        // The key is there and encrypted: what is missing is its passphrase, not the files.
        CaStatus::Refused(r) if r.field == CaField::Passphrase => {
            return Some(format!(
                "{} (the CA key's passphrase, under \"Where the CA comes from\")",
                r.error.trim_end_matches('.')
            ));
        }
        _ if source == Source::Bundle => {
            return Some(
                "Give the CA key for this change (see \"Where the CA comes from\"); the page drops \
                 it, and its passphrase, once each change is done."
                    .into(),
            );
        }
        _ => {
            return Some(
                "Give the CA's certificate and key first (see \"Where the CA comes from\").".into(),
            );
        }
    }
    if source == Source::Bundle {
        let spec = ctx.spec.get();
        let renew = d.renew.get();
        let keep_keys = d.keep_keys.get();
        return d.opened.with(|o| {
            let o = o.as_ref()?;
            match change_form::pending_change(&o.spec, &spec, &renew, keep_keys) {
                Ok(None) => {
                    Some("Nothing to change yet: add a member row, or choose Renew.".into())
                }
                Ok(Some(_)) => None,
                Err(e) => Some(format!("{}{}.", e[..1].to_uppercase(), &e[1..])),
            }
        });
    }
    None
}

/// The generate button's label.
pub fn button_label() -> &'static str {
    match day_two().map(|d| d.source.get()) {
        Some(Source::ExistingCa) => "Generate with the existing CA",
        Some(Source::Bundle) => "Make the new bundle",
        _ => "Generate keys and certificates",
    }
}

/// Starts the day-two run instead of a new CA's, if an existing CA is chosen: `true` if it
/// did.
pub fn start_instead(ctx: Ctx) -> bool {
    let Some(d) = day_two() else { return false };
    let source = d.source.get_untracked();
    if source == Source::NewCa {
        return false;
    }
    let spec = ctx.spec.get_untracked();
    let change = match source {
        Source::Bundle => d.opened.with_untracked(|o| {
            o.as_ref()
                .and_then(|o| {
                    change_form::pending_change(
                        &o.spec,
                        &spec,
                        &d.renew.get_untracked(),
                        d.keep_keys.get_untracked(),
                    )
                    .ok()
                })
                .flatten()
        }),
        _ => Some(ChangeRequest::Generate),
    };
    if let Some(change) = change {
        run_change(ctx, d, change);
    }
    true
}
