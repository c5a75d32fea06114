//! The page's workers: starting them (each gets the wasm the page compiled once), their
//! states, and the one place every worker's message arrives and is sent on to whoever waits
//! for it.

use js_sys::{Reflect, Uint8Array};
use pki_core::KeyRequest;
use protocol::{self, CaFacts, FromWorker, Secrets, ToWorker};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{MessageEvent, Worker};
use zeroize::Zeroizing;

use super::requests::*;
use super::scheduler::*;
use super::*;

pub(super) type ProgressFn = Rc<dyn Fn(Progress)>;
pub(super) type DoneFn = Box<dyn FnOnce(Result<Outcome, String>)>;
pub(super) type ReadFn = Box<dyn FnOnce(Result<Zeroizing<Vec<u8>>, String>)>;
pub(super) type CaFn = Box<dyn FnOnce(Result<CaFacts, CaRefusal>)>;
pub(super) type PlannedFn = Box<dyn FnOnce(Result<Vec<KeyRequest>, String>)>;

/// What one worker is doing.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum SlotState {
    /// Loading its wasm; it says [`FromWorker::Ready`] when it listens.
    Starting,
    /// Listening, nothing to do.
    Idle,
    /// Working on a task of the generation numbered `job`.
    Working { job: u32, task: Task },
    /// Signing and zipping.
    Assembling,
    /// Reading a file out of the zip.
    Reading,
    /// Stopped with an error; never used again.
    Dead,
}

pub(super) struct Slot {
    pub(super) worker: Worker,
    pub(super) state: SlotState,
    pub(super) _on_message: Closure<dyn Fn(MessageEvent)>,
    pub(super) _on_error: Closure<dyn Fn(web_sys::Event)>,
}

#[derive(Default)]
pub(super) struct Pool {
    pub(super) slots: Vec<Slot>,
    pub(super) job: Option<Job>,
    /// A pending file read: its request number and who wants the bytes.
    pub(super) read: Option<(u32, ReadFn)>,
    /// A pending CA check (day two).
    pub(super) ca_check: Option<(u32, CaFn)>,
    /// A pending change plan (day two).
    pub(super) planned: Option<PlannedFn>,
    pub(super) next_request: u32,
    pub(super) next_job: u32,
    /// How long each worker took for its calibration, in milliseconds.
    pub(super) calibrations: Vec<f64>,
}

thread_local! {
    pub(super) static POOL: RefCell<Pool> = RefCell::new(Pool::default());
}

/// performance.now(), in milliseconds.
pub fn now() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map(|p| p.now())
        .unwrap_or(0.0)
}

/// Runs `f` in a task `ms` milliseconds from now.
pub fn later(f: impl FnOnce() + 'static, ms: i32) {
    if let Some(w) = web_sys::window() {
        let cb = Closure::once_into_js(f);
        let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(cb.unchecked_ref(), ms);
    }
}

/// One worker per core, at least 2 (prime searches overlap even on 2 cores), at most 4.
pub fn pool_size() -> usize {
    let cores = web_sys::window()
        .map(|w| w.navigator().hardware_concurrency())
        .unwrap_or(2.0) as usize;
    cores.clamp(2, 4)
}

/// The worker script: the `blob:` URL the page's start script made from the worker's
/// source (so the worker inherits the page's CSP).
pub(crate) fn worker_url() -> Option<String> {
    web_sys::window()
        .and_then(|w| Reflect::get(&w, &"__etcdPkiWorkerUrl".into()).ok())
        .and_then(|v| v.as_string())
}

/// Starts the workers ahead of the first generation, so their wasm is compiled by then.
pub fn warm_up() {
    let Some(url) = worker_url() else {
        web_sys::console::error_1(&"etcd-pki: no worker source (window.__etcdPkiWorkerUrl)".into());
        return;
    };
    POOL.with(|p| {
        let mut p = p.borrow_mut();
        if p.slots.iter().any(|s| s.state != SlotState::Dead) {
            return;
        }
        p.slots.clear();
        for i in 0..pool_size() {
            let Ok(worker) = Worker::new(&url) else {
                break;
            };
            let on_message = Closure::<dyn Fn(MessageEvent)>::new(move |ev: MessageEvent| {
                on_message(i, ev.data())
            });
            let on_error = Closure::<dyn Fn(web_sys::Event)>::new(move |_| on_worker_error(i));
            worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
            worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
            send_module(&worker);
            p.slots.push(Slot {
                worker,
                state: SlotState::Starting,
                _on_message: on_message,
                _on_error: on_error,
            });
        }
    });
}

/// Sends `worker` the compiled worker wasm, which it waits for before it starts: the page's
/// start script compiles it once while the page loads (`window.__etcdPkiWorkerModule`, a
/// promise of a `WebAssembly.Module`), so no worker compiles its own and all share its code.
pub(crate) fn send_module(worker: &Worker) {
    let Some(module) = web_sys::window()
        .and_then(|w| Reflect::get(&w, &"__etcdPkiWorkerModule".into()).ok())
        .filter(|m| !m.is_undefined())
    else {
        web_sys::console::error_1(
            &"etcd-pki: no worker wasm (window.__etcdPkiWorkerModule)".into(),
        );
        return;
    };
    let worker = worker.clone();
    wasm_bindgen_futures::spawn_local(async move {
        match wasm_bindgen_futures::JsFuture::from(js_sys::Promise::resolve(&module)).await {
            Ok(m) => {
                let _ = worker.post_message(&m);
            }
            Err(e) => {
                web_sys::console::error_2(&"etcd-pki: the worker wasm did not compile:".into(), &e)
            }
        }
    });
}

/// Sends `msg` with `buffers` transferred.
pub(super) fn post(worker: &Worker, msg: &ToWorker, secrets: Secrets<Uint8Array>) -> bool {
    match protocol::envelope(msg, secrets) {
        Ok(out) => worker
            .post_message_with_transfer(&out.message, &out.transfer)
            .is_ok(),
        Err(_) => false,
    }
}

/// How many workers are listening.
pub fn workers_ready() -> usize {
    POOL.with(|p| {
        p.borrow()
            .slots
            .iter()
            .filter(|s| !matches!(s.state, SlotState::Starting | SlotState::Dead))
            .count()
    })
}

/// The median calibration time of the workers so far (see [`protocol::CALIBRATION_KEYS`]).
pub fn calibration_ms() -> Option<f64> {
    POOL.with(|p| {
        let mut c = p.borrow().calibrations.clone();
        c.sort_by(f64::total_cmp);
        c.get(c.len() / 2).copied()
    })
}

/// Stops the running generation: every worker is terminated mid-key (a prime search cannot
/// be interrupted any other way), the keys made so far are zeroed and dropped, and a fresh
/// pool starts for the next run. `on_done` is never called for the cancelled run.
pub fn cancel() {
    let job = POOL.with(|p| {
        let mut p = p.borrow_mut();
        for s in p.slots.drain(..) {
            s.worker.terminate();
        }
        p.read = None;
        p.ca_check = None;
        p.planned = None;
        p.job.take()
    });
    drop(job);
    warm_up();
}

/// Runs `f` once a worker is idle: after the page loads they are busy warming up for a few
/// seconds (longer on a slow machine). Gives up after about a minute; `f` is then called
/// anyway and the request it makes says that no worker is free.
pub fn when_idle(f: impl FnOnce() + 'static) {
    fn attempt(f: Box<dyn FnOnce()>, left: u32) {
        let idle = POOL.with(|p| p.borrow().slots.iter().any(|s| s.state == SlotState::Idle));
        if idle || left == 0 {
            f();
        } else {
            later(move || attempt(f, left - 1), 100);
        }
    }
    warm_up();
    attempt(Box::new(f), 600);
}

pub(super) fn set_state(i: usize, state: SlotState) {
    POOL.with(|p| {
        if let Some(s) = p.borrow_mut().slots.get_mut(i) {
            s.state = state;
        }
    });
}

/// A worker's message, sent on to the function for its kind. `was` is what the worker was
/// doing when it answered (it is idle now), so an answer for an earlier run is told apart.
pub(super) fn on_message(i: usize, data: JsValue) {
    let t0 = now();
    let (msg, secrets) = match protocol::open::<FromWorker>(&data) {
        Ok(m) => m,
        Err(e) => return fail(e),
    };
    let was = POOL.with(|p| p.borrow().slots.get(i).map(|s| s.state.clone()));
    set_state(i, SlotState::Idle);
    match msg {
        FromWorker::Ready { calibration_ms } => {
            POOL.with(|p| p.borrow_mut().calibrations.push(calibration_ms));
            crate::browser::set_field("workersReady", JsValue::from_f64(workers_ready() as f64));
            dispatch();
        }
        FromWorker::Keys { indices, .. } => on_keys(&was, indices, secrets),
        FromWorker::Prime { index, half } => on_prime(&was, index, half, secrets),
        bundle @ FromWorker::Bundle { .. } => on_bundle(bundle, t0, secrets),
        FromWorker::CaChecked { request, ca } => {
            if let Some(then) = take_ca_check(request) {
                then(Ok(ca));
            }
        }
        FromWorker::CaRefused {
            request,
            field,
            needs_passphrase,
            error,
        } => {
            if let Some(then) = take_ca_check(request) {
                then(Err(CaRefusal {
                    field,
                    needs_passphrase,
                    error,
                }));
            }
        }
        FromWorker::ChangePlanned { keys } => {
            if let Some(then) = POOL.with(|p| p.borrow_mut().planned.take()) {
                then(Ok(keys
                    .into_iter()
                    .map(|k| KeyRequest {
                        id: k.id,
                        label: k.label,
                        algorithm: k.algorithm,
                    })
                    .collect()));
            }
        }
        FromWorker::File { request } => {
            let bytes = secrets
                .file
                .as_ref()
                .map(protocol::take)
                .unwrap_or_default();
            if let Some(then) = take_read(request) {
                then(Ok(bytes));
            }
        }
        FromWorker::Failed { error } => on_failed(&was, error),
        // Only the sealing worker (`crate::sealer`) sends these.
        FromWorker::SealingKey { .. } => secrets.wipe(),
    }
}

pub(super) fn on_worker_error(i: usize) {
    let was = POOL.with(|p| p.borrow().slots.get(i).map(|s| s.state.clone()));
    set_state(i, SlotState::Dead);
    match was {
        // Its key or prime is made again by another worker.
        Some(SlotState::Working { .. }) | Some(SlotState::Starting) | Some(SlotState::Idle) => {}
        // Its keys moved to it and are gone with it.
        Some(SlotState::Assembling) => {
            return fail("the worker signing the certificates stopped with an error; see the browser console".into());
        }
        Some(SlotState::Reading) => {
            if let Some((_, then)) = POOL.with(|p| p.borrow_mut().read.take()) {
                then(Err(
                    "the worker reading the zip stopped with an error".into()
                ));
            }
        }
        Some(SlotState::Dead) | None => {}
    }
    let any_alive = POOL.with(|p| p.borrow().slots.iter().any(|s| s.state != SlotState::Dead));
    if any_alive {
        dispatch();
    } else {
        fail("every key worker stopped with an error; see the browser console".into());
    }
}
