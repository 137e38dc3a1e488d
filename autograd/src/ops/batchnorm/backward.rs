//! Batch norm's gradients. Unrecorded (first order), one fused kernel gives
//! dx, dγ and dβ from the statistics the forward saved. Recorded (under
//! `create_graph`), dx and dγ are ops of their own, batch norm's fused
//! backward kernel with a rule that is the fused double-backward kernel
//! (`kernels::batch_norm_double_backward`, PyTorch's
//! `batchnorm_double_backward`); dβ = Σg is a sum. Recorded once more (third
//! order), those rules differentiate a composite of ops instead, with the
//! batch statistics recomputed from x as ops: with x̂ = (x − μ)·σ⁻¹ per
//! channel, over the M values of a channel,
//!
//!   dγ = Σg·x̂,  dx = γσ⁻¹·(g − mean(g) − x̂·mean(g·x̂))  (training)
//!   dx = γσ⁻¹·g with μ, σ the running statistics, constants  (eval).

use crate::grad_mode::is_grad_enabled;
use crate::var::Ctx;
use crate::{grad, GradOptions, Var};
use kernels::BatchNormSaved;
use std::sync::Arc;
use tensor::{DType, Device, Result, Tensor};

/// The statistics a forward used, as [C] tensors (mean, 1/σ).
fn saved_stats(saved: &BatchNormSaved, dtype: DType, device: Device) -> Result<(Tensor, Tensor)> {
    if let Some(stats) = &saved.device_stats {
        let c = stats.shape()[1];
        let row = |i| kernels::reshape(&stats.narrow(0, i, 1)?, &[c]);
        return Ok((row(0)?, row(1)?));
    }
    let c = saved.mean.len();
    let tensor = |v: &[f64]| -> Result<Tensor> {
        let t = Tensor::from_vec(v.to_vec(), &[c])?;
        kernels::to_dtype(&t, dtype)?.to_device(device)
    };
    Ok((tensor(&saved.mean)?, tensor(&saved.inv_std)?))
}

/// The axes of a batch norm's per-channel sums and the [1, C, 1, …] shape.
fn channel_axes(x: &Var) -> (Vec<isize>, Vec<usize>) {
    let rank = x.shape().len();
    let axes = (0..rank as isize).filter(|&a| a != 1).collect();
    let mut per_channel = vec![1; rank];
    per_channel[1] = x.shape()[1];
    (axes, per_channel)
}

/// x̂ and σ⁻¹ (as [1, C, 1, …]) as ops of x: the batch statistics in
/// training, the saved running ones (constants) in eval.
fn normalised(x: &Var, saved: &BatchNormSaved, eps: f64) -> Result<(Var, Var)> {
    let (axes, per_channel) = channel_axes(x);
    if saved.training {
        let mean = x.mean(&axes, true)?;
        let centred = x.sub(&mean)?;
        let var = centred.square()?.mean(&axes, true)?;
        let inv_std = var.add_scalar(eps)?.pow_scalar(-0.5)?;
        return Ok((centred.mul(&inv_std)?, inv_std));
    }
    let (mean, inv_std) = saved_stats(saved, x.dtype(), x.device())?;
    let mean = Var::constant(kernels::reshape(&mean, &per_channel)?);
    let inv_std = Var::constant(kernels::reshape(&inv_std, &per_channel)?);
    Ok((x.sub(&mean)?.mul(&inv_std)?, inv_std))
}

/// dx as a composite of ops (see the module docs).
fn composite_input_grad(
    x: &Var,
    w: &Var,
    g: &Var,
    saved: &BatchNormSaved,
    eps: f64,
) -> Result<Var> {
    let (axes, per_channel) = channel_axes(x);
    let (xhat, inv_std) = normalised(x, saved, eps)?;
    let scale = inv_std.mul(&w.reshape(&per_channel)?)?;
    let inner = if saved.training {
        let g_mean = g.mean(&axes, true)?;
        let gx_mean = g.mul(&xhat)?.mean(&axes, true)?;
        g.sub(&g_mean)?.sub(&xhat.mul(&gx_mean)?)?
    } else {
        g.clone()
    };
    inner.mul(&scale)
}

/// A rule that differentiates `f` of the node's inputs, recorded: for the
/// third and higher orders of an op whose second-order rule is a kernel.
/// `f` runs on identity copies of the inputs, and the gradients are taken
/// with respect to those: the partial derivatives, even when one input
/// depends on another (g on x, as it does in a gradient penalty), and still
/// ops of the real inputs.
fn composite_rule(c: &Ctx<'_>, f: impl Fn(&[Var]) -> Result<Var>) -> Result<Vec<Option<Var>>> {
    let proxies: Vec<Var> = c.inputs.iter().map(Var::identity).collect();
    let out = f(&proxies)?;
    let wanted: Vec<Var> = (0..c.inputs.len())
        .filter(|&i| c.need(i))
        .map(|i| proxies[i].clone())
        .collect();
    let opts = GradOptions::new().create_graph(true).allow_unused(true);
    let mut got = grad(&[out], &wanted, &[Some(c.grad.clone())], opts)?.into_iter();
    Ok((0..c.inputs.len())
        .map(|i| {
            if c.need(i) {
                got.next().flatten()
            } else {
                None
            }
        })
        .collect())
}

/// dx = γσ⁻¹·(g − mean(g) − x̂·mean(g·x̂)) as an op of (x, γ, g).
fn input_grad(x: &Var, w: &Var, g: &Var, saved: &Arc<BatchNormSaved>, eps: f64) -> Result<Var> {
    let need = [true, false, false];
    let dx = kernels::batch_norm_backward(x.data(), Some(w.data()), g.data(), saved, need)?.0;
    let dx = dx.expect("dx was asked for");
    let saved = saved.clone();
    let inputs = vec![x.clone(), w.clone(), g.clone()];
    Ok(Var::from_op(
        "batch_norm_input_grad",
        dx,
        inputs,
        move |c| {
            if is_grad_enabled() {
                return composite_rule(c, |v| {
                    composite_input_grad(&v[0], &v[1], &v[2], &saved, eps)
                });
            }
            let (x, w, g) = (c.input(0), c.input(1), c.input(2));
            let need = [c.need(0) && saved.training, c.need(1), c.need(2)];
            let (dx, dw, dg) = kernels::batch_norm_double_backward(
                x.data(),
                Some(w.data()),
                g.data(),
                c.grad.data(),
                &saved,
                need,
            )?;
            Ok([dx, dw, dg].map(|t| t.map(Var::constant)).into())
        },
    ))
}

/// dγ = Σg·x̂ as an op of (x, g).
fn weight_grad(x: &Var, g: &Var, saved: &Arc<BatchNormSaved>, eps: f64) -> Result<Var> {
    let need = [false, true, false];
    let dw = kernels::batch_norm_backward(x.data(), None, g.data(), saved, need)?.1;
    let dw = dw.expect("dγ was asked for");
    let saved = saved.clone();
    Ok(Var::from_op(
        "batch_norm_weight_grad",
        dw,
        vec![x.clone(), g.clone()],
        move |c| {
            let (axes, per_channel) = channel_axes(c.input(0));
            if is_grad_enabled() {
                return composite_rule(c, |v| {
                    let (xhat, _) = normalised(&v[0], &saved, eps)?;
                    v[1].mul(&xhat)?.sum(&axes, false)
                });
            }
            let (x, g, v) = (c.input(0), c.input(1), c.grad);
            // for x: the first-order input gradient with γ = v, on g
            let dx = if c.need(0) {
                let need = [true, false, false];
                kernels::batch_norm_backward(x.data(), Some(v.data()), g.data(), &saved, need)?.0
            } else {
                None
            };
            // for g: v·x̂
            let dg = if c.need(1) {
                let (mean, inv_std) = saved_stats(&saved, x.dtype(), x.device())?;
                let scale = kernels::binary(&inv_std, v.data(), kernels::BinaryOp::Mul)?;
                let (mean, scale) = (
                    kernels::reshape(&mean, &per_channel)?,
                    kernels::reshape(&scale, &per_channel)?,
                );
                let centred = kernels::binary(x.data(), &mean, kernels::BinaryOp::Sub)?;
                Some(kernels::binary(&centred, &scale, kernels::BinaryOp::Mul)?)
            } else {
                None
            };
            Ok(vec![dx.map(Var::constant), dg.map(Var::constant)])
        },
    ))
}

/// (dx, dγ, dβ) for the output gradient `g`, each only when `need` says.
pub(super) fn batch_norm_grads(
    x: &Var,
    w: &Var,
    g: &Var,
    saved: &Arc<BatchNormSaved>,
    eps: f64,
    need: [bool; 3],
) -> Result<[Option<Var>; 3]> {
    if !is_grad_enabled() {
        let (dx, dw, db) =
            kernels::batch_norm_backward(x.data(), Some(w.data()), g.data(), saved, need)?;
        return Ok([dx, dw, db].map(|t| t.map(Var::constant)));
    }
    let (axes, _) = channel_axes(x);
    let dx = need[0]
        .then(|| input_grad(x, w, g, saved, eps))
        .transpose()?;
    let dw = need[1].then(|| weight_grad(x, g, saved, eps)).transpose()?;
    let db = need[2].then(|| g.sum(&axes, false)).transpose()?;
    Ok([dx, dw, db])
}
