//! A file input that also takes a dropped file: its bytes are read into memory that is wiped
//! when dropped, and the browser's buffer is zeroed.

use leptos::prelude::*;
use zeroize::Zeroizing;

/// A file the person picked or dropped: its name and bytes (wiped on drop).
pub struct Picked {
    /// Its file name.
    pub name: String,
    /// Its bytes.
    pub bytes: Zeroizing<Vec<u8>>,
}

/// Reads a picked or dropped file's bytes.
async fn read_bytes(file: web_sys::File) -> Result<Picked, String> {
    let name = file.name();
    let buf = wasm_bindgen_futures::JsFuture::from(file.array_buffer())
        .await
        .map_err(|_| format!("{name} could not be read"))?;
    let view = js_sys::Uint8Array::new(&buf);
    let bytes = Zeroizing::new(view.to_vec());
    protocol::wipe(&view);
    Ok(Picked { name, bytes })
}

/// A file input that also takes a dropped file; `on_file` gets its bytes.
#[component]
pub fn FileDrop(
    id: &'static str,
    label: &'static str,
    accept: &'static str,
    #[prop(into)] error: Signal<Option<String>>,
    #[prop(into)] picked: Signal<Option<String>>,
    on_file: Callback<Picked>,
) -> impl IntoView {
    let error_id = format!("{id}-error");
    let described = error_id.clone();
    let take = move |file: Option<web_sys::File>| {
        if let Some(f) = file {
            leptos::task::spawn_local(async move {
                match read_bytes(f).await {
                    Ok(p) => on_file.run(p),
                    Err(e) => web_sys::console::error_1(&e.into()),
                }
            });
        }
    };
    let on_change = move |ev: leptos::ev::Event| {
        let input: web_sys::HtmlInputElement = event_target(&ev);
        take(input.files().and_then(|l| l.get(0)));
        input.set_value("");
    };
    let on_drop = move |ev: leptos::ev::DragEvent| {
        ev.prevent_default();
        take(
            ev.data_transfer()
                .and_then(|d| d.files())
                .and_then(|l| l.get(0)),
        );
    };
    view! {
        <div class="drop" on:dragover=|ev: leptos::ev::DragEvent| ev.prevent_default() on:drop=on_drop>
            <label class="field" for=id>
                <span>{label}</span>
                <input id=id type="file" accept=accept
                    aria-invalid=move || error.with(Option::is_some).to_string()
                    aria-describedby=described
                    on:change=on_change/>
            </label>
            <small class="hint">{move || picked.get().map_or_else(
                || "Pick the file, or drop it here.".to_string(),
                |n| format!("Read: {n}"))}</small>
            <div id=error_id class="field-error" aria-live="polite" data-testid="field-error" data-path=id>
                {move || error.get()}
            </div>
        </div>
    }
}
