//! Gradient checks by central differences, in f64 as torch.autograd.gradcheck.
//!
//! For inputs x and a function f, the check draws a fixed random upstream
//! gradient w of f's output shape and compares the analytic gradient of
//! L(x) = Σ f(x)·w (from `backward_with(w)`) with (L(x+εeᵢ) − L(x−εeᵢ)) / 2ε for
//! every element i. With ε = 1e-6 in f64 the truncation error is O(ε²) ≈ 1e-12 and
//! the rounding error O(1e-16/ε) ≈ 1e-10, so a tolerance of 1e-6 absolute plus
//! 1e-5 relative leaves plenty of margin for a correct rule while any wrong rule
//! (a flipped sign, a missing factor) is off by O(1).

use autograd::{no_grad, Var};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tensor::{Result, Tensor};

pub const EPS: f64 = 1e-6;
pub const ATOL: f64 = 1e-6;
pub const RTOL: f64 = 1e-5;

/// A contiguous f64 tensor of normal samples (seeded).
pub fn randn64(shape: &[usize], seed: u64) -> Tensor {
    let mut rng = StdRng::seed_from_u64(seed);
    let n: usize = shape.iter().product();
    let v: Vec<f64> = (0..n)
        .map(|_| {
            // Box–Muller keeps this free of distribution crates.
            let (u1, u2): (f64, f64) = (rng.random::<f64>().max(1e-12), rng.random());
            (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
        })
        .collect();
    Tensor::from_vec(v, shape).expect("valid shape")
}

/// A contiguous f64 tensor of uniform samples in [lo, hi).
pub fn uniform64(shape: &[usize], lo: f64, hi: f64, seed: u64) -> Tensor {
    let mut rng = StdRng::seed_from_u64(seed);
    let n: usize = shape.iter().product();
    Tensor::from_vec(
        (0..n)
            .map(|_| lo + (hi - lo) * rng.random::<f64>())
            .collect::<Vec<f64>>(),
        shape,
    )
    .expect("valid shape")
}

fn weighted_sum(out: &Tensor, w: &[f64]) -> f64 {
    out.to_vec::<f64>()
        .expect("cpu tensor")
        .iter()
        .zip(w)
        .map(|(a, b)| a * b)
        .sum()
}

/// Check every input's gradient of `f`. Inputs must be contiguous f64 tensors;
/// `f` may take views of them (transpose, narrow, broadcast) to exercise
/// non-contiguous paths. Returns a description of each mismatch.
pub fn gradcheck(
    name: &str,
    inputs: &[Tensor],
    f: impl Fn(&[Var]) -> Result<Var>,
) -> std::result::Result<(), String> {
    let vars: Vec<Var> = inputs.iter().map(|t| Var::param(t.clone())).collect();
    let out = f(&vars).map_err(|e| format!("{name}: forward failed: {e}"))?;
    let w = randn64(out.shape(), 12345);
    let wv = w.to_vec::<f64>().unwrap();
    out.backward_with(w)
        .map_err(|e| format!("{name}: backward failed: {e}"))?;
    let mut errors = Vec::new();
    for (k, x) in inputs.iter().enumerate() {
        let analytic = match vars[k].grad() {
            Some(g) => g.to_vec::<f64>().unwrap(),
            None => vec![0.0; x.numel()],
        };
        let base = x.to_vec::<f64>().unwrap();
        for i in 0..base.len() {
            let eval = |delta: f64| -> f64 {
                let mut v = base.clone();
                v[i] += delta;
                let perturbed: Vec<Var> = inputs
                    .iter()
                    .enumerate()
                    .map(|(j, t)| {
                        Var::constant(if j == k {
                            Tensor::from_vec(v.clone(), x.shape()).unwrap()
                        } else {
                            t.clone()
                        })
                    })
                    .collect();
                let y = no_grad(|| f(&perturbed)).expect("forward");
                weighted_sum(y.data(), &wv)
            };
            let numeric = (eval(EPS) - eval(-EPS)) / (2.0 * EPS);
            let a = analytic[i];
            if (a - numeric).abs() > ATOL + RTOL * numeric.abs() {
                errors.push(format!(
                    "{name}: input {k} element {i}: analytic {a:.8e} vs numeric {numeric:.8e}"
                ));
            }
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        let n = errors.len();
        errors.truncate(5);
        Err(format!("{} ({n} mismatches)", errors.join("\n")))
    }
}

/// Run many named checks and fail once, listing every failing op.
pub fn assert_all(results: Vec<std::result::Result<(), String>>) {
    let failures: Vec<String> = results.into_iter().filter_map(|r| r.err()).collect();
    assert!(
        failures.is_empty(),
        "gradient checks failed:\n{}",
        failures.join("\n\n")
    );
}
