//! RSA key generation to FIPS 186-5 Appendix B.3.3 (probable primes), faster than
//! `rsa::PrivateKey::new` and stricter:
//!
//! - each prime is searched with fixed-size integers (`U1024` for RSA-2048) rather than the
//!   heap-allocated `BoxedUint` the `rsa` crate uses: no allocation in the hot loop;
//! - candidates come from crypto-primes' small-factor sieve (2047 primes), then
//!   `gcd(p − 1, e) = 1` (step 4.5), then Miller–Rabin with **random bases**, as many rounds as
//!   FIPS 186-5 Table B.1 asks for the key size (5 for 1024-bit primes, error ≤ 2⁻¹¹²; 4 for
//!   1536- and 2048-bit primes, ≤ 2⁻¹²⁸ and 2⁻¹⁴⁴). `rsa` 0.10 instead runs BPSW with the fixed
//!   base 2, which FIPS 186-5 does not list;
//! - the two top bits of each prime are set, so `p ≥ √2·2^(nlen/2 − 1)` (step 4.4), and
//!   `|p − q| > 2^(nlen/2 − 100)` is checked (step 5.4);
//! - the private exponent is `e⁻¹ mod lcm(p − 1, q − 1)` (`rsa::PrivateKey::from_p_q`), which
//!   also validates the key.
//!
//! Exponentiation stays crypto-bigint's constant-time Montgomery ladder: the exponent of a
//! Miller–Rabin round is derived from the secret prime. Randomness comes only from getrandom.

use std::convert::Infallible;
use std::num::NonZeroU32;

use crypto_bigint::{BitOps, BoxedUint, Limb, NonZero, RandomBits, U1024, U1536, U2048, Uint};
use crypto_primes::Flavor;
use crypto_primes::fips::{FipsOptions, is_prime};
use crypto_primes::hazmat::SmallFactorsSieve;
use zeroize::{Zeroize, Zeroizing};

/// The public exponent, F4.
const E: u32 = 65537;
/// `E` as a divisor.
const E_LIMB: NonZero<Limb> = NonZero::<Limb>::from_u32(match NonZeroU32::new(E) {
    Some(e) => e,
    None => panic!("e is not zero"),
});

/// The platform CSPRNG behind the infallible RNG interface crypto-primes wants. A failure is
/// remembered (and zeros handed out meanwhile); the caller checks [`SysRng::check`] and throws
/// away whatever was made with them.
struct SysRng {
    failed: Option<String>,
}

impl rand_core::TryRng for SysRng {
    type Error = Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        let mut b = [0u8; 4];
        self.try_fill_bytes(&mut b)?;
        Ok(u32::from_le_bytes(b))
    }
    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        let mut b = [0u8; 8];
        self.try_fill_bytes(&mut b)?;
        Ok(u64::from_le_bytes(b))
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        if let Err(e) = getrandom::fill(dst) {
            dst.fill(0);
            self.failed.get_or_insert(e.to_string());
        }
        Ok(())
    }
}
impl rand_core::TryCryptoRng for SysRng {}

impl SysRng {
    fn check(&self) -> Result<(), String> {
        match &self.failed {
            Some(e) => Err(format!("the system random number generator failed: {e}")),
            None => Ok(()),
        }
    }
}

/// FIPS 186-5 Table B.1: Miller–Rabin rounds for the primes of an `nlen`-bit modulus.
fn mr_rounds(nlen: usize) -> usize {
    if nlen <= 2048 { 5 } else { 4 }
}

/// One probable prime of `LIMBS` limbs' full width, its two top bits set and `p mod e ≠ 1`.
fn prime<const LIMBS: usize>(rng: &mut SysRng, rounds: usize) -> Result<BoxedUint, String> {
    let bits = Uint::<LIMBS>::BITS;
    let width = NonZeroU32::new(bits).ok_or("zero-width prime")?;
    let options = FipsOptions::with_mr_iterations(rounds);
    loop {
        let mut start = Uint::<LIMBS>::random_bits(rng, bits);
        start.set_bit_vartime(0, true);
        start.set_bit_vartime(bits - 1, true);
        start.set_bit_vartime(bits - 2, true);
        rng.check()?;
        let sieve = SmallFactorsSieve::new(start, width, false).map_err(|e| e.to_string())?;
        for candidate in sieve {
            // gcd(p − 1, e) = 1 with e prime means p ≢ 1 (mod e).
            if candidate.rem_limb(E_LIMB) == Limb::ONE {
                continue;
            }
            if is_prime(rng, Flavor::Any, &candidate, options) {
                rng.check()?;
                return Ok(BoxedUint::from(&candidate));
            }
        }
    }
}

/// One prime for an `nlen`-bit (2048, 3072 or 4096) modulus.
fn half(nlen: usize, rng: &mut SysRng) -> Result<BoxedUint, String> {
    let rounds = mr_rounds(nlen);
    match nlen {
        2048 => prime::<{ U1024::LIMBS }>(rng, rounds),
        3072 => prime::<{ U1536::LIMBS }>(rng, rounds),
        4096 => prime::<{ U2048::LIMBS }>(rng, rounds),
        _ => Err(format!("{nlen}-bit RSA is not offered")),
    }
}

/// The key of `p` and `q`; when they are too close (step 5.4: |p − q| ≤ 2^(nlen/2 − 100),
/// odds about 2^-98) `q` is drawn again.
fn combine(
    nlen: usize,
    p: BoxedUint,
    mut q: BoxedUint,
    rng: &mut SysRng,
) -> Result<rsa::PrivateKey, String> {
    loop {
        let diff = if p > q {
            p.wrapping_sub(&q)
        } else {
            q.wrapping_sub(&p)
        };
        if (diff.bit_width() as usize) > nlen / 2 - 100 {
            return rsa::PrivateKey::from_p_q(p, q, BoxedUint::from(E)).map_err(|e| e.to_string());
        }
        q = half(nlen, rng)?;
    }
}

/// A fresh RSA key of `nlen` bits (2048, 3072 or 4096).
pub(crate) fn generate(nlen: usize) -> Result<rsa::PrivateKey, String> {
    let mut rng = SysRng { failed: None };
    let p = half(nlen, &mut rng)?;
    let q = half(nlen, &mut rng)?;
    combine(nlen, p, q, &mut rng)
}

/// One prime for an `nlen`-bit key, big-endian, wiped on drop: the page's workers search a
/// key's two primes side by side and [`from_primes`] makes the key.
pub(crate) fn prime_bytes(nlen: usize) -> Result<Zeroizing<Vec<u8>>, String> {
    let mut rng = SysRng { failed: None };
    let mut p = half(nlen, &mut rng)?;
    let bytes = Zeroizing::new(p.to_be_bytes().into_vec());
    p.zeroize();
    Ok(bytes)
}

/// The key of two primes from [`prime_bytes`]. Each must have the shape `prime` gives (full
/// width, top two bits set, `≢ 1 mod e`) and the key is validated by `rsa`; primality itself
/// is the searching worker's (as it is for a whole key a worker sends as PKCS#8).
pub(crate) fn from_primes(nlen: usize, p: &[u8], q: &[u8]) -> Result<rsa::PrivateKey, String> {
    let width = (nlen / 2) as u32;
    let read = |b: &[u8]| -> Result<BoxedUint, String> {
        let x = BoxedUint::from_be_slice(b, width)
            .map_err(|_| format!("a prime for {nlen}-bit RSA must be {width} bits"))?;
        if x.bit_width() != width || !x.bit_vartime(width - 2) || x.rem_limb(E_LIMB) == Limb::ONE {
            return Err(format!("not a prime of the form {nlen}-bit RSA needs"));
        }
        Ok(x)
    };
    let mut rng = SysRng { failed: None };
    combine(nlen, read(p)?, read(q)?, &mut rng)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rsa::traits::{PrivateKeyParts, PublicKeyParts};

    #[test]
    fn keys_have_the_size_the_exponent_and_distinct_balanced_primes() {
        let key = generate(2048).unwrap();
        assert_eq!(key.size() * 8, 2048);
        assert_eq!(key.e(), &BoxedUint::from(E));
        let primes = key.primes();
        assert_eq!(primes.len(), 2);
        for p in primes {
            let p: &BoxedUint = p.as_ref();
            assert_eq!(p.bit_width(), 1024);
            // Top two bits set: p ≥ 1.5·2^1023 > √2·2^1023.
            assert!(p.bit_vartime(1022));
            // p ≢ 1 (mod e).
            assert_ne!(p.rem_limb(E_LIMB), Limb::ONE);
            // An independent test (BPSW: base-2 Miller–Rabin and a strong Lucas test).
            assert!(crypto_primes::is_prime(Flavor::Any, p));
        }
        assert_ne!(primes[0], primes[1]);
        key.validate().unwrap();
    }

    #[test]
    fn a_key_from_primes_searched_apart_is_whole_and_bad_primes_are_refused() {
        let p = prime_bytes(2048).unwrap();
        let q = prime_bytes(2048).unwrap();
        assert_eq!((p.len(), q.len()), (128, 128));
        let key = from_primes(2048, &p, &q).unwrap();
        assert_eq!(key.size() * 8, 2048);
        key.validate().unwrap();
        let primes: Vec<Vec<u8>> = key
            .primes()
            .iter()
            .map(|x| x.to_be_bytes().into_vec())
            .collect();
        assert!(primes.contains(&*p) && primes.contains(&*q));
        // Too short or too small (second bit clear): refused, never a key.
        assert!(from_primes(2048, &p[1..], &q).is_err());
        let mut low = p.to_vec();
        low[0] = 0x80;
        assert!(from_primes(2048, &low, &q).is_err());
        assert!(from_primes(3072, &p, &q).is_err());
    }

    #[test]
    fn the_round_counts_are_fips_186_5_table_b1() {
        assert_eq!(mr_rounds(2048), 5);
        assert_eq!(mr_rounds(3072), 4);
        assert_eq!(mr_rounds(4096), 4);
    }
}
