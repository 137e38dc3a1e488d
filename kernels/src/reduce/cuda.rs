//! Host side of reduce.cu: sums of dense [outer, r, inner] buffers, row max
//! with argmax, its scatter backward, and the means of a few small tensors.

use crate::cuda::compile::Source;
use crate::cuda::launch::{grid, grid_warps, BLOCK};
use crate::cuda::{operand, operand_on, output, to_u32, upload_u32, zeros, CudaDevice};
use cudarc::driver::LaunchConfig;
use std::sync::Arc;
use tensor::cuda::{download, CudaStorage};
use tensor::{Error, Result, Tensor};

/// `reduce.cu`, embedded in the binary and compiled by NVRTC on first use.
pub(crate) fn source() -> Source {
    Source {
        name: "reduce.cu",
        code: include_str!("reduce.cu"),
    }
}

/// Rows longer than this (when there are few rows) get a block each, or
/// several: one warp would take too long over them.
const WARP_ROW_MAX: usize = 2048;
/// Elements per block when a long row is split across blocks.
const SPLIT_CHUNK: usize = 8192;

/// [outer, r] → y[outer] for dense x at `px`, into `py`.
fn sum_rows(dev: &Arc<CudaDevice>, px: u64, py: u64, outer: usize, r: usize) -> Result<()> {
    let op = "sum";
    let sms = dev.sm_count() as usize;
    let (o64, r64) = (outer as u64, r as u64);
    if r <= WARP_ROW_MAX || outer >= sms * 16 {
        launch!(
            op,
            dev,
            source(),
            "sum_rows_warp",
            grid_warps(dev, outer),
            [px, py, o64, r64]
        );
        return Ok(());
    }
    // Few long rows: enough blocks per row to fill the GPU, partial sums in a
    // scratch buffer, then a warp per row adds them up.
    let splits = (sms * 4).div_ceil(outer).clamp(1, r.div_ceil(SPLIT_CHUNK));
    let chunk = r.div_ceil(splits) as u64;
    let cfg = |y: usize| LaunchConfig {
        grid_dim: (outer.min(65_535) as u32, y as u32, 1),
        block_dim: (BLOCK, 1, 1),
        shared_mem_bytes: 0,
    };
    if splits == 1 {
        launch!(
            op,
            dev,
            source(),
            "sum_rows_block",
            cfg(1),
            [px, py, o64, r64, chunk]
        );
        return Ok(());
    }
    let scratch = CudaStorage::alloc(dev, outer * splits)?;
    let ps = scratch.device_ptr();
    launch!(
        op,
        dev,
        source(),
        "sum_rows_block",
        cfg(splits),
        [px, ps, o64, r64, chunk]
    );
    let s64 = splits as u64;
    launch!(
        op,
        dev,
        source(),
        "sum_rows_warp",
        grid_warps(dev, outer),
        [ps, py, o64, s64]
    );
    Ok(())
}

/// Sum of a dense x viewed as [outer, r, inner] over r, shaped `out_shape`.
pub(crate) fn sum(
    x: &Tensor,
    outer: usize,
    r: usize,
    inner: usize,
    out_shape: &[usize],
) -> Result<Tensor> {
    let (dev, px) = operand("sum", x)?;
    if r == 0 || outer * inner == 0 {
        // An empty sum is 0, an empty output needs no kernel.
        return Ok(zeros(&dev, out_shape)?.0);
    }
    let (out, py) = output(&dev, out_shape)?;
    if inner == 1 {
        sum_rows(&dev, px, py, outer, r)?;
        return Ok(out);
    }
    let cfg = LaunchConfig {
        grid_dim: (inner.div_ceil(32) as u32, outer.min(65_535) as u32, 1),
        block_dim: (32, 8, 1),
        shared_mem_bytes: 0,
    };
    let (o64, r64, i64_) = (outer as u64, r as u64, inner as u64);
    launch!(
        "sum",
        &dev,
        source(),
        "sum_mid",
        cfg,
        [px, py, o64, r64, i64_]
    );
    Ok(out)
}

/// Max of each row of a dense [rows, len] x: values shaped `out_shape`, and
/// the argmax of each row. The indices are read back, so this waits for the
/// GPU (the autograd `max` keeps them on the host).
pub(crate) fn max_rows(
    x: &Tensor,
    rows: usize,
    len: usize,
    out_shape: &[usize],
) -> Result<(Tensor, Vec<usize>)> {
    let op = "max";
    let (dev, px) = operand(op, x)?;
    let len32 = to_u32(op, x.shape(), "the reduced dimension", len)?;
    let (vals, pv) = output(&dev, out_shape)?;
    if rows == 0 {
        return Ok((vals, Vec::new()));
    }
    let idx = CudaStorage::alloc(&dev, rows)?;
    let pi = idx.device_ptr();
    let r64 = rows as u64;
    launch!(
        op,
        &dev,
        source(),
        "max_rows",
        grid_warps(&dev, rows),
        [px, pv, pi, r64, len32]
    );
    let bits = download(&idx, 0..rows)?;
    Ok((vals, bits.iter().map(|v| v.to_bits() as usize).collect()))
}

/// The backward of `max_rows`: a zero [rows, len] tensor (shaped `shape`)
/// holding g[row] at each row's argmax.
pub(crate) fn scatter_rows(
    g: &Tensor,
    indices: &[usize],
    rows: usize,
    len: usize,
    shape: &[usize],
) -> Result<Tensor> {
    let op = "max_backward";
    let (dev, pg) = operand(op, g)?;
    let len32 = to_u32(op, shape, "the reduced dimension", len)?;
    // An index past the row would write outside the output on the device.
    if let Some(&bad) = indices.iter().find(|&&i| i >= len) {
        return Err(Error::arg(
            op,
            shape,
            format!("index {bad} is not below {len}"),
        ));
    }
    let (out, po) = zeros(&dev, shape)?;
    if rows == 0 {
        return Ok(out);
    }
    let idx: Vec<u32> = indices.iter().map(|&i| i as u32).collect();
    let (_keep, pi) = upload_u32(&dev, &idx)?;
    let r64 = rows as u64;
    launch!(
        op,
        &dev,
        source(),
        "scatter_rows",
        grid(&dev, rows, BLOCK),
        [pg, pi, po, r64, len32]
    );
    Ok(out)
}

/// Tensors per `mean_each` launch (`MEANS_MAX` of reduce.cu).
pub(crate) const MEANS_MAX: usize = 8;

/// `struct MeanList` of reduce.cu.
#[repr(C)]
#[derive(Clone, Copy)]
struct MeanList {
    x: [u64; MEANS_MAX],
    n: [u64; MEANS_MAX],
    sigmoid: [i32; MEANS_MAX],
    count: i32,
}

// SAFETY: plain old data laid out as the C struct.
unsafe impl cudarc::driver::DeviceRepr for MeanList {}

/// [mean(σ?(x₀)), mean(σ?(x₁)), …] of dense tensors on one GPU, one launch.
pub(crate) fn mean_each(parts: &[(&Tensor, bool)]) -> Result<Tensor> {
    let op = "mean_each";
    let (dev, _) = operand(op, parts[0].0)?;
    let mut l = MeanList {
        x: [0; MEANS_MAX],
        n: [0; MEANS_MAX],
        sigmoid: [0; MEANS_MAX],
        count: parts.len() as i32,
    };
    let dense: Vec<Tensor> = parts
        .iter()
        .map(|(t, _)| crate::copy::contiguous(t))
        .collect::<Result<_>>()?;
    for (i, (t, (_, sig))) in dense.iter().zip(parts).enumerate() {
        l.x[i] = operand_on(op, t, &dev)?;
        l.n[i] = t.numel() as u64;
        l.sigmoid[i] = *sig as i32;
    }
    let (out, po) = output(&dev, &[parts.len()])?;
    let cfg = LaunchConfig {
        grid_dim: (parts.len() as u32, 1, 1),
        block_dim: (BLOCK, 1, 1),
        shared_mem_bytes: 0,
    };
    launch!(op, &dev, source(), "mean_each", cfg, [l, po]);
    Ok(out)
}
