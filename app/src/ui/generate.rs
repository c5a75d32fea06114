//! The Generate button, its reasons when disabled, the time estimate before a long run,
//! progress with Cancel, and after a run: the zip, the separate CA key, and "Forget keys".

use std::sync::Arc;

use leptos::prelude::*;
use pki_core::Severity;
use wasm_bindgen::JsValue;

use super::ca_key::CaKeyProtection;
use super::{Ctx, GenState, Generated};
use crate::browser;
use crate::estimate;
use crate::workers::{self, Outcome};

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
    let running = move || matches!(ctx.status.get(), GenState::Running(_));
    let why = move || why_disabled(ctx, &errors.get());
    let blocked = move || {
        !errors.get().is_empty()
            || (super::existing_ca::new_ca() && key_blocker(ctx).is_some())
            || super::existing_ca::blocker(&ctx).is_some()
    };
    let estimate = Memo::new(move |_| {
        let spec = ctx.spec.get();
        // Keys of the spec's algorithm (the JWT key is P-256 and takes no time to speak of).
        let keys = pki_core::key_plan(&spec)
            .iter()
            .filter(|r| r.algorithm == spec.key_algorithm)
            .count();
        // Re-read when workers report in (their calibration refines the figure).
        let _ = ctx.status.get();
        estimate::estimate(
            spec.key_algorithm,
            keys,
            workers::pool_size(),
            workers::calibration_ms(),
        )
    });
    let start = move |_| {
        if blocked() || running() || super::existing_ca::start_instead(ctx) {
            return;
        }
        start_generation(ctx);
    };
    let announce = move || announcement(&ctx.status.get());
    let cancel = move |_| {
        workers::cancel();
        ctx.status.set(GenState::Cancelled);
        browser::set_busy(false);
    };
    view! {
        <section class="generate card">
            {move || super::existing_ca::new_ca().then(|| view! { <CaKeyProtection with_root=true/> })}
            {move || estimate.with(|e| e.is_long().then(|| view! {
                <p id="estimate" class="hint">{format!("This will take {}.", e.describe())}</p>
            }))}
            <div class="generate-row">
                <button id="generate" class="primary" aria-describedby="generate-why"
                    prop:disabled=move || blocked() || running()
                    on:click=start>{super::existing_ca::button_label}</button>
                {move || running().then(|| view! {
                    <button id="cancel" on:click=cancel>"Cancel"</button>
                })}
                <span class="private">"Keys are made here, in this browser; nothing is sent anywhere."</span>
            </div>
            <p id="generate-why" class="field-error" aria-live="polite">{why}</p>
            // Said once when a run starts and once when it ends (the progress bar would say
            // every key).
            <p id="generate-announce" class="visually-hidden" role="status">{announce}</p>
            {move || run_view(ctx.status.get())}
        </section>
    }
}

/// Why a new CA's bundle cannot start for want of a passphrase: the CA key's, then (root+issuing)
/// the root key's.
fn key_blocker(ctx: Ctx) -> Option<String> {
    let layered = ctx
        .spec
        .with(|s| s.ca_layout == pki_core::CaLayout::RootIssuing);
    ctx.ca_key.with(|k| {
        k.blocker()
            .or_else(|| layered.then(|| k.root_blocker()).flatten())
    })
}

/// Why Generate is disabled: the first errors, then what the CA key fields or a day-two
/// change still need; empty when it is not.
fn why_disabled(ctx: Ctx, e: &[pki_core::Problem]) -> String {
    let mut reasons: Vec<String> = e
        .iter()
        .take(3)
        .map(|p| format!("{} — {}", p.path, p.message))
        .collect();
    if e.len() > 3 {
        reasons.push("…".into());
    }
    let mut text = match e.len() {
        0 => String::new(),
        n => format!(
            "Fix {n} error{} first: {}",
            if n == 1 { "" } else { "s" },
            reasons.join("; ")
        ),
    };
    let new_ca_blocker = key_blocker(ctx).filter(|_| super::existing_ca::new_ca());
    if let Some(b) = new_ca_blocker.or_else(|| super::existing_ca::blocker(&ctx)) {
        if !text.is_empty() {
            text.push(' ');
        }
        text.push_str(&b);
    }
    text
}

/// Starts a generation of the form's spec: the previous bundle forgotten first, progress and
/// the outcome into `ctx.status`.
fn start_generation(ctx: Ctx) {
    let Ok(protection) = ctx.ca_key.with_untracked(|k| k.protection()) else {
        return;
    };
    let spec = ctx.spec.get_untracked();
    let root = match spec.ca_layout {
        pki_core::CaLayout::RootIssuing => match ctx.ca_key.with_untracked(|k| k.root_protection())
        {
            Ok(p) => Some(p),
            Err(_) => return,
        },
        pki_core::CaLayout::Single => None,
    };
    let alg = spec.key_algorithm;
    let generated_from = spec.clone();
    let status = ctx.status;
    let ca_key = ctx.ca_key;
    // The previous bundle goes first: never two sets of keys in memory.
    ctx.forget_keys();
    status.set(GenState::Running(workers::Progress {
        done: 0,
        total: pki_core::key_plan(&spec).len(),
        making: vec![],
    }));
    browser::set_busy(true);
    workers::generate(
        &spec,
        protection,
        root,
        move |p| status.set(GenState::Running(p)),
        move |result| {
            let done = result.is_ok();
            status.set(match result {
                Ok(o) => GenState::Done(Arc::new(finished(o, alg, generated_from))),
                Err(e) => GenState::Failed(e),
            });
            // The passphrases did their job: out of the fields and wiped. (A failed run keeps
            // them, to try again.) The next generation asks for them again and derives afresh.
            if done {
                ca_key.update(|k| k.wipe());
            }
            browser::set_busy(false);
        },
    );
}

/// What the screen reader hears once when a run starts and once when it ends.
fn announcement(status: &GenState) -> String {
    match status {
        GenState::Running(_) => "Generating keys and certificates…".to_string(),
        GenState::Done(g) => format!(
            "Done: {} Download buttons, the cluster diagram, the next steps and the files follow.",
            g.summary
        ),
        GenState::Failed(e) => format!("Generation failed: {e}"),
        GenState::Cancelled => "Cancelled: no keys were kept.".to_string(),
        GenState::Idle => String::new(),
    }
}

/// Progress while running, the result after.
fn run_view(status: GenState) -> AnyView {
    match status {
        GenState::Running(p) => {
            let making = if p.making.is_empty() { "starting".to_string() } else { p.making.join(", ") };
            view! {
                <div id="progress">
                    <progress aria-label="Keys made" max=p.total.to_string() value=p.done.to_string()></progress>
                    <span>{format!("Making keys: {} of {} done — {}", p.done, p.total, making)}</span>
                </div>
            }.into_any()
        }
        GenState::Done(g) => view! { <Finished g=g/> }.into_any(),
        GenState::Failed(e) => view! { <p class="field-error" role="alert">{format!("Generation failed: {e}")}</p> }.into_any(),
        GenState::Cancelled => view! { <p id="cancelled" role="status">"Cancelled: no keys were kept. Ready to generate again."</p> }.into_any(),
        GenState::Idle => ().into_any(),
    }
}

/// Records the run's timings for benchmarks and says what was made.
fn finished(o: Outcome, alg: pki_core::KeyAlgorithm, spec: pki_core::ClusterSpec) -> Generated {
    let keys = o.listing.key_count;
    let run = browser::record_run(&[
        ("algorithm", JsValue::from_str(alg.as_str())),
        ("keys", JsValue::from_f64(keys as f64)),
        ("total_ms", JsValue::from_f64(o.total_ms)),
        ("keygen_ms", JsValue::from_f64(o.keygen_ms)),
        ("assemble_ms", JsValue::from_f64(o.assemble_ms)),
        ("zip_ms", JsValue::from_f64(o.zip_ms)),
        ("parse_ms", JsValue::from_f64(o.parse_ms)),
        ("ended_at", JsValue::from_f64(workers::now())),
        ("workers", JsValue::from_f64(o.workers as f64)),
    ]);
    // How long the page's thread then spends showing it: until the first task after the
    // render (Leptos runs its effects in microtasks, before any timer).
    if let Some(run) = run {
        let t0 = workers::now();
        workers::later(
            move || browser::add_to_run(&run, "render_ms", workers::now() - t0),
            0,
        );
    }
    let summary = format!(
        "{keys} keys and certificates in {} ({alg}, keys made on {} workers); {} files, zip {} KB.",
        human_ms(o.total_ms),
        o.workers,
        o.listing.files.len(),
        o.zip.len().div_ceil(1024)
    );
    Generated {
        outcome: o,
        summary,
        spec,
    }
}

/// After a run: the summary, warnings, the two downloads and "Forget keys".
#[component]
fn Finished(g: Arc<Generated>) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let o = &g.outcome;
    let zip_label = format!("Download {}", o.listing.zip_name);
    let ca_label = if o.ca_key_encrypted {
        "Download the CA key (encrypted)"
    } else {
        "Download the CA key (unencrypted)"
    };
    let warnings = o.listing.warnings.clone();
    let zip = g.clone();
    let ca = g.clone();
    let root = g.clone();
    // The bundle's renewal.ics, as the listing the worker sent holds it (no zip is read in
    // the page: its wasm stays without a zip reader).
    let calendar = o
        .listing
        .files
        .iter()
        .find(|f| f.path == "renewal.ics")
        .map(|f| f.text.clone());
    let calendar_name = format!(
        "{}-renewal.ics",
        o.listing
            .zip_name
            .trim_end_matches(".zip")
            .trim_end_matches("-etcd-pki")
    );
    view! {
        <p id="result-summary" class="ok">{g.summary.clone()}</p>
        <ul id="warnings">
            {warnings.into_iter().map(|w| view! {
                <li class="field-warning">{format!("Warning, {}: {}", w.path, w.message)}</li>
            }).collect_view()}
        </ul>
        <div class="generate-row">
            <button id="download" class="primary" on:click=move |_| {
                let o = &zip.outcome;
                let _ = browser::download(&o.zip, &o.listing.zip_name, "application/zip");
            }>{zip_label}</button>
            {(!o.ca_key.is_empty()).then(|| view! {
                <button id="download-ca-key" on:click=move |_| {
                    let o = &ca.outcome;
                    let _ = browser::download(&o.ca_key, &o.ca_key_name, "application/x-pem-file");
                }>{ca_label}</button>
            })}
            {(!o.root_key.is_empty()).then(|| view! {
                <button id="download-root-key" on:click=move |_| {
                    let o = &root.outcome;
                    let _ = browser::download(&o.root_key, &o.root_key_name, "application/x-pem-file");
                }>"Download the root key (encrypted)"</button>
            })}
            <super::calendar::CalendarDownload ics=calendar name=calendar_name/>
            <button id="forget-keys" class="danger" on:click=move |_| ctx.forget_keys()>"Forget keys"</button>
        </div>
        <p class="hint">{format!(
            "The zip holds every member's and client's keys, not the CA key; {} is the CA key alone: keep it offline.{} \"Forget keys\" drops them from this page.",
            o.ca_key_name,
            if o.root_key.is_empty() { String::new() } else {
                format!(" {} is the root key: it only makes issuing CAs (etcd-pki rotate-issuer, or \"New issuing CA\" here); keep it offline, apart from the CA key.", o.root_key_name)
            }
        )}</p>
    }
}

fn human_ms(ms: f64) -> String {
    if ms < 1000.0 {
        format!("{ms:.0} ms")
    } else {
        format!("{:.1} s", ms / 1000.0)
    }
}
