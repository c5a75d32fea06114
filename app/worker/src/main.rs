//! The page's worker: makes keys and builds the bundle off the page's thread, so that RSA
//! (seconds per key in wasm) and certificate signing never freeze the page. Several run in
//! parallel for the keys; one then assembles. The messages are `protocol`'s types.
//!
//! Every secret it receives is copied into wasm memory that is wiped on drop, and the JS
//! buffer it came in is zeroed; every secret it sends goes in a new buffer that is
//! transferred, so no copy stays behind in this worker. It runs from a `blob:` URL made by
//! the page, so the page's Content-Security-Policy (`connect-src 'none'`) applies here too.

#[cfg(all(target_arch = "wasm32", not(feature = "light-worker-probe")))]
mod changes;
#[cfg(all(target_arch = "wasm32", not(feature = "light-worker-probe")))]
mod issuer;

#[cfg(target_arch = "wasm32")]
fn main() {
    use protocol::{FromWorker, Secrets, ToWorker};
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
        // Every secret is taken (copied into memory wiped on drop, its JS buffer zeroed)
        // before anything else happens.
        let (reply, secrets) = match protocol::open::<ToWorker>(&ev.data()) {
            Ok((msg, secrets)) => handle(msg, secrets.take(), now),
            Err(error) => (FromWorker::Failed { error }, Secrets::default()),
        };
        send(&reply_to, &reply, secrets);
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
            Secrets::default(),
        );
        return;
    }
    warm_up();
    let start = now();
    for _ in 0..protocol::CALIBRATION_KEYS {
        let _ = pki_core::PrivateKey::generate(pki_core::KeyAlgorithm::EcdsaP256);
    }
    let calibration_ms = now() - start;
    send(
        &scope,
        &FromWorker::Ready { calibration_ms },
        Secrets::default(),
    );
}

#[cfg(target_arch = "wasm32")]
fn send(
    scope: &web_sys::DedicatedWorkerGlobalScope,
    msg: &protocol::FromWorker,
    secrets: protocol::Secrets<js_sys::Uint8Array>,
) {
    match protocol::envelope(msg, secrets) {
        Ok(out) => {
            let _ = scope.post_message_with_transfer(&out.message, &out.transfer);
        }
        Err(e) => web_sys::console::error_1(&e.into()),
    }
}

/// What the worker sends back: the answer and the secrets that go with it.
#[cfg(target_arch = "wasm32")]
type Reply = (protocol::FromWorker, protocol::Secrets<js_sys::Uint8Array>);

/// A reply that carries no secret.
#[cfg(target_arch = "wasm32")]
fn bare(msg: protocol::FromWorker) -> Reply {
    (msg, protocol::Secrets::default())
}

/// Answers one message, whose secrets are already taken into wasm memory (wiped when they
/// drop at the end of this call).
#[cfg(target_arch = "wasm32")]
fn handle(msg: protocol::ToWorker, secrets: protocol::Secrets, now: impl Fn() -> f64) -> Reply {
    use protocol::{FromWorker, ToWorker};
    let start = now();
    let failed = |error: String| bare(FromWorker::Failed { error });
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
            join_primes(index, algorithm, &secrets.primes, || now() - start)
        }
        ToWorker::Assemble { spec_json, key_ids } => {
            match assemble(&spec_json, &key_ids, &secrets, &now) {
                Ok(done) => done,
                Err(e) => failed(e),
            }
        }
        ToWorker::DeriveSealingKey { request } => derive_sealing_key(request, &secrets),
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
        ToWorker::CheckCa { request } => changes::check_ca(request, &secrets),
        #[cfg(not(feature = "light-worker-probe"))]
        ToWorker::PlanChange { spec_json, change } => {
            changes::plan_change(&spec_json, &change, &secrets)
        }
        #[cfg(not(feature = "light-worker-probe"))]
        ToWorker::ApplyChange {
            spec_json,
            change,
            key_ids,
            previous_rotation_done,
        } => changes::apply_change(
            &spec_json,
            &change,
            &key_ids,
            previous_rotation_done,
            &secrets,
        ),
        #[cfg(not(feature = "light-worker-probe"))]
        ToWorker::OpenBundle { request } => file_reply(
            request,
            changes::open_bundle(zip_of(&secrets)).map(String::into_bytes),
        ),
        #[cfg(not(feature = "light-worker-probe"))]
        ToWorker::CheckOtherCa { request } => {
            let other = secrets
                .other_zip
                .as_deref()
                .map_or(&[][..], |z| z.as_slice());
            let checked = changes::check_other_ca(zip_of(&secrets), other);
            file_reply(request, checked.map(String::into_bytes))
        }
        ToWorker::Diagnose { request, names } => file_reply(
            request,
            Ok(diagnose(&names, &secrets.files, || now() - start)),
        ),
        ToWorker::ReadFile { request, path } => {
            file_reply(request, read_file(zip_of(&secrets), &path))
        }
    }
}

/// The doctor on the inputs the page sent (`names` naming `files`): pki-core's answer as
/// JSON of [`protocol::DoctorAnswer`]. The inputs may hold keys: each copy is wiped once read.
#[cfg(target_arch = "wasm32")]
fn diagnose(
    names: &[String],
    files: &[zeroize::Zeroizing<Vec<u8>>],
    elapsed: impl Fn() -> f64,
) -> Vec<u8> {
    use zeroize::Zeroize;
    let mut inputs: Vec<pki_core::doctor::Input> = names
        .iter()
        .zip(files)
        .map(|(name, b)| pki_core::doctor::Input::new(name, b))
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

/// The key that seals the CA key, derived from the `passphrase` the page sent, in a buffer
/// that moves to the page.
#[cfg(target_arch = "wasm32")]
fn derive_sealing_key(request: u32, secrets: &protocol::Secrets) -> Reply {
    let passphrase = secrets
        .passphrase
        .as_deref()
        .map_or(&[][..], |p| p.as_slice());
    let derived = std::str::from_utf8(passphrase)
        .map_err(|_| "the passphrase is not UTF-8".to_string())
        .and_then(|p| pki_core::SealingKey::derive(p).map_err(|e| e.to_string()));
    match derived {
        Ok(key) => (
            protocol::FromWorker::SealingKey { request },
            protocol::Secrets {
                sealing_key: Some(protocol::buffer(&key.to_bytes())),
                ..Default::default()
            },
        ),
        Err(error) => bare(protocol::FromWorker::Failed { error }),
    }
}

/// One half of an RSA key: a prime, in a buffer that moves to the page (the wasm copy is wiped
/// when `prime` drops).
#[cfg_attr(feature = "light-worker-probe", allow(dead_code))]
#[cfg(target_arch = "wasm32")]
fn make_prime(index: usize, half: u8, algorithm: pki_core::KeyAlgorithm) -> Reply {
    match pki_core::PrivateKey::rsa_prime(algorithm) {
        Ok(prime) => (
            protocol::FromWorker::Prime { index, half },
            protocol::Secrets {
                primes: vec![protocol::buffer(&prime)],
                ..Default::default()
            },
        ),
        Err(e) => bare(protocol::FromWorker::Failed {
            error: e.to_string(),
        }),
    }
}

/// The answer to a question about a file (`request` numbers it): its bytes, or why not.
#[cfg(target_arch = "wasm32")]
fn file_reply(request: u32, bytes: Result<impl AsRef<[u8]>, String>) -> Reply {
    match bytes {
        // A key file's bytes are wiped when `bytes` drops (read_file's Zeroizing).
        Ok(bytes) => (
            protocol::FromWorker::File { request },
            protocol::Secrets {
                file: Some(protocol::buffer(bytes.as_ref())),
                ..Default::default()
            },
        ),
        Err(error) => bare(protocol::FromWorker::Failed { error }),
    }
}

/// The zip a question is about (empty when the page sent none: the zip reader says so).
#[cfg(target_arch = "wasm32")]
fn zip_of(secrets: &protocol::Secrets) -> &[u8] {
    secrets.zip.as_deref().map_or(&[][..], |z| z.as_slice())
}

/// Fresh keys, one per index, as PKCS#8 DER in buffers that move to the page.
#[cfg(target_arch = "wasm32")]
fn make_keys(
    indices: Vec<usize>,
    algorithm: pki_core::KeyAlgorithm,
    elapsed: impl Fn() -> f64,
) -> Reply {
    // Each key's wasm copy is wiped when it drops; the buffers move to the page.
    let mut keys = Vec::with_capacity(indices.len());
    for _ in &indices {
        match pki_core::PrivateKey::generate(algorithm) {
            Ok(k) => keys.push(protocol::buffer(k.pkcs8_der())),
            Err(e) => {
                keys.iter().for_each(protocol::wipe);
                return bare(protocol::FromWorker::Failed {
                    error: e.to_string(),
                });
            }
        }
    }
    let ms = elapsed();
    (
        protocol::FromWorker::Keys { indices, ms },
        protocol::Secrets {
            keys,
            ..Default::default()
        },
    )
}

/// An RSA key from its two `primes` (found on two workers, perhaps).
#[cfg_attr(feature = "light-worker-probe", allow(dead_code))]
#[cfg(target_arch = "wasm32")]
fn join_primes(
    index: usize,
    algorithm: pki_core::KeyAlgorithm,
    primes: &[zeroize::Zeroizing<Vec<u8>>],
    elapsed: impl Fn() -> f64,
) -> Reply {
    use protocol::FromWorker;
    let [p, q] = primes else {
        let error = "two primes were expected".to_string();
        return bare(FromWorker::Failed { error });
    };
    match pki_core::PrivateKey::from_rsa_primes(algorithm, p, q) {
        Ok(key) => (
            FromWorker::Keys {
                indices: vec![index],
                ms: elapsed(),
            },
            protocol::Secrets {
                keys: vec![protocol::buffer(key.pkcs8_der())],
                ..Default::default()
            },
        ),
        Err(e) => bare(FromWorker::Failed {
            error: e.to_string(),
        }),
    }
}

/// Signs the certificates with the page's `keys`, seals the CA key with the `sealing_key` if
/// given and a root+issuing bundle's root key with the `root_sealing_key` (the slow
/// derivations were done ahead, on the sealing worker), writes the zip.
#[cfg(target_arch = "wasm32")]
fn assemble(
    spec_json: &str,
    key_ids: &[String],
    secrets: &protocol::Secrets,
    now: &impl Fn() -> f64,
) -> Result<Reply, String> {
    let start = now();
    let keys = &secrets.keys;
    let spec = pki_core::ClusterSpec::from_json(spec_json).map_err(|e| e.to_string())?;
    let sealing_of = |bytes: &Option<zeroize::Zeroizing<Vec<u8>>>| {
        bytes
            .as_deref()
            .map(|bytes| pki_core::SealingKey::from_bytes(bytes))
            .transpose()
            .map_err(|e| e.to_string())
    };
    let sealing = sealing_of(&secrets.sealing_key)?;
    let root_sealing = sealing_of(&secrets.root_sealing_key)?;
    // The root key is never written unencrypted (the page asks for its passphrase first).
    if spec.ca_layout.is_layered() && root_sealing.is_none() {
        return Err("the root key's passphrase did not reach the worker; type it under \"The CA key\" and generate again".into());
    }
    let now_utc = pki_core::OffsetDateTime::now_utc();
    let bundle = pki_core::generate_with_keys_sealed_apart(
        &spec,
        now_utc,
        sealing.as_ref(),
        root_sealing.as_ref(),
        |req| {
            let der = key_ids
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
            root_key_name: bundle
                .root_key
                .as_ref()
                .map(|k| k.path.clone())
                .unwrap_or_default(),
            assemble_ms: assembled - start,
            zip_ms,
            change: None,
        },
        protocol::Secrets {
            zip: Some(protocol::buffer(&zip)),
            ca_key: Some(protocol::buffer(&ca_key.contents)),
            root_key: bundle
                .root_key
                .as_ref()
                .map(|k| protocol::buffer(&k.contents)),
            texts: Some(protocol::buffer(&texts)),
            ..Default::default()
        },
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
