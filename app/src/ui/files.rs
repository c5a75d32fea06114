//! The generated bundle as a tree; a file opens beside it, a certificate with its contents
//! decoded. Private keys stay hidden until asked for: the listing holds no key text, so a
//! key is read out of the zip (on a worker) when the person clicks "Show key", and its text
//! is wiped again when hidden, when another file is picked, or on "Forget keys".

use std::sync::Arc;

use leptos::prelude::*;

use super::chunked::{chunked, settled};
use super::{Ctx, GenState, Generated, ShownKey};
use crate::tree::{self, Entry};

/// Reads the key at `path` out of `g`'s zip and shows it, unless the person has moved on
/// (another file, hidden, forgotten) by the time it arrives.
fn show_key(ctx: Ctx, g: &Arc<Generated>, path: String, error: RwSignal<Option<String>>) {
    let generation = Arc::downgrade(g);
    crate::workers::read_file(&g.outcome.zip, &path.clone(), move |result| {
        let still_wanted = generation.upgrade().is_some_and(
            |g| matches!(ctx.status.get_untracked(), GenState::Done(now) if Arc::ptr_eq(&now, &g)),
        );
        match result {
            Ok(bytes) if still_wanted => {
                let text = String::from_utf8_lossy(&bytes).into_owned();
                ctx.shown_key.set(Some(ShownKey { path, text }));
            }
            Ok(_) => {}
            Err(e) => error.set(Some(e)),
        }
    });
}

/// The file browser.
#[component]
pub fn Files() -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let selected = RwSignal::new(None::<String>);
    let key_error = RwSignal::new(None::<String>);
    let settled = settled(ctx);
    move || {
        let Some(g) = settled.get() else {
            return ().into_any();
        };
        let entries = tree::build(g.outcome.listing.files.iter().map(|f| f.path.as_str()));
        let lazy = g.outcome.listing.files.len() > LAZY_FILES;
        let focus = focus_folder(ctx, &g);
        let viewer = move || {
            selected
                .get()
                .and_then(|path| file_view(ctx, &g, path, key_error))
        };
        view! {
            <section class="files card">
                <h2>"Files"</h2>
                <div class="files-body">
                    <nav class="tree" class:long=lazy data-testid="file-tree" aria-label="Files of the bundle">
                        <ul>{entries.into_iter().map(|e| render(e, "", &focus, selected, ctx, lazy)).collect_view()}</ul>
                    </nav>
                    <div class="viewer">
                        {move || viewer().map(|v| v.into_any()).unwrap_or_else(|| view! {
                            <p class="hint">"Pick a file to read it; certificates show what they say."</p>
                        }.into_any())}
                    </div>
                </div>
            </section>
        }
        .into_any()
    }
}

/// The folder the tree opens on: the member added last (else the first), `members/<name>/`.
fn focus_folder(ctx: Ctx, g: &Generated) -> String {
    ctx.last_added
        .get_untracked()
        .and_then(|id| {
            ctx.form.with_untracked(|f| {
                f.nodes
                    .iter()
                    .find(|n| n.id == id)
                    .map(|n| n.name.trim().to_string())
            })
        })
        .filter(|name| g.spec.nodes.iter().any(|n| &n.name == name))
        .or_else(|| g.spec.nodes.first().map(|n| n.name.clone()))
        .map(|name| format!("members/{name}/"))
        .unwrap_or_default()
}

/// The file at `path` beside the tree: a certificate with what it says, a key behind "Show
/// key", any other file as text.
fn file_view(
    ctx: Ctx,
    g: &Arc<Generated>,
    path: String,
    key_error: RwSignal<Option<String>>,
) -> Option<AnyView> {
    let f = g.outcome.listing.file(&path)?;
    let is_key = f.private_key;
    let fingerprint = f.sha256_fingerprint.clone().unwrap_or_default();
    let info = f.cert.as_ref().map(|c| {
        let i = c.clone();
        let rows: Vec<(&str, String)> = vec![
            ("Subject", i.subject.clone()),
            ("Issuer", i.issuer.clone()),
            ("IP SANs", i.ip_sans.join(", ")),
            ("DNS SANs", i.dns_sans.join(", ")),
            ("Key usage", i.key_usages.join(", ")),
            ("Extended key usage", i.extended_key_usages.join(", ")),
            ("CA", if i.is_ca { "yes".into() } else { "no".into() }),
            ("Valid from", i.not_before.clone()),
            ("Valid until", i.not_after.clone()),
            ("Key", i.key_algorithm.clone()),
            ("Serial", i.serial.clone()),
            ("SHA-256", fingerprint.clone()),
        ];
        view! {
            <table id="cert-info" class="cert-info">
                {rows.into_iter().filter(|(_, v)| !v.is_empty()).map(|(k, v)| view! {
                    <tr><th>{k}</th><td>{v}</td></tr>
                }).collect_view()}
            </table>
        }
    });
    let text = f.text.clone();
    let mode = format!("{:04o}", f.mode);
    let role = f.role.clone();
    let g3 = g.clone();
    let key_path = path.clone();
    let shown = move || {
        ctx.shown_key.with(|k| {
            k.as_ref()
                .filter(|k| k.path == key_path)
                .map(|k| k.text.clone())
        })
    };
    let shown2 = shown.clone();
    let toggle_path = path.clone();
    let toggle = move |_| {
        key_error.set(None);
        if shown2().is_some() {
            ctx.hide_key();
        } else {
            show_key(ctx, &g3, toggle_path.clone(), key_error);
        }
    };
    Some(view! {
        <div class="viewer-head">
            <code>{path.clone()}</code>
            <span class="meta">{format!("{role} · mode {mode}")}</span>
        </div>
        {info}
        {if is_key {
            view! {
                <p class="hint">"A private key. It is shown only if you ask, and only here."</p>
                <button id="show-key" on:click=toggle>
                    {let shown = shown.clone(); move || if shown().is_some() { "Hide key" } else { "Show key" }}
                </button>
                {move || key_error.get().map(|e| view! { <p class="field-error" role="alert">{e}</p> })}
                {move || shown().map(|t| view! { <pre id="file-view" tabindex="0">{t}</pre> })}
            }.into_any()
        } else {
            // Focusable: a long file scrolls, and a keyboard must be able to scroll it too.
            view! { <pre id="file-view" tabindex="0">{text}</pre> }.into_any()
        }}
    }.into_any())
}

/// Above this many files, a folder that starts closed gets its contents when it is first
/// opened: 99 members and 1,000 clients make ~7,000 files, whose entries all at once kept the
/// page's thread busy for over a second.
const LAZY_FILES: usize = 1000;

/// One entry of the tree under folder `prefix` (`""` or `members/etcd1/`). Top-level folders
/// start open, and so does the way to `focus` (`members/<name>/`) and everything in it.
fn render(
    e: Entry,
    prefix: &str,
    focus: &str,
    selected: RwSignal<Option<String>>,
    ctx: Ctx,
    lazy: bool,
) -> AnyView {
    match e {
        Entry::Dir(name, children) => {
            let path = format!("{prefix}{name}/");
            let open = prefix.is_empty()
                || (!focus.is_empty() && (focus.starts_with(&path) || path.starts_with(focus)));
            if lazy && !open {
                let shown = RwSignal::new(false);
                let (path2, focus2) = (path.clone(), focus.to_string());
                let on_toggle = move |ev: leptos::ev::Event| {
                    if event_target::<web_sys::Element>(&ev).has_attribute("open") {
                        shown.set(true);
                    }
                };
                return view! {
                    <li class="dir">
                        <details data-dir=path.clone() on:toggle=on_toggle>
                            <summary>{name.clone()}"/"</summary>
                            <ul>{move || shown.get().then(|| children
                                .clone()
                                .into_iter()
                                .map(|c| render(c, &path2, &focus2, selected, ctx, lazy))
                                .collect_view())}</ul>
                        </details>
                    </li>
                }
                .into_any();
            }
            // A large bundle's open folders (`clients/` with a thousand folders in it) are
            // shown a chunk per task, like the next steps.
            let (path2, focus2) = (path.clone(), focus.to_string());
            let entries = if lazy {
                chunked(children, 100, move |c| {
                    render(c, &path2, &focus2, selected, ctx, lazy)
                })
                .into_any()
            } else {
                children
                    .into_iter()
                    .map(|c| render(c, &path2, &focus2, selected, ctx, lazy))
                    .collect_view()
                    .into_any()
            };
            view! {
                <li class="dir">
                    <details open=open data-dir=path.clone()>
                        <summary>{name.clone()}"/"</summary>
                        <ul>{entries}</ul>
                    </details>
                </li>
            }
            .into_any()
        }
        Entry::File(name, path) => {
            let p = path.clone();
            let p2 = path.clone();
            let p3 = path.clone();
            view! {
                <li class="file">
                    <a href="#" data-testid="file-entry" data-path=path.clone()
                        class:selected=move || selected.get().as_deref() == Some(p2.as_str())
                        aria-current=move || (selected.get().as_deref() == Some(p3.as_str())).then_some("true")
                        on:click=move |ev| { ev.prevent_default(); ctx.hide_key(); selected.set(Some(p.clone())) }>
                        {name}
                    </a>
                </li>
            }
            .into_any()
        }
    }
}
