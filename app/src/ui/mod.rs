//! The page: signals for the form and the last generation, and one small component per part.
//! The PKI logic is pki-core's; these only hold state and call it.

mod ca_key;
mod calendar;
mod chunked;
mod clients;
mod doctor;
mod existing_ca;
mod file_drop;
mod files;
mod generate;
mod members;
mod options;
mod results;
mod row;

use std::sync::Arc;

use leptos::prelude::*;
use pki_core::{ClusterSpec, Problem, Severity};
use zeroize::Zeroize;

use crate::browser;
use crate::ca_key::CaKeyInput;
use reactive_stores::Store;

use crate::form::Form;
use crate::workers::{Outcome, Progress};

/// A generation's outcome as the page shows it. Its zip and CA key are wiped from memory
/// when the last reference is dropped ("Forget keys", a new generation, a new spec).
pub struct Generated {
    /// The bundle, as the workers sent it.
    pub outcome: Outcome,
    /// "9 keys and certificates in 23 ms".
    pub summary: String,
    /// The spec it was generated from (the table may have changed since).
    pub spec: ClusterSpec,
}

/// A key file's text, read from the zip because the person asked to see it.
#[derive(Clone, PartialEq)]
pub struct ShownKey {
    /// Its path in the bundle.
    pub path: String,
    /// Its PEM text.
    pub text: String,
}

/// Where generation stands.
#[derive(Clone)]
pub enum GenState {
    /// Nothing yet.
    Idle,
    /// Keys being made.
    Running(Progress),
    /// Done.
    Done(Arc<Generated>),
    /// Failed, with the reason.
    Failed(String),
    /// Cancelled by the person; nothing kept.
    Cancelled,
}

/// The page's shared state, passed to components by context.
#[derive(Clone, Copy)]
pub struct Ctx {
    /// What the inputs hold.
    pub form: Store<Form>,
    /// Every problem: raw-text ones, then pki-core's validation, in field order.
    pub problems: Memo<Vec<Problem>>,
    /// The spec the form describes.
    pub spec: Memo<ClusterSpec>,
    /// The last generation.
    pub status: RwSignal<GenState>,
    /// The CA key passphrase fields (never saved).
    pub ca_key: RwSignal<CaKeyInput>,
    /// The one key shown, if the person asked to see one.
    pub shown_key: RwSignal<Option<ShownKey>>,
    /// The member row added last with "Add member" (the file tree opens on it).
    pub last_added: RwSignal<Option<u64>>,
}

impl Ctx {
    /// Drops the last generation (zip, CA key, listing) and any key on show; their bytes are
    /// wiped as they go.
    pub fn forget_keys(&self) {
        self.hide_key();
        self.status.set(GenState::Idle);
    }

    /// Stops showing a key, wiping its text.
    pub fn hide_key(&self) {
        self.shown_key.update(|k| {
            if let Some(k) = k.as_mut() {
                k.text.zeroize();
            }
            *k = None;
        });
    }

    /// The problems at `path` or below it.
    pub fn at(&self, path: &str) -> Vec<Problem> {
        self.problems.with(|ps| {
            ps.iter()
                .filter(|p| {
                    p.path == path
                        || (p.path.starts_with(path)
                            && matches!(p.path.as_bytes().get(path.len()), Some(b'.') | Some(b'[')))
                })
                .cloned()
                .collect()
        })
    }
}

/// Shows the problems at `path` next to its field, in a live region (a screen reader reads a
/// new problem out as it appears) whose `id` the field names in `aria-describedby`.
#[component]
pub fn FieldErrors(
    #[prop(into)] path: Signal<String>,
    /// The region's id, for the field's `aria-describedby`.
    #[prop(optional, into)]
    id: Option<String>,
) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let messages = move || {
        ctx.at(&path.get())
            .into_iter()
            .map(|p| {
                let class = match p.severity {
                    Severity::Error => "field-error",
                    Severity::Warning => "field-warning",
                };
                view! { <div class=class data-testid="field-error" data-path=p.path.clone()>{p.message.clone()}</div> }
            })
            .collect_view()
    };
    view! { <div id=id class="errors" aria-live="polite">{messages}</div> }
}

/// `"true"` when the field at `path` has an error (for `aria-invalid`).
pub fn invalid(ctx: Ctx, path: &str) -> &'static str {
    if ctx.at(path).iter().any(|p| p.severity == Severity::Error) {
        "true"
    } else {
        "false"
    }
}

/// Moves the keyboard focus to the element matching `selector` once the page has drawn it
/// (e.g. the name field of a row just added); a text field's text is selected, so typing
/// replaces the suggested name.
pub fn focus_soon(selector: &'static str) {
    request_animation_frame(move || {
        use wasm_bindgen::JsCast;
        let Some(e) = document()
            .query_selector(selector)
            .ok()
            .flatten()
            .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
        else {
            return;
        };
        let _ = e.focus();
        if let Some(input) = e.dyn_ref::<web_sys::HtmlInputElement>() {
            input.select();
        }
    });
}

/// The build, and whether the page runs offline or from a file.
#[component]
fn StatusLine() -> impl IntoView {
    let online = RwSignal::new(
        web_sys::window()
            .map(|w| w.navigator().on_line())
            .unwrap_or(true),
    );
    let _online = window_event_listener(leptos::ev::online, move |_| online.set(true));
    let _offline = window_event_listener(leptos::ev::offline, move |_| online.set(false));
    let from_file = web_sys::window()
        .and_then(|w| w.location().protocol().ok())
        .is_some_and(|p| p == "file:");
    let build = option_env!("ETCD_PKI_BUILD").unwrap_or(env!("CARGO_PKG_VERSION"));
    view! {
        <span id="build-status">
            {format!("etcd-pki {build}")}
            {if from_file { " · opened from a file" } else { "" }}
            {move || if online.get() { " · online" } else { " · offline" }}
        </span>
    }
}

fn initial_spec() -> ClusterSpec {
    browser::load_spec()
        .and_then(|json| ClusterSpec::from_json(&json).ok())
        .unwrap_or_else(ClusterSpec::template)
}

/// The whole page.
#[component]
pub fn App() -> impl IntoView {
    let form = Store::new(Form::from_spec(&initial_spec()));
    let both = Memo::new(move |_| form.with(Form::to_spec));
    let spec = Memo::new(move |_| both.with(|(s, _)| s.clone()));
    let problems = Memo::new(move |_| {
        both.with(|(s, raw)| {
            let mut v = raw.clone();
            let report = pki_core::validate(s);
            // A field whose raw text was bad is judged by its raw text only.
            v.extend(
                report
                    .problems()
                    .iter()
                    .filter(|p| !raw.iter().any(|r| r.path == p.path))
                    .cloned(),
            );
            v
        })
    });
    let ctx = Ctx {
        form,
        problems,
        spec,
        status: RwSignal::new(GenState::Idle),
        ca_key: RwSignal::new(CaKeyInput::default()),
        shown_key: RwSignal::new(None),
        last_added: RwSignal::new(None),
    };
    provide_context(ctx);
    existing_ca::provide();
    // The spec (never a key) survives a reload.
    Effect::new(move |_| spec.with(|s| browser::save_spec(&s.to_json())));
    crate::workers::warm_up();

    view! {
        <header class="top">
            <div>
                <h1>"etcd-pki"</h1>
                <p class="tagline">"The TLS PKI of an etcd cluster — CA, member and client certificates, configs — made in this browser."</p>
            </div>
            <options::SpecFileButtons/>
        </header>
        <existing_ca::StartFrom/>
        <main>
            <div class="form-grid">
                <section class="edit" aria-label="Members and clients">
                    <members::Members/>
                    <clients::Clients/>
                </section>
                <section class="side" aria-label="Options">
                    <options::Options/>
                </section>
            </div>
            <generate::GeneratePanel/>
            <results::ClusterDiagram/>
            <results::NextStepsPanel/>
            <files::Files/>
            <doctor::Doctor/>
        </main>
        <footer>
            <StatusLine/>
            " · Keys come from this browser's crypto.getRandomValues and are never stored or sent; the page makes no network request once loaded."
        </footer>
    }
}
