//! The CA key section before generating: the passphrase typed twice, each problem beside its
//! field (and tied to it with `aria-describedby`), or the explicit choice of an unencrypted
//! key, whose label says what that means. The text lives only in `Ctx::ca_key`, until the
//! generation that used it is done (then the fields are emptied and wiped).
//!
//! A root+issuing bundle's root key is always encrypted: its passphrase, typed twice, has
//! fields of its own below the CA key's (`with_root`).
//!
//! As soon as the two fields agree (after a short pause in typing), the key that seals the CA
//! key (or the root key) is derived on a worker of its own (`crate::sealer`), so Generate does
//! not wait for PBKDF2. The fields are not offered to password managers: this passphrase guards a key
//! that belongs offline, and a manager that saves or syncs it keeps a copy somewhere else
//! (`autocomplete="off"` and the ignore attributes of the common managers, which read
//! `autocomplete` as a hint only).

use leptos::prelude::*;

use super::Ctx;
use crate::ca_key::{CaKeyInput, CaKeyProblems, MIN};
use crate::sealer::Which;

/// How long typing pauses before the passphrase's key is derived (typing on would make the
/// worker derive keys for texts nobody wants).
const DERIVE_AFTER_MS: i32 = 200;

/// Derives the sealing key of `which` ahead once `wanted` gives a usable passphrase and the
/// typing pauses; drops what was derived as soon as the fields no longer hold one.
fn derive_ahead_of(
    input: RwSignal<CaKeyInput>,
    which: Which,
    wanted: fn(&CaKeyInput) -> Option<zeroize::Zeroizing<String>>,
) {
    let typed = StoredValue::new(0u32);
    Effect::new(move |_| {
        let wanted = input.with(wanted);
        typed.update_value(|n| *n += 1);
        let mine = typed.get_value();
        match wanted {
            None => crate::sealer::derive_ahead(which, None),
            Some(p) => crate::workers::later(
                move || {
                    if typed.try_get_value() == Some(mine) {
                        crate::sealer::derive_ahead(which, Some(p));
                    }
                },
                DERIVE_AFTER_MS,
            ),
        }
    });
}

/// The passphrase fields and the unencrypted choice; with `with_root`, the root key's
/// passphrase fields too when the form's layout is root+issuing.
#[component]
pub fn CaKeyProtection(#[prop(optional)] with_root: bool) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let input = ctx.ca_key;
    let problems = Memo::new(move |_| input.with(|i| i.problems()));
    let unencrypted = move || input.with(|i| i.unencrypted);
    let layered = move || {
        with_root
            && ctx
                .spec
                .with(|s| s.ca_layout == pki_core::CaLayout::RootIssuing)
    };
    derive_ahead_of(input, Which::Ca, |i| i.protection().ok().flatten());
    if with_root {
        derive_ahead_of(input, Which::Root, |i| i.root_protection().ok());
    }
    let field = move |id: &'static str,
                      label: &'static str,
                      get: fn(&CaKeyInput) -> String,
                      set: fn(&mut CaKeyInput, String),
                      error: fn(&CaKeyProblems) -> Option<String>,
                      off: bool| {
        let error_id = format!("{id}-error");
        let described = error_id.clone();
        view! {
            <label class="field" for=id>
                <span>{label}</span>
                <input id=id type="password" autocomplete="off" data-1p-ignore="true"
                    data-lpignore="true" data-bwignore="true" data-form-type="other"
                    prop:disabled=move || off && unencrypted()
                    prop:value=move || input.with(get)
                    aria-invalid=move || problems.with(|p| error(p).is_some()).to_string()
                    aria-describedby=described
                    on:input=move |ev| input.update(|i| set(i, event_target_value(&ev)))/>
                <div id=error_id class="field-error" data-testid="field-error" data-path=id aria-live="polite">
                    {move || problems.with(error)}
                </div>
            </label>
        }
    };
    view! {
        <fieldset class="ca-key">
            <legend>"The CA key"</legend>
            <p class="hint">{format!(
                "The CA key signs every certificate your cluster trusts. It is a separate download, encrypted with a passphrase of at least {MIN} characters (PKCS#8, PBKDF2-SHA256 and AES-256; openssl pkey asks for it). The passphrase is never stored."
            )}</p>
            <div class="pair">
                {field("ca-passphrase", "CA key passphrase", |i| i.passphrase.clone(),
                    |i, v| i.passphrase = v, |p| p.passphrase.clone(), true)}
                {field("ca-passphrase-confirm", "The same passphrase again", |i| i.confirm.clone(),
                    |i, v| i.confirm = v, |p| p.confirm.clone(), true)}
            </div>
            <label class="field check" for="ca-unencrypted">
                <input id="ca-unencrypted" type="checkbox"
                    prop:checked=unencrypted
                    on:change=move |ev| input.update(|i| i.unencrypted = event_target_checked(&ev))/>
                <span>"Download the CA key unencrypted — anyone who gets this file can mint certificates your cluster trusts"</span>
            </label>
            {move || layered().then(|| view! {
                <p class="hint">"The root key signs issuing CAs only: a separate download, always encrypted with its own passphrase; keep it offline. Every member and client trusts the root alone, so a new issuing CA needs no restart."</p>
                <div class="pair">
                    {field("root-passphrase", "Root key passphrase", |i| i.root_passphrase.clone(),
                        |i, v| i.root_passphrase = v, |p| p.root_passphrase.clone(), false)}
                    {field("root-passphrase-confirm", "The same root passphrase again", |i| i.root_confirm.clone(),
                        |i, v| i.root_confirm = v, |p| p.root_confirm.clone(), false)}
                </div>
            })}
        </fieldset>
    }
}
