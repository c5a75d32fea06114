//! How long a generation will take, said before a long one starts ("about 30 s for 12
//! RSA-4096 keys on this machine"). Plain arithmetic, tested natively.
//!
//! The figures per key: RSA-2048 from the page benchmark (README "Measurements": 1.42 s for
//! 9 keys on 2 workers, about 300 ms per key per worker), RSA-3072/4096 and the others scaled
//! from it by the native benchmark's ratios (not yet measured in the page). On another machine
//! they scale by its workers' calibration time (making [`protocol::CALIBRATION_KEYS`]
//! P-256 keys) over [`REFERENCE_CALIBRATION_MS`], an assumed figure for the reference machine,
//! not yet measured. RSA prime search varies widely from key to key, so the result is a
//! rounded "about".

use pki_core::KeyAlgorithm;

/// The workers' calibration time assumed for the machine the table comes from, in ms.
pub const REFERENCE_CALIBRATION_MS: f64 = 40.0;

/// Median time for one worker to make one key, in ms, on the reference machine.
pub fn reference_key_ms(algorithm: KeyAlgorithm) -> f64 {
    match algorithm {
        KeyAlgorithm::EcdsaP256 => 2.5,
        KeyAlgorithm::EcdsaP384 => 6.0,
        KeyAlgorithm::Ed25519 => 1.0,
        KeyAlgorithm::Rsa2048 => 300.0,
        KeyAlgorithm::Rsa3072 => 1_300.0,
        KeyAlgorithm::Rsa4096 => 4_700.0,
    }
}

/// Signing and zipping, per key, in ms, on the reference machine.
fn reference_assemble_ms(algorithm: KeyAlgorithm) -> f64 {
    match algorithm {
        KeyAlgorithm::Rsa2048 => 12.0,
        KeyAlgorithm::Rsa3072 => 30.0,
        KeyAlgorithm::Rsa4096 => 60.0,
        _ => 1.0,
    }
}

/// What a generation is expected to take.
#[derive(Clone, Debug, PartialEq)]
pub struct Estimate {
    /// Milliseconds, from the click to the zip.
    pub ms: f64,
    /// Keys to make.
    pub keys: usize,
    /// Their algorithm (the JWT key, if any, is P-256 and counts for nothing).
    pub algorithm: KeyAlgorithm,
    /// Whether it is scaled by this machine's own measurement.
    pub measured_here: bool,
}

/// Estimates making `keys` keys of `algorithm` on `workers` workers, scaled by this
/// machine's calibration time when the workers have reported one.
pub fn estimate(
    algorithm: KeyAlgorithm,
    keys: usize,
    workers: usize,
    calibration_ms: Option<f64>,
) -> Estimate {
    let calibration = calibration_ms.filter(|c| c.is_finite() && *c > 0.0);
    let scale = calibration.map_or(1.0, |c| c / REFERENCE_CALIBRATION_MS);
    let n = keys as f64;
    // Keys are made `workers` at a time; the last round may be partly idle.
    let rounds = n / workers.max(1) as f64;
    let ms = (rounds * reference_key_ms(algorithm) + n * reference_assemble_ms(algorithm)) * scale;
    Estimate {
        ms,
        keys,
        algorithm,
        measured_here: calibration.is_some(),
    }
}

impl Estimate {
    /// Worth saying before the run: the person would otherwise wonder whether it hangs.
    pub fn is_long(&self) -> bool {
        self.ms >= 3_000.0
    }

    /// "about 30 s for 12 RSA-4096 keys on this machine".
    pub fn describe(&self) -> String {
        let name = match self.algorithm {
            KeyAlgorithm::EcdsaP256 => "ECDSA P-256",
            KeyAlgorithm::EcdsaP384 => "ECDSA P-384",
            KeyAlgorithm::Ed25519 => "Ed25519",
            KeyAlgorithm::Rsa2048 => "RSA-2048",
            KeyAlgorithm::Rsa3072 => "RSA-3072",
            KeyAlgorithm::Rsa4096 => "RSA-4096",
        };
        let here = if self.measured_here {
            "on this machine"
        } else {
            "on a 2-core machine"
        };
        format!(
            "about {} for {} {name} keys {here}",
            rounded(self.ms),
            self.keys
        )
    }
}

/// A duration as people say it: whole seconds under 10 s, then fives, then minutes.
fn rounded(ms: f64) -> String {
    let s = ms / 1000.0;
    if s < 1.5 {
        "a second".into()
    } else if s < 10.0 {
        format!("{} s", s.round())
    } else if s < 90.0 {
        format!("{} s", (s / 5.0).round() * 5.0)
    } else {
        format!("{} min", (s / 60.0).round())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_rsa_runs_are_announced_and_short_ones_are_not() {
        let e = estimate(KeyAlgorithm::Rsa4096, 12, 2, Some(REFERENCE_CALIBRATION_MS));
        assert!(e.is_long());
        assert_eq!(
            e.describe(),
            "about 30 s for 12 RSA-4096 keys on this machine"
        );
        assert!(!estimate(KeyAlgorithm::EcdsaP256, 12, 2, None).is_long());
        assert!(!estimate(KeyAlgorithm::Rsa2048, 9, 2, None).is_long());
        // Many members make even RSA-2048 long.
        assert!(estimate(KeyAlgorithm::Rsa2048, 60, 2, None).is_long());
    }

    #[test]
    fn a_slower_machine_scales_the_estimate() {
        let fast = estimate(KeyAlgorithm::Rsa3072, 9, 2, Some(REFERENCE_CALIBRATION_MS));
        let slow = estimate(
            KeyAlgorithm::Rsa3072,
            9,
            2,
            Some(3.0 * REFERENCE_CALIBRATION_MS),
        );
        assert!((slow.ms / fast.ms - 3.0).abs() < 1e-9);
        let unmeasured = estimate(KeyAlgorithm::Rsa3072, 9, 2, None);
        assert!(unmeasured.describe().ends_with("on a 2-core machine"));
        // A nonsense calibration is ignored rather than trusted.
        assert_eq!(
            estimate(KeyAlgorithm::Rsa3072, 9, 2, Some(0.0)).ms,
            unmeasured.ms
        );
    }

    #[test]
    fn durations_are_rounded_as_people_say_them() {
        assert_eq!(rounded(800.0), "a second");
        assert_eq!(rounded(4_400.0), "4 s");
        assert_eq!(rounded(21_000.0), "20 s");
        assert_eq!(rounded(150_000.0), "3 min");
    }
}
