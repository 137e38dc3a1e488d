//! Batch norm's double backward: the gradients of its input gradient
//! dx = γσ⁻¹·(g − mean(g) − x̂·mean(g·x̂)) (training) or γσ⁻¹·g (eval), for an
//! incoming gradient u of dx, with respect to x, γ and g. Per channel, over
//! its M values, with x̂ = (x − μ)·s (s = σ⁻¹) and means ḡ = mean(g),
//! c = mean(g·x̂), ū = mean(u), v = mean(u·x̂), w = mean(u·g):
//!
//!   d g = γs·(u − ū − x̂·v)                          (the first-order rule, on u)
//!   d γ = s·M·(w − ḡū − c·v)
//!   d x = −γs²·(x̂·(w − ḡū − 3c·v) + v·(g − ḡ) + c·(u − ū))
//!
//! (from ∂x̂ᵢ/∂xⱼ = s(δᵢⱼ − 1/M − x̂ᵢx̂ⱼ/M) and ∂s/∂xⱼ = −s²x̂ⱼ/M; PyTorch's
//! `batchnorm_double_backward` has the same terms). In eval mode s and μ are
//! constants: d g = γs·u, d γ = s·Σu·g, d x = 0. One pass of per-channel sums
//! (in f64) and one elementwise pass, on the CPU and on a GPU.

use super::cpu::{affine3, grad_sums, Ncs};
use super::{
    batch_norm_backward, check_saved, cuda, layout_of, per_channel, tensor_of, BatchNormSaved,
};
use crate::copy::contiguous;
use tensor::{Error, Result, Tensor};

/// Per channel: (w − ḡū − c·v, v, c, ḡ, ū) of the module docs, from the three
/// sum pairs (Σg, Σg(x−μ)), (Σu, Σu(x−μ)), (·, Σu·g).
pub(crate) fn channel_terms(m: f64, s: f64, sg: (f64, f64), su: (f64, f64), sug: f64) -> [f64; 5] {
    let (g_mean, c) = (sg.0 / m, s * sg.1 / m);
    let (u_mean, v) = (su.0 / m, s * su.1 / m);
    let w = sug / m;
    [w - g_mean * u_mean - c * v, v, c, g_mean, u_mean]
}

/// The gradients (dx, dγ, dg) of batch norm's input gradient for the
/// incoming gradient `ggx` of it, each only when `need` asks; x, `dy` (the
/// g of the forward's backward) and `ggx` share x's shape. Eval mode's dx is
/// zeros.
pub fn batch_norm_double_backward(
    x: &Tensor,
    weight: Option<&Tensor>,
    dy: &Tensor,
    ggx: &Tensor,
    saved: &BatchNormSaved,
    need: [bool; 3],
) -> Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
    let op = "batch_norm_double_backward";
    let d = layout_of(op, x)?;
    for (what, t) in [("output gradient", dy), ("incoming gradient", ggx)] {
        if t.shape() != x.shape() {
            return Err(Error::shape_detail(
                op,
                x.shape(),
                t.shape(),
                format!("the {what} must have the input's shape"),
            ));
        }
    }
    let ddy = if need[2] {
        batch_norm_backward(x, weight, ggx, saved, [true, false, false])?.0
    } else {
        None
    };
    let want_dx = need[0] && saved.training;
    if !want_dx && !need[1] {
        let dx = need[0]
            .then(|| Tensor::zeros(x.shape(), x.dtype(), x.device()))
            .transpose()?;
        return Ok((dx, None, ddy));
    }
    let (dx, dgamma) = if x.device().is_cuda() {
        cuda::double_backward(x, weight, dy, ggx, saved, [want_dx, need[1]])?
    } else {
        cpu_double(d, x, weight, dy, ggx, saved, [want_dx, need[1]])?
    };
    let dx = match dx {
        None if need[0] => Some(Tensor::zeros(x.shape(), x.dtype(), x.device())?),
        dx => dx,
    };
    Ok((dx, dgamma, ddy))
}

/// The CPU dx (training) and dγ.
fn cpu_double(
    d: Ncs,
    x: &Tensor,
    weight: Option<&Tensor>,
    dy: &Tensor,
    ggx: &Tensor,
    saved: &BatchNormSaved,
    need: [bool; 2],
) -> Result<(Option<Tensor>, Option<Tensor>)> {
    let op = "batch_norm_double_backward";
    check_saved(op, saved, x, d.c)?;
    let gamma = per_channel(op, "weight", weight, x, d.c, 1.0)?;
    let (xc, gc, uc) = (contiguous(x)?, contiguous(dy)?, contiguous(ggx)?);
    let (mean, istd) = (&saved.mean, &saved.inv_std);
    let zeros = vec![0.0; d.c];
    let m = d.m() as f64;
    let terms: Vec<[f64; 5]> = dispatch3!(op, &gc, &uc, &xc, |sg, su, sx: T, lg, lu, lx| {
        let g = &sg[lg.offset()..lg.offset() + lg.numel()];
        let u = &su[lu.offset()..lu.offset() + lu.numel()];
        let xv = &sx[lx.offset()..lx.offset() + lx.numel()];
        let (g_sums, u_sums) = (grad_sums(d, g, xv, mean), grad_sums(d, u, xv, mean));
        let ug_sums = grad_sums(d, u, g, &zeros);
        (0..d.c)
            .map(|c| channel_terms(m, istd[c], g_sums[c], u_sums[c], ug_sums[c].1))
            .collect()
    });
    let dgamma = need[1]
        .then(|| {
            let v: Vec<f64> = (0..d.c)
                .map(|c| {
                    if saved.training {
                        istd[c] * m * terms[c][0]
                    } else {
                        // s·Σu·g: w = Σu·g / M, and ḡū, c·v are not terms in eval
                        let [a, v, cc, gm, um] = terms[c];
                        istd[c] * m * (a + gm * um + cc * v)
                    }
                })
                .collect();
            tensor_of(&v, x.dtype())
        })
        .transpose()?;
    let dx = if need[0] {
        // dx = g·k0 + u·k1 + (x − μ)·k2 + k3 with k = −γs² times
        // (v, c, s·(w − ḡū − 3c·v), −v·ḡ − c·ū)
        let k: Vec<[f64; 5]> = (0..d.c)
            .map(|c| {
                let [a, v, cc, gm, um] = terms[c];
                let s = istd[c];
                let k = -gamma[c] * s * s;
                [
                    k * v,
                    k * cc,
                    mean[c],
                    k * s * (a - 2.0 * cc * v),
                    k * (-v * gm - cc * um),
                ]
            })
            .collect();
        Some(dispatch3!(
            op,
            &gc,
            &uc,
            &xc,
            |sg, su, sx: T, lg, lu, lx| {
                let g = &sg[lg.offset()..lg.offset() + lg.numel()];
                let u = &su[lu.offset()..lu.offset() + lu.numel()];
                let xv = &sx[lx.offset()..lx.offset() + lx.numel()];
                Tensor::from_vec::<T>(affine3(d, g, u, xv, &k), x.shape())?
            }
        ))
    } else {
        None
    };
    Ok((dx, dgamma))
}
