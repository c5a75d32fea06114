//! The CA's files: its certificate (for a CA from elsewhere), its key, the passphrase when
//! the key is encrypted, and what the CA is once a worker has read them.

use std::sync::Arc;

use leptos::prelude::*;

use crate::ui::Ctx;
use protocol::CaField;

use super::*;

/// The CA's key (and, for "Use an existing CA", its certificate), the passphrase when
/// needed, and what the CA is.
#[component]
pub(super) fn CaFiles(with_cert: bool) -> impl IntoView {
    let d = expect_context::<DayTwo>();
    let ctx = expect_context::<Ctx>();
    let err = move |field: CaField| {
        Signal::derive(move || match d.ca.get() {
            CaStatus::Refused(r) if r.field == field => Some(r.error),
            _ => None,
        })
    };
    let name = move |s: RwSignal<Option<Arc<Picked>>>| {
        Signal::derive(move || s.with(|p| p.as_ref().map(|p| p.name.clone())))
    };
    let cert_cb = Callback::new(move |p: Picked| {
        d.ca_cert.set(Some(Arc::new(p)));
        d.check();
    });
    let key_cb = Callback::new(move |p: Picked| {
        d.ca_key.set(Some(Arc::new(p)));
        d.needs_passphrase.set(false);
        d.passphrase.set(String::new());
        d.check();
    });
    let pass_err = err(CaField::Passphrase);
    view! {
        {with_cert.then(|| view! {
            <FileDrop id="existing-ca-cert" label="CA certificate (ca.crt, PEM or DER)"
                accept=".crt,.pem,.cer,.der" error=err(CaField::Cert) picked=name(d.ca_cert)
                on_file=cert_cb/>
        })}
        <FileDrop id="existing-ca-key" label="CA key (ca.key: PKCS#8, PKCS#1, SEC1, encrypted or not)"
            accept=".key,.pem" error=err(CaField::Key) picked=name(d.ca_key) on_file=key_cb/>
        {move || d.needs_passphrase.get().then(|| view! {
            <label class="field" for="existing-ca-passphrase">
                <span>"The CA key's passphrase"</span>
                <input id="existing-ca-passphrase" type="password" autocomplete="off"
                    data-1p-ignore="true" data-lpignore="true" data-bwignore="true" data-form-type="other"
                    prop:value=move || d.passphrase.get()
                    aria-invalid=move || pass_err.with(Option::is_some).to_string()
                    aria-describedby="existing-ca-passphrase-error"
                    on:input=move |ev| d.passphrase.set(event_target_value(&ev))
                    on:change=move |_| d.check()/>
            </label>
            <button id="existing-ca-unlock" on:click=move |_| d.check()>"Unlock the key"</button>
            <div id="existing-ca-passphrase-error" class="field-error" aria-live="polite"
                data-testid="field-error" data-path="existing-ca-passphrase">{move || pass_err.get()}</div>
        })}
        <div id="existing-ca-status" role="status" aria-live="polite">
            {move || match d.ca.get() {
                CaStatus::Checking => view! { <p class="hint">"Reading the CA…"</p> }.into_any(),
                CaStatus::Ok(f) => {
                    let cert_days: i64 = ctx.form.with(|f| f.cert_days.trim().parse().unwrap_or(0));
                    let cap = (f.days_left < cert_days).then_some(f.days_left);
                    view! {
                        <p class="ok" id="existing-ca-subject">{format!(
                            "CA: {} ({}), valid until {} — {} days left.",
                            f.subject, f.algorithm.as_str(), &f.not_after[..10.min(f.not_after.len())], f.days_left
                        )}</p>
                        <ul id="existing-ca-warnings">
                            {f.warnings.iter().map(|w| view! { <li class="field-warning">{format!("Warning: {w}")}</li> }).collect_view()}
                        </ul>
                        {cap.map(|days| view! {
                            <p class="field-warning">{format!(
                                "The CA expires in {days} days, before certificates valid for {cert_days} days would; a certificate must not outlive its CA."
                            )}
                            <button id="existing-ca-cap" on:click=move |_| ctx.form.update(|f| f.cert_days = days.to_string())>
                                {format!("Cap the certificates at {days} days")}</button></p>
                        })}
                    }.into_any()
                }
                _ => ().into_any(),
            }}
        </div>
    }
}
