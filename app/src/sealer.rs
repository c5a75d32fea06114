//! The CA key passphrase's slow step, done ahead: as soon as both passphrase fields agree
//! (the form calls [`derive_ahead`] after a pause in typing), a worker of its own derives the
//! key that seals the CA key (PBKDF2, 600,000 rounds: most of a second in wasm), so that
//! Generate does not wait for it. It is its own worker, not one of the key pool's, so a click
//! never queues behind a derivation, and a derivation never behind a long RSA run.
//!
//! Two passphrases can be wanted at once, each in its own slot ([`Which`]): the CA key's and,
//! for a root+issuing bundle, the root key's; the worker derives one at a time.
//!
//! A derived key seals one file: [`take`] hands it to a generation and forgets it, and the
//! next generation derives afresh (a new salt). The page keeps the derived key only in a JS
//! buffer until it moves to the assembling worker; a stale one (the passphrase changed) is
//! zeroed. The passphrase is kept here, beside its derivation, only to tell whether the
//! derivation is still the one the fields ask for; it is wiped when it goes.

use std::cell::RefCell;

use js_sys::Uint8Array;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{MessageEvent, Worker, WorkerOptions};
use zeroize::Zeroizing;

use protocol::{self, FromWorker, ToWorker};

type TakeFn = Box<dyn FnOnce(Result<Uint8Array, String>)>;

struct Running {
    worker: Worker,
    _on_message: Closure<dyn Fn(MessageEvent)>,
    _on_error: Closure<dyn Fn(web_sys::Event)>,
}

/// Which key a passphrase seals.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Which {
    /// The CA key (the issuing CA's in root+issuing).
    Ca = 0,
    /// The root key (root+issuing).
    Root = 1,
}

/// One passphrase's derivation.
#[derive(Default)]
struct Slot {
    /// The passphrase the fields hold, and the request that derives its key.
    wanted: Option<(u32, Zeroizing<String>)>,
    /// The derived key of `wanted`, once it came.
    derived: Option<Uint8Array>,
    /// A generation waiting for the key of `wanted`.
    waiting: Option<TakeFn>,
}

#[derive(Default)]
struct Sealer {
    running: Option<Running>,
    /// The worker said it listens.
    listening: bool,
    /// The request the worker is on.
    busy: Option<u32>,
    next: u32,
    slots: [Slot; 2],
}

thread_local! {
    static SEALER: RefCell<Sealer> = RefCell::new(Sealer::default());
}

/// The fields of `which` hold `passphrase` (both agree and it is long enough), or nothing
/// usable (`None`): derives its key ahead, or drops what was derived for an earlier text.
pub fn derive_ahead(which: Which, passphrase: Option<Zeroizing<String>>) {
    SEALER.with(|s| {
        let mut s = s.borrow_mut();
        let s = &mut *s;
        let next = &mut s.next;
        let slot = &mut s.slots[which as usize];
        let same = match (&slot.wanted, &passphrase) {
            (Some((_, w)), Some(p)) => w.as_str() == p.as_str(),
            _ => false,
        };
        if same {
            return;
        }
        if let Some(d) = slot.derived.take() {
            protocol::wipe(&d);
        }
        slot.wanted = passphrase.map(|p| {
            *next += 1;
            (*next, p)
        });
    });
    kick();
}

/// The derived key of `passphrase` for one generation, to `then`: at once when it was
/// derived ahead, else when the derivation ends. It is forgotten here either way.
pub fn take(
    which: Which,
    passphrase: Zeroizing<String>,
    then: impl FnOnce(Result<Uint8Array, String>) + 'static,
) {
    derive_ahead(which, Some(passphrase));
    let mut then: Option<TakeFn> = Some(Box::new(then));
    let ready = SEALER.with(|s| {
        let mut s = s.borrow_mut();
        if s.running.is_none() {
            return Err("the sealing worker did not start; this browser may block Web Workers for this page".to_string());
        }
        let slot = &mut s.slots[which as usize];
        Ok(match slot.derived.take() {
            Some(d) => {
                slot.wanted = None;
                Some(d)
            }
            None => {
                slot.waiting = then.take();
                None
            }
        })
    });
    if let Some(then) = then {
        match ready {
            Ok(Some(d)) => then(Ok(d)),
            Err(e) => then(Err(e)),
            Ok(None) => {}
        }
    }
}

/// Starts the worker if needed, and sends it the first wanted passphrase whose key is not
/// derived yet when it is free.
fn kick() {
    // Started on the first passphrase, not with the page (most visits never type one).
    if SEALER.with(|s| s.borrow().slots.iter().all(|x| x.wanted.is_none())) {
        return;
    }
    start();
    let to_send = SEALER.with(|s| {
        let s = s.borrow();
        if !s.listening || s.busy.is_some() {
            return None;
        }
        s.slots
            .iter()
            .filter(|x| x.derived.is_none())
            .find_map(|x| x.wanted.as_ref().map(|(id, p)| (*id, p.clone())))
    });
    let Some((request, passphrase)) = to_send else {
        return;
    };
    let sent = SEALER.with(|s| {
        let s = s.borrow();
        let w = &s.running.as_ref()?.worker;
        let out = protocol::envelope(
            &ToWorker::DeriveSealingKey { request },
            protocol::Secrets {
                passphrase: Some(protocol::buffer(passphrase.as_bytes())),
                ..Default::default()
            },
        )
        .ok()?;
        w.post_message_with_transfer(&out.message, &out.transfer)
            .ok()
    });
    if sent.is_some() {
        SEALER.with(|s| s.borrow_mut().busy = Some(request));
        // For the page benchmark: when the derivation started.
        crate::browser::set_field("sealingAskedAt", JsValue::from_f64(crate::workers::now()));
    }
}

/// The sealing worker, started once (it takes its wasm from the page like the key pool).
fn start() {
    let started = SEALER.with(|s| s.borrow().running.is_some());
    if started {
        return;
    }
    let Some(url) = crate::workers::worker_url() else {
        return;
    };
    let options = WorkerOptions::new();
    options.set_name(protocol::SEALER_NAME);
    let Ok(worker) = Worker::new_with_options(&url, &options) else {
        return;
    };
    let on_message = Closure::<dyn Fn(MessageEvent)>::new(|ev: MessageEvent| on_message(ev.data()));
    let on_error = Closure::<dyn Fn(web_sys::Event)>::new(|_| on_error());
    worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    crate::workers::send_module(&worker);
    SEALER.with(|s| {
        s.borrow_mut().running = Some(Running {
            worker,
            _on_message: on_message,
            _on_error: on_error,
        })
    });
}

fn on_message(data: JsValue) {
    let (msg, secrets) = match protocol::open::<FromWorker>(&data) {
        Ok(m) => m,
        Err(e) => return failed(e),
    };
    match msg {
        FromWorker::Ready { .. } => SEALER.with(|s| s.borrow_mut().listening = true),
        FromWorker::SealingKey { request } => {
            let Some(key) = secrets.sealing_key else {
                return failed("the sealing worker sent no key".into());
            };
            let waiting = SEALER.with(|s| {
                let mut s = s.borrow_mut();
                s.busy = None;
                let Some(slot) = s
                    .slots
                    .iter_mut()
                    .find(|x| x.wanted.as_ref().map(|(id, _)| *id) == Some(request))
                else {
                    // Derived for a text the fields no longer hold.
                    protocol::wipe(&key);
                    return None;
                };
                match slot.waiting.take() {
                    Some(then) => {
                        slot.wanted = None;
                        Some((then, key))
                    }
                    None => {
                        slot.derived = Some(key);
                        None
                    }
                }
            });
            crate::browser::set_field("sealingKeyAt", JsValue::from_f64(crate::workers::now()));
            if let Some((then, key)) = waiting {
                then(Ok(key));
            }
        }
        FromWorker::Failed { error } => {
            SEALER.with(|s| s.borrow_mut().busy = None);
            return failed(error);
        }
        _ => secrets.wipe(),
    }
    kick();
}

/// The waiting generation hears why; the fields' text is asked for again next time.
fn failed(error: String) {
    let waiting: Vec<TakeFn> = SEALER.with(|s| {
        let mut s = s.borrow_mut();
        s.slots
            .iter_mut()
            .filter_map(|x| {
                x.wanted = None;
                x.waiting.take()
            })
            .collect()
    });
    for then in waiting {
        then(Err(format!("deriving a key's sealing key: {error}")));
    }
}

fn on_error() {
    SEALER.with(|s| {
        let mut s = s.borrow_mut();
        s.running = None;
        s.listening = false;
        s.busy = None;
    });
    failed("the sealing worker stopped with an error; see the browser console".into());
}
