//! The renewal calendar offered beside the bundle: the bundle's own `renewal.ics` (each
//! certificate's renewal day and last-week reminder, the CA's renewal day), so that the dates
//! reach a calendar without unzipping anything (docs/RENEWAL.md).

use leptos::prelude::*;

use crate::browser;

/// "Download the renewal calendar": `renewal.ics` of the bundle the page just made (its text,
/// from the worker's listing), named for the cluster; a message instead when it has none.
#[component]
pub fn CalendarDownload(
    /// The bundle's `renewal.ics`, if it has one.
    ics: Option<String>,
    /// The download's name, e.g. `prod-renewal.ics`.
    name: String,
) -> impl IntoView {
    let problem = RwSignal::new(None::<String>);
    view! {
        <button id="download-calendar" title="The renewal dates of every certificate, for your calendar (renewal.ics of the bundle)"
            on:click=move |_| {
                match &ics {
                    Some(ics) => {
                        problem.set(None);
                        let _ = browser::download(ics.as_bytes(), &name, "text/calendar");
                    }
                    None => problem.set(Some("this bundle has no renewal.ics".into())),
                }
            }>"Download the renewal calendar (.ics)"</button>
        {move || problem.get().map(|p| view! { <p class="field-warning" role="alert">{p}</p> })}
    }
}
