//! Batch norm's gradients. Unrecorded (first order), one fused kernel gives
//! dx, dγ and dβ from the statistics the forward saved. Recorded (under
//! `create_graph`), the same gradients are composed from differentiable ops,
//! with the batch statistics recomputed from x as ops, so that their
//! dependence on x is in the graph: with x̂ = (x − μ)·σ⁻¹ per channel, over
//! the M values of a channel,
//!
//!   dβ = Σg,  dγ = Σg·x̂,  dx = γσ⁻¹·(g − mean(g) − x̂·mean(g·x̂))  (training)
//!   dx = γσ⁻¹·g with μ, σ the running statistics, constants  (eval).
//!
//! PyTorch's `batchnorm_double_backward` is likewise a composite of ops; this
//! one differentiates to any order.

use crate::grad_mode::is_grad_enabled;
use crate::Var;
use kernels::BatchNormSaved;
use tensor::{DType, Device, Result, Tensor};

/// The statistics an eval-mode forward used, as [C] tensors (mean, 1/σ).
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

/// (dx, dγ, dβ) for the output gradient `g`, each only when `need` says.
pub(super) fn batch_norm_grads(
    x: &Var,
    w: &Var,
    g: &Var,
    saved: &BatchNormSaved,
    eps: f64,
    need: [bool; 3],
) -> Result<[Option<Var>; 3]> {
    if !is_grad_enabled() {
        let (dx, dw, db) =
            kernels::batch_norm_backward(x.data(), Some(w.data()), g.data(), saved, need)?;
        return Ok([dx, dw, db].map(|t| t.map(Var::constant)));
    }
    let rank = x.shape().len();
    let axes: Vec<isize> = (0..rank as isize).filter(|&a| a != 1).collect();
    let mut per_channel = vec![1; rank];
    per_channel[1] = x.shape()[1];
    let (xhat, inv_std) = if saved.training {
        let mean = x.mean(&axes, true)?;
        let centred = x.sub(&mean)?;
        let var = centred.square()?.mean(&axes, true)?;
        let inv_std = var.add_scalar(eps)?.pow_scalar(-0.5)?;
        (centred.mul(&inv_std)?, inv_std)
    } else {
        let (mean, inv_std) = saved_stats(saved, x.dtype(), x.device())?;
        let mean = Var::constant(kernels::reshape(&mean, &per_channel)?);
        let inv_std = Var::constant(kernels::reshape(&inv_std, &per_channel)?);
        (x.sub(&mean)?.mul(&inv_std)?, inv_std)
    };
    let db = need[2].then(|| g.sum(&axes, false)).transpose()?;
    let dw = need[1]
        .then(|| g.mul(&xhat)?.sum(&axes, false))
        .transpose()?;
    let dx = if need[0] {
        let scale = inv_std.mul(&w.reshape(&per_channel)?)?;
        let inner = if saved.training {
            let g_mean = g.mean(&axes, true)?;
            let gx_mean = g.mul(&xhat)?.mean(&axes, true)?;
            g.sub(&g_mean)?.sub(&xhat.mul(&gx_mean)?)?
        } else {
            g.clone()
        };
        Some(inner.mul(&scale)?)
    } else {
        None
    };
    Ok([dx, dw, db])
}
