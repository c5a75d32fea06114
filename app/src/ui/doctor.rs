//! The Doctor section: paste what etcd or a client printed, add or drop files (certificates,
//! keys, CA, CRL, etcd.env, a bundle's zip), and read pki-core's answer exactly as
//! `etcd-pki doctor` prints it. The doctor runs in a key worker (`workers::diagnose`); this
//! file only holds the inputs and shows the answer.

use std::sync::Arc;

use leptos::prelude::*;
use zeroize::Zeroizing;

use crate::workers;
use protocol::DoctorAnswer;

/// One file given to the doctor. Its bytes are wiped when the last reference drops.
#[derive(Clone)]
struct Given {
    name: String,
    bytes: Arc<Zeroizing<Vec<u8>>>,
}

/// The answer and how long it took in the page, from sending the inputs to the worker to
/// having its answer (what a person waits for once a worker is free).
#[derive(Clone)]
struct Shown {
    answer: DoctorAnswer,
    page_ms: f64,
}

/// Reads every file of a pick or a drop, in order, and adds them to `given`.
fn take_files(list: Option<web_sys::FileList>, given: RwSignal<Vec<Given>>) {
    let Some(list) = list else { return };
    let files: Vec<web_sys::File> = (0..list.length()).filter_map(|i| list.get(i)).collect();
    leptos::task::spawn_local(async move {
        for f in files {
            let name = f.name();
            let Ok(buf) = wasm_bindgen_futures::JsFuture::from(f.array_buffer()).await else {
                web_sys::console::error_1(&format!("{name} could not be read").into());
                continue;
            };
            let view = js_sys::Uint8Array::new(&buf);
            let bytes = Arc::new(Zeroizing::new(view.to_vec()));
            protocol::wipe(&view);
            given.update(|g| g.push(Given { name, bytes }));
        }
    });
}

/// The Doctor section.
#[component]
pub fn Doctor() -> impl IntoView {
    let paste = RwSignal::new(String::new());
    let given = RwSignal::new(Vec::<Given>::new());
    let shown = RwSignal::new(None::<Shown>);
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let answers = RwSignal::new(0u32);
    let nothing = move || paste.with(|p| p.trim().is_empty()) && given.with(Vec::is_empty);

    let run = move |_| {
        if nothing() {
            error.set(Some(
                "Paste what etcd or the client printed, or add a file, then ask again.".into(),
            ));
            return;
        }
        let mut inputs: Vec<(String, Zeroizing<Vec<u8>>)> = Vec::new();
        let text = paste.get_untracked();
        if !text.trim().is_empty() {
            inputs.push(("paste".into(), Zeroizing::new(text.into_bytes())));
        }
        given.with_untracked(|g| {
            for f in g {
                inputs.push((f.name.clone(), Zeroizing::new(f.bytes.to_vec())));
            }
        });
        busy.set(true);
        error.set(None);
        workers::when_idle(move || {
            let start = workers::now();
            workers::diagnose(&inputs, move |r| {
                let page_ms = workers::now() - start;
                busy.set(false);
                match r {
                    Ok(answer) => {
                        shown.set(Some(Shown { answer, page_ms }));
                        answers.update(|n| *n += 1);
                    }
                    Err(e) => error.set(Some(e)),
                }
            });
        });
    };
    let clear = move |_| {
        paste.set(String::new());
        given.set(Vec::new());
        shown.set(None);
        error.set(None);
    };
    let on_pick = move |ev: leptos::ev::Event| {
        let input: web_sys::HtmlInputElement = event_target(&ev);
        take_files(input.files(), given);
        input.set_value("");
    };
    let on_drop = move |ev: leptos::ev::DragEvent| {
        ev.prevent_default();
        take_files(ev.data_transfer().and_then(|d| d.files()), given);
    };
    let file_list = move || {
        given
            .get()
            .into_iter()
            .enumerate()
            .map(|(i, f)| {
                let label = format!("Remove {}", f.name);
                view! {
                    <li data-testid="doctor-file">
                        {format!("{} ({} bytes) ", f.name, f.bytes.len())}
                        <button type="button" class="link" aria-label=label
                            on:click=move |_| given.update(|g| { if i < g.len() { g.remove(i); } })>
                            "remove"</button>
                    </li>
                }
            })
            .collect_view()
    };
    let summary = move || {
        shown.get().map(|s| {
            let verdict = if s.answer.classes.is_empty() {
                "No culprit found in what was given.".to_string()
            } else {
                format!(
                    "{} finding{}: {}.",
                    s.answer.classes.len(),
                    if s.answer.classes.len() == 1 { "" } else { "s" },
                    s.answer.classes.join(", ")
                )
            };
            format!("{verdict} Answered in {:.0} ms.", s.page_ms)
        })
    };
    view! {
        <section class="doctor" aria-labelledby="doctor-title">
            <h2 id="doctor-title">"Doctor"</h2>
            <p class="hint">"An etcd TLS error that names no culprit? Paste what etcd and the client printed (journalctl, pod logs, etcdctl or curl output) and add the files involved — certificates, keys, the CA, a CRL, etcd.env, or the whole bundle's zip. Each finding names the member or client, the file, the field and the rule, and the fix. Nothing leaves this browser."</p>
            <label class="field" for="doctor-paste">
                <span>"What etcd or the client printed"</span>
                <textarea id="doctor-paste" rows="8" spellcheck="false" aria-describedby="doctor-error"
                    prop:value=move || paste.get()
                    on:input=move |ev| paste.set(event_target_value(&ev))></textarea>
            </label>
            <div class="drop" data-testid="doctor-drop"
                on:dragover=|ev: leptos::ev::DragEvent| ev.prevent_default() on:drop=on_drop>
                <label class="field" for="doctor-files">
                    <span>"Files (certificates, keys, CA, CRL, settings, a bundle .zip)"</span>
                    <input id="doctor-files" type="file" multiple aria-describedby="doctor-error" on:change=on_pick/>
                </label>
                <small class="hint">"Pick them, or drop them here."</small>
                <ul class="doctor-files">{file_list}</ul>
            </div>
            <div class="actions">
                <button type="button" id="doctor-run" on:click=run
                    disabled=move || busy.get()>"Diagnose"</button>
                <button type="button" id="doctor-clear" on:click=clear>"Clear"</button>
            </div>
            <div id="doctor-error" class="field-error" aria-live="polite" data-testid="field-error" data-path="doctor">
                {move || error.get()}
            </div>
            {move || shown.get().map(|s| view! {
                <div id="doctor-answer" data-testid="doctor-answer"
                    data-answers=answers.get().to_string()
                    data-classes=s.answer.classes.join(",")
                    data-errors=s.answer.errors.to_string()
                    data-page-ms=format!("{:.1}", s.page_ms)
                    data-worker-ms=format!("{:.1}", s.answer.worker_ms)>
                    <p role="status" id="doctor-summary">{summary}</p>
                    <pre class="doctor-report" data-testid="doctor-report">{s.answer.text.clone()}</pre>
                </div>
            })}
        </section>
    }
}
