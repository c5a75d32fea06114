//! "Rotate CA": the CA certificate renewed with the same key, or a new CA and its kit; and,
//! for a root+issuing bundle, a new issuing CA under the same root (no restart).

use std::sync::Arc;

use leptos::prelude::*;

use crate::ui::{Ctx, GenState};
use protocol::ChangeRequest;

use super::*;

/// "Rotate CA": pki-core's `rotate::rotate_ca`, without a new key (the CA certificate renewed,
/// every other file kept, `renew-ca.sh`) or with one the page's workers make (the kit).
#[component]
pub(super) fn RenewCa() -> impl IntoView {
    let d = expect_context::<DayTwo>();
    let ctx = expect_context::<Ctx>();
    let rotate_why = RwSignal::new(String::new());
    view! {
        <h3>"Rotate CA"</h3>
        <p class="hint">"Same key: the CA certificate's validity extended, same subject and key, every certificate still valid; one rolling restart (renew-ca.sh)."</p>
        <button id="renew-ca-go" aria-describedby="rotate-ca-why" on:click=move |_| {
            if let Some(why) = d.unfinished_kit() {
                rotate_why.set(why);
            } else if matches!(d.ca.get_untracked(), CaStatus::Ok(_)) {
                rotate_why.set(String::new());
                run_change(ctx, d, ChangeRequest::RenewCaSameKey);
            }
        }>"Renew the CA (same key) and make the kit"</button>
        <p class="hint">"New key: a new CA, every member and client certificate and key new under it, and the three-phase kit (trust both CAs, re-issue, drop the old CA), each phase a rolling restart with health gates. The new CA key is downloaded apart from the kit, encrypted with a new passphrase typed below (not the old key's: a rotation may be because that key leaked)."</p>
        <crate::ui::ca_key::CaKeyProtection/>
        <button id="rotate-ca-go" aria-describedby="rotate-ca-why" on:click=move |_| {
            if let Some(why) = d.unfinished_kit() {
                rotate_why.set(why);
                return;
            }
            if !matches!(d.ca.get_untracked(), CaStatus::Ok(_)) {
                return;
            }
            match ctx.ca_key.with_untracked(|i| i.protection()) {
                Err(why) => rotate_why.set(why),
                Ok(p) => {
                    rotate_why.set(String::new());
                    run_change_with(ctx, d, ChangeRequest::RotateCa, p);
                }
            }
        }>"Rotate to a new CA and make the kit"</button>
        <p id="rotate-ca-why" class="field-error" aria-live="polite">{move || rotate_why.get()}</p>
    }
}

/// "New issuing CA" (root+issuing bundles): pki-core's `rotate::rotate_issuer` with the root
/// key the person gives as a file and its passphrase, as `etcd-pki rotate-issuer` does. The
/// new issuing CA key is encrypted with the passphrase typed in the fields above (those of a
/// rotation's new key). The root key and both passphrases leave the page once the kit is made.
#[component]
pub(super) fn NewIssuer() -> impl IntoView {
    let d = expect_context::<DayTwo>();
    let ctx = expect_context::<Ctx>();
    let why = RwSignal::new(String::new());
    let root_cb = Callback::new(move |p: Picked| d.root_key.set(Some(Arc::new(p))));
    let root_name = Signal::derive(move || d.root_key.with(|p| p.as_ref().map(|p| p.name.clone())));
    // pki-core's refusal of the last new issuing CA (a key that is not the root's, a wrong
    // passphrase), beside the button too.
    let refused = Signal::derive(move || {
        let mine = d.last.with(|l| *l == Some(ChangeRequest::RotateIssuer));
        match ctx.status.get() {
            GenState::Failed(e) if mine => Some(e),
            _ => None,
        }
    });
    let go = move |_| {
        let blocker = d.unfinished_kit().or_else(|| {
            if d.root_key.with_untracked(Option::is_none) {
                Some("Give the root key file (<cluster>-root-ca.key) first.".into())
            } else if d.root_passphrase.with_untracked(String::is_empty) {
                Some("Type the root key's passphrase (the root key is always encrypted).".into())
            } else {
                None
            }
        });
        if let Some(b) = blocker {
            return why.set(b);
        }
        match ctx.ca_key.with_untracked(|i| i.protection()) {
            Err(w) => why.set(format!("{w} (for the new issuing CA key, above)")),
            Ok(p) => {
                why.set(String::new());
                run_change_with(ctx, d, ChangeRequest::RotateIssuer, p);
            }
        }
    };
    view! {
        <h3>"New issuing CA (no restart)"</h3>
        <p class="hint">"A new issuing CA under the same root, signed here with the root key; every member and client certificate and key new under it, and the kit whose scripts swap each leaf file in place, member by member, then client by client (ROTATE-ISSUER.md). Every trusted CA file holds the root and stays as it is, so etcd is not restarted. The new issuing CA key is downloaded apart, encrypted with the passphrase typed above; the page drops the root key and its passphrase once the kit is made."</p>
        <FileDrop id="root-key-file" label="Root key (<cluster>-root-ca.key, encrypted)" accept=".key,.pem"
            error=refused picked=root_name on_file=root_cb/>
        <label class="field" for="root-key-passphrase">
            <span>"The root key's passphrase"</span>
            <input id="root-key-passphrase" type="password" autocomplete="off"
                data-1p-ignore="true" data-lpignore="true" data-bwignore="true" data-form-type="other"
                prop:value=move || d.root_passphrase.get()
                on:input=move |ev| d.root_passphrase.set(event_target_value(&ev))/>
        </label>
        <button id="rotate-issuer-go" aria-describedby="rotate-issuer-why" on:click=go>
            "Make a new issuing CA and the kit"</button>
        <p id="rotate-issuer-why" class="field-error" aria-live="polite">{move || why.get()}</p>
    }
}
