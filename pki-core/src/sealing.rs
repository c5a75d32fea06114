//! Sealing the CA key with a passphrase, in two steps: [`SealingKey::derive`] runs the slow
//! part (PBKDF2-HMAC-SHA256, 600,000 rounds, OWASP's figure, over a salt drawn from the
//! CSPRNG) and [`SealingKey::seal`] the fast part (AES-256-CBC under a fresh IV, written as
//! PBES2 encrypted PKCS#8, `-----BEGIN ENCRYPTED PRIVATE KEY-----`, which `openssl pkey`
//! opens with the passphrase).
//!
//! Why two steps: the derivation takes most of a second in a browser, and it needs only the
//! passphrase. The page derives while the person is still typing or reaching for the button
//! and hands the derived key, not the passphrase, to the worker that signs; the command line
//! calls the two back to back ([`crate::Bundle::encrypt_ca_key`]). One sealing key seals one
//! file: a new generation derives afresh, so no two files share a salt.
//!
//! (scrypt would be stronger, but OpenSSL refuses to decrypt scrypt parameters above 32 MiB
//! of memory by default.)

use aes::cipher::{BlockModeEncrypt, KeyIvInit, block_padding::Pkcs7};
use pkcs8::der::asn1::OctetStringRef;
use pkcs8::der::pem::LineEnding;
use pkcs8::pkcs5::pbes2;
use zeroize::Zeroizing;

use crate::error::Error;
use crate::keys::{MIN_PASSPHRASE, PrivateKey, passphrase_shortfall, random_bytes};

/// PBKDF2-HMAC-SHA256 rounds (OWASP's 2023 figure for that PRF).
pub const PBKDF2_ROUNDS: u32 = 600_000;

const SALT_LEN: usize = 16;
const KEY_LEN: usize = 32;

/// A key derived from a passphrase, with the salt it was derived with. Wiped on drop; never
/// printed.
pub struct SealingKey {
    salt: [u8; SALT_LEN],
    key: Zeroizing<[u8; KEY_LEN]>,
}

impl std::fmt::Debug for SealingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SealingKey(..)")
    }
}

impl SealingKey {
    /// How many bytes [`SealingKey::to_bytes`] gives: the salt, then the key.
    pub const LEN: usize = SALT_LEN + KEY_LEN;

    /// Derives the key of `passphrase` over a fresh salt from the CSPRNG: the slow step.
    /// A passphrase shorter than [`MIN_PASSPHRASE`] characters is [`Error::Passphrase`].
    pub fn derive(passphrase: &str) -> Result<SealingKey, Error> {
        if let Some(n) = passphrase_shortfall(passphrase) {
            return Err(Error::Passphrase(format!(
                "the CA key passphrase has {n} characters; use at least {MIN_PASSPHRASE}"
            )));
        }
        let mut salt = [0u8; SALT_LEN];
        random_bytes(&mut salt)?;
        let mut key = Zeroizing::new([0u8; KEY_LEN]);
        pbkdf2::pbkdf2_hmac::<sha2::Sha256>(
            passphrase.as_bytes(),
            &salt,
            PBKDF2_ROUNDS,
            key.as_mut(),
        );
        Ok(SealingKey { salt, key })
    }

    /// The salt and the key, for moving a derived key between a browser's workers (the
    /// bytes are as secret as the passphrase).
    pub fn to_bytes(&self) -> Zeroizing<Vec<u8>> {
        let mut out = Zeroizing::new(Vec::with_capacity(Self::LEN));
        out.extend_from_slice(&self.salt);
        out.extend_from_slice(self.key.as_ref());
        out
    }

    /// Reads what [`SealingKey::to_bytes`] wrote.
    pub fn from_bytes(bytes: &[u8]) -> Result<SealingKey, Error> {
        if bytes.len() != Self::LEN {
            return Err(Error::Passphrase(format!(
                "a derived CA key passphrase has {} bytes, not {}",
                bytes.len(),
                Self::LEN
            )));
        }
        let mut salt = [0u8; SALT_LEN];
        salt.copy_from_slice(&bytes[..SALT_LEN]);
        let mut key = Zeroizing::new([0u8; KEY_LEN]);
        key.copy_from_slice(&bytes[SALT_LEN..]);
        Ok(SealingKey { salt, key })
    }

    /// `key` as encrypted PKCS#8 PEM: AES-256-CBC under this key and a fresh IV, the PBES2
    /// parameters (PBKDF2-HMAC-SHA256, [`PBKDF2_ROUNDS`], this salt) written beside it so
    /// that the passphrase alone opens it. The fast step: no key derivation here.
    pub fn seal(&self, key: &PrivateKey) -> Result<Zeroizing<String>, Error> {
        let fail = |reason: String| Error::KeyGeneration {
            key: "encrypted CA key".into(),
            reason,
        };
        let mut iv = [0u8; 16];
        random_bytes(&mut iv)?;
        let params =
            pbes2::Parameters::generate_pbkdf2_sha256_aes256cbc(PBKDF2_ROUNDS, &self.salt, iv)
                .map_err(|e| fail(e.to_string()))?;
        let plain = key.pkcs8_der();
        let mut buf = Zeroizing::new(vec![0u8; plain.len() + 16]);
        buf[..plain.len()].copy_from_slice(plain);
        let sealed = cbc::Encryptor::<aes::Aes256>::new_from_slices(self.key.as_ref(), &iv)
            .map_err(|e| fail(e.to_string()))?
            .encrypt_padded::<Pkcs7>(&mut buf, plain.len())
            .map_err(|e| fail(e.to_string()))?;
        let info = pkcs8::EncryptedPrivateKeyInfoRef {
            encryption_algorithm: params.into(),
            encrypted_data: OctetStringRef::new(sealed).map_err(|e| fail(e.to_string()))?,
        };
        let doc: pkcs8::SecretDocument = info
            .try_into()
            .map_err(|e: pkcs8::Error| fail(e.to_string()))?;
        doc.to_pem("ENCRYPTED PRIVATE KEY", LineEnding::LF)
            .map_err(|e| fail(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::KeyAlgorithm;

    #[test]
    fn a_sealed_key_opens_with_the_passphrase_alone() {
        let key = PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap();
        let sealing = SealingKey::derive("twelve chars").unwrap();
        // Through its bytes, as the page moves it between workers.
        let sealing = SealingKey::from_bytes(&sealing.to_bytes()).unwrap();
        let pem = sealing.seal(&key).unwrap();
        let back = crate::ca_key::read_key(pem.as_bytes(), Some(b"twelve chars")).unwrap();
        assert_eq!(back.pkcs8_der(), key.pkcs8_der());
        assert!(matches!(
            crate::ca_key::read_key(pem.as_bytes(), Some(b"twelve charz")),
            Err(Error::CaPassphraseWrong)
        ));
        // One derivation per file: two derivations of one passphrase differ (fresh salt).
        let other = SealingKey::derive("twelve chars").unwrap();
        assert_ne!(other.to_bytes(), sealing.to_bytes());
        assert!(!format!("{sealing:?}").contains(|c: char| c.is_ascii_digit()));
    }

    #[test]
    fn a_short_passphrase_or_damaged_bytes_are_refused() {
        let err = SealingKey::derive("eleven char").unwrap_err().to_string();
        assert!(err.contains("11 characters; use at least 12"), "{err}");
        let err = SealingKey::from_bytes(&[0; 12]).unwrap_err().to_string();
        assert!(err.contains("12 bytes, not 48"), "{err}");
    }
}
