//! The mark in a form row of an opened bundle: its certificates exist, or it is new.

use leptos::prelude::*;

use super::*;

/// The mark in a member's or client's row of an opened bundle: locked (its certificates
/// exist) or new. Drawn in SVG with a word beside it, the same width either way, so that the
/// rows line up and nothing depends on an emoji font (many air-gapped workstations have
/// none, and 🔒 or ＋ would show as an empty box).
#[component]
pub fn RowMark(id: u64) -> impl IntoView {
    move || {
        if row_locked(id) {
            view! {
                <span class="row-mark mark-locked" data-testid="row-locked" title="Its certificates exist in the opened bundle; they are kept">
                    <svg viewBox="0 0 12 12" width="12" height="12" aria-hidden="true">
                        <path d="M3.5 5.5V4a2.5 2.5 0 0 1 5 0v1.5" fill="none" stroke="currentColor" stroke-width="1.4"/>
                        <rect x="2" y="5.5" width="8" height="5.5" rx="1" fill="currentColor"/>
                    </svg>
                    "exists"
                </span>
            }
            .into_any()
        } else if row_added(id) {
            view! {
                <span class="row-mark mark-added" data-testid="row-added" title="Added to the opened bundle">
                    <svg viewBox="0 0 12 12" width="12" height="12" aria-hidden="true">
                        <path d="M6 1.5v9M1.5 6h9" stroke="currentColor" stroke-width="2"/>
                    </svg>
                    "new"
                </span>
            }
            .into_any()
        } else {
            ().into_any()
        }
    }
}
