//! The questions the page asks one idle worker: read a file out of a zip, open a bundle,
//! check another CA's bundle, diagnose, check an existing CA, and plan then start a change
//! (each a pki-core call in the worker; the page only waits for the answer).

use js_sys::Uint8Array;
use pki_core::ClusterSpec;
use protocol::{self, CaFacts, CaField, OpenedFacts, OtherCaFacts, Secrets, ToWorker};
use zeroize::Zeroizing;

use super::pool::*;
use super::scheduler::*;
use super::*;

/// Reads `path` out of `zip` on a worker (the page itself has no zip reader) and hands its
/// bytes to `then`. The zip is copied into a buffer that moves to the worker, which zeroes
/// it after reading.
pub fn read_file(
    zip: &[u8],
    path: &str,
    then: impl FnOnce(Result<Zeroizing<Vec<u8>>, String>) + 'static,
) {
    let path = path.to_string();
    ask(
        || Secrets {
            zip: Some(protocol::buffer(zip)),
            ..Default::default()
        },
        move |request| ToWorker::ReadFile { request, path },
        then,
    );
}

/// Day two: has a worker open the bundle `zip` (pki-core reads it, its certificates and CRL,
/// and lints it) and hands what it found to `then`.
pub fn open_bundle(zip: &[u8], then: impl FnOnce(Result<OpenedFacts, String>) + 'static) {
    ask(
        || Secrets {
            zip: Some(protocol::buffer(zip)),
            ..Default::default()
        },
        |request| ToWorker::OpenBundle { request },
        move |r| then(r.and_then(|json| parse(&json))),
    );
}

/// Day two: has a worker check the bundle `zip` against another CA's bundle `other` (the
/// serials they share, as `etcd-pki validate --other-ca`) and hands what it found to `then`.
pub fn check_other_ca(
    zip: &[u8],
    other: &[u8],
    then: impl FnOnce(Result<OtherCaFacts, String>) + 'static,
) {
    ask(
        || Secrets {
            zip: Some(protocol::buffer(zip)),
            other_zip: Some(protocol::buffer(other)),
            ..Default::default()
        },
        |request| ToWorker::CheckOtherCa { request },
        move |r| then(r.and_then(|json| parse(&json))),
    );
}

/// The TLS doctor on a worker: `inputs` (name, bytes) are read and explained there by
/// pki-core's doctor, and its answer goes to `then`.
pub fn diagnose(
    inputs: &[(String, Zeroizing<Vec<u8>>)],
    then: impl FnOnce(Result<protocol::DoctorAnswer, String>) + 'static,
) {
    let names = inputs.iter().map(|(n, _)| n.clone()).collect();
    ask(
        || Secrets {
            files: inputs.iter().map(|(_, b)| protocol::buffer(b)).collect(),
            ..Default::default()
        },
        move |request| ToWorker::Diagnose { request, names },
        move |r| then(r.and_then(|json| parse(&json))),
    );
}

/// A worker's JSON answer.
fn parse<T: serde::de::DeserializeOwned>(json: &[u8]) -> Result<T, String> {
    serde_json::from_slice(json).map_err(|e| format!("the worker's answer: {e}"))
}

/// Sends an idle worker the question `msg` makes, with the `secrets` it is about (made only
/// once a worker is free, and moved there); the `file` of its answer goes to `then`.
pub(super) fn ask(
    secrets: impl FnOnce() -> Secrets<Uint8Array>,
    msg: impl FnOnce(u32) -> ToWorker,
    then: impl FnOnce(Result<Zeroizing<Vec<u8>>, String>) + 'static,
) {
    let sent = POOL.with(|p| {
        let mut p = p.borrow_mut();
        let request = p.next_request;
        p.next_request += 1;
        let slot = p.slots.iter_mut().find(|s| s.state == SlotState::Idle)?;
        post(&slot.worker, &msg(request), secrets()).then(|| {
            slot.state = SlotState::Reading;
            request
        })
    });
    match sent {
        Some(request) => POOL.with(|p| p.borrow_mut().read = Some((request, Box::new(then)))),
        None => then(Err("no key worker is free; try again in a moment".into())),
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
        let secrets = Secrets {
            ca_cert: Some(protocol::buffer(cert)),
            ca_key: Some(protocol::buffer(key)),
            passphrase: passphrase.map(|p| protocol::buffer(p.as_bytes())),
            ..Default::default()
        };
        let msg = ToWorker::CheckCa { request };
        post(&slot.worker, &msg, secrets).then(|| {
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

pub(super) fn plan_then_start(
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
        };
        let secrets = Secrets {
            zip: inputs.secrets.zip.as_deref().map(|z| protocol::buffer(z)),
            ..Default::default()
        };
        post(&slot.worker, &msg, secrets).then(|| {
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

/// A worker could not do what it was asked: the question's asker hears it, or the run fails.
pub(super) fn on_failed(was: &Option<SlotState>, error: String) {
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

pub(super) fn take_ca_check(request: u32) -> Option<CaFn> {
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

pub(super) fn take_read(request: u32) -> Option<ReadFn> {
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
