//! Draw rates of the CPU Philox (`kernels::random`) beside the scalar Philox
//! and the streams it replaced (rand_distr's normals, ChaCha u32s), at the
//! sizes a training step draws (z: 128×100; masks: the mlp-dropout layers)
//! and at a million elements (rayon splits draws from 32768 elements up).
//!
//!     cargo run -p kernels --release --example random_rate
//!
//! Prints the median of several runs, in million draws per second.

use kernels::random::{dropout_mask, normal, philox4x32_10, uniform};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::hint::black_box;
use std::time::Instant;
use tensor::{Device, Tensor};

/// Median seconds of one call of `f` over `reps` timed runs.
fn median_secs(reps: usize, mut f: impl FnMut()) -> f64 {
    f();
    let mut t: Vec<f64> = (0..reps)
        .map(|_| {
            let s = Instant::now();
            f();
            s.elapsed().as_secs_f64()
        })
        .collect();
    t.sort_by(f64::total_cmp);
    t[reps / 2]
}

fn report(what: &str, n: usize, secs: f64) {
    println!(
        "{what:<34} n = {n:>8}: {:>9.1} M/s ({:>8.1} µs)",
        n as f64 / secs / 1e6,
        secs * 1e6
    );
}

fn main() {
    let cpu = Device::Cpu;
    for n in [12_800usize, 1 << 20] {
        let reps = if n > 100_000 { 21 } else { 201 };
        report(
            "philox4x32_10 per block, xor'd",
            n,
            median_secs(reps, || {
                let mut acc = 0u32;
                for q in 0..n.div_ceil(4) as u32 {
                    let w = philox4x32_10([q, 0, 0, 0], [7, 0]);
                    acc ^= w[0] ^ w[1] ^ w[2] ^ w[3];
                }
                black_box(acc);
            }),
        );
        report(
            "uniform (Philox, lanes)",
            n,
            median_secs(reps, || {
                black_box(uniform(&[n], -1.0, 1.0, 7, 0, cpu).unwrap());
            }),
        );
        report(
            "dropout_mask (Philox, lanes)",
            n,
            median_secs(reps, || {
                black_box(dropout_mask(&[n], 0.3, 7, 0, cpu).unwrap());
            }),
        );
        report(
            "normal (Philox, lanes + libm)",
            n,
            median_secs(reps, || {
                black_box(normal(&[n], 0.0, 1.0, 7, 0, cpu).unwrap());
            }),
        );
        let mut rng = StdRng::seed_from_u64(7);
        report(
            "before: Tensor::randn (rand_distr)",
            n,
            median_secs(reps, || {
                black_box(Tensor::randn(&[n], 0.0, 1.0, &mut rng).unwrap());
            }),
        );
        report(
            "before: ChaCha u32 fill (masks)",
            n,
            median_secs(reps, || {
                let mut bits = vec![0u32; n];
                rng.fill(bits.as_mut_slice());
                black_box(bits);
            }),
        );
    }
}
