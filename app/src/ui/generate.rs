//! The Generate button, its reasons when disabled, progress, and the summary.

use std::sync::Arc;

use leptos::prelude::*;
use pki_core::Severity;
use wasm_bindgen::JsValue;

use super::{Ctx, GenState, Generated};
use crate::browser;
use crate::keygen;

/// The generate panel.
#[component]
pub fn GeneratePanel() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let errors = Memo::new(move |_| {
        ctx.problems.with(|ps| {
            ps.iter()
                .filter(|p| p.severity == Severity::Error)
                .cloned()
                .collect::<Vec<_>>()
        })
    });
    // The CA key passphrase lives only in this signal and the worker's message; never saved.
    let passphrase = RwSignal::new(String::new());
    let pass_error = move || {
        let n = passphrase.with(|p| p.chars().count());
        (n > 0 && n < pki_core::keys::MIN_PASSPHRASE).then(|| {
            format!(
                "the passphrase has {n} characters; use at least {} (or none)",
                pki_core::keys::MIN_PASSPHRASE
            )
        })
    };
    let running = move || matches!(ctx.status.get(), GenState::Running(_));
    let why = move || {
        let e = errors.get();
        match e.len() {
            0 => String::new(),
            n => format!(
                "Fix {n} error{} first: {}",
                if n == 1 { "" } else { "s" },
                e.iter()
                    .take(3)
                    .map(|p| format!("{} — {}", p.path, p.message))
                    .collect::<Vec<_>>()
                    .join("; ")
                    + if n > 3 { "; …" } else { "" }
            ),
        }
    };
    let start = move |_| {
        if !errors.get_untracked().is_empty() || running() || pass_error().is_some() {
            return;
        }
        let spec = ctx.spec.get_untracked();
        let alg = spec.key_algorithm;
        let status = ctx.status;
        status.set(GenState::Running(keygen::Progress {
            done: 0,
            total: pki_core::key_plan(&spec).len(),
            making: vec![],
        }));
        browser::set_busy(true);
        keygen::generate(
            &spec,
            passphrase.get_untracked(),
            move |p| status.set(GenState::Running(p)),
            move |result| {
                match result {
                    Ok(o) => {
                        let keys = o.listing.key_count;
                        browser::record_run(&[
                            ("algorithm", JsValue::from_str(alg.as_str())),
                            ("keys", JsValue::from_f64(keys as f64)),
                            ("total_ms", JsValue::from_f64(o.total_ms)),
                            ("keygen_ms", JsValue::from_f64(o.keygen_ms)),
                            ("assemble_ms", JsValue::from_f64(o.assemble_ms)),
                            ("zip_ms", JsValue::from_f64(o.zip_ms)),
                            ("workers", JsValue::from_f64(o.workers as f64)),
                        ]);
                        let where_ = format!("on {} workers", o.workers);
                        let summary = format!(
                            "{keys} keys and certificates in {} ({alg}, keys made {where_}); {} files, zip {} KB.",
                            human_ms(o.total_ms),
                            o.listing.files.len(),
                            o.zip.len().div_ceil(1024)
                        );
                        status.set(GenState::Done(Arc::new(Generated {
                            listing: o.listing,
                            zip: o.zip,
                            summary,
                        })));
                    }
                    Err(e) => status.set(GenState::Failed(e)),
                }
                browser::set_busy(false);
            },
        );
    };
    let download = move |_| {
        if let GenState::Done(g) = ctx.status.get_untracked() {
            let _ = browser::download(&g.zip, &g.listing.zip_name, "application/zip");
        }
    };
    view! {
        <section class="generate card">
            <div class="generate-row">
                <button id="generate" class="primary"
                    prop:disabled=move || !errors.get().is_empty() || running() || pass_error().is_some()
                    on:click=start>"Generate keys and certificates"</button>
                <button id="download" class="primary"
                    prop:disabled=move || !matches!(ctx.status.get(), GenState::Done(_))
                    on:click=download>
                    {move || match ctx.status.get() {
                        GenState::Done(g) => format!("Download {}", g.listing.zip_name),
                        _ => "Download zip".to_string(),
                    }}
                </button>
                <span class="private">"Keys are made here, in this browser; nothing is sent anywhere."</span>
            </div>
            <details class="passphrase">
                <summary>"Encrypt the CA key with a passphrase"</summary>
                <label class="field" for="ca-passphrase">
                    <span>"CA key passphrase (optional, never stored)"</span>
                    <input id="ca-passphrase" type="password" autocomplete="new-password"
                        prop:value=move || passphrase.get()
                        on:input=move |ev| passphrase.set(event_target_value(&ev))/>
                    <small class="hint">"The CA key is then encrypted PKCS#8 (PBKDF2-SHA256, AES-256); openssl pkey asks for the passphrase. Member and client keys stay unencrypted, because etcd cannot read encrypted keys."</small>
                    {move || pass_error().map(|e| view! { <div class="field-error" data-testid="field-error" data-path="ca_passphrase">{e}</div> })}
                </label>
            </details>
            <p id="generate-why" class="field-error">{why}</p>
            {move || match ctx.status.get() {
                GenState::Running(p) => {
                    let making = if p.making.is_empty() { "starting".to_string() } else { p.making.join(", ") };
                    view! {
                        <div id="progress" role="status">
                            <progress max=p.total.to_string() value=p.done.to_string()></progress>
                            <span>{format!("Making keys: {} of {} done — {}", p.done, p.total, making)}</span>
                        </div>
                    }.into_any()
                }
                GenState::Done(g) => {
                    let warnings = g.listing.warnings.clone();
                    view! {
                        <p id="result-summary" class="ok">{g.summary.clone()}</p>
                        <ul id="warnings">
                            {warnings.into_iter().map(|w| view! {
                                <li class="field-warning">{format!("Warning, {}: {}", w.path, w.message)}</li>
                            }).collect_view()}
                        </ul>
                    }.into_any()
                }
                GenState::Failed(e) => view! { <p class="field-error" role="alert">{format!("Generation failed: {e}")}</p> }.into_any(),
                GenState::Idle => ().into_any(),
            }}
        </section>
    }
}

fn human_ms(ms: f64) -> String {
    if ms < 1000.0 {
        format!("{ms:.0} ms")
    } else {
        format!("{:.1} s", ms / 1000.0)
    }
}
