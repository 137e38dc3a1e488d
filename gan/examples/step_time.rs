//! Milliseconds per training step (one D update + one G update) of each model on
//! random data at its tutorial batch size, as bench_torch.py's train_step:
//! `cargo run -p gan --release --example step_time [steps]`.

use gan::models::ModelKind;
use gan::train::noise::step_rng;
use gan::train::Gan;
use std::time::Instant;
use tensor::Tensor;

fn main() -> gan::Result<()> {
    let steps: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(200);
    for kind in ModelKind::ALL {
        let spec = kind.spec();
        let mut gan = Gan::new(kind, 0, spec.lr)?;
        let real = Tensor::rand_uniform(
            &[spec.batch, 1, 28, 28],
            -1.0,
            1.0,
            &mut step_rng(0, u64::MAX),
        )?;
        for k in 0..10 {
            gan.train_step(&real, &mut step_rng(1, k))?;
        }
        let mut times: Vec<f64> = (0..steps)
            .map(|k| {
                let t = Instant::now();
                gan.train_step(&real, &mut step_rng(2, k as u64))
                    .map(|_| t.elapsed().as_secs_f64() * 1e3)
            })
            .collect::<gan::Result<_>>()?;
        times.sort_by(f64::total_cmp);
        println!(
            "train_step/{:<12} median {:6.2} ms  (p10 {:5.2}, p90 {:5.2}; batch {}, {} steps)",
            kind.name(),
            times[times.len() / 2],
            times[times.len() / 10],
            times[times.len() * 9 / 10],
            spec.batch,
            steps
        );
    }
    Ok(())
}
