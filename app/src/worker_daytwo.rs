//! The key worker's day-two answers: reading an existing CA (certificate, key, passphrase)
//! and, once pki-core's day-two API is merged, planning and applying a change to an opened
//! bundle. Included by `keygen-worker`; every secret buffer is taken (copied into memory
//! wiped on drop, the JS buffer zeroed) before anything else happens.

use js_sys::Uint8Array;
use pki_core::{Error, OffsetDateTime, ca_import};

use crate::protocol::{self, CaFacts, CaField, ChangeRequest, FromWorker};

type Reply = (FromWorker, Vec<Uint8Array>);

/// Which field an existing CA's error belongs beside, and the page's wording for the two
/// passphrase errors (pki-core's name the CLI's `--ca-passphrase-file`).
pub fn ca_error(e: &Error) -> (CaField, bool, String) {
    match e {
        Error::CaPassphraseNeeded => (
            CaField::Passphrase,
            true,
            "The CA key is encrypted: type its passphrase.".into(),
        ),
        Error::CaPassphraseWrong => (
            CaField::Passphrase,
            true,
            "This passphrase does not decrypt the CA key: check it and type it again.".into(),
        ),
        Error::CaKeyMismatch { .. } => (CaField::Key, false, e.to_string()),
        Error::CaUnreadable { file, .. } if file.contains("key") => {
            (CaField::Key, false, e.to_string())
        }
        _ => (CaField::Cert, false, e.to_string()),
    }
}

/// Reads and checks the CA in `buffers` (certificate, key, passphrase when asked): its facts,
/// or the error beside the field at fault. An expired or not-yet-valid CA is refused here.
pub fn check_ca(request: u32, with_passphrase: bool, buffers: &[Uint8Array]) -> Reply {
    let secrets: Vec<_> = buffers.iter().map(protocol::take).collect();
    let refused = |e: &Error| {
        let (field, needs_passphrase, error) = ca_error(e);
        (
            FromWorker::CaRefused {
                request,
                field,
                needs_passphrase,
                error,
            },
            vec![],
        )
    };
    let (Some(cert), Some(key)) = (secrets.first(), secrets.get(1)) else {
        return (
            FromWorker::Failed {
                error: "the CA certificate or key did not reach the worker".into(),
            },
            vec![],
        );
    };
    let passphrase = secrets.get(2).filter(|_| with_passphrase);
    let ca = match ca_import::import_ca(cert, key, passphrase.map(|p| p.as_slice())) {
        Ok(ca) => ca,
        Err(e) => return refused(&e),
    };
    let now = OffsetDateTime::now_utc();
    if let Err(e) = ca_import::check_validity(&ca, now, now) {
        return refused(&e);
    }
    (
        FromWorker::CaChecked {
            request,
            ca: CaFacts {
                subject: ca.subject.clone(),
                algorithm: ca.algorithm,
                not_before: pki_core::bundle::rfc3339(ca.not_before),
                not_after: pki_core::bundle::rfc3339(ca.not_after),
                days_left: ca.days_left(now),
                warnings: ca.warnings.clone(),
            },
        },
        vec![],
    )
}

/// The new keys `change` needs. TODO(daytwo-ops): `pki_core::daytwo::plan_change`.
pub fn plan_change(_spec_json: &str, _change: &ChangeRequest, buffers: &[Uint8Array]) -> Reply {
    buffers.iter().for_each(protocol::wipe);
    not_yet()
}

/// Signs and zips the change. TODO(daytwo-ops): `pki_core::daytwo::apply_change`.
pub fn apply_change(buffers: &[Uint8Array]) -> Reply {
    buffers.iter().for_each(protocol::wipe);
    not_yet()
}

fn not_yet() -> Reply {
    (
        FromWorker::Failed {
            error: "this build of etcd-pki cannot change a bundle yet (pki-core's day-two API is not in it)".into(),
        },
        vec![],
    )
}
