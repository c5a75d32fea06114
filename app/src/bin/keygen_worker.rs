//! The page's worker: makes keys and builds the bundle off the page's thread, so that RSA
//! (seconds per key in wasm) and certificate signing never freeze the page. Several run in
//! parallel for the keys; one then assembles.
//!
//! Messages in: `{kind: "key", id, algorithm}` → `{kind: "key", id, der, ms}` (PKCS#8 DER of
//! a fresh key) or `{kind: "key", id, error}`; `{kind: "assemble", spec, ids, keys}` →
//! `{kind: "bundle", zip, listing, assemble_ms, zip_ms}` or `{kind: "bundle", error}`. It says
//! `{ready: true}` once it listens: messages that arrive before then would be lost.
//! Key bytes only ever cross to the page's own thread, within this tab.

#[cfg(target_arch = "wasm32")]
fn main() {
    use js_sys::{Array, Object, Reflect, Uint8Array};
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
        let now = || reply_to.performance().map(|p| p.now()).unwrap_or(0.0);
        let reply = Object::new();
        let set = |k: &str, v: &JsValue| {
            let _ = Reflect::set(&reply, &JsValue::from_str(k), v);
        };
        let start = now();
        match get("kind").as_string().as_deref() {
            Some("key") => {
                set("kind", &"key".into());
                set("id", &get("id"));
                let alg = get("algorithm").as_string().unwrap_or_default();
                match pki_core::KeyAlgorithm::from_name(&alg)
                    .ok_or_else(|| format!("unknown key algorithm {alg:?}"))
                    .and_then(|a| pki_core::PrivateKey::generate(a).map_err(|e| e.to_string()))
                {
                    Ok(key) => set("der", &Uint8Array::from(key.pkcs8_der()).into()),
                    Err(e) => set("error", &JsValue::from_str(&e)),
                }
                set("ms", &JsValue::from_f64(now() - start));
            }
            Some("assemble") => {
                set("kind", &"bundle".into());
                let ids: Vec<String> = get("ids")
                    .dyn_into::<Array>()
                    .map(|a| a.iter().filter_map(|v| v.as_string()).collect())
                    .unwrap_or_default();
                let keys: Vec<Vec<u8>> = get("keys")
                    .dyn_into::<Array>()
                    .map(|a| {
                        a.iter()
                            .map(|v| {
                                v.dyn_into::<Uint8Array>()
                                    .map(|u| u.to_vec())
                                    .unwrap_or_default()
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                let result =
                    pki_core::ClusterSpec::from_json(&get("spec").as_string().unwrap_or_default())
                        .and_then(|spec| {
                            pki_core::generate_with_keys(
                                &spec,
                                pki_core::OffsetDateTime::now_utc(),
                                |req| {
                                    let der = ids
                                        .iter()
                                        .position(|id| *id == req.id)
                                        .and_then(|i| keys.get(i))
                                        .ok_or_else(|| pki_core::Error::BadKey {
                                            key: req.label.clone(),
                                            reason: "it was never made".into(),
                                        })?;
                                    pki_core::PrivateKey::from_pkcs8_der(req.algorithm, der)
                                },
                            )
                        });
                // The CA key passphrase, if any: used here and dropped.
                let passphrase = get("passphrase").as_string().unwrap_or_default();
                let result = result.and_then(|mut bundle| {
                    if !passphrase.is_empty() {
                        bundle.encrypt_ca_key(&passphrase)?;
                    }
                    Ok(bundle)
                });
                match result {
                    Ok(bundle) => {
                        let assembled = now();
                        match bundle.to_zip() {
                            Ok(zip) => {
                                set("zip_ms", &JsValue::from_f64(now() - assembled));
                                set("assemble_ms", &JsValue::from_f64(assembled - start));
                                set("zip", &Uint8Array::from(&zip[..]).into());
                                let listing =
                                    serde_json::to_string(&bundle.listing()).unwrap_or_default();
                                set("listing", &JsValue::from_str(&listing));
                            }
                            Err(e) => set("error", &JsValue::from_str(&e.to_string())),
                        }
                    }
                    Err(e) => set("error", &JsValue::from_str(&e.to_string())),
                }
            }
            _ => set("error", &"unknown message".into()),
        }
        let _ = reply_to.post_message(&reply);
    });
    scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();
    warm_up();
    let ready = Object::new();
    let _ = Reflect::set(&ready, &"ready".into(), &JsValue::TRUE);
    let _ = scope.post_message(&ready);
}

/// Runs the whole path (keys, signing, zip) on throwaway P-256 bundles before the worker says
/// it is ready, while the page loads. V8 first runs wasm from its baseline compiler and
/// optimises a function once it is hot; without this the first click paid for that (a P-256
/// bundle took 80 ms instead of the 23 ms median). The keys are dropped (and zeroized) here.
#[cfg(target_arch = "wasm32")]
fn warm_up() {
    let spec = pki_core::ClusterSpec::template();
    for _ in 0..3 {
        let _ = pki_core::generate(&spec).and_then(|b| b.to_zip());
    }
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("keygen-worker runs only in a browser, as a Web Worker of the etcd-pki page");
}
