//! "Open a bundle": the zip read on a worker, its spec restored into the form, its CA
//! certificate read out of it, and everything that can be done with the opened bundle.

use std::sync::Arc;

use leptos::prelude::*;
use pki_core::ClusterSpec;

use crate::change_form::{self, Seen};
use crate::form::Form;
use crate::ui::Ctx;
use crate::workers::{self};

use super::*;

/// Has a worker open the picked zip (pki-core reads it, its certificates and CRL, and lints
/// it), restores its spec into the form, then reads its CA certificate.
pub(super) fn open_zip(d: DayTwo, ctx: Ctx, p: Picked) {
    let zip = Arc::new(p);
    d.zip_error.set(None);
    d.opened.set(None);
    d.ca.set(CaStatus::Waiting);
    let z = zip.clone();
    workers::when_idle(move || {
        workers::open_bundle(&zip.bytes, move |r| {
            let opened = r.and_then(|facts| {
                ClusterSpec::from_json(&facts.spec_json)
                    .map(|spec| (spec, facts))
                    .map_err(|e| e.to_string())
            });
            match opened {
                Err(e) => d.zip_error.set(Some(format!("{}: {e}", z.name))),
                Ok((spec, facts)) => {
                    let ca_path = facts.ca_path.clone();
                    ctx.forget_keys();
                    let form = Form::from_spec(&spec);
                    d.locked_rows.set(
                        form.nodes
                            .iter()
                            .map(|n| n.id)
                            .chain(form.clients.iter().map(|c| c.id))
                            .collect(),
                    );
                    crate::form::replace(ctx.form, form);
                    let bytes = z.bytes.clone();
                    let now = Seen {
                        line: facts.line.clone(),
                        generation: facts.generation,
                        name: z.name.clone(),
                    };
                    d.older.set(
                        d.seen
                            .with_untracked(|s| change_form::older_than_seen(s, &now)),
                    );
                    d.seen.update(|s| change_form::remember(s, now));
                    d.previous_done.set(false);
                    d.opened.set(Some(Arc::new(Opened {
                        name: z.name.clone(),
                        zip: bytes.clone(),
                        spec,
                        facts,
                    })));
                    let path = ca_path.clone();
                    workers::read_file(&bytes, &path, move |r| match r {
                        Ok(cert) => {
                            d.ca_cert.set(Some(Arc::new(Picked {
                                name: ca_path.clone(),
                                bytes: cert,
                            })));
                            d.check();
                        }
                        Err(e) => d
                            .zip_error
                            .set(Some(format!("the bundle's CA certificate {ca_path}: {e}"))),
                    });
                }
            }
        })
    });
}

/// "Open a bundle": the zip, then its CA key; what the bundle holds and the Renew choices.
#[component]
pub(super) fn OpenBundle() -> impl IntoView {
    let d = expect_context::<DayTwo>();
    let ctx = expect_context::<Ctx>();
    let on_zip = Callback::new(move |p: Picked| open_zip(d, ctx, p));
    let zip_name = Signal::derive(move || d.opened.with(|o| o.as_ref().map(|o| o.name.clone())));
    view! {
        <FileDrop id="open-bundle-zip" label="The bundle (its .zip)" accept=".zip,application/zip"
            error=d.zip_error picked=zip_name on_file=on_zip/>
        {move || d.older.get().map(|said| view! {
            <p id="bundle-older" class="field-warning" role="alert">{format!("Warning: {said}")}</p>
        })}
        <KitPending/>
        {move || d.opened.with(Option::is_some).then(|| view! {
            <CaFiles with_cert=false/>
            <BundleCerts/>
            <super::other_ca::OtherCa/>
            <Timeline/>
            <Revoke/>
            <RenewCa/>
            {move || d.opened.with(|o| o.as_ref().is_some_and(|o| o.spec.ca_layout.is_layered()))
                .then(|| view! { <super::rotate_ca::NewIssuer/> })}
        })}
    }
}

/// The opened bundle is the kit of a CA rotation or same-key renewal: no bundle is made from
/// it until the person says its steps are done on every member (the command line's
/// `--previous-rotation-done`); the new bundle would not carry its `rotate/` scripts.
#[component]
pub(super) fn KitPending() -> impl IntoView {
    let d = expect_context::<DayTwo>();
    let kind = move || {
        d.opened
            .with(|o| o.as_ref().and_then(|o| o.facts.pending_rotation.clone()))
    };
    move || {
        kind().map(|kind| {
            view! {
                <div id="kit-pending" class="field-warning" role="alert">
                    <p>{format!(
                        "This bundle is the kit of a CA {kind} (rotate-ca). Its steps may still be running on the cluster; a bundle made from it would not carry its rotate/ scripts. Finish the {kind} on every member first (ROTATE.md of the kit)."
                    )}</p>
                    <label class="field check" for="previous-rotation-done">
                        <input id="previous-rotation-done" type="checkbox"
                            prop:checked=move || d.previous_done.get()
                            on:change=move |ev| d.previous_done.set(event_target_checked(&ev))/>
                        <span>"The kit's steps are done on every member (as --previous-rotation-done)"</span>
                    </label>
                </div>
            }
        })
    }
}
