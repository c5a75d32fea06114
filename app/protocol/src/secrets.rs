//! The secret part of a message: every byte buffer it carries, by name. A buffer that holds
//! a key, a passphrase or a zip of keys is never a position in a list that a comment
//! explains; it is a field of [`Secrets`], and the variant's doc says which fields it sends.
//!
//! On the wire `secrets` is a JS object whose properties are these fields' names, each a
//! `Uint8Array` (the lists an array of them); its buffers go in `postMessage`'s transfer list
//! ([`envelope`]), so they move to the receiver and the sender keeps no copy.

use zeroize::Zeroizing;

/// A message's secrets, by name. `B` is the buffer: `Uint8Array` on the wire (the page keeps
/// keys in JS buffers it passes on without reading), `Zeroizing<Vec<u8>>` once taken into
/// memory that is wiped on drop ([`Secrets::take`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Secrets<B = Zeroizing<Vec<u8>>> {
    /// A bundle's zip: the opened bundle of a day-two change or question, or the finished
    /// bundle. It holds every member's and client's key.
    pub zip: Option<B>,
    /// The other CA's bundle during a rotation ([`crate::ToWorker::CheckOtherCa`]).
    pub other_zip: Option<B>,
    /// An existing CA's certificate, for a bundle under a CA from elsewhere.
    pub ca_cert: Option<B>,
    /// The CA key file: the existing CA's (day two, to the worker), or the new one (a first
    /// bundle's or a rotation's, to the page).
    pub ca_key: Option<B>,
    /// The existing CA key's passphrase (UTF-8), or the passphrase a sealing key is derived
    /// from.
    pub passphrase: Option<B>,
    /// The passphrase for a rotation's new CA key (UTF-8).
    pub new_passphrase: Option<B>,
    /// The key derived from the CA key's passphrase that seals it (`SealingKey::to_bytes`).
    pub sealing_key: Option<B>,
    /// The root key file (root+issuing layout): the new one a first bundle's worker made (to
    /// the page), or the existing one a new issuing CA is signed with (to the worker).
    pub root_key: Option<B>,
    /// The existing root key's passphrase (UTF-8), for a new issuing CA.
    pub root_passphrase: Option<B>,
    /// The key derived from the root key's passphrase that seals a new root key.
    pub root_sealing_key: Option<B>,
    /// Private keys, PKCS#8 DER, in the order the message's ids or indices name them.
    pub keys: Vec<B>,
    /// RSA primes, big-endian: the two of a key to join, or the one found.
    pub primes: Vec<B>,
    /// The doctor's inputs, in the order of their names (they may hold keys).
    pub files: Vec<B>,
    /// A file read out of a zip, or a question's JSON answer.
    pub file: Option<B>,
    /// A finished bundle's file texts, one after another ([`crate::split_texts`]).
    pub texts: Option<B>,
}

impl<B> Default for Secrets<B> {
    fn default() -> Self {
        Secrets {
            zip: None,
            other_zip: None,
            ca_cert: None,
            ca_key: None,
            passphrase: None,
            new_passphrase: None,
            sealing_key: None,
            root_key: None,
            root_passphrase: None,
            root_sealing_key: None,
            keys: Vec::new(),
            primes: Vec::new(),
            files: Vec::new(),
            file: None,
            texts: None,
        }
    }
}

impl<B> Secrets<B> {
    /// The single fields with their names on the wire.
    fn singles(&mut self) -> [(&'static str, &mut Option<B>); 12] {
        [
            ("zip", &mut self.zip),
            ("other_zip", &mut self.other_zip),
            ("ca_cert", &mut self.ca_cert),
            ("ca_key", &mut self.ca_key),
            ("passphrase", &mut self.passphrase),
            ("new_passphrase", &mut self.new_passphrase),
            ("sealing_key", &mut self.sealing_key),
            ("root_key", &mut self.root_key),
            ("root_passphrase", &mut self.root_passphrase),
            ("root_sealing_key", &mut self.root_sealing_key),
            ("file", &mut self.file),
            ("texts", &mut self.texts),
        ]
    }

    /// The list fields with their names on the wire.
    fn lists(&mut self) -> [(&'static str, &mut Vec<B>); 3] {
        [
            ("keys", &mut self.keys),
            ("primes", &mut self.primes),
            ("files", &mut self.files),
        ]
    }

    /// Every buffer, each field's in order.
    pub fn each(&mut self, mut f: impl FnMut(&mut B)) {
        for (_, b) in self.singles() {
            if let Some(b) = b {
                f(b);
            }
        }
        for (_, list) in self.lists() {
            list.iter_mut().for_each(&mut f);
        }
    }

    /// The same secrets in another buffer type, field by field.
    pub fn map<C>(mut self, mut f: impl FnMut(B) -> C) -> Secrets<C> {
        let mut out = Secrets::default();
        for ((_, from), (_, to)) in self.singles().into_iter().zip(out.singles()) {
            *to = from.take().map(&mut f);
        }
        for ((_, from), (_, to)) in self.lists().into_iter().zip(out.lists()) {
            *to = std::mem::take(from).into_iter().map(&mut f).collect();
        }
        out
    }
}

#[cfg(target_arch = "wasm32")]
pub use wire::*;

#[cfg(target_arch = "wasm32")]
mod wire {
    use js_sys::{Array, Object, Reflect, Uint8Array};
    use serde::Serialize;
    use serde::de::DeserializeOwned;
    use wasm_bindgen::{JsCast, JsValue};
    use zeroize::Zeroizing;

    use super::Secrets;

    /// A message ready for `postMessage(message, transfer)`.
    pub struct Outgoing {
        /// `{ body, secrets }`.
        pub message: JsValue,
        /// The secrets' `ArrayBuffer`s: moved to the receiver, detached here.
        pub transfer: Array,
    }

    /// Wraps `body` and `secrets` for sending; the secrets' buffers will be transferred.
    pub fn envelope<T: Serialize>(
        body: &T,
        mut secrets: Secrets<Uint8Array>,
    ) -> Result<Outgoing, String> {
        let json = serde_json::to_string(body).map_err(|e| e.to_string())?;
        let parts = Object::new();
        let transfer = Array::new();
        for (name, b) in secrets.singles() {
            if let Some(b) = b {
                transfer.push(&b.buffer());
                let _ = Reflect::set(&parts, &name.into(), b);
            }
        }
        for (name, list) in secrets.lists() {
            if !list.is_empty() {
                let array = Array::new();
                for b in list.iter() {
                    transfer.push(&b.buffer());
                    array.push(b);
                }
                let _ = Reflect::set(&parts, &name.into(), &array);
            }
        }
        let message = Object::new();
        let _ = Reflect::set(&message, &"body".into(), &JsValue::from_str(&json));
        let _ = Reflect::set(&message, &"secrets".into(), &parts);
        Ok(Outgoing {
            message: message.into(),
            transfer,
        })
    }

    /// Reads a message received as `event.data`. A field the sender did not set is `None`
    /// (or empty); a field that is not a byte buffer is dropped.
    pub fn open<T: DeserializeOwned>(data: &JsValue) -> Result<(T, Secrets<Uint8Array>), String> {
        let body = Reflect::get(data, &"body".into())
            .ok()
            .and_then(|b| b.as_string())
            .ok_or("a message without a body")?;
        let body = serde_json::from_str(&body).map_err(|e| format!("a bad message: {e}"))?;
        let mut secrets = Secrets::default();
        let parts = Reflect::get(data, &"secrets".into()).unwrap_or(JsValue::UNDEFINED);
        if parts.is_object() {
            for (name, b) in secrets.singles() {
                *b = Reflect::get(&parts, &name.into())
                    .ok()
                    .and_then(|v| v.dyn_into().ok());
            }
            for (name, list) in secrets.lists() {
                *list = Reflect::get(&parts, &name.into())
                    .ok()
                    .and_then(|v| v.dyn_into::<Array>().ok())
                    .map(|a| a.iter().filter_map(|v| v.dyn_into().ok()).collect())
                    .unwrap_or_default();
            }
        }
        Ok((body, secrets))
    }

    impl Secrets<Uint8Array> {
        /// Copies every secret into this side's memory and zeroes its JS buffer, so the only
        /// copies left are ones that are wiped when dropped.
        pub fn take(self) -> Secrets<Zeroizing<Vec<u8>>> {
            self.map(|b| take(&b))
        }

        /// Zeroes every buffer (a secret nobody wants: a stale answer, a failed run).
        pub fn wipe(mut self) {
            self.each(|b| wipe(b));
        }
    }

    impl Secrets<Zeroizing<Vec<u8>>> {
        /// Each secret in a new JS buffer, for sending (and transferring) it; the wasm copies
        /// stay until `self` drops, and are wiped then.
        pub fn to_buffers(&mut self) -> Secrets<Uint8Array> {
            let mut out = Secrets::default();
            for ((_, from), (_, to)) in self.singles().into_iter().zip(out.singles()) {
                *to = from.as_deref().map(|b| buffer(b));
            }
            for ((_, from), (_, to)) in self.lists().into_iter().zip(out.lists()) {
                *to = from.iter().map(|b| buffer(b)).collect();
            }
            out
        }
    }

    /// A secret in a new JS buffer, for sending (and transferring) it.
    pub fn buffer(bytes: &[u8]) -> Uint8Array {
        Uint8Array::from(bytes)
    }

    /// Copies a received secret into this side's memory and zeroes the JS buffer, so the
    /// only copy left is one that is wiped when dropped.
    pub fn take(buffer: &Uint8Array) -> Zeroizing<Vec<u8>> {
        let bytes = Zeroizing::new(buffer.to_vec());
        wipe(buffer);
        bytes
    }

    /// Zeroes a JS buffer (a no-op once it has been transferred away).
    pub fn wipe(buffer: &Uint8Array) {
        buffer.fill(0, 0, buffer.length());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_has_its_own_name_and_survives_a_map() {
        let mut s = Secrets::<u8> {
            zip: Some(1),
            other_zip: Some(2),
            ca_cert: Some(3),
            ca_key: Some(4),
            passphrase: Some(5),
            new_passphrase: Some(6),
            sealing_key: Some(7),
            root_key: Some(14),
            root_passphrase: Some(15),
            root_sealing_key: Some(16),
            keys: vec![8, 9],
            primes: vec![10],
            files: vec![11],
            file: Some(12),
            texts: Some(13),
        };
        let mut names: Vec<&str> = s.singles().iter().map(|(n, _)| *n).collect();
        names.extend(s.lists().iter().map(|(n, _)| *n));
        let count = names.len();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), count, "two fields share a name on the wire");
        let mut all = vec![];
        s.each(|b| all.push(*b));
        all.sort();
        assert_eq!(all, (1..=16).collect::<Vec<u8>>(), "a field is left out");
        let doubled = s.clone().map(|b| u32::from(b) * 2);
        assert_eq!(doubled.passphrase, Some(10));
        assert_eq!(doubled.keys, vec![16, 18]);
        assert_eq!(doubled.texts, Some(26));
    }
}
