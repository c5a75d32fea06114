//! "Rotate CA": the CA certificate renewed with the same key, or a new CA and its kit.

use leptos::prelude::*;

use crate::ui::Ctx;
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
