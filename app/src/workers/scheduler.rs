//! One run at a time across the pool: which worker makes which key (whole keys in batches,
//! an RSA key as two prime searches and a join), then the hand-over of every key to the one
//! worker that signs and zips, and the run's outcome.

use js_sys::Uint8Array;
use pki_core::{ClusterSpec, KeyRequest};
use protocol::{self, FromWorker, Secrets, ToWorker};
use std::rc::Rc;
use zeroize::Zeroizing;

use super::pool::*;
use super::*;

/// One piece of a generation's key work, for one worker.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Task {
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

/// Where a generation stands.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Phase {
    /// Keys being made.
    Keys,
    /// Every key made; a worker is signing and zipping.
    Assembling,
}

/// The key that seals the CA key, for a generation (`crate::sealer` derives it).
pub(super) enum Sealing {
    /// The CA key stays unencrypted (the person chose it, or a day-two change).
    None,
    /// Being derived: the assembly waits for it.
    Waiting,
    /// Derived: moves to the assembling worker with the keys.
    Ready(Uint8Array),
}

pub(super) struct Job {
    /// Tells this run's answers from an earlier run's.
    pub(super) id: u32,
    pub(super) spec_json: String,
    pub(super) sealing: Sealing,
    /// The key that seals the root key (root+issuing; `None` for a single CA or a change).
    pub(super) root_sealing: Sealing,
    pub(super) plan: Vec<KeyRequest>,
    /// The keys made so far, as the buffers they arrived in.
    pub(super) keys: Vec<Option<Uint8Array>>,
    /// The primes of RSA keys found so far, until they are joined into their key.
    pub(super) primes: Vec<[Option<Uint8Array>; 2]>,
    pub(super) phase: Phase,
    pub(super) started: f64,
    pub(super) keys_done_at: f64,
    pub(super) on_progress: ProgressFn,
    pub(super) on_done: Option<DoneFn>,
    /// Set for a day-two change: what the assembling worker gets instead of a CA key.
    pub(super) change: Option<ChangeInputs>,
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
        for s in [&self.sealing, &self.root_sealing] {
            if let Sealing::Ready(k) = s {
                protocol::wipe(k);
            }
        }
    }
}

/// Generates the bundle of `spec`, the CA key encrypted with `passphrase` if given and a
/// root+issuing bundle's root key with `root` (with the keys `crate::sealer` derived from
/// them, ahead if the fields asked in time; the passphrases themselves go no further).
/// `on_progress` is called as keys are made; `on_done` once (never after [`cancel`]).
pub fn generate(
    spec: &ClusterSpec,
    passphrase: Option<Zeroizing<String>>,
    root: Option<Zeroizing<String>>,
    on_progress: impl Fn(Progress) + 'static,
    on_done: impl FnOnce(Result<Outcome, String>) + 'static,
) {
    use crate::sealer::Which;
    warm_up();
    let plan = pki_core::key_plan(spec);
    let waiting = |p: &Option<Zeroizing<String>>| {
        if p.is_some() {
            Sealing::Waiting
        } else {
            Sealing::None
        }
    };
    let id = start(spec, plan, waiting(&passphrase), None, on_progress, on_done);
    POOL.with(|p| {
        if let Some(job) = p.borrow_mut().job.as_mut() {
            job.root_sealing = waiting(&root);
        }
    });
    for (which, p) in [(Which::Ca, passphrase), (Which::Root, root)] {
        if let Some(p) = p {
            crate::sealer::take(which, p, move |key| sealed(id, which, key));
        }
    }
}

/// The sealing key `which` of run `id` has come (or could not be derived).
pub(super) fn sealed(id: u32, which: crate::sealer::Which, key: Result<Uint8Array, String>) {
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
        let Some(job) = p.job.as_mut().filter(|job| job.id == id) else {
            return false;
        };
        let slot = match which {
            crate::sealer::Which::Ca => &mut job.sealing,
            crate::sealer::Which::Root => &mut job.root_sealing,
        };
        if matches!(slot, Sealing::Waiting) {
            *slot = Sealing::Ready(key.clone());
            true
        } else {
            false
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
pub(super) fn start(
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
            root_sealing: Sealing::None,
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

pub(super) fn report_progress() {
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
pub(super) fn in_flight(slots: &[Slot], job: &Job) -> Vec<Task> {
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
pub(super) fn next_task(job: &Job, busy: &[Task], workers: usize) -> Option<Task> {
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
pub(super) fn dispatch() {
    POOL.with(|p| {
        let mut p = p.borrow_mut();
        let Pool { slots, job, .. } = &mut *p;
        let Some(job) = job.as_mut() else { return };
        for i in 0..slots.len() {
            if slots[i].state != SlotState::Idle || job.phase != Phase::Keys {
                continue;
            }
            if job.done() == job.plan.len() {
                if matches!(job.sealing, Sealing::Waiting)
                    || matches!(job.root_sealing, Sealing::Waiting)
                {
                    // A sealing key is still being derived; its arrival dispatches again.
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
            let (msg, secrets) = match task.clone() {
                Task::Keys(indices) => (
                    ToWorker::MakeKeys {
                        algorithm: job.plan[indices[0]].algorithm,
                        indices,
                    },
                    Secrets::default(),
                ),
                Task::Prime(index, half) => (
                    ToWorker::MakePrime {
                        index,
                        half,
                        algorithm: job.plan[index].algorithm,
                    },
                    Secrets::default(),
                ),
                // The primes move to the worker: the page keeps no copy.
                Task::Join(index) => (
                    ToWorker::JoinPrimes {
                        index,
                        algorithm: job.plan[index].algorithm,
                    },
                    Secrets {
                        primes: job.primes[index]
                            .iter_mut()
                            .filter_map(Option::take)
                            .collect(),
                        ..Default::default()
                    },
                ),
            };
            if post(&slots[i].worker, &msg, secrets) {
                slots[i].state = SlotState::Working { job: job.id, task };
            }
        }
    });
    report_progress();
}

/// Moves every key (and the derived sealing keys) to `slot`'s worker: the page keeps no copy.
pub(super) fn start_assembly(slot: &mut Slot, job: &mut Job) {
    let ready = |s: &mut Sealing| match std::mem::replace(s, Sealing::None) {
        Sealing::Ready(k) => Some(k),
        _ => None,
    };
    let secrets = Secrets {
        keys: job.keys.iter_mut().filter_map(Option::take).collect(),
        sealing_key: ready(&mut job.sealing),
        root_sealing_key: ready(&mut job.root_sealing),
        ..Default::default()
    };
    let msg = ToWorker::Assemble {
        spec_json: job.spec_json.clone(),
        key_ids: job.plan.iter().map(|r| r.id.clone()).collect(),
    };
    if post(&slot.worker, &msg, secrets) {
        slot.state = SlotState::Assembling;
        job.phase = Phase::Assembling;
        job.keys_done_at = now();
    }
}

/// Moves the old zip (or CA certificate), the CA key, its passphrase and every new key to
/// `slot`'s worker: the page's copies of the key material are dropped (wiped) here.
pub(super) fn start_change(slot: &mut Slot, job: &mut Job) {
    let Some(mut inputs) = job.change.take() else {
        return;
    };
    let mut secrets = inputs.secrets.to_buffers();
    secrets.keys = job.keys.iter_mut().filter_map(Option::take).collect();
    let msg = ToWorker::ApplyChange {
        spec_json: job.spec_json.clone(),
        change: inputs.change.clone(),
        key_ids: job.plan.iter().map(|r| r.id.clone()).collect(),
        previous_rotation_done: inputs.previous_rotation_done,
    };
    if post(&slot.worker, &msg, secrets) {
        slot.state = SlotState::Assembling;
        job.phase = Phase::Assembling;
        job.keys_done_at = now();
    } else {
        job.change = Some(inputs);
    }
}

/// A batch of keys: each kept in its place of the run, or zeroed if the run is over.
pub(super) fn on_keys(was: &Option<SlotState>, indices: Vec<usize>, secrets: Secrets<Uint8Array>) {
    let buffers = secrets.keys;
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
pub(super) fn on_prime(
    was: &Option<SlotState>,
    index: usize,
    half: u8,
    secrets: Secrets<Uint8Array>,
) {
    let Some(prime) = secrets.primes.into_iter().next() else {
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

/// The finished bundle ([`FromWorker::Bundle`], its message arrived at `t0`): the run's
/// outcome, handed to whoever started it.
pub(super) fn on_bundle(msg: FromWorker, t0: f64, secrets: Secrets<Uint8Array>) {
    let (
        Some(mut job),
        FromWorker::Bundle {
            mut listing,
            text_lengths,
            ca_key_name,
            ca_key_encrypted,
            root_key_name,
            assemble_ms,
            zip_ms,
            change,
        },
    ) = (POOL.with(|p| p.borrow_mut().job.take()), msg)
    else {
        secrets.wipe();
        return;
    };
    let secrets = secrets.take();
    let (Some(zip), Some(texts)) = (secrets.zip, secrets.texts) else {
        return finish(job, Err("the worker sent no zip".into()));
    };
    if let Err(e) = protocol::join_texts(&mut listing, &texts, &text_lengths) {
        return finish(job, Err(e));
    }
    let outcome = Outcome {
        listing,
        zip,
        // None for a day-two change, except a rotation's new CA key.
        ca_key: secrets.ca_key.unwrap_or_default(),
        ca_key_name,
        ca_key_encrypted,
        root_key: secrets.root_key.unwrap_or_default(),
        root_key_name,
        keygen_ms: job.keys_done_at - job.started,
        assemble_ms,
        zip_ms,
        total_ms: now() - job.started,
        parse_ms: now() - t0,
        workers: POOL.with(|p| {
            p.borrow()
                .slots
                .iter()
                .filter(|s| s.state != SlotState::Dead)
                .count()
        }),
        change,
    };
    if let Some(f) = job.on_done.take() {
        f(Ok(outcome));
    }
}

/// Whether a worker that was in state `was` worked for `job` (not for an earlier run).
pub(super) fn was_for(was: &Option<SlotState>, job: &Job) -> bool {
    matches!(was, Some(SlotState::Working { job: id, .. }) if *id == job.id)
}

pub(super) fn fail(msg: String) {
    if let Some(job) = POOL.with(|p| p.borrow_mut().job.take()) {
        finish(job, Err(msg));
    }
}

pub(super) fn finish(mut job: Job, result: Result<Outcome, String>) {
    if let Some(f) = job.on_done.take() {
        f(result);
    }
}
