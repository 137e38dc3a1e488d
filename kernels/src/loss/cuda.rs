//! Host side of loss.cu. Inputs are made dense first (a no-op for the usual
//! dense activations); the upstream gradient stays on the device.

use crate::copy::contiguous;
use crate::cuda::compile::Source;
use crate::cuda::launch::{grid, grid_warps, BLOCK};
use crate::cuda::{operand, operand_on, output, to_u32, upload_u32, CudaDevice};
use cudarc::driver::LaunchConfig;
use std::sync::{Arc, OnceLock};
use tensor::cuda::CudaStorage;
use tensor::{Error, Result, Tensor};

/// The loss kinds that `loss_partial` / `loss_backward` of loss.cu dispatch
/// on: the only place their codes are written (the code is the position
/// here); loss.cu sees them as the `#define`s of `cuda_defines`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Bce,
    BceWithLogits,
    Mse,
}

impl Kind {
    /// Every kind, in code order.
    pub(crate) const ALL: [Kind; 3] = [Kind::Bce, Kind::BceWithLogits, Kind::Mse];

    /// The code the kernels receive.
    pub(crate) fn code(self) -> i32 {
        self as i32
    }

    /// The name loss.cu uses for the kind's code.
    pub(crate) fn cuda_name(self) -> &'static str {
        match self {
            Kind::Bce => "LOSS_BCE",
            Kind::BceWithLogits => "LOSS_BCE_WITH_LOGITS",
            Kind::Mse => "LOSS_MSE",
        }
    }

    /// `#define LOSS_BCE 0` and so on, one line per kind.
    pub(crate) fn cuda_defines() -> String {
        Kind::ALL
            .iter()
            .map(|k| format!("#define {} {}\n", k.cuda_name(), k.code()))
            .collect()
    }
}

/// The marker line of loss.cu that the kind `#define`s replace.
const KINDS_MARKER: &str = "// @LOSS_KINDS@\n";

/// loss.cu with the kinds' codes defined from `Kind`; built on first use.
pub(crate) fn source() -> Source {
    static CODE: OnceLock<String> = OnceLock::new();
    Source::assembled("loss.cu", &CODE, || {
        include_str!("loss.cu").replacen(KINDS_MARKER, &Kind::cuda_defines(), 1)
    })
}

/// out[0] = sum(parts[..count]) / denom, on one block.
fn mean_finish(
    dev: &Arc<CudaDevice>,
    op: &'static str,
    parts: u64,
    count: usize,
    denom: f64,
) -> Result<Tensor> {
    let (out, po) = output(dev, &[])?;
    let cfg = LaunchConfig {
        grid_dim: (1, 1, 1),
        block_dim: (1024, 1, 1),
        shared_mem_bytes: 0,
    };
    let c64 = count as u64;
    launch!(
        op,
        dev,
        source(),
        "mean_finish",
        cfg,
        [parts, c64, po, denom]
    );
    Ok(out)
}

/// mean over elements of the loss `kind` of (x, y): a 0-d device tensor.
pub(crate) fn mean(op: &'static str, kind: Kind, x: &Tensor, y: &Tensor) -> Result<Tensor> {
    let (xc, yc) = (contiguous(x)?, contiguous(y)?);
    let (dev, px) = operand(op, &xc)?;
    let py = operand_on(op, &yc, &dev)?;
    let n = xc.numel();
    // Few enough blocks that the single finishing block adds them quickly.
    let cfg = grid(&dev, n, BLOCK);
    let blocks = cfg.grid_dim.0 as usize;
    let (k, n64) = (kind.code(), n as u64);
    if blocks == 1 {
        // one block sums it all: partial and finish in one launch
        let (out, po) = output(&dev, &[])?;
        let denom = n as f64;
        launch!(
            op,
            &dev,
            source(),
            "loss_mean_block",
            cfg,
            [k, px, py, po, n64, denom]
        );
        return Ok(out);
    }
    let partial = CudaStorage::alloc(&dev, blocks)?;
    let pp = partial.device_ptr();
    launch!(
        op,
        &dev,
        source(),
        "loss_partial",
        cfg,
        [k, px, py, pp, n64]
    );
    mean_finish(&dev, op, pp, blocks, n as f64)
}

/// g/N · ∂loss/∂x, with the one-element upstream gradient `g` read on the device.
pub(crate) fn backward(
    op: &'static str,
    kind: Kind,
    x: &Tensor,
    y: &Tensor,
    g: &Tensor,
) -> Result<Tensor> {
    if g.numel() != 1 {
        return Err(Error::arg(
            op,
            g.shape(),
            "the upstream gradient of a loss has one element",
        ));
    }
    let (xc, yc) = (contiguous(x)?, contiguous(y)?);
    let (dev, px) = operand(op, &xc)?;
    let py = operand_on(op, &yc, &dev)?;
    let pg = operand_on(op, g, &dev)?;
    let n = xc.numel();
    let (out, pd) = output(&dev, x.shape())?;
    let (k, n64) = (kind.code(), n as u64);
    launch!(
        op,
        &dev,
        source(),
        "loss_backward",
        grid(&dev, n, BLOCK),
        [k, px, py, pg, pd, n64]
    );
    Ok(out)
}

/// Labels (already checked against the class count) as a device u32 buffer.
fn labels_on(
    dev: &Arc<CudaDevice>,
    op: &'static str,
    shape: &[usize],
    labels: &[usize],
) -> Result<(CudaStorage, u64)> {
    let v = labels
        .iter()
        .map(|&l| to_u32(op, shape, "a label", l))
        .collect::<Result<Vec<u32>>>()?;
    upload_u32(dev, &v)
}

/// mean over rows of logsumexp(row) − row[label], for dense [n, c] logits.
pub(crate) fn cross_entropy(logits: &Tensor, labels: &[usize]) -> Result<Tensor> {
    let op = "cross_entropy";
    let x = contiguous(logits)?;
    let (dev, px) = operand(op, &x)?;
    let (n, c) = (x.shape()[0], x.shape()[1]);
    let (_labels, pl) = labels_on(&dev, op, x.shape(), labels)?;
    let rowloss = CudaStorage::alloc(&dev, n)?;
    let pr = rowloss.device_ptr();
    let (n64, c64) = (n as u64, c as u64);
    launch!(
        op,
        &dev,
        source(),
        "ce_forward",
        grid_warps(&dev, n),
        [px, pl, pr, n64, c64]
    );
    mean_finish(&dev, op, pr, n, n as f64)
}

/// g/n · (softmax − onehot(label)) for dense [n, c] logits.
pub(crate) fn cross_entropy_backward(
    logits: &Tensor,
    labels: &[usize],
    g: &Tensor,
) -> Result<Tensor> {
    let op = "cross_entropy_backward";
    if g.numel() != 1 {
        return Err(Error::arg(
            op,
            g.shape(),
            "the upstream gradient of a loss has one element",
        ));
    }
    let x = contiguous(logits)?;
    let (dev, px) = operand(op, &x)?;
    let pg = operand_on(op, g, &dev)?;
    let (n, c) = (x.shape()[0], x.shape()[1]);
    let (_labels, pl) = labels_on(&dev, op, x.shape(), labels)?;
    let (out, pd) = output(&dev, &[n, c])?;
    let (n64, c64) = (n as u64, c as u64);
    launch!(
        op,
        &dev,
        source(),
        "ce_backward",
        grid_warps(&dev, n),
        [px, pl, pg, pd, n64, c64]
    );
    Ok(out)
}
