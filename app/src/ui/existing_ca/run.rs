//! Starting a day-two change on the workers: the secrets move there, the result shows like a
//! generated bundle's, and the CA key and its passphrase are dropped once the change is done.

use std::sync::Arc;

use leptos::prelude::*;
use zeroize::{Zeroize, Zeroizing};

use crate::browser;
use crate::change_form::Source;
use crate::ui::{Ctx, GenState, Generated};
use crate::workers::{self, ChangeInputs};
use protocol::{ChangeRequest, Secrets};

use super::*;

/// Runs `change` on a worker: the opened bundle's zip (or the existing CA's certificate), the
/// CA key and passphrase move there; the result shows like a generated bundle's. Once it is
/// done (made or refused) the page drops the CA key and its passphrase.
pub(super) fn run_change(ctx: Ctx, d: DayTwo, change: ChangeRequest) {
    run_change_with(ctx, d, change, None);
}

/// [`run_change`] with a rotation's passphrase for the new CA key.
pub(super) fn run_change_with(
    ctx: Ctx,
    d: DayTwo,
    change: ChangeRequest,
    new_passphrase: Option<Zeroizing<String>>,
) {
    d.last.set(Some(change.clone()));
    let new_key_sealed = new_passphrase.is_some();
    let Some(inputs) = inputs(d, change, new_passphrase) else {
        return;
    };
    let spec = ctx.spec.get_untracked();
    let status = ctx.status;
    ctx.forget_keys();
    status.set(GenState::Running(workers::Progress {
        done: 0,
        total: 0,
        making: vec![],
    }));
    browser::set_busy(true);
    let made_from = spec.clone();
    workers::change(
        &spec,
        inputs,
        move |p| status.set(GenState::Running(p)),
        move |result| {
            // A rotation's new CA key sealed: its passphrase did its job, out of the fields
            // and wiped, as after Generate (a failed run keeps it, to try again).
            if new_key_sealed && result.is_ok() {
                ctx.ca_key.update(|k| {
                    k.passphrase.zeroize();
                    k.confirm.zeroize();
                });
            }
            status.set(match result {
                Ok(o) => {
                    // pki-core's summary, as it wrote it.
                    let summary = o.change.as_ref().map(|c| c.summary.clone());
                    GenState::Done(Arc::new(Generated {
                        outcome: o,
                        summary: summary.unwrap_or_default(),
                        spec: made_from,
                    }))
                }
                Err(e) => GenState::Failed(e),
            });
            // Done, whichever way: the person gives the key and passphrase again for the
            // next change (issue #21 item 14).
            d.drop_ca_key();
            browser::set_busy(false);
        },
    );
}

/// What the worker needs for `change`, copied out of the day-two signals: the opened
/// bundle's zip (or the existing CA's certificate), the CA key, its passphrase when it is
/// encrypted (a new issuing CA: the root key and its passphrase instead), a rotation's new
/// passphrase. `None` while a file is missing.
fn inputs(
    d: DayTwo,
    change: ChangeRequest,
    new_passphrase: Option<Zeroizing<String>>,
) -> Option<ChangeInputs> {
    let utf8 = |p: &str| Zeroizing::new(p.as_bytes().to_vec());
    if change == ChangeRequest::RotateIssuer {
        let root = d.root_key.get_untracked()?;
        let zip = d
            .opened
            .with_untracked(|o| o.as_ref().map(|o| o.zip.clone()))?;
        let pass = Zeroizing::new(d.root_passphrase.get_untracked());
        return Some(ChangeInputs {
            change,
            secrets: Secrets {
                zip: Some(zip),
                root_key: Some(root.bytes.clone()),
                root_passphrase: (!pass.is_empty()).then(|| utf8(&pass)),
                new_passphrase: new_passphrase.as_deref().map(|p| utf8(p)),
                ..Default::default()
            },
            previous_rotation_done: d.previous_done.get_untracked(),
        });
    }
    let opened = d.source.get_untracked() == Source::Bundle;
    let key = d.ca_key.get_untracked()?;
    let zip = opened
        .then(|| {
            d.opened
                .with_untracked(|o| o.as_ref().map(|o| o.zip.clone()))
        })
        .flatten();
    let ca_cert = (!opened)
        .then(|| {
            d.ca_cert
                .with_untracked(|c| c.as_ref().map(|c| c.bytes.clone()))
        })
        .flatten();
    if zip.is_none() && ca_cert.is_none() {
        return None;
    }
    let pass = Zeroizing::new(d.passphrase.get_untracked());
    Some(ChangeInputs {
        change,
        secrets: Secrets {
            zip,
            ca_cert,
            ca_key: Some(key.bytes.clone()),
            passphrase: (d.needs_passphrase.get_untracked() && !pass.is_empty())
                .then(|| utf8(&pass)),
            new_passphrase: new_passphrase.as_deref().map(|p| utf8(p)),
            ..Default::default()
        },
        previous_rotation_done: d.previous_done.get_untracked(),
    })
}
