//! Milliseconds per training step (one D update + one G update) of each model on
//! random data at its tutorial batch size and image size, as bench_torch.py's
//! train_step: `cargo run -p gan --release --example step_time [steps] [model…]`
//! (all models by default; the DCGANs take at most steps/10 steps, at least 5,
//! since one dcgan64 step takes seconds). `STEP_TIME_RECIPE=best` times each
//! model's `Settings::best` instead of the tutorials' step (its recipe and
//! batch size: a step is then one D update, and a G update on every
//! n_critic-th).

use gan::models::ModelKind;
use gan::train::noise::step_rng;
use gan::train::recipe::Recipe;
use gan::train::Gan;
use gan::train::Settings;
use std::time::Instant;
use tensor::Tensor;

fn main() -> gan::Result<()> {
    // as the `gan` command sets up and runs its training
    tensor::tune_malloc();
    kernels::on_pool(run)
}

fn run() -> gan::Result<()> {
    let mut args = std::env::args().skip(1);
    let steps: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(200);
    let names: Vec<String> = args.collect();
    let mut kinds = Vec::new();
    for n in &names {
        kinds.push(
            ModelKind::from_name(n)
                .ok_or_else(|| gan::Error::usage(format!("unknown model '{n}'")))?,
        );
    }
    if kinds.is_empty() {
        kinds = ModelKind::ALL.to_vec();
    }
    for kind in kinds {
        let spec = kind.spec();
        let (steps, warm) = if spec.flat_images {
            (steps, 10)
        } else {
            ((steps / 10).max(5), 2)
        };
        let best = std::env::var("STEP_TIME_RECIPE").is_ok_and(|r| r == "best");
        let (recipe, batch) = if best {
            let s = Settings::best(kind);
            (s.recipe, s.batch)
        } else {
            (Recipe::default(), spec.batch)
        };
        let mut gan = Gan::new(kind, 0, spec.lr)?.with_recipe(recipe, spec.lr, 0)?;
        let mut shape = vec![batch];
        shape.extend(spec.image);
        let real = Tensor::rand_uniform(&shape, -1.0, 1.0, &mut step_rng(0, u64::MAX))?;
        for k in 0..warm {
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
            "train_step/{:<12} {} median {:8.2} ms  (p10 {:8.2}, p90 {:8.2}; batch {}, {} steps)",
            kind.name(),
            if best { "best" } else { "tutorial" },
            times[times.len() / 2],
            times[times.len() / 10],
            times[times.len() * 9 / 10],
            batch,
            steps
        );
    }
    Ok(())
}
