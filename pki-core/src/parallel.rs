//! Key generation on every core. The keys of a bundle are independent, so the command line
//! makes them on one thread per core (scoped threads pulling the next entry of the key plan),
//! then signs and zips on one thread in the plan's order: the output is the same as a
//! one-thread run's, only sooner. RSA (prime search, tens of milliseconds per key) is where
//! it counts. In a browser (wasm32, no threads) it runs in turn; the page has its own worker
//! pool instead.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::error::Error;
use crate::keys::{Keys, PrivateKey};
use crate::plan::KeyRequest;

/// Makes a key for every entry of `plan`, on up to `threads` threads, and returns them by the
/// plan's id. The first failure is returned (after the other threads finish their current key).
pub fn generate_keys(plan: &[KeyRequest], threads: usize) -> Result<Keys, Error> {
    let one = |req: &KeyRequest| {
        PrivateKey::generate(req.algorithm).map_err(|e| match e {
            // Name the key that failed, not just its algorithm.
            Error::KeyGeneration { reason, .. } => Error::KeyGeneration {
                key: req.label.clone(),
                reason,
            },
            other => other,
        })
    };
    let threads = threads.clamp(1, plan.len().max(1));
    if threads == 1 {
        return plan.iter().map(|r| Ok((r.id.clone(), one(r)?))).collect();
    }
    let next = AtomicUsize::new(0);
    let made: Mutex<Vec<(usize, Result<PrivateKey, Error>)>> = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(req) = plan.get(i) else { break };
                    let key = one(req);
                    let failed = key.is_err();
                    if let Ok(mut m) = made.lock() {
                        m.push((i, key));
                    }
                    if failed {
                        // Nothing more to hand out: the bundle is off.
                        next.store(plan.len(), Ordering::Relaxed);
                    }
                }
            });
        }
    });
    let mut made = made.into_inner().map_err(|_| Error::KeyGeneration {
        key: "keys".into(),
        reason: "a key generation thread failed".into(),
    })?;
    made.sort_by_key(|(i, _)| *i);
    let mut keys = Keys::new();
    for (i, key) in made {
        keys.insert(plan[i].id.clone(), key?);
    }
    Ok(keys)
}

/// How many threads to use: one per core the process may run on.
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::KeyAlgorithm;

    fn plan(n: usize, algorithm: KeyAlgorithm) -> Vec<KeyRequest> {
        (0..n)
            .map(|i| KeyRequest {
                id: format!("k{i}"),
                label: format!("key {i}"),
                algorithm,
            })
            .collect()
    }

    #[test]
    fn every_id_gets_its_own_key_of_its_algorithm() {
        let mut p = plan(7, KeyAlgorithm::EcdsaP256);
        p.push(KeyRequest {
            id: "ed".into(),
            label: "ed key".into(),
            algorithm: KeyAlgorithm::Ed25519,
        });
        for threads in [1, 3] {
            let keys = generate_keys(&p, threads).unwrap();
            assert_eq!(keys.len(), p.len());
            for r in &p {
                assert_eq!(
                    keys.get(&r.id).unwrap().algorithm(),
                    r.algorithm,
                    "{}",
                    r.id
                );
            }
            let mut ders: Vec<&[u8]> = p
                .iter()
                .map(|r| keys.get(&r.id).unwrap().pkcs8_der())
                .collect();
            ders.sort();
            ders.dedup();
            assert_eq!(ders.len(), p.len(), "two keys are the same");
        }
    }
}
