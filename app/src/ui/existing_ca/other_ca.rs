//! "Another CA's bundle" beside an opened bundle: while members trust two CAs (a rotation),
//! etcd matches a CRL by serial only, so a serial both CAs used is revoked in both. The person
//! gives the other CA's bundle, as `etcd-pki validate --from B --other-ca OTHER.zip` takes it;
//! a worker runs pki-core's check (`lints::check_shared_serials`) and its lints show here.

use std::sync::Arc;

use leptos::prelude::*;

use super::{DayTwo, FileDrop, Picked};
use crate::workers;
use protocol::OtherCaFacts;

/// The other CA's bundle input and what pki-core found comparing it with the opened one.
#[component]
pub fn OtherCa() -> impl IntoView {
    let d = expect_context::<DayTwo>();
    let name = RwSignal::new(None::<String>);
    let error = RwSignal::new(None::<String>);
    let found = RwSignal::new(None::<OtherCaFacts>);
    let on_file = Callback::new(move |p: Picked| {
        let Some(opened) = d.opened.get_untracked() else {
            return;
        };
        let p = Arc::new(p);
        name.set(Some(p.name.clone()));
        error.set(None);
        found.set(None);
        workers::when_idle(move || {
            let file = p.name.clone();
            workers::check_other_ca(&opened.zip, &p.bytes, move |r| match r {
                Ok(f) => found.set(Some(f)),
                Err(e) => error.set(Some(format!("{file}: {e}"))),
            });
        });
    });
    let result = move || {
        found.get().map(|f| {
            let said = if f.lints.is_empty() {
                format!(
                    "No certificate of this bundle has the serial of one of the other CA's {} ({}).",
                    f.leaves, f.ca_subject
                )
            } else {
                format!(
                    "{} certificate(s) of this bundle share a serial with the other CA's ({}):",
                    f.lints.len(),
                    f.ca_subject
                )
            };
            view! {
                <p id="other-ca-result" aria-live="polite">{said}</p>
                <ul id="other-ca-lints">
                    {f.lints.into_iter().map(|l| view! {
                        <li class=if l.error { "field-error" } else { "field-warning" }
                            data-testid="other-ca-lint" data-path=l.path.clone()>
                            {format!("{}: {}", l.path, l.message)}</li>
                    }).collect_view()}
                </ul>
            }
        })
    };
    view! {
        <h3>"Another CA the members trust"</h3>
        <p class="hint">"During a rotation the members trust two CAs, and etcd matches a CRL by serial only: a serial both CAs used is revoked in both. Give the other CA's bundle (the one before the rotation) to find them (etcd-pki validate --other-ca)."</p>
        <FileDrop id="other-ca-zip" label="The other CA's bundle (its .zip)" accept=".zip,application/zip"
            error=error picked=name on_file=on_file/>
        {result}
    }
}
