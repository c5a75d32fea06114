//! A CA certificate file that holds a chain (`issuing CA + root`, as cfssl, openssl, Vault and
//! step-ca hand an intermediate out): which certificate signed which, checked by signature, and
//! the chain put in order from the CA whose key was given up to the self-signed root.
//!
//! Signatures are checked with the RustCrypto crates the key side already uses (x509-parser's
//! own `verify` feature needs ring, which needs a C compiler for wasm32). Go, hence etcd,
//! refuses SHA-1 signatures on certificates since 1.18, so a chain signed with SHA-1 is
//! refused here too rather than accepted and then refused at etcd's first handshake.

use sha2::{Digest, Sha256, Sha384, Sha512};
use x509_parser::prelude::X509Certificate;

/// Why a signature was not found good.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum NotSigned {
    /// Checked: the issuer's key did not make this signature.
    Mismatch,
    /// Not checked, and why (a phrase for a message: SHA-1, RSA-PSS, an unknown algorithm).
    Unchecked(String),
}

impl std::fmt::Display for NotSigned {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NotSigned::Mismatch => f.write_str("its signature does not verify under that key"),
            NotSigned::Unchecked(why) => f.write_str(why),
        }
    }
}

/// Whether `child` was signed by the key of `issuer`.
pub(crate) fn signed_by(
    child: &X509Certificate<'_>,
    issuer: &X509Certificate<'_>,
) -> Result<(), NotSigned> {
    let alg = child.signature_algorithm.algorithm.to_id_string();
    let tbs = child.tbs_certificate.as_ref();
    let sig = child.signature_value.data.as_ref();
    let spki = issuer.public_key();
    let public = spki.subject_public_key.data.as_ref();
    let curve = spki
        .algorithm
        .parameters
        .as_ref()
        .and_then(|p| p.as_oid().ok())
        .map(|o| o.to_id_string());
    let bad = || NotSigned::Mismatch;
    let digest = |name: &str| -> Option<Vec<u8>> {
        Some(match name {
            "sha256" => Sha256::digest(tbs).to_vec(),
            "sha384" => Sha384::digest(tbs).to_vec(),
            "sha512" => Sha512::digest(tbs).to_vec(),
            _ => return None,
        })
    };
    match alg.as_str() {
        // ecdsa-with-SHA256/384/512
        "1.2.840.10045.4.3.2" | "1.2.840.10045.4.3.3" | "1.2.840.10045.4.3.4" => {
            let hash = match alg.as_str() {
                "1.2.840.10045.4.3.2" => digest("sha256"),
                "1.2.840.10045.4.3.3" => digest("sha384"),
                _ => digest("sha512"),
            }
            .unwrap_or_default();
            verify_ecdsa(curve.as_deref(), public, &hash, sig).ok_or_else(bad)
        }
        // sha256/384/512WithRSAEncryption
        "1.2.840.113549.1.1.11" | "1.2.840.113549.1.1.12" | "1.2.840.113549.1.1.13" => {
            use rsa::pkcs1::DecodeRsaPublicKey;
            let key = rsa::PublicKey::from_pkcs1_der(public).map_err(|_| bad())?;
            let (scheme, hash) = match alg.as_str() {
                "1.2.840.113549.1.1.11" => (rsa::Pkcs1v15Sign::new::<Sha256>(), digest("sha256")),
                "1.2.840.113549.1.1.12" => (rsa::Pkcs1v15Sign::new::<Sha384>(), digest("sha384")),
                _ => (rsa::Pkcs1v15Sign::new::<Sha512>(), digest("sha512")),
            };
            key.verify(scheme, &hash.unwrap_or_default(), sig)
                .map_err(|_| bad())
        }
        // Ed25519
        "1.3.101.112" => {
            use ed25519_dalek::Verifier;
            let key: [u8; 32] = public.try_into().map_err(|_| bad())?;
            let key = ed25519_dalek::VerifyingKey::from_bytes(&key).map_err(|_| bad())?;
            let sig = ed25519_dalek::Signature::from_slice(sig).map_err(|_| bad())?;
            key.verify(tbs, &sig).map_err(|_| bad())
        }
        "1.2.840.113549.1.1.5" | "1.2.840.10045.4.1" | "1.3.14.3.2.29" => {
            Err(NotSigned::Unchecked(
                "it is signed with SHA-1, which Go (hence etcd) refuses on certificates since \
                 Go 1.18: have it signed again with SHA-256"
                    .into(),
            ))
        }
        "1.2.840.113549.1.1.10" => Err(NotSigned::Unchecked(
            "it is signed with RSA-PSS, which etcd-pki cannot check; sign it with PKCS#1 v1.5 \
             (sha256WithRSAEncryption) or ECDSA"
                .into(),
        )),
        other => Err(NotSigned::Unchecked(format!(
            "it is signed with the algorithm {other}, which etcd-pki cannot check"
        ))),
    }
}

/// ECDSA over a prehashed message: `Some(())` when `sig` (DER) verifies under `public`
/// (SEC1) on `curve`.
fn verify_ecdsa(curve: Option<&str>, public: &[u8], hash: &[u8], sig: &[u8]) -> Option<()> {
    use p256::ecdsa::signature::hazmat::PrehashVerifier;
    match curve? {
        "1.2.840.10045.3.1.7" => {
            let key = p256::ecdsa::VerifyingKey::from_sec1_bytes(public).ok()?;
            let sig = p256::ecdsa::Signature::from_der(sig).ok()?;
            key.verify_prehash(hash, &sig).ok()
        }
        "1.3.132.0.34" => {
            let key = p384::ecdsa::VerifyingKey::from_sec1_bytes(public).ok()?;
            let sig = p384::ecdsa::Signature::from_der(sig).ok()?;
            key.verify_prehash(hash, &sig).ok()
        }
        _ => None,
    }
}

/// Whether `cert` names itself as its issuer (a root, or a CA re-signed by its own key).
pub(crate) fn self_issued(cert: &X509Certificate<'_>) -> bool {
    cert.subject().as_raw() == cert.issuer().as_raw()
}

/// The path length a CA's basicConstraints allows below it, when it sets one.
pub(crate) fn path_len(cert: &X509Certificate<'_>) -> Option<u32> {
    cert.basic_constraints()
        .ok()
        .flatten()
        .and_then(|bc| bc.value.path_len_constraint)
}
