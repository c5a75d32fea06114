//! Key pairs: generated from the platform CSPRNG only (getrandom: `getrandom(2)` natively,
//! `crypto.getRandomValues` in a browser), kept as PKCS#8 DER that is zeroized on drop, and
//! exposed to the certificate code as a signer.
//!
//! Every key is a RustCrypto type so the whole crate builds for wasm32 with no C compiler.

use ed25519_dalek::ed25519::pkcs8::KeypairBytes;
use rsa::pkcs1::EncodeRsaPublicKey;
use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use rsa::signature::{SignatureEncoding, Signer};
use zeroize::Zeroizing;

use crate::error::Error;
use crate::spec::KeyAlgorithm;

/// A private key and what signing needs of it. Cloning is cheap enough for a bundle; the
/// secret bytes are wiped when the last copy is dropped.
pub struct PrivateKey {
    algorithm: KeyAlgorithm,
    signer: Signer_,
    /// The key as PKCS#8 v1 DER, the one form every consumer (openssl 3.0, etcd, Go) reads.
    pkcs8: Zeroizing<Vec<u8>>,
    /// The subjectPublicKey bit string contents (SEC1 point, Ed25519 bytes, PKCS#1 RSA).
    public_key: Vec<u8>,
}

// The RustCrypto signing keys zeroize themselves on drop.
enum Signer_ {
    P256(p256::ecdsa::SigningKey),
    P384(p384::ecdsa::SigningKey),
    Ed25519(ed25519_dalek::SigningKey),
    Rsa(Box<rsa::pkcs1v15::SigningKey<sha2::Sha256>>),
}

impl std::fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print key material.
        write!(f, "PrivateKey({})", self.algorithm)
    }
}

/// The shortest CA key passphrase accepted, in characters.
pub const MIN_PASSPHRASE: usize = 12;

/// The passphrase rule, in one place (the CLI, the page and [`PrivateKey::to_encrypted_pem`]
/// all ask it): `None` when `passphrase` is long enough, else how many characters it has, for
/// the caller's message ("has 5 characters; use at least 12").
pub fn passphrase_shortfall(passphrase: &str) -> Option<usize> {
    let n = passphrase.chars().count();
    (n < MIN_PASSPHRASE).then_some(n)
}

/// Fills `buf` from the platform CSPRNG.
pub(crate) fn random_bytes(buf: &mut [u8]) -> Result<(), Error> {
    getrandom::fill(buf).map_err(|e| Error::Randomness(e.to_string()))
}

impl PrivateKey {
    /// Generates a fresh key. RSA-4096 takes about a second natively and several in a browser.
    pub fn generate(algorithm: KeyAlgorithm) -> Result<PrivateKey, Error> {
        let fail = |reason: String| Error::KeyGeneration {
            key: format!("{algorithm} key"),
            reason,
        };
        let signer = match algorithm {
            KeyAlgorithm::EcdsaP256 => Signer_::P256(loop {
                let mut seed = Zeroizing::new([0u8; 32]);
                random_bytes(seed.as_mut())?;
                // A seed at or above the group order (odds about 2^-32) is drawn again.
                if let Ok(k) = p256::ecdsa::SigningKey::from_slice(seed.as_ref()) {
                    break k;
                }
            }),
            KeyAlgorithm::EcdsaP384 => Signer_::P384(loop {
                let mut seed = Zeroizing::new([0u8; 48]);
                random_bytes(seed.as_mut())?;
                if let Ok(k) = p384::ecdsa::SigningKey::from_slice(seed.as_ref()) {
                    break k;
                }
            }),
            KeyAlgorithm::Ed25519 => {
                let mut seed = Zeroizing::new([0u8; 32]);
                random_bytes(seed.as_mut())?;
                Signer_::Ed25519(ed25519_dalek::SigningKey::from_bytes(&seed))
            }
            KeyAlgorithm::Rsa2048 | KeyAlgorithm::Rsa3072 | KeyAlgorithm::Rsa4096 => {
                let bits = algorithm.rsa_bits().unwrap_or(2048);
                // FIPS 186-5 probable primes, faster than rsa::PrivateKey::new (rsa_keygen.rs).
                let key = crate::rsa_keygen::generate(bits).map_err(fail)?;
                Signer_::Rsa(Box::new(rsa::pkcs1v15::SigningKey::<sha2::Sha256>::new(
                    key,
                )))
            }
        };
        PrivateKey::from_signer(algorithm, signer).map_err(fail)
    }

    /// One of the two primes of a new RSA key of `algorithm`, big-endian, wiped on drop. The
    /// page's workers search a key's two primes side by side (an RSA key is two independent
    /// prime searches), and [`PrivateKey::from_rsa_primes`] makes the key of them.
    pub fn rsa_prime(algorithm: KeyAlgorithm) -> Result<Zeroizing<Vec<u8>>, Error> {
        let fail = |reason: String| Error::KeyGeneration {
            key: format!("{algorithm} key"),
            reason,
        };
        let bits = algorithm
            .rsa_bits()
            .ok_or_else(|| fail("it is not an RSA algorithm".into()))?;
        crate::rsa_keygen::prime_bytes(bits).map_err(fail)
    }

    /// The RSA key of two primes from [`PrivateKey::rsa_prime`] (FIPS 186-5's |p − q| check
    /// included: the rare pair too close gets a fresh second prime here).
    pub fn from_rsa_primes(
        algorithm: KeyAlgorithm,
        p: &[u8],
        q: &[u8],
    ) -> Result<PrivateKey, Error> {
        let bad = |reason: String| Error::BadKey {
            key: format!("{algorithm} key"),
            reason,
        };
        let bits = algorithm
            .rsa_bits()
            .ok_or_else(|| bad("it is not an RSA algorithm".into()))?;
        let key = crate::rsa_keygen::from_primes(bits, p, q).map_err(bad)?;
        let signer = Signer_::Rsa(Box::new(rsa::pkcs1v15::SigningKey::<sha2::Sha256>::new(
            key,
        )));
        PrivateKey::from_signer(algorithm, signer).map_err(bad)
    }

    /// Reads a PKCS#8 DER key of the given algorithm (for keys made elsewhere, e.g. by a
    /// worker of the page).
    pub fn from_pkcs8_der(algorithm: KeyAlgorithm, der: &[u8]) -> Result<PrivateKey, Error> {
        let bad = |reason: String| Error::BadKey {
            key: format!("{algorithm} key"),
            reason,
        };
        let signer = match algorithm {
            KeyAlgorithm::EcdsaP256 => Signer_::P256(
                p256::ecdsa::SigningKey::from_pkcs8_der(der).map_err(|e| bad(e.to_string()))?,
            ),
            KeyAlgorithm::EcdsaP384 => Signer_::P384(
                p384::ecdsa::SigningKey::from_pkcs8_der(der).map_err(|e| bad(e.to_string()))?,
            ),
            KeyAlgorithm::Ed25519 => Signer_::Ed25519(
                ed25519_dalek::SigningKey::from_pkcs8_der(der).map_err(|e| bad(e.to_string()))?,
            ),
            KeyAlgorithm::Rsa2048 | KeyAlgorithm::Rsa3072 | KeyAlgorithm::Rsa4096 => {
                let key = rsa::PrivateKey::from_pkcs8_der(der).map_err(|e| bad(e.to_string()))?;
                let bits = rsa::traits::PublicKeyParts::size(&key) * 8;
                if Some(bits) != algorithm.rsa_bits() {
                    return Err(bad(format!("it is a {bits}-bit RSA key")));
                }
                Signer_::Rsa(Box::new(rsa::pkcs1v15::SigningKey::<sha2::Sha256>::new(
                    key,
                )))
            }
        };
        PrivateKey::from_signer(algorithm, signer).map_err(bad)
    }

    /// Reads a PKCS#8 DER key of any algorithm etcd-pki makes, finding out which (for a CA
    /// key that comes with its certificate rather than from a key plan).
    pub fn from_pkcs8_der_any(der: &[u8]) -> Result<PrivateKey, Error> {
        let rsa_bits = rsa::PrivateKey::from_pkcs8_der(der)
            .ok()
            .map(|k| rsa::traits::PublicKeyParts::size(&k) * 8);
        KeyAlgorithm::ALL
            .into_iter()
            .filter(|a| a.rsa_bits().is_none() || a.rsa_bits() == rsa_bits)
            .find_map(|a| PrivateKey::from_pkcs8_der(a, der).ok())
            .ok_or_else(|| Error::BadKey {
                key: "CA key".into(),
                reason: "it is not a PKCS#8 key of an algorithm etcd-pki knows (ECDSA P-256 or \
                         P-384, Ed25519, RSA 2048, 3072 or 4096)"
                    .into(),
            })
    }

    fn from_signer(algorithm: KeyAlgorithm, signer: Signer_) -> Result<PrivateKey, String> {
        let (pkcs8, public_key): (Zeroizing<Vec<u8>>, Vec<u8>) = match &signer {
            Signer_::P256(k) => (
                k.to_pkcs8_der().map_err(|e| e.to_string())?.to_bytes(),
                k.verifying_key().to_sec1_point(false).as_bytes().to_vec(),
            ),
            Signer_::P384(k) => (
                k.to_pkcs8_der().map_err(|e| e.to_string())?.to_bytes(),
                k.verifying_key().to_sec1_point(false).as_bytes().to_vec(),
            ),
            Signer_::Ed25519(k) => {
                // PKCS#8 v1 (no public key inside): openssl 3.0 cannot read the v2 form
                // ed25519-dalek writes by default.
                let v1 = KeypairBytes {
                    secret_key: k.to_bytes(),
                    public_key: None,
                };
                (
                    v1.to_pkcs8_der().map_err(|e| e.to_string())?.to_bytes(),
                    k.verifying_key().to_bytes().to_vec(),
                )
            }
            Signer_::Rsa(k) => {
                let private: &rsa::PrivateKey = k.as_ref().as_ref();
                (
                    private
                        .to_pkcs8_der()
                        .map_err(|e| e.to_string())?
                        .to_bytes(),
                    private
                        .to_public_key()
                        .to_pkcs1_der()
                        .map_err(|e| e.to_string())?
                        .into_vec(),
                )
            }
        };
        Ok(PrivateKey {
            algorithm,
            signer,
            pkcs8,
            public_key,
        })
    }

    /// The algorithm of this key.
    pub fn algorithm(&self) -> KeyAlgorithm {
        self.algorithm
    }

    /// PKCS#8 v1 DER.
    pub fn pkcs8_der(&self) -> &[u8] {
        &self.pkcs8
    }

    /// PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`), the file etcd and openssl read.
    pub fn to_pem(&self) -> Zeroizing<String> {
        Zeroizing::new(pem::encode_config(
            &pem::Pem::new("PRIVATE KEY", self.pkcs8.to_vec()),
            pem::EncodeConfig::new().set_line_ending(pem::LineEnding::LF),
        ))
    }

    /// The key as encrypted PKCS#8 PEM (`-----BEGIN ENCRYPTED PRIVATE KEY-----`), which
    /// `openssl pkey` opens with the passphrase: [`crate::SealingKey::derive`] then
    /// [`crate::SealingKey::seal`] (PBKDF2-HMAC-SHA256, 600,000 rounds, AES-256-CBC).
    pub fn to_encrypted_pem(&self, passphrase: &str) -> Result<Zeroizing<String>, Error> {
        crate::SealingKey::derive(passphrase)?.seal(self)
    }

    /// The public key as SubjectPublicKeyInfo PEM (`-----BEGIN PUBLIC KEY-----`), e.g. the
    /// JWT verification key etcd reads.
    pub fn public_key_pem(&self) -> String {
        use rsa::pkcs8::{EncodePublicKey, LineEnding};
        let lf = LineEnding::LF;
        let pem = match &self.signer {
            Signer_::P256(k) => k.verifying_key().to_public_key_pem(lf),
            Signer_::P384(k) => k.verifying_key().to_public_key_pem(lf),
            Signer_::Ed25519(k) => k.verifying_key().to_public_key_pem(lf),
            Signer_::Rsa(k) => {
                let private: &rsa::PrivateKey = k.as_ref().as_ref();
                private.to_public_key().to_public_key_pem(lf)
            }
        };
        // Encoding a key we hold cannot fail.
        pem.unwrap_or_default()
    }

    /// The subjectPublicKey contents, as X.509 carries them.
    pub(crate) fn public_key_bytes(&self) -> &[u8] {
        &self.public_key
    }

    /// Signs `msg` the way an X.509 signature of this algorithm wants it: ECDSA as a DER
    /// `Ecdsa-Sig-Value`, Ed25519 raw, RSA as PKCS#1 v1.5 with SHA-256 (blinded).
    pub(crate) fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, String> {
        Ok(match &self.signer {
            Signer_::P256(k) => {
                let sig: p256::ecdsa::Signature = k.try_sign(msg).map_err(|e| e.to_string())?;
                sig.to_der().as_bytes().to_vec()
            }
            Signer_::P384(k) => {
                let sig: p384::ecdsa::Signature = k.try_sign(msg).map_err(|e| e.to_string())?;
                sig.to_der().as_bytes().to_vec()
            }
            Signer_::Ed25519(k) => k
                .try_sign(msg)
                .map_err(|e| e.to_string())?
                .to_bytes()
                .to_vec(),
            // The randomized signer blinds the private-key operation with fresh randomness
            // (the deterministic `sign` does not), which hides the key from timing better;
            // it is not constant time (RUSTSEC-2023-0071, see audit.toml).
            Signer_::Rsa(k) => {
                use rsa::signature::RandomizedSigner;
                k.try_sign_with_rng(&mut getrandom::SysRng, msg)
                    .map_err(|e| e.to_string())?
                    .to_vec()
            }
        })
    }
}

/// The keys of a plan by id (`ca`, `members/etcd1/server`, `clients/etcdctl`, `jwt`): what the
/// issuing stage signs with. Keys are looked up by id, never by their place in a list, so a new
/// kind of key is one more entry in the plan and nothing else.
#[derive(Default)]
pub struct Keys(std::collections::HashMap<String, PrivateKey>);

impl Keys {
    /// No keys yet.
    pub fn new() -> Keys {
        Keys::default()
    }
    /// Adds (or replaces) the key with this id.
    pub fn insert(&mut self, id: impl Into<String>, key: PrivateKey) {
        self.0.insert(id.into(), key);
    }
    /// The key with this id.
    pub fn get(&self, id: &str) -> Option<&PrivateKey> {
        self.0.get(id)
    }
    /// Takes the key with this id out.
    pub fn remove(&mut self, id: &str) -> Option<PrivateKey> {
        self.0.remove(id)
    }
    /// How many keys.
    pub fn len(&self) -> usize {
        self.0.len()
    }
    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl FromIterator<(String, PrivateKey)> for Keys {
    fn from_iter<I: IntoIterator<Item = (String, PrivateKey)>>(iter: I) -> Keys {
        Keys(iter.into_iter().collect())
    }
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Ids and algorithms only (PrivateKey's Debug never prints key material).
        let mut ids: Vec<_> = self.0.iter().collect();
        ids.sort_by_key(|(id, _)| id.as_str());
        f.debug_map().entries(ids).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_algorithm_round_trips_through_pkcs8() {
        for alg in [
            KeyAlgorithm::EcdsaP256,
            KeyAlgorithm::EcdsaP384,
            KeyAlgorithm::Ed25519,
            KeyAlgorithm::Rsa2048,
        ] {
            let k = PrivateKey::generate(alg).unwrap();
            let back = PrivateKey::from_pkcs8_der(alg, k.pkcs8_der()).unwrap();
            assert_eq!(back.public_key_bytes(), k.public_key_bytes(), "{alg}");
            assert!(k.to_pem().starts_with("-----BEGIN PRIVATE KEY-----\n"));
            assert!(!format!("{k:?}").contains("BEGIN"));
        }
    }

    #[test]
    fn two_keys_differ() {
        let a = PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap();
        let b = PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap();
        assert_ne!(a.pkcs8_der(), b.pkcs8_der());
    }

    #[test]
    fn wrong_algorithm_is_a_clear_error() {
        let k = PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap();
        let err = PrivateKey::from_pkcs8_der(KeyAlgorithm::Ed25519, k.pkcs8_der()).unwrap_err();
        assert!(
            err.to_string().contains("ed25519 key cannot be used"),
            "{err}"
        );
    }
}
