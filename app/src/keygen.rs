//! Generating a bundle without freezing the page: keys are made on a small pool of Web
//! Workers (`keygen-worker`), in parallel, and the cheap part — signing the certificates and
//! writing the zip — runs on the page's thread at the end. If workers cannot start (a
//! browser that forbids them, or the page opened from disk), keys are made on the page's
//! thread one at a time, yielding to the browser between keys so it stays responsive.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Object, Reflect, Uint8Array};
use pki_core::{Bundle, ClusterSpec, Error, KeyRequest, PrivateKey, generate_with_keys};
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
    /// Whether workers do the work.
    pub on_workers: bool,
}

/// A finished generation.
pub struct Outcome {
    /// The bundle.
    pub bundle: Bundle,
    /// Its zip.
    pub zip: Vec<u8>,
    /// performance.now() figures, in milliseconds.
    pub keygen_ms: f64,
    /// Signing and laying out the files.
    pub assemble_ms: f64,
    /// Writing the zip.
    pub zip_ms: f64,
    /// From click to done.
    pub total_ms: f64,
    /// How many workers made keys (0: the page's own thread).
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
    spec: ClusterSpec,
    plan: Vec<KeyRequest>,
    keys: Vec<Option<Vec<u8>>>,
    next: usize,
    done: usize,
    started: f64,
    on_progress: ProgressFn,
    on_done: Option<DoneFn>,
    on_workers: bool,
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

/// How many workers: one per core, at least 2 (a 2-core laptop still overlaps the
/// prime searches), at most 4.
fn pool_size() -> usize {
    let cores = web_sys::window()
        .map(|w| w.navigator().hardware_concurrency())
        .unwrap_or(2.0) as usize;
    cores.clamp(2, 4)
}

/// Starts the workers ahead of the first generation, so their wasm is compiled by then.
pub fn warm_up() {
    STATE.with(|s| {
        let mut s = s.borrow_mut();
        if !s.slots.is_empty() {
            return;
        }
        for i in 0..pool_size() {
            let Ok(worker) = Worker::new("./keygen-worker_loader.js") else {
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

/// Generates the bundle of `spec`. `on_progress` is called as keys are made; `on_done` once.
pub fn generate(
    spec: ClusterSpec,
    on_progress: impl Fn(Progress) + 'static,
    on_done: impl FnOnce(Result<Outcome, String>) + 'static,
) {
    warm_up();
    let plan = pki_core::key_plan(&spec);
    let total = plan.len();
    let on_workers = STATE.with(|s| s.borrow().slots.iter().any(|w| !w.dead));
    STATE.with(|s| {
        s.borrow_mut().job = Some(Job {
            spec,
            keys: vec![None; total],
            plan,
            next: 0,
            done: 0,
            started: now(),
            on_progress: Rc::new(on_progress),
            on_done: Some(Box::new(on_done)),
            on_workers,
        });
    });
    report_progress();
    if on_workers {
        dispatch();
        // Workers that never come up (blocked, failed to load) hand over to the page.
        later(
            || {
                let stalled = STATE.with(|s| {
                    let s = s.borrow();
                    s.job.as_ref().is_some_and(|j| j.done == 0)
                        && !s.slots.iter().any(|w| w.ready && !w.dead)
                });
                if stalled {
                    fall_back();
                }
            },
            5000,
        );
    } else {
        main_thread_step();
    }
}

fn report_progress() {
    let info = STATE.with(|s| {
        let s = s.borrow();
        let job = s.job.as_ref()?;
        let mut making: Vec<String> = s
            .slots
            .iter()
            .filter_map(|w| w.busy)
            .map(|i| job.plan[i].label.clone())
            .collect();
        if !job.on_workers && job.next < job.plan.len() {
            making.push(job.plan[job.next].label.clone());
        }
        Some((
            job.on_progress.clone(),
            Progress {
                done: job.done,
                total: job.plan.len(),
                making,
                on_workers: job.on_workers,
            },
        ))
    });
    if let Some((f, p)) = info {
        f(p);
    }
}

fn dispatch() {
    STATE.with(|s| {
        let mut s = s.borrow_mut();
        let State { slots, job } = &mut *s;
        let Some(job) = job.as_mut() else { return };
        for slot in slots.iter_mut() {
            if job.next >= job.plan.len() {
                break;
            }
            if slot.ready && !slot.dead && slot.busy.is_none() {
                let msg = Object::new();
                let _ = Reflect::set(&msg, &"id".into(), &JsValue::from_f64(job.next as f64));
                let _ = Reflect::set(
                    &msg,
                    &"algorithm".into(),
                    &JsValue::from_str(job.plan[job.next].algorithm.as_str()),
                );
                if slot.worker.post_message(&msg).is_ok() {
                    slot.busy = Some(job.next);
                    job.next += 1;
                }
            }
        }
    });
    report_progress();
}

fn on_worker_message(i: usize, data: JsValue) {
    let get = |k: &str| Reflect::get(&data, &JsValue::from_str(k)).unwrap_or(JsValue::UNDEFINED);
    if get("ready").is_truthy() {
        STATE.with(|s| {
            if let Some(slot) = s.borrow_mut().slots.get_mut(i) {
                slot.ready = true;
            }
        });
        dispatch();
        return;
    }
    let Some(idx) = get("id").as_f64().map(|f| f as usize) else {
        return;
    };
    let der = get("der").dyn_into::<Uint8Array>().ok().map(|a| a.to_vec());
    let error = get("error").as_string();
    let finished = STATE.with(|s| {
        let mut s = s.borrow_mut();
        if let Some(slot) = s.slots.get_mut(i) {
            slot.busy = None;
        }
        let job = s.job.as_mut()?;
        if idx >= job.keys.len() {
            return None;
        }
        match der {
            Some(d) => {
                job.keys[idx] = Some(d);
                job.done += 1;
            }
            None => return Some(Err(error.unwrap_or_else(|| "the worker sent no key".into()))),
        }
        Some(Ok(job.done == job.keys.len()))
    });
    match finished {
        Some(Err(e)) => fail(format!("a key could not be generated: {e}")),
        Some(Ok(true)) => {
            report_progress();
            later(finish, 0);
        }
        Some(Ok(false)) => dispatch(),
        None => {}
    }
}

fn on_worker_error(i: usize) {
    let (requeue, any_alive) = STATE.with(|s| {
        let mut s = s.borrow_mut();
        let mut requeue = None;
        if let Some(slot) = s.slots.get_mut(i) {
            slot.dead = true;
            requeue = slot.busy.take();
        }
        (requeue, s.slots.iter().any(|w| !w.dead))
    });
    if let Some(idx) = requeue {
        // Make that key again elsewhere.
        STATE.with(|s| {
            if let Some(job) = s.borrow_mut().job.as_mut() {
                job.keys[idx] = None;
                job.next = job.next.min(idx);
            }
        });
    }
    if any_alive {
        dispatch();
    } else {
        fall_back();
    }
}

/// Continues the current job on the page's own thread.
fn fall_back() {
    let go = STATE.with(|s| {
        let mut s = s.borrow_mut();
        for slot in s.slots.iter_mut() {
            slot.dead = true;
            slot.busy = None;
        }
        match s.job.as_mut() {
            Some(job) if job.on_workers => {
                job.on_workers = false;
                job.next = job
                    .keys
                    .iter()
                    .position(Option::is_none)
                    .unwrap_or(job.keys.len());
                true
            }
            _ => false,
        }
    });
    if go {
        main_thread_step();
    }
}

/// Makes one key on the page's thread, then yields to the browser before the next.
fn main_thread_step() {
    let next = STATE.with(|s| {
        let s = s.borrow();
        let job = s.job.as_ref()?;
        let idx = job.keys.iter().position(Option::is_none)?;
        Some((idx, job.plan[idx].algorithm))
    });
    let Some((idx, alg)) = next else {
        later(finish, 0);
        return;
    };
    match PrivateKey::generate(alg) {
        Ok(k) => {
            STATE.with(|s| {
                if let Some(job) = s.borrow_mut().job.as_mut() {
                    job.keys[idx] = Some(k.pkcs8_der().to_vec());
                    job.done += 1;
                    job.next = idx + 1;
                }
            });
            report_progress();
            later(main_thread_step, 0);
        }
        Err(e) => fail(e.to_string()),
    }
}

fn fail(msg: String) {
    let done = STATE.with(|s| s.borrow_mut().job.take().and_then(|mut j| j.on_done.take()));
    if let Some(f) = done {
        f(Err(msg));
    }
}

fn finish() {
    let Some(mut job) = STATE.with(|s| s.borrow_mut().job.take()) else {
        return;
    };
    let keygen_done = now();
    let workers = if job.on_workers {
        STATE.with(|s| s.borrow().slots.iter().filter(|w| !w.dead).count())
    } else {
        0
    };
    let keys = std::mem::take(&mut job.keys);
    let plan = job.plan.clone();
    let result = generate_with_keys(&job.spec, pki_core_now(), |req| {
        let idx = plan
            .iter()
            .position(|p| p.id == req.id)
            .unwrap_or(usize::MAX);
        let der = keys
            .get(idx)
            .and_then(Option::as_ref)
            .ok_or_else(|| Error::BadKey {
                key: req.label.clone(),
                reason: "it was never made".into(),
            })?;
        PrivateKey::from_pkcs8_der(req.algorithm, der)
    });
    let assembled = now();
    let outcome = result.map_err(|e| e.to_string()).and_then(|bundle| {
        let zip = bundle.to_zip().map_err(|e| e.to_string())?;
        let end = now();
        Ok(Outcome {
            bundle,
            zip,
            keygen_ms: keygen_done - job.started,
            assemble_ms: assembled - keygen_done,
            zip_ms: end - assembled,
            total_ms: end - job.started,
            workers,
        })
    });
    if let Some(f) = job.on_done.take() {
        f(outcome);
    }
}

fn pki_core_now() -> pki_core::OffsetDateTime {
    pki_core::OffsetDateTime::now_utc()
}
