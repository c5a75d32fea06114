//! The renewal calendar offered beside the bundle: the bundle's own `renewal.ics` (each
//! certificate's renewal day and last-week reminder, the CA's renewal day), so that the dates
//! reach a calendar without unzipping anything (docs/RENEWAL.md).

use leptos::prelude::*;

use crate::browser;

/// "Download the renewal calendar": `renewal.ics` of the zip the page just made, named for
/// the cluster; a message instead when the zip has none.
#[component]
pub fn CalendarDownload(
    /// The bundle's zip.
    zip: std::sync::Arc<dyn Fn() -> Vec<u8> + Send + Sync>,
    /// The download's name, e.g. `prod-renewal.ics`.
    name: String,
) -> impl IntoView {
    let problem = RwSignal::new(None::<String>);
    view! {
        <button id="download-calendar" title="The renewal dates of every certificate, for your calendar (renewal.ics of the bundle)"
            on:click=move |_| {
                match pki_core::package::renewal_calendar(&zip()) {
                    Ok(ics) => {
                        problem.set(None);
                        let _ = browser::download(&ics, &name, "text/calendar");
                    }
                    Err(e) => problem.set(Some(e.to_string())),
                }
            }>"Download the renewal calendar (.ics)"</button>
        {move || problem.get().map(|p| view! { <p class="field-warning" role="alert">{p}</p> })}
    }
}
