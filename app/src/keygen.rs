//! Generating a bundle without freezing the page: keys are made on a small pool of Web
//! Workers (`keygen-worker`), in parallel; then one worker signs the certificates and writes
//! the zip, and sends back the zip, the CA key and a listing of the files. The page's thread
//! only keeps score, so it stays responsive even for RSA-4096.
//!
//! The messages are [`crate::protocol`]'s. Keys arrive as transferred buffers and stay in JS
//! buffers only until they are transferred on to the assembling worker; a cancelled run
//! zeroes them. The workers start from a `blob:` URL made by the page (both builds), so they
//! run under the page's Content-Security-Policy.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Reflect, Uint8Array};
use pki_core::{ClusterSpec, KeyRequest, Listing};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{MessageEvent, Worker};
use zeroize::Zeroizing;

use crate::protocol::{
    self, CaFacts, CaField, ChangeCounts, ChangeRequest, FromWorker, OpenedFacts, OtherCaFacts,
    ToWorker,
};

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

/// A finished generation. The zip and the CA key are wiped from memory when it is dropped.
pub struct Outcome {
    /// What the bundle holds (no key text).
    pub listing: Listing,
    /// Its zip (every member's and client's keys; not the CA key).
    pub zip: Zeroizing<Vec<u8>>,
    /// The CA key file, a separate download.
    pub ca_key: Zeroizing<Vec<u8>>,
    /// The CA key's download name.
    pub ca_key_name: String,
    /// Whether the CA key is encrypted with the passphrase.
    pub ca_key_encrypted: bool,
    /// performance.now() figures, in milliseconds: making the keys.
    pub keygen_ms: f64,
    /// Signing and laying out the files (in the worker).
    pub assemble_ms: f64,
    /// Writing the zip (in the worker).
    pub zip_ms: f64,
    /// From click to done, as the page saw it.
    pub total_ms: f64,
    /// The page's thread reading the worker's last message (the listing).
    pub parse_ms: f64,
    /// How many workers made keys.
    pub workers: usize,
    /// For a day-two change: what it changed (`ca_key` is then empty).
    pub change: Option<ChangeCounts>,
}

/// A day-two run's inputs, held until the assembling worker takes them: the old zip (or,
/// for a new bundle under an existing CA, the CA certificate), the CA key and its passphrase.
/// Zeroed if the run is cancelled or fails before they move.
pub struct ChangeInputs {
    /// The change.
    pub change: ChangeRequest,
    /// Whether `first` is an opened bundle's zip (else the CA certificate).
    pub opened: bool,
    /// The old zip or the CA certificate.
    pub first: Zeroizing<Vec<u8>>,
    /// The CA key file as given.
    pub ca_key: Zeroizing<Vec<u8>>,
    /// Its passphrase, if it has one.
    pub passphrase: Option<Zeroizing<String>>,
    /// A rotation's passphrase for the new CA key (`None`: unencrypted, as the person chose).
    pub new_passphrase: Option<Zeroizing<String>>,
    /// The person says the opened kit's rotation is done on every member.
    pub previous_rotation_done: bool,
}

/// Why an existing CA was refused, and beside which field to say so.
#[derive(Clone, Debug, PartialEq)]
pub struct CaRefusal {
    /// The field at fault.
    pub field: CaField,
    /// The key is encrypted and the passphrase is missing or wrong.
    pub needs_passphrase: bool,
    /// For people.
    pub error: String,
}

type ProgressFn = Rc<dyn Fn(Progress)>;
type DoneFn = Box<dyn FnOnce(Result<Outcome, String>)>;
type ReadFn = Box<dyn FnOnce(Result<Zeroizing<Vec<u8>>, String>)>;
type CaFn = Box<dyn FnOnce(Result<CaFacts, CaRefusal>)>;
type PlannedFn = Box<dyn FnOnce(Result<Vec<KeyRequest>, String>)>;

/// One piece of a generation's key work, for one worker.
#[derive(Clone, Debug, PartialEq)]
enum Task {
    /// Whole keys (P-256, P-384, Ed25519), by their indices in the plan: a batch, since such
    /// a key takes less time than a message's round trip (1,200 keys one message each kept
    /// the page busy for seconds).
    Keys(Vec<usize>),
    /// One of the two primes (0 or 1) of an RSA key. An RSA key is two independent prime
    /// searches, each of very uneven length: handing out primes rather than keys keeps every
    /// worker busy until the last key.
    Prime(usize, u8),
    /// An RSA key made of its two primes.
    Join(usize),
}

/// What one worker is doing.
#[derive(Clone, Debug, PartialEq)]
enum SlotState {
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

struct Slot {
    worker: Worker,
    state: SlotState,
    _on_message: Closure<dyn Fn(MessageEvent)>,
    _on_error: Closure<dyn Fn(web_sys::Event)>,
}

/// Where a generation stands.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Phase {
    /// Keys being made.
    Keys,
    /// Every key made; a worker is signing and zipping.
    Assembling,
}

/// The key that seals the CA key, for a generation (`crate::sealer` derives it).
enum Sealing {
    /// The CA key stays unencrypted (the person chose it, or a day-two change).
    None,
    /// Being derived: the assembly waits for it.
    Waiting,
    /// Derived: moves to the assembling worker with the keys.
    Ready(Uint8Array),
}

struct Job {
    /// Tells this run's answers from an earlier run's.
    id: u32,
    spec_json: String,
    sealing: Sealing,
    plan: Vec<KeyRequest>,
    /// The keys made so far, as the buffers they arrived in.
    keys: Vec<Option<Uint8Array>>,
    /// The primes of RSA keys found so far, until they are joined into their key.
    primes: Vec<[Option<Uint8Array>; 2]>,
    phase: Phase,
    started: f64,
    keys_done_at: f64,
    on_progress: ProgressFn,
    on_done: Option<DoneFn>,
    /// Set for a day-two change: what the assembling worker gets instead of a CA key.
    change: Option<ChangeInputs>,
}

impl Job {
    fn done(&self) -> usize {
        self.keys.iter().filter(|k| k.is_some()).count()
    }
}

impl Drop for Job {
    /// A cancelled or failed run leaves no key behind in the page's buffers.
    fn drop(&mut self) {
        for k in self.keys.iter().flatten() {
            protocol::wipe(k);
        }
        for p in self.primes.iter().flatten().flatten() {
            protocol::wipe(p);
        }
        if let Sealing::Ready(k) = &self.sealing {
            protocol::wipe(k);
        }
    }
}

#[derive(Default)]
struct Pool {
    slots: Vec<Slot>,
    job: Option<Job>,
    /// A pending file read: its request number and who wants the bytes.
    read: Option<(u32, ReadFn)>,
    /// A pending CA check (day two).
    ca_check: Option<(u32, CaFn)>,
    /// A pending change plan (day two).
    planned: Option<PlannedFn>,
    next_request: u32,
    next_job: u32,
    /// How long each worker took for its calibration, in milliseconds.
    calibrations: Vec<f64>,
}

thread_local! {
    static POOL: RefCell<Pool> = RefCell::new(Pool::default());
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
fn post(worker: &Worker, msg: &ToWorker, buffers: Vec<Uint8Array>) -> bool {
    match protocol::envelope(msg, buffers) {
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

/// Generates the bundle of `spec`, the CA key encrypted with `passphrase` if given (with
/// the key `crate::sealer` derived from it, ahead if the fields asked in time; the passphrase
/// itself goes no further). `on_progress` is called as keys are made; `on_done` once (never
/// after [`cancel`]).
pub fn generate(
    spec: &ClusterSpec,
    passphrase: Option<Zeroizing<String>>,
    on_progress: impl Fn(Progress) + 'static,
    on_done: impl FnOnce(Result<Outcome, String>) + 'static,
) {
    warm_up();
    let plan = pki_core::key_plan(spec);
    let sealing = if passphrase.is_some() {
        Sealing::Waiting
    } else {
        Sealing::None
    };
    let id = start(spec, plan, sealing, None, on_progress, on_done);
    if let Some(p) = passphrase {
        crate::sealer::take(p, move |key| sealed(id, key));
    }
}

/// The sealing key of run `id` has come (or could not be derived).
fn sealed(id: u32, key: Result<Uint8Array, String>) {
    let key = match key {
        Ok(k) => k,
        Err(e) => {
            let ours = POOL.with(|p| p.borrow().job.as_ref().is_some_and(|j| j.id == id));
            if ours {
                fail(e);
            }
            return;
        }
    };
    let kept = POOL.with(|p| {
        let mut p = p.borrow_mut();
        match p.job.as_mut() {
            Some(job) if job.id == id && matches!(job.sealing, Sealing::Waiting) => {
                job.sealing = Sealing::Ready(key.clone());
                true
            }
            _ => false,
        }
    });
    if kept {
        dispatch();
    } else {
        // Its run is over (cancelled or failed): not kept.
        protocol::wipe(&key);
    }
}

/// Starts a run: `plan`'s keys on the workers, then the assembly (or the change). Returns
/// the run's id.
fn start(
    spec: &ClusterSpec,
    plan: Vec<KeyRequest>,
    sealing: Sealing,
    change: Option<ChangeInputs>,
    on_progress: impl Fn(Progress) + 'static,
    on_done: impl FnOnce(Result<Outcome, String>) + 'static,
) -> u32 {
    let total = plan.len();
    let id = POOL.with(|p| {
        let mut p = p.borrow_mut();
        p.next_job += 1;
        p.job = Some(Job {
            id: p.next_job,
            spec_json: spec.to_json(),
            sealing,
            keys: vec![None; total],
            primes: (0..total).map(|_| [None, None]).collect(),
            plan,
            phase: Phase::Keys,
            started: now(),
            keys_done_at: 0.0,
            on_progress: Rc::new(on_progress),
            on_done: Some(Box::new(on_done)),
            change,
        });
        p.next_job
    });
    dispatch();
    // Workers that never come up (blocked by the browser, failed to load) are reported.
    later(
        || {
            let stalled = POOL.with(|p| {
                let p = p.borrow();
                p.job.as_ref().is_some_and(|j| j.done() == 0)
            }) && workers_ready() == 0;
            if stalled {
                fail("the key workers did not start; this browser may block Web Workers for this page (open it over http(s), or use a current Chromium or Firefox)".into());
            }
        },
        10000,
    );
    id
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

/// Reads `path` out of `zip` on a worker (the page itself has no zip reader) and hands its
/// bytes to `then`. The zip is copied into a buffer that moves to the worker, which zeroes
/// it after reading.
pub fn read_file(
    zip: &[u8],
    path: &str,
    then: impl FnOnce(Result<Zeroizing<Vec<u8>>, String>) + 'static,
) {
    let path = path.to_string();
    ask_about_zip(
        zip,
        move |request| ToWorker::ReadFile { request, path },
        then,
    );
}

/// Day two: has a worker open the bundle `zip` (pki-core reads it, its certificates and CRL,
/// and lints it) and hands what it found to `then`.
pub fn open_bundle(zip: &[u8], then: impl FnOnce(Result<OpenedFacts, String>) + 'static) {
    ask_about_zip(
        zip,
        |request| ToWorker::OpenBundle { request },
        move |r| {
            then(r.and_then(|json| {
                serde_json::from_slice(&json).map_err(|e| format!("the worker's answer: {e}"))
            }))
        },
    );
}

/// Day two: has a worker check the bundle `zip` against another CA's bundle `other` (the
/// serials they share, as `etcd-pki validate --other-ca`) and hands what it found to `then`.
pub fn check_other_ca(
    zip: &[u8],
    other: &[u8],
    then: impl FnOnce(Result<OtherCaFacts, String>) + 'static,
) {
    ask_about_zips(
        &[zip, other],
        |request| ToWorker::CheckOtherCa { request },
        move |r| {
            then(r.and_then(|json| {
                serde_json::from_slice(&json).map_err(|e| format!("the worker's answer: {e}"))
            }))
        },
    );
}

/// The TLS doctor on a worker: `inputs` (name, bytes) are read and explained there by
/// pki-core's doctor, and its answer goes to `then`.
pub fn diagnose(
    inputs: &[(String, Zeroizing<Vec<u8>>)],
    then: impl FnOnce(Result<crate::protocol::DoctorAnswer, String>) + 'static,
) {
    let names = inputs.iter().map(|(n, _)| n.clone()).collect();
    let bytes: Vec<&[u8]> = inputs.iter().map(|(_, b)| b.as_slice()).collect();
    ask_about_zips(
        &bytes,
        move |request| ToWorker::Diagnose { request, names },
        move |r| {
            then(r.and_then(|json| {
                serde_json::from_slice(&json).map_err(|e| format!("the worker's answer: {e}"))
            }))
        },
    );
}

/// Sends `zip` to an idle worker with the question `msg` makes; its one-buffer answer goes to
/// `then`.
fn ask_about_zip(
    zip: &[u8],
    msg: impl FnOnce(u32) -> ToWorker,
    then: impl FnOnce(Result<Zeroizing<Vec<u8>>, String>) + 'static,
) {
    ask_about_zips(&[zip], msg, then);
}

/// Sends `zips` to an idle worker with the question `msg` makes; its one-buffer answer goes
/// to `then`.
fn ask_about_zips(
    zips: &[&[u8]],
    msg: impl FnOnce(u32) -> ToWorker,
    then: impl FnOnce(Result<Zeroizing<Vec<u8>>, String>) + 'static,
) {
    let sent = POOL.with(|p| {
        let mut p = p.borrow_mut();
        let request = p.next_request;
        p.next_request += 1;
        let slot = p.slots.iter_mut().find(|s| s.state == SlotState::Idle)?;
        let msg = msg(request);
        let buffers = zips.iter().map(|z| protocol::buffer(z)).collect();
        post(&slot.worker, &msg, buffers).then(|| {
            slot.state = SlotState::Reading;
            request
        })
    });
    match sent {
        Some(request) => POOL.with(|p| p.borrow_mut().read = Some((request, Box::new(then)))),
        None => then(Err("no key worker is free; try again in a moment".into())),
    }
}

fn report_progress() {
    let info = POOL.with(|p| {
        let p = p.borrow();
        let job = p.job.as_ref()?;
        let making: Vec<String> = match job.phase {
            Phase::Assembling => vec!["signing the certificates and writing the zip".into()],
            Phase::Keys => p
                .slots
                .iter()
                .filter_map(|s| match &s.state {
                    SlotState::Working { job: id, task } if *id == job.id => match task {
                        Task::Keys(v) => v.first().and_then(|&i| job.plan.get(i)).map(|r| {
                            if v.len() > 1 {
                                format!("{} and {} more", r.label, v.len() - 1)
                            } else {
                                r.label.clone()
                            }
                        }),
                        Task::Join(i) => job.plan.get(*i).map(|r| r.label.clone()),
                        Task::Prime(i, h) => job
                            .plan
                            .get(*i)
                            .map(|r| format!("{} (prime {} of 2)", r.label, h + 1)),
                    },
                    _ => None,
                })
                .collect(),
        };
        Some((
            job.on_progress.clone(),
            Progress {
                done: job.done(),
                total: job.plan.len(),
                making,
            },
        ))
    });
    if let Some((f, p)) = info {
        f(p);
    }
}

/// The tasks of the current job that workers are on.
fn in_flight(slots: &[Slot], job: &Job) -> Vec<Task> {
    slots
        .iter()
        .filter_map(|s| match &s.state {
            SlotState::Working { job: id, task } if *id == job.id => Some(task.clone()),
            _ => None,
        })
        .collect()
}

/// The next task for an idle worker: joining two primes found, else the next prime or batch
/// of keys nobody is on. `None` when there is nothing to do. (Racing a second worker on the
/// last prime search was tried: the loser cannot be stopped short of terminating it, and it
/// kept a worker busy into the next run.)
fn next_task(job: &Job, busy: &[Task], workers: usize) -> Option<Task> {
    let open = |i: usize| job.keys[i].is_none() && !busy.contains(&Task::Join(i));
    let n = job.plan.len();
    if let Some(i) = (0..n).find(|&i| open(i) && job.primes[i].iter().all(Option::is_some)) {
        return Some(Task::Join(i));
    }
    let batched = |i: usize| {
        busy.iter()
            .any(|t| matches!(t, Task::Keys(v) if v.contains(&i)))
    };
    let mut whole = vec![];
    for i in (0..n).filter(|&i| open(i)) {
        if job.plan[i].algorithm.rsa_bits().is_some() {
            let half = (0..2u8).find(|&h| {
                job.primes[i][h as usize].is_none() && !busy.contains(&Task::Prime(i, h))
            });
            if let Some(h) = half {
                return Some(Task::Prime(i, h));
            }
        } else if !batched(i) {
            whole.push(i);
        }
    }
    if let Some(&first) = whole.first() {
        // A batch of keys of one algorithm: about a quarter of each worker's share of what is
        // left (so no worker waits long for the last batch), 1 to 64 keys.
        let algorithm = job.plan[first].algorithm;
        let size = (whole.len() / (4 * workers.max(1))).clamp(1, 64);
        let batch: Vec<usize> = whole
            .into_iter()
            .filter(|&i| job.plan[i].algorithm == algorithm)
            .take(size)
            .collect();
        return Some(Task::Keys(batch));
    }
    None
}

/// Gives every idle worker a task, or, once every key is made, hands them all to one worker
/// to assemble.
fn dispatch() {
    POOL.with(|p| {
        let mut p = p.borrow_mut();
        let Pool { slots, job, .. } = &mut *p;
        let Some(job) = job.as_mut() else { return };
        for i in 0..slots.len() {
            if slots[i].state != SlotState::Idle || job.phase != Phase::Keys {
                continue;
            }
            if job.done() == job.plan.len() {
                if matches!(job.sealing, Sealing::Waiting) {
                    // The sealing key is still being derived; its arrival dispatches again.
                    continue;
                }
                if job.change.is_some() {
                    start_change(&mut slots[i], job);
                } else {
                    start_assembly(&mut slots[i], job);
                }
                continue;
            }
            let busy = in_flight(slots, job);
            let workers = slots.iter().filter(|s| s.state != SlotState::Dead).count();
            let Some(task) = next_task(job, &busy, workers) else {
                continue;
            };
            let (msg, buffers) = match task.clone() {
                Task::Keys(indices) => (
                    ToWorker::MakeKeys {
                        algorithm: job.plan[indices[0]].algorithm,
                        indices,
                    },
                    vec![],
                ),
                Task::Prime(index, half) => (
                    ToWorker::MakePrime {
                        index,
                        half,
                        algorithm: job.plan[index].algorithm,
                    },
                    vec![],
                ),
                // The primes move to the worker: the page keeps no copy.
                Task::Join(index) => (
                    ToWorker::JoinPrimes {
                        index,
                        algorithm: job.plan[index].algorithm,
                    },
                    job.primes[index]
                        .iter_mut()
                        .filter_map(Option::take)
                        .collect(),
                ),
            };
            if post(&slots[i].worker, &msg, buffers) {
                slots[i].state = SlotState::Working { job: job.id, task };
            }
        }
    });
    report_progress();
}

/// Moves every key (and the derived sealing key) to `slot`'s worker: the page keeps no copy.
fn start_assembly(slot: &mut Slot, job: &mut Job) {
    let mut buffers: Vec<Uint8Array> = job.keys.iter_mut().filter_map(Option::take).collect();
    let sealing = match std::mem::replace(&mut job.sealing, Sealing::None) {
        Sealing::Ready(k) => Some(k),
        _ => None,
    };
    let msg = ToWorker::Assemble {
        spec_json: job.spec_json.clone(),
        key_ids: job.plan.iter().map(|r| r.id.clone()).collect(),
        encrypt_ca_key: sealing.is_some(),
    };
    buffers.extend(sealing);
    if post(&slot.worker, &msg, buffers) {
        slot.state = SlotState::Assembling;
        job.phase = Phase::Assembling;
        job.keys_done_at = now();
    }
}

/// Moves the old zip (or CA certificate), the CA key, its passphrase and every new key to
/// `slot`'s worker: the page's copies of the key material are dropped (wiped) here.
fn start_change(slot: &mut Slot, job: &mut Job) {
    let Some(inputs) = job.change.take() else {
        return;
    };
    let mut buffers = vec![
        protocol::buffer(&inputs.first),
        protocol::buffer(&inputs.ca_key),
    ];
    if let Some(p) = &inputs.passphrase {
        buffers.push(protocol::buffer(p.as_bytes()));
    }
    buffers.extend(job.keys.iter_mut().filter_map(Option::take));
    if let Some(p) = &inputs.new_passphrase {
        buffers.push(protocol::buffer(p.as_bytes()));
    }
    let msg = ToWorker::ApplyChange {
        spec_json: job.spec_json.clone(),
        change: inputs.change.clone(),
        opened: inputs.opened,
        with_passphrase: inputs.passphrase.is_some(),
        key_ids: job.plan.iter().map(|r| r.id.clone()).collect(),
        with_new_passphrase: inputs.new_passphrase.is_some(),
        previous_rotation_done: inputs.previous_rotation_done,
    };
    if post(&slot.worker, &msg, buffers) {
        slot.state = SlotState::Assembling;
        job.phase = Phase::Assembling;
        job.keys_done_at = now();
    } else {
        job.change = Some(inputs);
    }
}

/// Day two: reads and checks an existing CA on a worker (certificate, key and passphrase are
/// copied into buffers that move there and are zeroed after reading).
pub fn check_ca(
    cert: &[u8],
    key: &[u8],
    passphrase: Option<&str>,
    then: impl FnOnce(Result<CaFacts, CaRefusal>) + 'static,
) {
    let sent = POOL.with(|p| {
        let mut p = p.borrow_mut();
        let request = p.next_request;
        p.next_request += 1;
        let slot = p.slots.iter_mut().find(|s| s.state == SlotState::Idle)?;
        let mut buffers = vec![protocol::buffer(cert), protocol::buffer(key)];
        if let Some(pass) = passphrase {
            buffers.push(protocol::buffer(pass.as_bytes()));
        }
        let msg = ToWorker::CheckCa {
            request,
            with_passphrase: passphrase.is_some(),
        };
        post(&slot.worker, &msg, buffers).then(|| {
            slot.state = SlotState::Reading;
            request
        })
    });
    match sent {
        Some(request) => POOL.with(|p| p.borrow_mut().ca_check = Some((request, Box::new(then)))),
        None => then(Err(CaRefusal {
            field: CaField::Cert,
            needs_passphrase: false,
            error: "no key worker is free yet; pick the file again in a moment".into(),
        })),
    }
}

/// Day two: applies `inputs.change`. A worker first says which new keys the change needs
/// (pki-core's `plan_change`). Keys are then made on the pool and moved, with the old zip and the
/// CA key, to the worker that signs and zips.
pub fn change(
    spec: &ClusterSpec,
    inputs: ChangeInputs,
    on_progress: impl Fn(Progress) + 'static,
    on_done: impl FnOnce(Result<Outcome, String>) + 'static,
) {
    warm_up();
    let spec = spec.clone();
    when_idle(move || plan_then_start(spec, inputs, on_progress, on_done));
}

fn plan_then_start(
    spec: ClusterSpec,
    inputs: ChangeInputs,
    on_progress: impl Fn(Progress) + 'static,
    on_done: impl FnOnce(Result<Outcome, String>) + 'static,
) {
    let spec2 = spec.clone();
    let sent = POOL.with(|p| {
        let mut p = p.borrow_mut();
        let slot = p.slots.iter_mut().find(|s| s.state == SlotState::Idle)?;
        let msg = ToWorker::PlanChange {
            spec_json: spec.to_json(),
            change: inputs.change.clone(),
            opened: inputs.opened,
        };
        let buffers = if inputs.opened {
            vec![protocol::buffer(&inputs.first)]
        } else {
            vec![]
        };
        post(&slot.worker, &msg, buffers).then(|| {
            slot.state = SlotState::Reading;
        })
    });
    if sent.is_none() {
        return on_done(Err(
            "no key worker is free yet; try again in a moment".into()
        ));
    }
    let planned: PlannedFn = Box::new(move |plan| match plan {
        Ok(plan) => {
            start(
                &spec2,
                plan,
                Sealing::None,
                Some(inputs),
                on_progress,
                on_done,
            );
        }
        Err(e) => on_done(Err(e)),
    });
    POOL.with(|p| p.borrow_mut().planned = Some(planned));
}

fn set_state(i: usize, state: SlotState) {
    POOL.with(|p| {
        if let Some(s) = p.borrow_mut().slots.get_mut(i) {
            s.state = state;
        }
    });
}

/// A worker's message, sent on to the function for its kind. `was` is what the worker was
/// doing when it answered (it is idle now), so an answer for an earlier run is told apart.
fn on_message(i: usize, data: JsValue) {
    let t0 = now();
    let (msg, buffers) = match protocol::open::<FromWorker>(&data) {
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
        FromWorker::Keys { indices, .. } => on_keys(&was, indices, buffers),
        FromWorker::Prime { index, half } => on_prime(&was, index, half, buffers),
        FromWorker::Bundle {
            listing,
            text_lengths,
            ca_key_name,
            ca_key_encrypted,
            assemble_ms,
            zip_ms,
            change,
        } => on_bundle(
            Arrived {
                listing,
                text_lengths,
                ca_key_name,
                ca_key_encrypted,
                assemble_ms,
                zip_ms,
                change,
                t0,
            },
            buffers,
        ),
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
            let bytes = buffers.first().map(protocol::take).unwrap_or_default();
            if let Some(then) = take_read(request) {
                then(Ok(bytes));
            }
        }
        FromWorker::Failed { error } => on_failed(&was, error),
        // Only the sealing worker (`crate::sealer`) sends these.
        FromWorker::SealingKey { .. } => buffers.iter().for_each(protocol::wipe),
    }
}

/// A batch of keys: each kept in its place of the run, or zeroed if the run is over.
fn on_keys(was: &Option<SlotState>, indices: Vec<usize>, buffers: Vec<Uint8Array>) {
    if buffers.len() != indices.len() {
        buffers.iter().for_each(protocol::wipe);
        return fail("a worker sent fewer keys than asked for".into());
    }
    POOL.with(|p| {
        let mut p = p.borrow_mut();
        let mut job = p.job.as_mut().filter(|job| was_for(was, job));
        for (index, der) in indices.into_iter().zip(buffers) {
            if let Some(job) = job.as_deref_mut()
                && let Some(slot @ None) = job.keys.get_mut(index)
            {
                *slot = Some(der);
            } else {
                // Not wanted (a stale answer): zeroed, not kept.
                protocol::wipe(&der);
            }
        }
    });
    dispatch();
}

/// One prime of an RSA key: kept until its other half comes, unless no longer wanted.
fn on_prime(was: &Option<SlotState>, index: usize, half: u8, buffers: Vec<Uint8Array>) {
    let Some(prime) = buffers.into_iter().next() else {
        return fail("a worker sent no prime".into());
    };
    POOL.with(|p| {
        let mut p = p.borrow_mut();
        let Pool { slots, job, .. } = &mut *p;
        if let Some(job) = job.as_mut()
            && was_for(was, job)
            && job.keys.get(index).is_some_and(Option::is_none)
            && !in_flight(slots, job).contains(&Task::Join(index))
            && let Some(slot @ None) = job.primes[index].get_mut(half as usize)
        {
            *slot = Some(prime);
            return;
        }
        // Not wanted (a stale answer): zeroed, not kept.
        protocol::wipe(&prime);
    });
    dispatch();
}

/// What [`FromWorker::Bundle`] says, with when its message arrived.
struct Arrived {
    listing: Listing,
    text_lengths: Vec<u32>,
    ca_key_name: String,
    ca_key_encrypted: bool,
    assemble_ms: f64,
    zip_ms: f64,
    change: Option<ChangeCounts>,
    t0: f64,
}

/// The finished bundle: the run's outcome, handed to whoever started it.
fn on_bundle(a: Arrived, buffers: Vec<Uint8Array>) {
    let Some(mut job) = POOL.with(|p| p.borrow_mut().job.take()) else {
        buffers.iter().for_each(protocol::wipe);
        return;
    };
    let [zip, ca_key, texts] = buffers.as_slice() else {
        buffers.iter().for_each(protocol::wipe);
        return finish(job, Err("the worker sent no zip".into()));
    };
    let mut listing = a.listing;
    if let Err(e) = protocol::join_texts(&mut listing, &texts.to_vec(), &a.text_lengths) {
        buffers.iter().for_each(protocol::wipe);
        return finish(job, Err(e));
    }
    let outcome = Outcome {
        listing,
        zip: protocol::take(zip),
        // Empty for a day-two change, except a rotation's new CA key.
        ca_key: protocol::take(ca_key),
        ca_key_name: a.ca_key_name,
        ca_key_encrypted: a.ca_key_encrypted,
        keygen_ms: job.keys_done_at - job.started,
        assemble_ms: a.assemble_ms,
        zip_ms: a.zip_ms,
        total_ms: now() - job.started,
        parse_ms: now() - a.t0,
        workers: POOL.with(|p| {
            p.borrow()
                .slots
                .iter()
                .filter(|s| s.state != SlotState::Dead)
                .count()
        }),
        change: a.change,
    };
    if let Some(f) = job.on_done.take() {
        f(Ok(outcome));
    }
}

/// A worker could not do what it was asked: the question's asker hears it, or the run fails.
fn on_failed(was: &Option<SlotState>, error: String) {
    if *was == Some(SlotState::Reading) {
        let (read, ca, planned) = POOL.with(|p| {
            let mut p = p.borrow_mut();
            (p.read.take(), p.ca_check.take(), p.planned.take())
        });
        if let Some((_, then)) = read {
            then(Err(error));
        } else if let Some((_, then)) = ca {
            then(Err(CaRefusal {
                field: CaField::Cert,
                needs_passphrase: false,
                error,
            }));
        } else if let Some(then) = planned {
            then(Err(error));
        }
    } else {
        fail(error);
    }
}

fn take_ca_check(request: u32) -> Option<CaFn> {
    POOL.with(|p| {
        let mut p = p.borrow_mut();
        match p.ca_check.take() {
            Some((r, then)) if r == request => Some(then),
            other => {
                p.ca_check = other;
                None
            }
        }
    })
}

/// Whether a worker that was in state `was` worked for `job` (not for an earlier run).
fn was_for(was: &Option<SlotState>, job: &Job) -> bool {
    matches!(was, Some(SlotState::Working { job: id, .. }) if *id == job.id)
}

fn take_read(request: u32) -> Option<ReadFn> {
    POOL.with(|p| {
        let mut p = p.borrow_mut();
        match p.read.take() {
            Some((r, then)) if r == request => Some(then),
            other => {
                p.read = other;
                None
            }
        }
    })
}

fn on_worker_error(i: usize) {
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

fn fail(msg: String) {
    if let Some(job) = POOL.with(|p| p.borrow_mut().job.take()) {
        finish(job, Err(msg));
    }
}

fn finish(mut job: Job, result: Result<Outcome, String>) {
    if let Some(f) = job.on_done.take() {
        f(result);
    }
}
