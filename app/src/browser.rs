//! The few browser services the page uses: saving a file, localStorage for the spec (never a
//! key), reading an imported file, and the timings a benchmark reads.

use js_sys::{Array, Reflect, Uint8Array};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{Blob, BlobPropertyBag, HtmlAnchorElement, Url};

/// Offers `bytes` as a download named `name`: Blob → object URL → a temporary `<a download>`
/// clicked and removed; the URL is revoked afterwards.
pub fn download(bytes: &[u8], name: &str, mime: &str) -> Result<(), String> {
    let window = web_sys::window().ok_or("no window")?;
    let document = window.document().ok_or("no document")?;
    let copy = Uint8Array::from(bytes);
    let parts = Array::of1(&copy);
    let opts = BlobPropertyBag::new();
    opts.set_type(mime);
    let blob = Blob::new_with_u8_array_sequence_and_options(&parts, &opts);
    // The Blob holds its own copy (the download needs it); this one may hold a key.
    protocol::wipe(&copy);
    let blob = blob.map_err(|_| "the browser could not hold the file")?;
    let url = Url::create_object_url_with_blob(&blob).map_err(|_| "no object URL")?;
    let a: HtmlAnchorElement = document
        .create_element("a")
        .map_err(|_| "no <a>")?
        .unchecked_into();
    a.set_href(&url);
    a.set_download(name);
    a.style().set_property("display", "none").ok();
    let body = document.body().ok_or("no body")?;
    body.append_child(&a)
        .map_err(|_| "cannot attach the link")?;
    a.click();
    a.remove();
    // Revoke after the click has been handled.
    let revoke = Closure::once_into_js(move || {
        let _ = Url::revoke_object_url(&url);
    });
    let _ =
        window.set_timeout_with_callback_and_timeout_and_arguments_0(revoke.unchecked_ref(), 1000);
    Ok(())
}

const SPEC_KEY: &str = "etcd-pki.spec";

/// The spec saved by the last visit, if any.
pub fn load_spec() -> Option<String> {
    web_sys::window()?
        .local_storage()
        .ok()??
        .get_item(SPEC_KEY)
        .ok()?
}

/// Saves the spec JSON (the spec holds no key material).
pub fn save_spec(json: &str) {
    if let Some(s) = web_sys::window().and_then(|w| w.local_storage().ok().flatten()) {
        let _ = s.set_item(SPEC_KEY, json);
    }
}

/// Reads a picked file as text.
pub async fn read_text(file: web_sys::File) -> Result<String, String> {
    let promise = file.text();
    let v = wasm_bindgen_futures::JsFuture::from(promise)
        .await
        .map_err(|_| "the file could not be read".to_string())?;
    v.as_string()
        .ok_or_else(|| "the file is not text".to_string())
}

/// Appends one generation's timings to `window.__etcdPki.runs` and sets `busy`.
pub fn record_run(fields: &[(&str, JsValue)]) -> Option<js_sys::Object> {
    let state = bench_state()?;
    let runs = Reflect::get(&state, &"runs".into())
        .ok()
        .filter(|r| r.is_object())
        .map(|r| r.unchecked_into::<Array>())
        .unwrap_or_else(|| {
            let a = Array::new();
            let _ = Reflect::set(&state, &"runs".into(), &a);
            a
        });
    let run = js_sys::Object::new();
    for (k, v) in fields {
        let _ = Reflect::set(&run, &JsValue::from_str(k), v);
    }
    runs.push(&run);
    Some(run)
}

/// Sets `run.<name>` on a run [`record_run`] returned (a figure known only later).
pub fn add_to_run(run: &js_sys::Object, name: &str, value: f64) {
    let _ = Reflect::set(run, &JsValue::from_str(name), &JsValue::from_f64(value));
}

/// Sets `window.__etcdPki.<name>` (for tests and benchmarks).
pub fn set_field(name: &str, value: JsValue) {
    if let Some(state) = bench_state() {
        let _ = Reflect::set(&state, &JsValue::from_str(name), &value);
    }
}

/// Sets `window.__etcdPki.busy`.
pub fn set_busy(busy: bool) {
    if let Some(state) = bench_state() {
        let _ = Reflect::set(&state, &"busy".into(), &JsValue::from_bool(busy));
    }
}

fn bench_state() -> Option<JsValue> {
    let w: JsValue = web_sys::window()?.into();
    let existing = Reflect::get(&w, &"__etcdPki".into())
        .ok()
        .filter(|v| v.is_object());
    Some(existing.unwrap_or_else(|| {
        let o: JsValue = js_sys::Object::new().into();
        let _ = Reflect::set(&o, &"runs".into(), &Array::new());
        let _ = Reflect::set(&o, &"busy".into(), &JsValue::FALSE);
        let _ = Reflect::set(&w, &"__etcdPki".into(), &o);
        o
    }))
}
