//! Reading an existing CA's private key in the forms people have on disk: PEM or DER; PKCS#8,
//! encrypted PKCS#8 (PBES2, as `openssl genpkey -aes256` and easy-rsa 3 write), PKCS#1
//! (`RSA PRIVATE KEY`, as kubeadm and older openssl write), SEC1 (`EC PRIVATE KEY`, as cfssl
//! writes), and the legacy encrypted PEM of older openssl and easy-rsa (`Proc-Type:
//! 4,ENCRYPTED` + `DEK-Info`). Whatever comes in leaves as a [`PrivateKey`] (PKCS#8 v1 inside).
//!
//! Pure Rust (RustCrypto), so the page reads the same files as the command line.

use aes::cipher::{BlockModeDecrypt, KeyIvInit, block_padding::Pkcs7};
use md5::{Digest, Md5};
use pkcs8::der::{Decode, asn1::ObjectIdentifier};
use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::pkcs8::EncodePrivateKey;
use zeroize::Zeroizing;

use crate::error::Error;
use crate::keys::PrivateKey;
use crate::spec::KeyAlgorithm;

pub(crate) const OID_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
pub(crate) const OID_EC: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
pub(crate) const OID_P256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
pub(crate) const OID_P384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");
pub(crate) const OID_ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");

/// The name of a public-key algorithm or curve we do not sign with, for messages.
pub(crate) fn unsupported_name(alg: ObjectIdentifier, curve: Option<ObjectIdentifier>) -> String {
    let curve_name = |c: ObjectIdentifier| match c.to_string().as_str() {
        "1.3.132.0.35" => "ECDSA P-521".to_string(),
        "1.3.132.0.10" => "ECDSA secp256k1".to_string(),
        "1.2.840.10045.3.1.1" => "ECDSA P-192".to_string(),
        "1.3.132.0.33" => "ECDSA P-224".to_string(),
        s if s.starts_with("1.3.36.3.3.2.8.1.1.") => "ECDSA on a Brainpool curve".to_string(),
        s => format!("ECDSA on the curve {s}"),
    };
    match (alg.to_string().as_str(), curve) {
        ("1.2.840.10045.2.1", Some(c)) => curve_name(c),
        ("1.2.840.10045.2.1", None) => "ECDSA with explicit curve parameters".to_string(),
        ("1.3.101.113", _) => "Ed448".to_string(),
        ("1.2.840.113549.1.1.10", _) => "RSASSA-PSS".to_string(),
        ("1.2.840.10040.4.1", _) => "DSA".to_string(),
        (s, _) => format!("the public-key algorithm {s}"),
    }
}

/// What etcd-pki signs with, for messages.
pub(crate) const SUPPORTED: &str = "RSA 2048/3072/4096, ECDSA P-256/P-384 and Ed25519";

fn unreadable(reason: impl Into<String>) -> Error {
    Error::CaUnreadable {
        file: "CA key",
        reason: reason.into(),
    }
}

/// Reads the CA key file (PEM or DER, any of the forms above). `passphrase` is needed only
/// when the key is encrypted; it is ignored otherwise.
pub(crate) fn read_key(input: &[u8], passphrase: Option<&[u8]>) -> Result<PrivateKey, Error> {
    let text = std::str::from_utf8(input).ok();
    if let Some(text) = text.filter(|t| t.contains("-----BEGIN ")) {
        return read_pem(text, passphrase);
    }
    if input.first() != Some(&0x30) {
        return Err(unreadable(
            "it is neither PEM (-----BEGIN ... PRIVATE KEY-----) nor DER; give the CA's private \
             key file",
        ));
    }
    read_der(input, passphrase)
}

fn read_pem(text: &str, passphrase: Option<&[u8]>) -> Result<PrivateKey, Error> {
    let blocks = pem::parse_many(text).map_err(|e| unreadable(format!("broken PEM: {e}")))?;
    let mut keys = Vec::new();
    let mut certificates = 0;
    for block in &blocks {
        match block.tag() {
            "PRIVATE KEY" | "ENCRYPTED PRIVATE KEY" | "RSA PRIVATE KEY" | "EC PRIVATE KEY" => {
                keys.push(block)
            }
            // `openssl ecparam -genkey` writes the curve before the key.
            "EC PARAMETERS" => {}
            "CERTIFICATE" | "X509 CERTIFICATE" | "TRUSTED CERTIFICATE" => certificates += 1,
            "OPENSSH PRIVATE KEY" => {
                return Err(unreadable(
                    "it is an OpenSSH key; a CA key is PEM or DER (-----BEGIN PRIVATE KEY----- \
                     and the like)",
                ));
            }
            "DSA PRIVATE KEY" => {
                return Err(Error::CaUnsupported {
                    what: format!("the CA key is DSA; etcd-pki signs with {SUPPORTED}"),
                });
            }
            other => {
                return Err(unreadable(format!(
                    "it holds a \"{other}\" block, not a private key"
                )));
            }
        }
    }
    let block = match keys.as_slice() {
        [one] => *one,
        [] if certificates > 0 => {
            return Err(unreadable(
                "it holds a certificate, not a private key: were the CA certificate and key \
                 files swapped?",
            ));
        }
        [] => return Err(unreadable("it holds no PEM block")),
        many => {
            return Err(unreadable(format!(
                "it holds {} private keys; give the file with the CA's key alone",
                many.len()
            )));
        }
    };
    let headers = block.headers();
    let der: Zeroizing<Vec<u8>> = match headers.get("Proc-Type") {
        Some(p) if p.trim().ends_with("ENCRYPTED") => {
            let dek = headers.get("DEK-Info").ok_or_else(|| {
                unreadable("its PEM says ENCRYPTED but has no DEK-Info line (damaged?)")
            })?;
            let passphrase = passphrase.ok_or(Error::CaPassphraseNeeded)?;
            legacy_decrypt(dek, block.contents(), passphrase)?
        }
        _ => Zeroizing::new(block.contents().to_vec()),
    };
    let legacy_encrypted = headers.get("Proc-Type").is_some();
    let read = match block.tag() {
        "PRIVATE KEY" => from_pkcs8(&der),
        "ENCRYPTED PRIVATE KEY" => return from_encrypted_pkcs8(&der, passphrase),
        "RSA PRIVATE KEY" => from_pkcs1(&der),
        _ => from_sec1(&der),
    };
    match read {
        // A wrong passphrase on a legacy PEM usually fails the padding check, but one time in
        // 256 it decrypts to garbage with valid padding: that garbage fails here.
        Err(Error::CaUnreadable { .. }) if legacy_encrypted => Err(Error::CaPassphraseWrong),
        other => other,
    }
}

fn read_der(der: &[u8], passphrase: Option<&[u8]>) -> Result<PrivateKey, Error> {
    if pkcs8::PrivateKeyInfoRef::try_from(der).is_ok() {
        return from_pkcs8(der);
    }
    if pkcs8::EncryptedPrivateKeyInfoRef::try_from(der).is_ok() {
        return from_encrypted_pkcs8(der, passphrase);
    }
    if rsa::PrivateKey::from_pkcs1_der(der).is_ok() {
        return from_pkcs1(der);
    }
    if sec1::EcPrivateKey::from_der(der).is_ok() {
        return from_sec1(der);
    }
    if <x509_parser::certificate::X509Certificate as x509_parser::prelude::FromDer<_>>::from_der(
        der,
    )
    .is_ok()
    {
        return Err(unreadable(
            "it is a certificate, not a private key: were the CA certificate and key files \
             swapped?",
        ));
    }
    Err(unreadable(
        "it is DER but not a private key in a form etcd-pki reads (PKCS#8, encrypted PKCS#8, \
         PKCS#1 or SEC1)",
    ))
}

fn from_pkcs8(der: &[u8]) -> Result<PrivateKey, Error> {
    let info = pkcs8::PrivateKeyInfoRef::try_from(der)
        .map_err(|e| unreadable(format!("not a PKCS#8 private key: {e}")))?;
    let oid = info.algorithm.oid;
    let algorithm = if oid == OID_RSA {
        let key = rsa::PrivateKey::try_from(info)
            .map_err(|e| unreadable(format!("a damaged RSA key: {e}")))?;
        rsa_algorithm(&key)?
    } else if oid == OID_EC {
        let curve = info.algorithm.parameters_oid().ok();
        match curve {
            Some(c) if c == OID_P256 => KeyAlgorithm::EcdsaP256,
            Some(c) if c == OID_P384 => KeyAlgorithm::EcdsaP384,
            _ => return Err(unsupported_key(oid, curve)),
        }
    } else if oid == OID_ED25519 {
        KeyAlgorithm::Ed25519
    } else {
        return Err(unsupported_key(oid, None));
    };
    PrivateKey::from_pkcs8_der(algorithm, der).map_err(|e| match e {
        Error::BadKey { reason, .. } => unreadable(format!("a damaged {algorithm} key: {reason}")),
        other => other,
    })
}

fn unsupported_key(oid: ObjectIdentifier, curve: Option<ObjectIdentifier>) -> Error {
    Error::CaUnsupported {
        what: format!(
            "the CA key is {}; etcd-pki signs with {SUPPORTED}",
            unsupported_name(oid, curve)
        ),
    }
}

fn rsa_algorithm(key: &rsa::PrivateKey) -> Result<KeyAlgorithm, Error> {
    let bits = rsa::traits::PublicKeyParts::n_bytes(key).len() * 8;
    match bits {
        2048 => Ok(KeyAlgorithm::Rsa2048),
        3072 => Ok(KeyAlgorithm::Rsa3072),
        4096 => Ok(KeyAlgorithm::Rsa4096),
        _ => Err(Error::CaUnsupported {
            what: format!(
                "the CA key is {bits}-bit RSA; etcd-pki signs with RSA of 2048, 3072 or 4096 \
                 bits (and ECDSA P-256/P-384, Ed25519)"
            ),
        }),
    }
}

fn from_pkcs1(der: &[u8]) -> Result<PrivateKey, Error> {
    let key = rsa::PrivateKey::from_pkcs1_der(der)
        .map_err(|e| unreadable(format!("not a PKCS#1 RSA private key: {e}")))?;
    let algorithm = rsa_algorithm(&key)?;
    let pkcs8 = key
        .to_pkcs8_der()
        .map_err(|e| unreadable(format!("a damaged RSA key: {e}")))?;
    PrivateKey::from_pkcs8_der(algorithm, pkcs8.as_bytes())
}

fn from_sec1(der: &[u8]) -> Result<PrivateKey, Error> {
    let ec = sec1::EcPrivateKey::from_der(der)
        .map_err(|e| unreadable(format!("not a SEC1 EC private key: {e}")))?;
    let curve = ec.parameters.and_then(|p| p.named_curve());
    // Without the curve in the file (openssl -param_enc explicit aside, rare), the scalar's
    // length tells P-256 from P-384.
    let p256 = match curve {
        Some(c) if c == OID_P256 => true,
        Some(c) if c == OID_P384 => false,
        None if ec.private_key.len() == 32 => true,
        None if ec.private_key.len() == 48 => false,
        _ => return Err(unsupported_key(OID_EC, curve)),
    };
    let damaged = |e: String| unreadable(format!("a damaged EC key: {e}"));
    let (algorithm, pkcs8) = if p256 {
        let k = p256::SecretKey::from_sec1_der(der).map_err(|e| damaged(e.to_string()))?;
        let doc = k.to_pkcs8_der().map_err(|e| damaged(e.to_string()))?;
        (KeyAlgorithm::EcdsaP256, doc)
    } else {
        let k = p384::SecretKey::from_sec1_der(der).map_err(|e| damaged(e.to_string()))?;
        let doc = k.to_pkcs8_der().map_err(|e| damaged(e.to_string()))?;
        (KeyAlgorithm::EcdsaP384, doc)
    };
    PrivateKey::from_pkcs8_der(algorithm, pkcs8.as_bytes())
}

fn from_encrypted_pkcs8(der: &[u8], passphrase: Option<&[u8]>) -> Result<PrivateKey, Error> {
    let info = pkcs8::EncryptedPrivateKeyInfoRef::try_from(der)
        .map_err(|e| unreadable(format!("a damaged encrypted PKCS#8 key: {e}")))?;
    if let pkcs8::pkcs5::EncryptionScheme::Pbes1(_) = info.encryption_algorithm {
        return Err(Error::CaUnsupported {
            what: "the CA key is encrypted with PBES1, an old scheme etcd-pki does not read; \
                   re-encrypt it with `openssl pkcs8 -topk8 -v2 aes-256-cbc -in ca.key -out \
                   ca-new.key`"
                .into(),
        });
    }
    crate::limits::check_kdf(&info.encryption_algorithm)?;
    let passphrase = passphrase.ok_or(Error::CaPassphraseNeeded)?;
    match info.decrypt(passphrase) {
        Ok(doc) => from_pkcs8(doc.as_bytes()).map_err(|e| match e {
            Error::CaUnreadable { .. } => Error::CaPassphraseWrong,
            other => other,
        }),
        // A cipher or PRF we do not have is reported as such; everything else (padding,
        // garbage after decryption) is a wrong passphrase.
        Err(pkcs8::Error::EncryptedPrivateKey(
            pkcs8::pkcs5::Error::AlgorithmParametersInvalid { oid },
        ))
        | Err(pkcs8::Error::EncryptedPrivateKey(pkcs8::pkcs5::Error::UnsupportedAlgorithm {
            oid,
        })) => Err(Error::CaUnsupported {
            what: format!(
                "the CA key is encrypted with {oid}, which etcd-pki does not read; re-encrypt \
                 it with `openssl pkcs8 -topk8 -v2 aes-256-cbc -in ca.key -out ca-new.key`"
            ),
        }),
        Err(_) => Err(Error::CaPassphraseWrong),
    }
}

/// OpenSSL's `EVP_BytesToKey` with MD5 and one round, the key derivation of the legacy
/// encrypted PEM format (`PEM_write_bio_PrivateKey` with a cipher, `openssl rsa -aes256
/// -traditional`): D_i = MD5(D_{i-1} || passphrase || salt), salt = the IV's first 8 bytes.
fn evp_bytes_to_key(passphrase: &[u8], salt: &[u8], len: usize) -> Zeroizing<Vec<u8>> {
    let mut out = Zeroizing::new(Vec::with_capacity(len + 16));
    let mut prev: Option<Zeroizing<[u8; 16]>> = None;
    while out.len() < len {
        let mut h = Md5::new();
        if let Some(p) = &prev {
            h.update(p.as_ref());
        }
        h.update(passphrase);
        h.update(salt);
        let d = Zeroizing::new(<[u8; 16]>::from(h.finalize()));
        out.extend_from_slice(d.as_ref());
        prev = Some(d);
    }
    out.truncate(len);
    out
}

fn legacy_decrypt(
    dek_info: &str,
    ciphertext: &[u8],
    passphrase: &[u8],
) -> Result<Zeroizing<Vec<u8>>, Error> {
    let (cipher, iv_hex) = dek_info
        .split_once(',')
        .ok_or_else(|| unreadable(format!("its DEK-Info line \"{dek_info}\" is damaged")))?;
    let cipher = cipher.trim().to_ascii_uppercase();
    let iv = decode_hex(iv_hex.trim())
        .ok_or_else(|| unreadable(format!("its DEK-Info IV \"{iv_hex}\" is not hex")))?;
    let (key_len, iv_len) = match cipher.as_str() {
        "AES-128-CBC" => (16, 16),
        "AES-192-CBC" => (24, 16),
        "AES-256-CBC" => (32, 16),
        "DES-EDE3-CBC" => (24, 8),
        "DES-CBC" => (8, 8),
        other => {
            return Err(Error::CaUnsupported {
                what: format!(
                    "the CA key is encrypted with {other}, which etcd-pki does not read (it \
                     reads AES-128/192/256-CBC and DES-EDE3-CBC); re-encrypt it with `openssl \
                     pkcs8 -topk8 -v2 aes-256-cbc -in ca.key -out ca-new.key`"
                ),
            });
        }
    };
    if iv.len() != iv_len {
        return Err(unreadable(format!(
            "its DEK-Info IV has {} bytes; {cipher} needs {iv_len}",
            iv.len()
        )));
    }
    let key = evp_bytes_to_key(passphrase, &iv[..8], key_len);
    let mut buf = Zeroizing::new(ciphertext.to_vec());
    fn run<C>(key: &[u8], iv: &[u8], buf: &mut [u8]) -> Option<usize>
    where
        cbc::Decryptor<C>: KeyIvInit + BlockModeDecrypt,
        C: aes::cipher::BlockCipherDecrypt,
    {
        let d = cbc::Decryptor::<C>::new_from_slices(key, iv).ok()?;
        d.decrypt_padded::<Pkcs7>(buf).ok().map(<[u8]>::len)
    }
    let n = match cipher.as_str() {
        "AES-128-CBC" => run::<aes::Aes128>(&key, &iv, &mut buf),
        "AES-192-CBC" => run::<aes::Aes192>(&key, &iv, &mut buf),
        "AES-256-CBC" => run::<aes::Aes256>(&key, &iv, &mut buf),
        "DES-EDE3-CBC" => run::<des::TdesEde3>(&key, &iv, &mut buf),
        _ => run::<des::Des>(&key, &iv, &mut buf),
    };
    match n {
        Some(n) => {
            buf.truncate(n);
            Ok(buf)
        }
        None => Err(Error::CaPassphraseWrong),
    }
}

fn decode_hex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_to_key_matches_openssl() {
        // `openssl enc -aes-256-cbc -P -md md5 -S 0102030405060708 -pass pass:secret`
        // (openssl 3.0.19) prints this key: the same EVP_BytesToKey.
        let key = evp_bytes_to_key(b"secret", &[1, 2, 3, 4, 5, 6, 7, 8], 32);
        assert_eq!(
            decode_hex("C9E5A1BD216DBE1317E230CEF48F38EE7F0E17AD64022144BCCEC4A1AA2879AB"),
            Some(key.to_vec())
        );
        let again = evp_bytes_to_key(b"secret", &[1, 2, 3, 4, 5, 6, 7, 8], 16);
        assert_eq!(&key[..16], &again[..]);
    }

    #[test]
    fn garbage_is_refused_clearly() {
        let err = read_key(b"hello", None).unwrap_err().to_string();
        assert!(err.contains("neither PEM"), "{err}");
        let err = read_key(&[0x30, 0x03, 0x02, 0x01, 0x00], None)
            .unwrap_err()
            .to_string();
        assert!(err.contains("not a private key in a form"), "{err}");
    }
}
