//! Generating a bundle without freezing the page: keys are made on a small pool of Web
//! Workers (`keygen-worker`), in parallel; then one worker signs the certificates and writes
//! the zip, and sends back the zip and a listing of the files. The page's thread only keeps
//! score, so it stays responsive even for RSA-4096.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Array, Object, Reflect, Uint8Array};
use pki_core::{ClusterSpec, KeyRequest, Listing};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{MessageEvent, Worker};

/// Where generation stands, for the progress display.
#[derive(Clone, Debug, PartialEq)]
pub struct Progress {
    /// Keys made so far.
    pub done: usize,
    /// Keys in all.
    pub total: usize,
    /// What is being made right now ("server key of member etcd2", ...).
    pub making: Vec<String>,
}

/// A finished generation.
pub struct Outcome {
    /// What the bundle holds.
    pub listing: Listing,
    /// Its zip.
    pub zip: Vec<u8>,
    /// performance.now() figures, in milliseconds: making the keys.
    pub keygen_ms: f64,
    /// Signing and laying out the files (in the worker).
    pub assemble_ms: f64,
    /// Writing the zip (in the worker).
    pub zip_ms: f64,
    /// From click to done, as the page saw it.
    pub total_ms: f64,
    /// How many workers made keys.
    pub workers: usize,
}

type ProgressFn = Rc<dyn Fn(Progress)>;
type DoneFn = Box<dyn FnOnce(Result<Outcome, String>)>;

struct Slot {
    worker: Worker,
    ready: bool,
    dead: bool,
    busy: Option<usize>,
    _on_message: Closure<dyn Fn(MessageEvent)>,
    _on_error: Closure<dyn Fn(web_sys::Event)>,
}

struct Job {
    spec_json: String,
    passphrase: String,
    plan: Vec<KeyRequest>,
    keys: Vec<Option<Uint8Array>>,
    next: usize,
    done: usize,
    started: f64,
    keys_done_at: f64,
    assembling: bool,
    on_progress: ProgressFn,
    on_done: Option<DoneFn>,
}

#[derive(Default)]
struct State {
    slots: Vec<Slot>,
    job: Option<Job>,
}

thread_local! {
    static STATE: RefCell<State> = RefCell::new(State::default());
}

fn now() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map(|p| p.now())
        .unwrap_or(0.0)
}

fn later(f: impl FnOnce() + 'static, ms: i32) {
    if let Some(w) = web_sys::window() {
        let cb = Closure::once_into_js(f);
        let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(cb.unchecked_ref(), ms);
    }
}

/// One worker per core, at least 2 (prime searches overlap even on 2 cores), at most 4.
fn pool_size() -> usize {
    let cores = web_sys::window()
        .map(|w| w.navigator().hardware_concurrency())
        .unwrap_or(2.0) as usize;
    cores.clamp(2, 4)
}

/// The worker script: the hosted site's loader, or the blob: URL the one-file page made.
fn worker_url() -> String {
    web_sys::window()
        .and_then(|w| Reflect::get(&w, &"__etcdPkiWorkerUrl".into()).ok())
        .and_then(|v| v.as_string())
        .unwrap_or_else(|| "./keygen-worker_loader.js".into())
}

/// Starts the workers ahead of the first generation, so their wasm is compiled by then.
pub fn warm_up() {
    STATE.with(|s| {
        let mut s = s.borrow_mut();
        if s.slots.iter().any(|w| !w.dead) {
            return;
        }
        s.slots.clear();
        for i in 0..pool_size() {
            let Ok(worker) = Worker::new(&worker_url()) else {
                break;
            };
            let on_message = Closure::<dyn Fn(MessageEvent)>::new(move |ev: MessageEvent| {
                on_worker_message(i, ev.data())
            });
            let on_error = Closure::<dyn Fn(web_sys::Event)>::new(move |_| on_worker_error(i));
            worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
            worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
            s.slots.push(Slot {
                worker,
                ready: false,
                dead: false,
                busy: None,
                _on_message: on_message,
                _on_error: on_error,
            });
        }
    });
}

/// Generates the bundle of `spec`, the CA key encrypted with `passphrase` unless it is
/// empty. `on_progress` is called as keys are made; `on_done` once.
pub fn generate(
    spec: &ClusterSpec,
    passphrase: String,
    on_progress: impl Fn(Progress) + 'static,
    on_done: impl FnOnce(Result<Outcome, String>) + 'static,
) {
    warm_up();
    let plan = pki_core::key_plan(spec);
    let total = plan.len();
    STATE.with(|s| {
        s.borrow_mut().job = Some(Job {
            spec_json: spec.to_json(),
            passphrase,
            keys: vec![None; total],
            plan,
            next: 0,
            done: 0,
            started: now(),
            keys_done_at: 0.0,
            assembling: false,
            on_progress: Rc::new(on_progress),
            on_done: Some(Box::new(on_done)),
        });
    });
    report_progress();
    dispatch();
    // Workers that never come up (blocked by the browser, failed to load) are reported.
    later(
        || {
            let stalled = STATE.with(|s| {
                let s = s.borrow();
                s.job.as_ref().is_some_and(|j| j.done == 0)
                    && !s.slots.iter().any(|w| w.ready && !w.dead)
            });
            if stalled {
                fail("the key workers did not start; this browser may block Web Workers for this page (open it over http(s), or use a current Chromium or Firefox)".into());
            }
        },
        10000,
    );
}

fn report_progress() {
    let info = STATE.with(|s| {
        let s = s.borrow();
        let job = s.job.as_ref()?;
        let making: Vec<String> = if job.assembling {
            vec!["signing the certificates and writing the zip".into()]
        } else {
            s.slots
                .iter()
                .filter_map(|w| w.busy)
                .filter_map(|i| job.plan.get(i).map(|r| r.label.clone()))
                .collect()
        };
        Some((
            job.on_progress.clone(),
            Progress {
                done: job.done,
                total: job.plan.len(),
                making,
            },
        ))
    });
    if let Some((f, p)) = info {
        f(p);
    }
}

fn post(worker: &Worker, fields: &[(&str, JsValue)]) -> bool {
    let msg = Object::new();
    for (k, v) in fields {
        let _ = Reflect::set(&msg, &JsValue::from_str(k), v);
    }
    worker.post_message(&msg).is_ok()
}

fn dispatch() {
    STATE.with(|s| {
        let mut s = s.borrow_mut();
        let State { slots, job } = &mut *s;
        let Some(job) = job.as_mut() else { return };
        for slot in slots.iter_mut() {
            if !(slot.ready && !slot.dead && slot.busy.is_none()) {
                continue;
            }
            if let Some(idx) = (job.next..job.plan.len()).find(|&i| job.keys[i].is_none()) {
                let ok = post(
                    &slot.worker,
                    &[
                        ("kind", "key".into()),
                        ("id", JsValue::from_f64(idx as f64)),
                        ("algorithm", job.plan[idx].algorithm.as_str().into()),
                    ],
                );
                if ok {
                    slot.busy = Some(idx);
                    job.next = idx + 1;
                }
            } else if job.done == job.plan.len() && !job.assembling {
                let ids = Array::new();
                let keys = Array::new();
                for (req, key) in job.plan.iter().zip(&job.keys) {
                    ids.push(&JsValue::from_str(&req.id));
                    keys.push(key.as_ref().map(|k| k.as_ref()).unwrap_or(&JsValue::NULL));
                }
                let ok = post(
                    &slot.worker,
                    &[
                        ("kind", "assemble".into()),
                        ("spec", JsValue::from_str(&job.spec_json)),
                        ("passphrase", JsValue::from_str(&job.passphrase)),
                        ("ids", ids.into()),
                        ("keys", keys.into()),
                    ],
                );
                if ok {
                    slot.busy = Some(usize::MAX);
                    job.assembling = true;
                    job.keys_done_at = now();
                }
            }
        }
    });
    report_progress();
}

fn on_worker_message(i: usize, data: JsValue) {
    let get = |k: &str| Reflect::get(&data, &JsValue::from_str(k)).unwrap_or(JsValue::UNDEFINED);
    if get("ready").is_truthy() {
        let ready = STATE.with(|s| {
            let mut s = s.borrow_mut();
            if let Some(slot) = s.slots.get_mut(i) {
                slot.ready = true;
            }
            s.slots.iter().filter(|w| w.ready && !w.dead).count()
        });
        crate::browser::set_field("workersReady", JsValue::from_f64(ready as f64));
        dispatch();
        return;
    }
    STATE.with(|s| {
        if let Some(slot) = s.borrow_mut().slots.get_mut(i) {
            slot.busy = None;
        }
    });
    if let Some(e) = get("error").as_string() {
        fail(e);
        return;
    }
    match get("kind").as_string().as_deref() {
        Some("key") => {
            let Some(idx) = get("id").as_f64().map(|f| f as usize) else {
                return;
            };
            let Ok(der) = get("der").dyn_into::<Uint8Array>() else {
                fail("a worker sent no key".into());
                return;
            };
            STATE.with(|s| {
                if let Some(job) = s.borrow_mut().job.as_mut() {
                    if idx < job.keys.len() && job.keys[idx].is_none() {
                        job.keys[idx] = Some(der);
                        job.done += 1;
                    }
                }
            });
            dispatch();
        }
        Some("bundle") => {
            let Some(mut job) = STATE.with(|s| s.borrow_mut().job.take()) else {
                return;
            };
            let end = now();
            let workers = STATE.with(|s| s.borrow().slots.iter().filter(|w| !w.dead).count());
            let result = get("listing")
                .as_string()
                .ok_or_else(|| "the worker sent no file list".to_string())
                .and_then(|l| serde_json::from_str::<Listing>(&l).map_err(|e| e.to_string()))
                .and_then(|listing| {
                    let zip = get("zip")
                        .dyn_into::<Uint8Array>()
                        .map_err(|_| "the worker sent no zip".to_string())?
                        .to_vec();
                    Ok(Outcome {
                        listing,
                        zip,
                        keygen_ms: job.keys_done_at - job.started,
                        assemble_ms: get("assemble_ms").as_f64().unwrap_or(0.0),
                        zip_ms: get("zip_ms").as_f64().unwrap_or(0.0),
                        total_ms: end - job.started,
                        workers,
                    })
                });
            if let Some(f) = job.on_done.take() {
                f(result);
            }
        }
        _ => {}
    }
}

fn on_worker_error(i: usize) {
    let requeue = STATE.with(|s| {
        let mut s = s.borrow_mut();
        let slot = s.slots.get_mut(i)?;
        slot.dead = true;
        slot.busy.take()
    });
    let any_alive = STATE.with(|s| s.borrow().slots.iter().any(|w| !w.dead));
    if let Some(idx) = requeue {
        STATE.with(|s| {
            if let Some(job) = s.borrow_mut().job.as_mut() {
                if idx == usize::MAX {
                    job.assembling = false;
                } else {
                    job.next = job.next.min(idx);
                }
            }
        });
    }
    if any_alive {
        dispatch();
    } else {
        fail("every key worker stopped with an error; see the browser console".into());
    }
}

fn fail(msg: String) {
    let done = STATE.with(|s| s.borrow_mut().job.take().and_then(|mut j| j.on_done.take()));
    if let Some(f) = done {
        f(Err(msg));
    }
}
