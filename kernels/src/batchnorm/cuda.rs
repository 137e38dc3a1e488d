//! Host side of batchnorm.cu: batch normalisation over [N, C, *] on the GPU.
//! The per-channel statistics a forward used stay on the device, as a [2, C]
//! tensor (mean, then 1/√(var + eps)) in `BatchNormSaved::device_stats`, so a
//! training step never waits for the GPU.

use crate::batchnorm::BatchNormSaved;
use crate::copy::contiguous;
use crate::cuda::compile::Source;
use crate::cuda::launch::{grid, BLOCK};
use crate::cuda::{operand, operand_on, output, CudaDevice};
use cudarc::driver::{DeviceRepr, LaunchConfig};
use std::sync::Arc;
use tensor::cuda::CudaStorage;
use tensor::{Error, Result, Tensor};

/// `batchnorm.cu`, embedded in the binary and compiled by NVRTC on first use.
pub(crate) fn source() -> Source {
    Source {
        name: "batchnorm.cu",
        code: include_str!("batchnorm.cu"),
    }
}

/// Threads per block of the per-channel reductions (BN_THREADS in the source).
const BN_THREADS: u32 = 256;

/// `struct BnShape` of batchnorm.cu.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
struct BnShape {
    n: i64,
    c: i64,
    s: i64,
}

// SAFETY: plain old data laid out as the C struct (repr(C), i64 only).
unsafe impl DeviceRepr for BnShape {}

fn shape_of(op: &'static str, x: &Tensor) -> Result<BnShape> {
    let s = x.shape();
    if s.len() < 2 {
        return Err(Error::arg(
            op,
            s,
            "input must be [N, C] or [N, C, *spatial]",
        ));
    }
    Ok(BnShape {
        n: s[0] as i64,
        c: s[1] as i64,
        s: s[2..].iter().product::<usize>() as i64,
    })
}

/// Address and element stride of a per-channel parameter [C] on `dev`
/// ((0, 0) when absent).
fn per_channel(
    op: &'static str,
    what: &str,
    t: Option<&Tensor>,
    x: &Tensor,
    dev: &CudaDevice,
) -> Result<(u64, i64)> {
    let Some(t) = t else { return Ok((0, 0)) };
    let c = x.shape()[1];
    if t.shape() != [c] {
        return Err(Error::shape_detail(
            op,
            x.shape(),
            t.shape(),
            format!("{what} must have shape [{c}] (one value per channel)"),
        ));
    }
    crate::dispatch::check_same(op, x, t)?;
    Ok((operand_on(op, t, dev)?, t.layout().strides()[0] as i64))
}

/// One block per channel (c ≥ 1; the grid's x dimension reaches 2^31 − 1).
fn per_channel_cfg(c: usize) -> LaunchConfig {
    LaunchConfig {
        grid_dim: (c as u32, 1, 1),
        block_dim: (BN_THREADS, 1, 1),
        shared_mem_bytes: 0,
    }
}

/// y = (x − mean)·inv_std·γ + β with the statistics at `pstats`.
#[allow(clippy::too_many_arguments)]
fn apply(
    op: &'static str,
    dev: &Arc<CudaDevice>,
    xc: &Tensor,
    pstats: u64,
    (pg, gs): (u64, i64),
    (pb, bs): (u64, i64),
    d: BnShape,
) -> Result<Tensor> {
    let px = operand_on(op, xc, dev)?;
    let (y, py) = output(dev, xc.shape())?;
    let n = xc.numel();
    if n > 0 {
        launch!(
            op,
            dev,
            source(),
            "bn_apply_f32",
            grid(dev, n, BLOCK),
            [px, py, pstats, pg, gs, pb, bs, d]
        );
    }
    Ok(y)
}

/// Training mode: batch statistics, running statistics updated in place.
pub(crate) fn train(
    x: &Tensor,
    weight: Option<&Tensor>,
    bias: Option<&Tensor>,
    running: Option<(&Tensor, &Tensor)>,
    momentum: f64,
    eps: f64,
) -> Result<(Tensor, BatchNormSaved)> {
    let op = "batch_norm";
    let d = shape_of(op, x)?;
    let (dev, _) = operand(op, x)?;
    let g = per_channel(op, "weight", weight, x, &dev)?;
    let b = per_channel(op, "bias", bias, x, &dev)?;
    let (rm, rv) = match running {
        Some((rm, rv)) => (
            per_channel(op, "running_mean", Some(rm), x, &dev)?,
            per_channel(op, "running_var", Some(rv), x, &dev)?,
        ),
        None => ((0, 0), (0, 0)),
    };
    let m = d.n * d.s;
    if m <= 1 {
        return Err(Error::arg(
            op,
            x.shape(),
            format!("expected more than 1 value per channel when training, got {m}"),
        ));
    }
    let xc = contiguous(x)?;
    let px = operand_on(op, &xc, &dev)?;
    let c = d.c as usize;
    let (stats, pstats) = output(&dev, &[2, c])?;
    let ((prm, rms), (prv, rvs)) = (rm, rv);
    let (eps32, mom32) = (eps as f32, momentum as f32);
    if c > 0 {
        launch!(
            op,
            &dev,
            source(),
            "bn_stats_f32",
            per_channel_cfg(c),
            [px, pstats, prm, rms, prv, rvs, d, eps32, mom32]
        );
    }
    let y = apply(op, &dev, &xc, pstats, g, b, d)?;
    Ok((y, saved(stats, true)))
}

fn saved(stats: Tensor, training: bool) -> BatchNormSaved {
    BatchNormSaved {
        mean: Vec::new(),
        inv_std: Vec::new(),
        training,
        device_stats: Some(stats),
    }
}

/// Eval mode: normalise with the running statistics.
pub(crate) fn eval(
    x: &Tensor,
    weight: Option<&Tensor>,
    bias: Option<&Tensor>,
    running_mean: &Tensor,
    running_var: &Tensor,
    eps: f64,
) -> Result<(Tensor, BatchNormSaved)> {
    let op = "batch_norm";
    let d = shape_of(op, x)?;
    let (dev, _) = operand(op, x)?;
    let g = per_channel(op, "weight", weight, x, &dev)?;
    let b = per_channel(op, "bias", bias, x, &dev)?;
    let (prm, rms) = per_channel(op, "running_mean", Some(running_mean), x, &dev)?;
    let (prv, rvs) = per_channel(op, "running_var", Some(running_var), x, &dev)?;
    let c = d.c as usize;
    let (stats, pstats) = output(&dev, &[2, c])?;
    let (c64, eps32) = (d.c, eps as f32);
    if c > 0 {
        launch!(
            op,
            &dev,
            source(),
            "bn_eval_stats_f32",
            grid(&dev, c, BLOCK),
            [prm, rms, prv, rvs, pstats, c64, eps32]
        );
    }
    let y = apply(op, &dev, &contiguous(x)?, pstats, g, b, d)?;
    Ok((y, saved(stats, false)))
}

/// x's device and the device pointer of the [2, C] statistics a GPU forward
/// saved; an error when the forward ran on the CPU or for other channels.
fn saved_stats(
    op: &'static str,
    saved: &BatchNormSaved,
    x: &Tensor,
    c: usize,
) -> Result<(Arc<CudaDevice>, u64)> {
    let stats = saved.device_stats.as_ref().ok_or_else(|| {
        Error::invalid(op, "the forward ran on the CPU but the backward on a GPU")
    })?;
    if stats.shape() != [2, c] {
        return Err(Error::arg(
            op,
            x.shape(),
            format!("saved statistics are for {} channels", stats.shape()[1]),
        ));
    }
    let (dev, _) = operand(op, x)?;
    let pstats = operand_on(op, &contiguous(stats)?, &dev)?;
    Ok((dev, pstats))
}

/// (dx, dγ, dβ), each only when `need` asks for it.
pub(crate) fn backward(
    x: &Tensor,
    weight: Option<&Tensor>,
    dy: &Tensor,
    saved: &BatchNormSaved,
    need: [bool; 3],
) -> Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
    let op = "batch_norm_backward";
    let d = shape_of(op, x)?;
    let c = d.c as usize;
    let (dev, pstats) = saved_stats(op, saved, x, c)?;
    let (pg, gs) = per_channel(op, "weight", weight, x, &dev)?;
    let (xc, gc) = (contiguous(x)?, contiguous(dy)?);
    let (px, pdy) = (operand_on(op, &xc, &dev)?, operand_on(op, &gc, &dev)?);
    let dgamma = need[1].then(|| output(&dev, &[c])).transpose()?;
    let dbeta = need[2].then(|| output(&dev, &[c])).transpose()?;
    let sums_needed = need[1] || need[2] || (need[0] && saved.training);
    let sums = CudaStorage::alloc(&dev, 2 * c)?;
    let psums = sums.device_ptr();
    if sums_needed && c > 0 {
        let pdg = dgamma.as_ref().map_or(0, |t| t.1);
        let pdb = dbeta.as_ref().map_or(0, |t| t.1);
        launch!(
            op,
            &dev,
            source(),
            "bn_grad_sums_f32",
            per_channel_cfg(c),
            [pdy, px, pstats, psums, pdg, pdb, d]
        );
    }
    let dx = if need[0] {
        let (dx, pdx) = output(&dev, x.shape())?;
        let training = i32::from(saved.training);
        if x.numel() > 0 {
            launch!(
                op,
                &dev,
                source(),
                "bn_backward_dx_f32",
                grid(&dev, x.numel(), BLOCK),
                [pdy, px, pstats, psums, pg, gs, pdx, d, training]
            );
        }
        Some(dx)
    } else {
        None
    };
    drop(sums);
    Ok((dx, dgamma.map(|t| t.0), dbeta.map(|t| t.0)))
}

/// Batch norm's double backward on a GPU: (dx in training, dγ), each only
/// when `need` asks for it (see double.rs).
pub(crate) fn double_backward(
    x: &Tensor,
    weight: Option<&Tensor>,
    dy: &Tensor,
    ggx: &Tensor,
    saved: &BatchNormSaved,
    need: [bool; 2],
) -> Result<(Option<Tensor>, Option<Tensor>)> {
    let op = "batch_norm_double_backward";
    let d = shape_of(op, x)?;
    let c = d.c as usize;
    let (dev, pstats) = saved_stats(op, saved, x, c)?;
    let (pg, gs) = per_channel(op, "weight", weight, x, &dev)?;
    let (xc, gc, uc) = (contiguous(x)?, contiguous(dy)?, contiguous(ggx)?);
    let px = operand_on(op, &xc, &dev)?;
    let (pdy, pu) = (operand_on(op, &gc, &dev)?, operand_on(op, &uc, &dev)?);
    let dgamma = need[1].then(|| output(&dev, &[c])).transpose()?;
    let sums = CudaStorage::alloc(&dev, 5 * c)?;
    let psums = sums.device_ptr();
    let training = i32::from(saved.training);
    if c > 0 {
        let pdg = dgamma.as_ref().map_or(0, |t| t.1);
        launch!(
            op,
            &dev,
            source(),
            "bn_double_sums_f32",
            per_channel_cfg(c),
            [pdy, pu, px, pstats, psums, pdg, d, training]
        );
    }
    let dx = if need[0] && saved.training {
        let (dx, pdx) = output(&dev, x.shape())?;
        if x.numel() > 0 {
            launch!(
                op,
                &dev,
                source(),
                "bn_double_dx_f32",
                grid(&dev, x.numel(), BLOCK),
                [pdy, pu, px, pstats, psums, pg, gs, pdx, d]
            );
        }
        Some(dx)
    } else {
        None
    };
    drop(sums);
    Ok((dx, dgamma.map(|t| t.0)))
}
