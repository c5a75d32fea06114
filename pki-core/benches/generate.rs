//! Generating the standard bundle (3 members, 2 clients: 8 keys and certificates plus the CA,
//! deploy files and the zip) per algorithm, natively.
//!
//! `cargo bench -p pki-core --bench generate`; the medians go into the README. RSA key
//! generation time varies widely (prime search), so RSA gets many samples.

use criterion::{Criterion, criterion_group, criterion_main};
use pki_core::{ClusterSpec, KeyAlgorithm, generate};

fn standard(alg: KeyAlgorithm) -> ClusterSpec {
    let mut s = ClusterSpec::template();
    s.key_algorithm = alg;
    s
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("standard bundle");
    for alg in KeyAlgorithm::ALL {
        let spec = standard(alg);
        g.sample_size(match alg {
            KeyAlgorithm::Rsa3072 | KeyAlgorithm::Rsa4096 => 10,
            KeyAlgorithm::Rsa2048 => 20,
            _ => 50,
        });
        g.bench_function(alg.as_str(), |b| {
            b.iter(|| {
                let bundle = generate(&spec).expect("generate");
                bundle.to_zip().expect("zip")
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
