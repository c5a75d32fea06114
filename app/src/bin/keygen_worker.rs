//! The page's worker: makes keys and builds the bundle off the page's thread, so that RSA
//! (seconds per key in wasm) and certificate signing never freeze the page. Several run in
//! parallel for the keys; one then assembles. The messages are `protocol`'s types.
//!
//! Every secret it receives is copied into wasm memory that is wiped on drop, and the JS
//! buffer it came in is zeroed; every secret it sends goes in a new buffer that is
//! transferred, so no copy stays behind in this worker. It runs from a `blob:` URL made by
//! the page, so the page's Content-Security-Policy (`connect-src 'none'`) applies here too.

#[cfg(target_arch = "wasm32")]
#[path = "../protocol.rs"]
mod protocol;

#[cfg(all(target_arch = "wasm32", not(feature = "light-worker-probe")))]
#[path = "../worker_daytwo.rs"]
mod daytwo;

#[cfg(target_arch = "wasm32")]
fn main() {
    use protocol::{FromWorker, ToWorker};
    use wasm_bindgen::JsCast;
    use wasm_bindgen::prelude::*;
    use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

    console_error_panic_hook::set_once();
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let reply_to = scope.clone();
    let now = move || {
        js_sys::global()
            .unchecked_into::<web_sys::WorkerGlobalScope>()
            .performance()
            .map(|p| p.now())
            .unwrap_or(0.0)
    };
    let on_message = Closure::<dyn Fn(MessageEvent)>::new(move |ev: MessageEvent| {
        let (reply, buffers) = match protocol::open::<ToWorker>(&ev.data()) {
            Ok((msg, buffers)) => handle(msg, &buffers, now),
            Err(error) => (FromWorker::Failed { error }, vec![]),
        };
        send(&reply_to, &reply, buffers);
    });
    scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();
    // The sealing worker only derives passphrase keys: nothing to warm up or time.
    if scope.name() == protocol::SEALER_NAME {
        send(
            &scope,
            &FromWorker::Ready {
                calibration_ms: 0.0,
            },
            vec![],
        );
        return;
    }
    warm_up();
    let start = now();
    for _ in 0..protocol::CALIBRATION_KEYS {
        let _ = pki_core::PrivateKey::generate(pki_core::KeyAlgorithm::EcdsaP256);
    }
    let calibration_ms = now() - start;
    send(&scope, &FromWorker::Ready { calibration_ms }, vec![]);
}

#[cfg(target_arch = "wasm32")]
fn send(
    scope: &web_sys::DedicatedWorkerGlobalScope,
    msg: &protocol::FromWorker,
    buffers: Vec<js_sys::Uint8Array>,
) {
    match protocol::envelope(msg, buffers) {
        Ok(out) => {
            let _ = scope.post_message_with_transfer(&out.message, &out.transfer);
        }
        Err(e) => web_sys::console::error_1(&e.into()),
    }
}

/// Answers one message: the reply and the buffers that go with it.
#[cfg(target_arch = "wasm32")]
fn handle(
    msg: protocol::ToWorker,
    buffers: &[js_sys::Uint8Array],
    now: impl Fn() -> f64,
) -> (protocol::FromWorker, Vec<js_sys::Uint8Array>) {
    use protocol::{FromWorker, ToWorker};
    let start = now();
    let failed = |error: String| (FromWorker::Failed { error }, vec![]);
    match msg {
        ToWorker::MakeKeys { indices, algorithm } => {
            make_keys(indices, algorithm, || now() - start)
        }
        #[cfg(not(feature = "light-worker-probe"))]
        ToWorker::MakePrime {
            index,
            half,
            algorithm,
        } => make_prime(index, half, algorithm),
        #[cfg(not(feature = "light-worker-probe"))]
        ToWorker::JoinPrimes { index, algorithm } => {
            join_primes(index, algorithm, buffers, || now() - start)
        }
        ToWorker::Assemble {
            spec_json,
            key_ids,
            encrypt_ca_key,
        } => match assemble(&spec_json, &key_ids, encrypt_ca_key, buffers, &now) {
            Ok(done) => done,
            Err(e) => failed(e),
        },
        ToWorker::DeriveSealingKey { request } => derive_sealing_key(request, buffers),
        // The measured probe of a light first-bundle worker (docs/BENCHMARKS.md, "Page
        // weight"): no day-two code, no RSA prime search. Never shipped.
        #[cfg(feature = "light-worker-probe")]
        ToWorker::CheckCa { .. }
        | ToWorker::PlanChange { .. }
        | ToWorker::ApplyChange { .. }
        | ToWorker::OpenBundle { .. }
        | ToWorker::CheckOtherCa { .. }
        | ToWorker::MakePrime { .. }
        | ToWorker::JoinPrimes { .. } => failed("not in the light worker".into()),
        #[cfg(not(feature = "light-worker-probe"))]
        ToWorker::CheckCa {
            request,
            with_passphrase,
        } => daytwo::check_ca(request, with_passphrase, buffers),
        #[cfg(not(feature = "light-worker-probe"))]
        ToWorker::PlanChange {
            spec_json,
            change,
            opened,
        } => daytwo::plan_change(&spec_json, &change, opened, buffers),
        #[cfg(not(feature = "light-worker-probe"))]
        ToWorker::ApplyChange {
            spec_json,
            change,
            opened,
            with_passphrase,
            key_ids,
            with_new_passphrase,
            previous_rotation_done,
        } => daytwo::apply_change(
            &spec_json,
            &change,
            (
                opened,
                with_passphrase,
                with_new_passphrase,
                previous_rotation_done,
            ),
            &key_ids,
            buffers,
        ),
        #[cfg(not(feature = "light-worker-probe"))]
        ToWorker::OpenBundle { request } => file_reply(
            request,
            daytwo::open_bundle(&zip_of(buffers)).map(String::into_bytes),
        ),
        #[cfg(not(feature = "light-worker-probe"))]
        ToWorker::CheckOtherCa { request } => {
            let other = buffers.get(1).map(protocol::take).unwrap_or_default();
            let checked = daytwo::check_other_ca(&zip_of(buffers), &other);
            file_reply(request, checked.map(String::into_bytes))
        }
        ToWorker::Diagnose { request, names } => {
            file_reply(request, Ok(diagnose(&names, buffers, || now() - start)))
        }
        ToWorker::ReadFile { request, path } => {
            file_reply(request, read_file(&zip_of(buffers), &path))
        }
    }
}

/// The doctor on the inputs the page sent (`names` naming `buffers`): pki-core's answer as
/// JSON of [`protocol::DoctorAnswer`]. The inputs may hold keys: each is wiped once read.
#[cfg(target_arch = "wasm32")]
fn diagnose(
    names: &[String],
    buffers: &[js_sys::Uint8Array],
    elapsed: impl Fn() -> f64,
) -> Vec<u8> {
    use zeroize::Zeroize;
    let mut inputs: Vec<pki_core::doctor::Input> = names
        .iter()
        .zip(buffers)
        .map(|(name, b)| pki_core::doctor::Input::new(name, &protocol::take(b)))
        .collect();
    let d = pki_core::doctor::diagnose(&inputs, pki_core::OffsetDateTime::now_utc());
    for i in &mut inputs {
        i.bytes.zeroize();
    }
    let answer = protocol::DoctorAnswer {
        text: d.to_text(),
        classes: d.findings.iter().map(|f| f.class.to_string()).collect(),
        errors: d
            .findings
            .iter()
            .filter(|f| f.level == pki_core::doctor::Level::Error)
            .count(),
        worker_ms: elapsed(),
    };
    serde_json::to_vec(&answer).unwrap_or_default()
}

/// The key that seals the CA key, derived from the passphrase in `buffers` (zeroed once
/// read; the wasm copies are wiped on drop), in a buffer that moves to the page.
#[cfg(target_arch = "wasm32")]
fn derive_sealing_key(
    request: u32,
    buffers: &[js_sys::Uint8Array],
) -> (protocol::FromWorker, Vec<js_sys::Uint8Array>) {
    let passphrase = buffers.first().map(protocol::take).unwrap_or_default();
    let derived = std::str::from_utf8(&passphrase)
        .map_err(|_| "the passphrase is not UTF-8".to_string())
        .and_then(|p| pki_core::SealingKey::derive(p).map_err(|e| e.to_string()));
    match derived {
        Ok(key) => (
            protocol::FromWorker::SealingKey { request },
            vec![protocol::buffer(&key.to_bytes())],
        ),
        Err(error) => (protocol::FromWorker::Failed { error }, vec![]),
    }
}

/// One half of an RSA key: a prime, in a buffer that moves to the page (the wasm copy is wiped
/// when `prime` drops).
#[cfg_attr(feature = "light-worker-probe", allow(dead_code))]
#[cfg(target_arch = "wasm32")]
fn make_prime(
    index: usize,
    half: u8,
    algorithm: pki_core::KeyAlgorithm,
) -> (protocol::FromWorker, Vec<js_sys::Uint8Array>) {
    match pki_core::PrivateKey::rsa_prime(algorithm) {
        Ok(prime) => (
            protocol::FromWorker::Prime { index, half },
            vec![protocol::buffer(&prime)],
        ),
        Err(e) => (
            protocol::FromWorker::Failed {
                error: e.to_string(),
            },
            vec![],
        ),
    }
}

/// The answer to a question about a file (`request` numbers it): its bytes, or why not.
#[cfg(target_arch = "wasm32")]
fn file_reply(
    request: u32,
    bytes: Result<impl AsRef<[u8]>, String>,
) -> (protocol::FromWorker, Vec<js_sys::Uint8Array>) {
    match bytes {
        // A key file's bytes are wiped when `bytes` drops (read_file's Zeroizing).
        Ok(bytes) => (
            protocol::FromWorker::File { request },
            vec![protocol::buffer(bytes.as_ref())],
        ),
        Err(error) => (protocol::FromWorker::Failed { error }, vec![]),
    }
}

/// The zip a question is about (its first buffer), copied in and the buffer zeroed.
#[cfg(target_arch = "wasm32")]
fn zip_of(buffers: &[js_sys::Uint8Array]) -> zeroize::Zeroizing<Vec<u8>> {
    buffers.first().map(protocol::take).unwrap_or_default()
}

/// Fresh keys, one per index, as PKCS#8 DER in buffers that move to the page.
#[cfg(target_arch = "wasm32")]
fn make_keys(
    indices: Vec<usize>,
    algorithm: pki_core::KeyAlgorithm,
    elapsed: impl Fn() -> f64,
) -> (protocol::FromWorker, Vec<js_sys::Uint8Array>) {
    // Each key's wasm copy is wiped when it drops; the buffers move to the page.
    let mut keys = Vec::with_capacity(indices.len());
    for _ in &indices {
        match pki_core::PrivateKey::generate(algorithm) {
            Ok(k) => keys.push(protocol::buffer(k.pkcs8_der())),
            Err(e) => {
                keys.iter().for_each(protocol::wipe);
                return (
                    protocol::FromWorker::Failed {
                        error: e.to_string(),
                    },
                    vec![],
                );
            }
        }
    }
    let ms = elapsed();
    (protocol::FromWorker::Keys { indices, ms }, keys)
}

/// An RSA key from the two primes in `buffers` (found on two workers, perhaps).
#[cfg_attr(feature = "light-worker-probe", allow(dead_code))]
#[cfg(target_arch = "wasm32")]
fn join_primes(
    index: usize,
    algorithm: pki_core::KeyAlgorithm,
    buffers: &[js_sys::Uint8Array],
    elapsed: impl Fn() -> f64,
) -> (protocol::FromWorker, Vec<js_sys::Uint8Array>) {
    use protocol::FromWorker;
    let primes: Vec<_> = buffers.iter().take(2).map(protocol::take).collect();
    let [p, q] = primes.as_slice() else {
        let error = "two primes were expected".to_string();
        return (FromWorker::Failed { error }, vec![]);
    };
    match pki_core::PrivateKey::from_rsa_primes(algorithm, p, q) {
        Ok(key) => (
            FromWorker::Keys {
                indices: vec![index],
                ms: elapsed(),
            },
            vec![protocol::buffer(key.pkcs8_der())],
        ),
        Err(e) => (
            FromWorker::Failed {
                error: e.to_string(),
            },
            vec![],
        ),
    }
}

/// Signs the certificates with the page's keys, seals the CA key with the derived key if
/// given (the slow derivation was done ahead, on the sealing worker), writes the zip.
#[cfg(target_arch = "wasm32")]
fn assemble(
    spec_json: &str,
    key_ids: &[String],
    encrypt_ca_key: bool,
    buffers: &[js_sys::Uint8Array],
    now: &impl Fn() -> f64,
) -> Result<(protocol::FromWorker, Vec<js_sys::Uint8Array>), String> {
    let start = now();
    // Take every secret out of its JS buffer first, so each is zeroed even if a step fails.
    let keys: Vec<_> = buffers
        .iter()
        .take(key_ids.len())
        .map(protocol::take)
        .collect();
    let sealing = buffers
        .get(key_ids.len())
        .filter(|_| encrypt_ca_key)
        .map(protocol::take);
    let spec = pki_core::ClusterSpec::from_json(spec_json).map_err(|e| e.to_string())?;
    let sealing = sealing
        .map(|bytes| pki_core::SealingKey::from_bytes(&bytes))
        .transpose()
        .map_err(|e| e.to_string())?;
    let now_utc = pki_core::OffsetDateTime::now_utc();
    let bundle = pki_core::generate_with_keys_sealed(&spec, now_utc, sealing.as_ref(), |req| {
        let der = key_ids
            .iter()
            .position(|id| *id == req.id)
            .and_then(|i| keys.get(i))
            .ok_or_else(|| pki_core::Error::BadKey {
                key: req.label.clone(),
                reason: "it was never made".into(),
            })?;
        pki_core::PrivateKey::from_pkcs8_der(req.algorithm, der)
    })
    .map_err(|e| e.to_string())?;
    let assembled = now();
    let zip = zeroize::Zeroizing::new(bundle.to_zip().map_err(|e| e.to_string())?);
    let zip_ms = now() - assembled;
    let ca_key = &bundle.ca_key;
    let mut listing = bundle.listing();
    listing.zip_name = protocol::download_name(&bundle, "generate");
    let (texts, text_lengths) = protocol::split_texts(&mut listing);
    Ok((
        protocol::FromWorker::Bundle {
            listing,
            text_lengths,
            ca_key_name: ca_key.path.clone(),
            ca_key_encrypted: sealing.is_some(),
            assemble_ms: assembled - start,
            zip_ms,
            change: None,
        },
        vec![
            protocol::buffer(&zip),
            protocol::buffer(&ca_key.contents),
            protocol::buffer(&texts),
        ],
    ))
}

/// One file of the zip, as bytes wiped on drop.
#[cfg(target_arch = "wasm32")]
fn read_file(zip: &[u8], path: &str) -> Result<zeroize::Zeroizing<Vec<u8>>, String> {
    use std::io::Read;
    let mut archive =
        zip::ZipArchive::new(std::io::Cursor::new(zip)).map_err(|e| format!("the zip: {e}"))?;
    let mut file = archive
        .by_name(path)
        .map_err(|e| format!("{path} in the zip: {e}"))?;
    let mut bytes = zeroize::Zeroizing::new(Vec::with_capacity(file.size() as usize));
    file.read_to_end(&mut bytes)
        .map_err(|e| format!("{path} in the zip: {e}"))?;
    Ok(bytes)
}

/// Runs the whole path of a generation on throwaway P-256 bundles before the worker says it
/// is ready, while the page loads: each key made and read back from PKCS#8 as the page's keys
/// are, the certificates signed, the zip written, the listing made and serialised (what
/// `assemble` does). V8 first runs wasm from its baseline compiler and optimises a function
/// once it is hot; without this the first click paid for that (a P-256 bundle took 80 ms
/// instead of the 23 ms median). The keys are dropped (and zeroized) here.
#[cfg(target_arch = "wasm32")]
fn warm_up() {
    use pki_core::PrivateKey;
    let spec = pki_core::ClusterSpec::template();
    for _ in 0..3 {
        let keys: Vec<(String, zeroize::Zeroizing<Vec<u8>>)> = pki_core::key_plan(&spec)
            .iter()
            .filter_map(|r| {
                let k = PrivateKey::generate(r.algorithm).ok()?;
                Some((
                    r.id.clone(),
                    zeroize::Zeroizing::new(k.pkcs8_der().to_vec()),
                ))
            })
            .collect();
        let bundle =
            pki_core::generate_with_keys(&spec, pki_core::OffsetDateTime::now_utc(), |req| {
                let (_, der) = keys.iter().find(|(id, _)| *id == req.id).ok_or_else(|| {
                    pki_core::Error::BadKey {
                        key: req.label.clone(),
                        reason: "it was never made".into(),
                    }
                })?;
                PrivateKey::from_pkcs8_der(req.algorithm, der)
            });
        if let Ok(b) = bundle {
            let _ = b.to_zip();
            let _ = serde_json::to_string(&b.listing());
        }
    }
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("keygen-worker runs only in a browser, as a Web Worker of the etcd-pki page");
}
