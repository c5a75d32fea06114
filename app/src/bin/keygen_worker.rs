//! The key generation worker: runs in a Web Worker so that RSA keys (seconds each in wasm)
//! never freeze the page. It receives `{id, algorithm}` and answers `{id, der, ms}` with the
//! PKCS#8 DER of a fresh key, or `{id, error}`. It says `{ready: true}` once it listens,
//! because messages that arrive before then would be lost.
//!
//! The key bytes cross to the page's thread only (postMessage within this browser tab);
//! the page turns them into certificates and the zip.

#[cfg(target_arch = "wasm32")]
fn main() {
    use js_sys::{Object, Reflect, Uint8Array};
    use wasm_bindgen::JsCast;
    use wasm_bindgen::prelude::*;
    use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

    console_error_panic_hook::set_once();
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let reply_to = scope.clone();
    let on_message = Closure::<dyn Fn(MessageEvent)>::new(move |ev: MessageEvent| {
        let data = ev.data();
        let get =
            |k: &str| Reflect::get(&data, &JsValue::from_str(k)).unwrap_or(JsValue::UNDEFINED);
        let id = get("id");
        let alg = get("algorithm").as_string().unwrap_or_default();
        let perf = reply_to.performance();
        let start = perf.as_ref().map(|p| p.now()).unwrap_or(0.0);
        let reply = Object::new();
        let _ = Reflect::set(&reply, &"id".into(), &id);
        match pki_core::KeyAlgorithm::from_name(&alg)
            .ok_or_else(|| format!("unknown key algorithm {alg:?}"))
            .and_then(|a| pki_core::PrivateKey::generate(a).map_err(|e| e.to_string()))
        {
            Ok(key) => {
                let der = Uint8Array::from(key.pkcs8_der());
                let _ = Reflect::set(&reply, &"der".into(), &der);
            }
            Err(e) => {
                let _ = Reflect::set(&reply, &"error".into(), &JsValue::from_str(&e));
            }
        }
        let ms = perf.as_ref().map(|p| p.now()).unwrap_or(0.0) - start;
        let _ = Reflect::set(&reply, &"ms".into(), &JsValue::from_f64(ms));
        let _ = reply_to.post_message(&reply);
    });
    scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();
    let ready = Object::new();
    let _ = Reflect::set(&ready, &"ready".into(), &JsValue::TRUE);
    let _ = scope.post_message(&ready);
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("keygen-worker runs only in a browser, as a Web Worker of the etcd-pki page");
}
