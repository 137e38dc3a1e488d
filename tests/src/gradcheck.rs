//! Gradient checks by central differences, in f64 as torch.autograd.gradcheck.
//!
//! For inputs x and a function f, the check draws a fixed random upstream
//! gradient w of f's output shape and compares the analytic gradient of
//! L(x) = Σ f(x)·w (from `backward_with(w)`) with (L(x+εeᵢ) − L(x−εeᵢ)) / 2ε for
//! every element i. With ε = 1e-6 in f64 the truncation error is O(ε²) ≈ 1e-12 and
//! the rounding error O(1e-16/ε) ≈ 1e-10, so a tolerance of 1e-6 absolute plus
//! 1e-5 relative leaves plenty of margin for a correct rule while any wrong rule
//! (a flipped sign, a missing factor) is off by O(1).
//!
//! [`gradgradcheck`] and [`higher_order_check`] do the same one order up, as
//! `torch.autograd.gradgradcheck`: the first-order gradients (for a random
//! upstream gradient v, itself a variable) contracted with random u give a
//! scalar s(x, v), whose gradient from the engine (with `create_graph`) is
//! compared with central differences of s.

use autograd::{grad, no_grad, GradOptions, Var};
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
    report(errors)
}

/// Ok for no mismatch, else the first five and their count.
fn report(mut errors: Vec<String>) -> std::result::Result<(), String> {
    if errors.is_empty() {
        return Ok(());
    }
    let n = errors.len();
    errors.truncate(5);
    Err(format!("{} ({n} mismatches)", errors.join("\n")))
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

/// A seed per (level, variable) for the contracting tensors u.
fn u_seed(level: usize, k: usize) -> u64 {
    1000 + 100 * level as u64 + k as u64
}

/// The scalar of level `level` at the point `vals` (the inputs, then the
/// upstream gradient v as the last variable), and the vars it was built on:
/// s₁ = Σₖ⟨u₁ₖ, gₖ⟩ with gₖ the first-order gradients of f's output for the
/// upstream gradient v (`grad(out, xs, [v])`, as PyTorch's gradgradcheck and
/// the second-order fixtures), and sₗ = Σ_z ⟨uₗ_z, ∂sₗ₋₁/∂z⟩ over every
/// variable z (the inputs and v). `record` keeps the graph of the last level
/// (to differentiate it); the levels below it always keep theirs.
fn level_scalar(
    vals: &[Tensor],
    level: usize,
    record: bool,
    f: &impl Fn(&[Var]) -> Result<Var>,
) -> Result<(Var, Vec<Var>)> {
    let vars: Vec<Var> = vals.iter().map(|t| Var::param(t.clone())).collect();
    let n = vars.len() - 1;
    let out = f(&vars[..n])?;
    let opts = |create: bool| GradOptions::new().create_graph(create).allow_unused(true);
    let contract = |grads: Vec<Option<Var>>, level: usize| -> Result<Option<Var>> {
        let mut s: Option<Var> = None;
        for (k, g) in grads.into_iter().enumerate() {
            let Some(g) = g else { continue };
            let u = Var::constant(randn64(g.shape(), u_seed(level, k)));
            let term = g.mul(&u)?.sum_all()?;
            s = Some(match s {
                Some(acc) => acc.add(&term)?,
                None => term,
            });
        }
        Ok(s)
    };
    let first = grad(
        &[out],
        &vars[..n],
        &[Some(vars[n].clone())],
        opts(record || level > 1),
    )?;
    let mut s = contract(first, 1)?;
    for l in 2..=level {
        s = match s {
            Some(prev) if prev.requires_grad() => {
                contract(grad(&[prev], &vars, &[], opts(record || l < level))?, l)?
            }
            _ => None,
        };
    }
    let zero = || Var::constant(Tensor::zeros(&[], vals[0].dtype(), vals[0].device()).unwrap());
    Ok((s.unwrap_or_else(zero), vars))
}

/// A check of the `order`-th derivatives of `f` (2: second order, as
/// `torch.autograd.gradgradcheck`; 3: third order), in f64: the gradient of
/// the level-(order − 1) scalar s (see `level_scalar`: first-order gradients
/// for a random upstream v contracted with random u, differentiated and
/// contracted again for order 3) with respect to every input and v, from the
/// engine with `create_graph`, against central differences of s itself.
/// Inputs must be contiguous f64 tensors; `f` must be smooth within ±ε of
/// them (keep the points a little away from the kinks).
pub fn higher_order_check(
    name: &str,
    order: usize,
    inputs: &[Tensor],
    f: impl Fn(&[Var]) -> Result<Var>,
) -> std::result::Result<(), String> {
    assert!(
        order >= 2,
        "{name}: order {order}: first order is `gradcheck`"
    );
    let out = no_grad(|| {
        f(&inputs
            .iter()
            .cloned()
            .map(Var::constant)
            .collect::<Vec<_>>())
    })
    .map_err(|e| format!("{name}: forward failed: {e}"))?;
    let mut vals = inputs.to_vec();
    vals.push(randn64(out.shape(), 12345));
    let level = order - 1;
    let (s, vars) = level_scalar(&vals, level, true, &f)
        .map_err(|e| format!("{name}: order {order}: building s failed: {e}"))?;
    let analytic = if s.requires_grad() {
        grad(&[s], &vars, &[], GradOptions::new().allow_unused(true))
            .map_err(|e| format!("{name}: order {order}: backward failed: {e}"))?
    } else {
        vec![None; vars.len()]
    };
    let s_at = |vals: &[Tensor]| -> f64 {
        let (s, _) = level_scalar(vals, level, false, &f).expect("s at a perturbed point");
        s.item().expect("scalar")
    };
    let mut errors = Vec::new();
    for (k, x) in vals.iter().enumerate() {
        let a = match &analytic[k] {
            Some(g) => g.data().to_vec::<f64>().unwrap(),
            None => vec![0.0; x.numel()],
        };
        let base = x.to_vec::<f64>().unwrap();
        for i in 0..base.len() {
            let at = |delta: f64| {
                let mut v = base.clone();
                v[i] += delta;
                let mut p = vals.clone();
                p[k] = Tensor::from_vec(v, x.shape()).unwrap();
                s_at(&p)
            };
            let numeric = (at(EPS) - at(-EPS)) / (2.0 * EPS);
            if (a[i] - numeric).abs() > ATOL + RTOL * numeric.abs() {
                let what = if k + 1 == vals.len() {
                    "v".to_string()
                } else {
                    format!("input {k}")
                };
                errors.push(format!(
                    "{name}: order {order}: {what} element {i}: analytic {:.8e} vs numeric {numeric:.8e}",
                    a[i]
                ));
            }
        }
    }
    report(errors)
}

/// Second-order check: [`higher_order_check`] of order 2.
pub fn gradgradcheck(
    name: &str,
    inputs: &[Tensor],
    f: impl Fn(&[Var]) -> Result<Var>,
) -> std::result::Result<(), String> {
    higher_order_check(name, 2, inputs, f)
}
