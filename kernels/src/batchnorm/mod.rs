//! Batch normalisation over [N, C] or [N, C, *spatial] (statistics per channel
//! C, over N and the spatial dims), with PyTorch's semantics exactly:
//!
//! - training: normalise with the batch mean and the *biased* batch variance,
//!   and update the running statistics in place as
//!   r ← (1 − momentum)·r + momentum·batch_stat, using the *unbiased* variance;
//! - eval: normalise with the running statistics, which stay untouched.
//!
//! The forward returns what the backward needs (per-channel mean and 1/σ, in
//! f64); the backward is one reduction pass (Σg, Σg·(x − mean)) and one
//! elementwise pass for dx.

mod cpu;
pub(crate) mod cuda;
mod double;

pub use double::batch_norm_double_backward;

use crate::copy::contiguous;
use crate::dispatch::check_same;
use cpu::Ncs;
use tensor::{CpuStorage, DType, Error, Result, StorageKind, Tensor};

/// Per-channel statistics a forward used, for its backward.
#[derive(Clone, Debug)]
pub struct BatchNormSaved {
    /// Batch mean (training) or running mean (eval).
    pub mean: Vec<f64>,
    /// 1/√(var + eps) with the biased batch variance (training) or the running one.
    pub inv_std: Vec<f64>,
    /// Whether the batch statistics were used (they then depend on x).
    pub training: bool,
    /// After a forward on a GPU: the statistics as a [2, C] device tensor
    /// (mean, then inv_std), and `mean` / `inv_std` are empty.
    pub device_stats: Option<Tensor>,
}

fn layout_of(op: &'static str, x: &Tensor) -> Result<Ncs> {
    if x.rank() < 2 {
        return Err(Error::arg(
            op,
            x.shape(),
            "input must be [N, C] or [N, C, *spatial]",
        ));
    }
    let s = x.shape();
    Ok(Ncs {
        n: s[0],
        c: s[1],
        s: s[2..].iter().product(),
    })
}

/// A per-channel parameter of shape [C] as f64 values (`default` when absent).
fn per_channel(
    op: &'static str,
    what: &str,
    t: Option<&Tensor>,
    x: &Tensor,
    c: usize,
    default: f64,
) -> Result<Vec<f64>> {
    match t {
        None => Ok(vec![default; c]),
        Some(t) => {
            if t.shape() != [c] {
                return Err(Error::shape_detail(
                    op,
                    x.shape(),
                    t.shape(),
                    format!("{what} must have shape [{c}] (one value per channel)"),
                ));
            }
            check_same(op, x, t)?;
            t.to_vec::<f64>()
        }
    }
}

/// An error unless a CPU forward saved statistics for `c` channels.
fn check_saved(op: &'static str, saved: &BatchNormSaved, x: &Tensor, c: usize) -> Result<()> {
    if saved.mean.len() != c || saved.inv_std.len() != c {
        return Err(Error::arg(
            op,
            x.shape(),
            format!("saved statistics are for {} channels", saved.mean.len()),
        ));
    }
    Ok(())
}

fn tensor_of(v: &[f64], dtype: DType) -> Result<Tensor> {
    match dtype {
        DType::F32 => Tensor::from_vec(v.iter().map(|&x| x as f32).collect::<Vec<_>>(), &[v.len()]),
        DType::F64 => Tensor::from_slice(v, &[v.len()]),
    }
}

/// Overwrite the [C] tensor `t` (any layout) with `vals`, in place.
fn write_in_place(t: &Tensor, vals: &[f64]) {
    let layout = t.layout().clone();
    let mut g = t.storage_mut();
    match g.kind_mut() {
        StorageKind::Cpu(CpuStorage::F32(d)) => {
            for (i, v) in layout.indices().zip(vals) {
                d[i] = *v as f32;
            }
        }
        StorageKind::Cpu(CpuStorage::F64(d)) => {
            for (i, v) in layout.indices().zip(vals) {
                d[i] = *v;
            }
        }
        // Unreachable: the statistics' dispatch1! returns Unsupported for a
        // CUDA input first, and check_same keeps the running stats on x's device.
        StorageKind::Cuda(_) => {}
    }
}

/// y = (x − mean)·γ·inv_std + β with the given per-channel statistics.
fn normalise(
    d: Ncs,
    xc: &Tensor,
    mean: &[f64],
    inv_std: &[f64],
    gamma: &[f64],
    beta: &[f64],
) -> Result<Tensor> {
    let k: Vec<[f64; 4]> = (0..d.c)
        .map(|c| [0.0, mean[c], gamma[c] * inv_std[c], beta[c]])
        .collect();
    dispatch1!(xc, |s: T, l| {
        let x = &s[l.offset()..l.offset() + l.numel()];
        Tensor::from_vec::<T>(cpu::affine(d, None, x, &k), l.shape())
    })
}

/// Training-mode batch norm: normalises with the batch statistics and, when
/// `running` = (running_mean, running_var) is given, updates them in place.
/// `weight` (γ) and `bias` (β) default to 1 and 0.
pub fn batch_norm_train(
    x: &Tensor,
    weight: Option<&Tensor>,
    bias: Option<&Tensor>,
    running: Option<(&Tensor, &Tensor)>,
    momentum: f64,
    eps: f64,
) -> Result<(Tensor, BatchNormSaved)> {
    let op = "batch_norm";
    let d = layout_of(op, x)?;
    if x.device().is_cuda() {
        return cuda::train(x, weight, bias, running, momentum, eps);
    }
    let gamma = per_channel(op, "weight", weight, x, d.c, 1.0)?;
    let beta = per_channel(op, "bias", bias, x, d.c, 0.0)?;
    let run_stats = running
        .map(|(rm, rv)| {
            Ok::<_, Error>((
                per_channel(op, "running_mean", Some(rm), x, d.c, 0.0)?,
                per_channel(op, "running_var", Some(rv), x, d.c, 1.0)?,
            ))
        })
        .transpose()?;
    if d.m() <= 1 {
        return Err(Error::arg(
            op,
            x.shape(),
            format!(
                "expected more than 1 value per channel when training, got {}",
                d.m()
            ),
        ));
    }
    let xc = contiguous(x)?;
    let stats = dispatch1!(&xc, |s: T, l| cpu::moments(
        d,
        &s[l.offset()..l.offset() + l.numel()]
    ));
    let mean: Vec<f64> = stats.iter().map(|s| s.0).collect();
    let inv_std: Vec<f64> = stats.iter().map(|s| 1.0 / (s.1 + eps).sqrt()).collect();
    let y = normalise(d, &xc, &mean, &inv_std, &gamma, &beta)?;
    if let (Some((rm, rv)), Some((rm0, rv0))) = (running, run_stats) {
        let m = d.m() as f64;
        let upd = |r: &[f64], batch: &dyn Fn(usize) -> f64| -> Vec<f64> {
            (0..d.c)
                .map(|c| (1.0 - momentum) * r[c] + momentum * batch(c))
                .collect()
        };
        write_in_place(rm, &upd(&rm0, &|c| mean[c]));
        write_in_place(rv, &upd(&rv0, &|c| stats[c].1 * m / (m - 1.0)));
    }
    Ok((
        y,
        BatchNormSaved {
            mean,
            inv_std,
            training: true,
            device_stats: None,
        },
    ))
}

/// Eval-mode batch norm: normalises with the running statistics.
pub fn batch_norm_eval(
    x: &Tensor,
    weight: Option<&Tensor>,
    bias: Option<&Tensor>,
    running_mean: &Tensor,
    running_var: &Tensor,
    eps: f64,
) -> Result<(Tensor, BatchNormSaved)> {
    let op = "batch_norm";
    let d = layout_of(op, x)?;
    if x.device().is_cuda() {
        return cuda::eval(x, weight, bias, running_mean, running_var, eps);
    }
    let gamma = per_channel(op, "weight", weight, x, d.c, 1.0)?;
    let beta = per_channel(op, "bias", bias, x, d.c, 0.0)?;
    let mean = per_channel(op, "running_mean", Some(running_mean), x, d.c, 0.0)?;
    let var = per_channel(op, "running_var", Some(running_var), x, d.c, 1.0)?;
    let inv_std: Vec<f64> = var.iter().map(|v| 1.0 / (v + eps).sqrt()).collect();
    let y = normalise(d, &contiguous(x)?, &mean, &inv_std, &gamma, &beta)?;
    Ok((
        y,
        BatchNormSaved {
            mean,
            inv_std,
            training: false,
            device_stats: None,
        },
    ))
}

/// Gradients (dx, dweight, dbias) of a batch norm given the upstream `dy`;
/// `need` selects which are computed. With x̂ = (x − mean)·inv_std and M values
/// per channel: dβ = Σdy, dγ = Σdy·x̂, and dx = γ·inv_std·dy in eval mode or
/// γ·inv_std/M·(M·dy − dβ − x̂·dγ) in training (the batch statistics depend on x).
pub fn batch_norm_backward(
    x: &Tensor,
    weight: Option<&Tensor>,
    dy: &Tensor,
    saved: &BatchNormSaved,
    need: [bool; 3],
) -> Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
    let op = "batch_norm_backward";
    let d = layout_of(op, x)?;
    if dy.shape() != x.shape() {
        return Err(Error::shape_detail(
            op,
            x.shape(),
            dy.shape(),
            "output gradient must have the input's shape",
        ));
    }
    if x.device().is_cuda() {
        return cuda::backward(x, weight, dy, saved, need);
    }
    check_saved(op, saved, x, d.c)?;
    let gamma = per_channel(op, "weight", weight, x, d.c, 1.0)?;
    let (xc, gc) = (contiguous(x)?, contiguous(dy)?);
    let (mean, istd) = (&saved.mean, &saved.inv_std);
    let sums_needed = need[1] || need[2] || (need[0] && saved.training);
    let sums = if sums_needed {
        dispatch2!(op, &gc, &xc, |sg, sx: T, lg, lx| cpu::grad_sums(
            d,
            &sg[lg.offset()..lg.offset() + lg.numel()],
            &sx[lx.offset()..lx.offset() + lx.numel()],
            mean
        ))
    } else {
        vec![(0.0, 0.0); d.c]
    };
    let dx = if need[0] {
        let m = d.m() as f64;
        let k: Vec<[f64; 4]> = (0..d.c)
            .map(|c| {
                let k1 = gamma[c] * istd[c];
                if saved.training {
                    let (sg, sgx) = sums[c];
                    [k1, mean[c], -k1 * istd[c] * istd[c] * sgx / m, -k1 * sg / m]
                } else {
                    [k1, mean[c], 0.0, 0.0]
                }
            })
            .collect();
        Some(dispatch2!(op, &gc, &xc, |sg, sx: T, lg, lx| {
            let g = &sg[lg.offset()..lg.offset() + lg.numel()];
            let xv = &sx[lx.offset()..lx.offset() + lx.numel()];
            Tensor::from_vec::<T>(cpu::affine(d, Some(g), xv, &k), x.shape())?
        }))
    } else {
        None
    };
    let dgamma = need[1]
        .then(|| {
            let v: Vec<f64> = (0..d.c).map(|c| sums[c].1 * istd[c]).collect();
            tensor_of(&v, x.dtype())
        })
        .transpose()?;
    let dbeta = need[2]
        .then(|| {
            let v: Vec<f64> = sums.iter().map(|s| s.0).collect();
            tensor_of(&v, x.dtype())
        })
        .transpose()?;
    Ok((dx, dgamma, dbeta))
}

#[cfg(test)]
mod tests;
