//! Host side of the CUDA matmul and linear: batched, broadcast products and
//! the fused linear, on `gemm::cuda`'s SGEMM launch. Transposed operands are
//! passed by their strides, never copied.

use crate::copy::contiguous;
use crate::cuda::{operand, operand_on, output};
use crate::gemm::cuda::{run, BatchArg, Plan, MAX_BATCH_RANK};
use tensor::{Device, Error, Layout, Result, Tensor};

/// C = A·B for `a`, `b` of rank ≥ 2 with batch dims broadcast to `sa`/`sb`
/// ([.., m, k] and [.., k, n]); the output is dense `out_shape`.
pub(crate) fn matmul(
    a: &Tensor,
    b: &Tensor,
    sa: &[usize],
    sb: &[usize],
    out_shape: &[usize],
) -> Result<Tensor> {
    let op = "matmul";
    let (dev, pa) = operand(op, a)?;
    let pb = operand_on(op, b, &dev)?;
    let (la, lb) = (a.layout().broadcast_to(sa)?, b.layout().broadcast_to(sb)?);
    let r = sa.len();
    let (m, k, n) = (sa[r - 2], sa[r - 1], sb[r - 1]);
    // Batch dims that are contiguous in both operands merge into one.
    let merged = Layout::merge_dims(
        &sa[..r - 2],
        &[&la.strides()[..r - 2], &lb.strides()[..r - 2]],
    );
    let (bshape, bstrides) = (merged.shape, merged.strides);
    if bshape.len() > MAX_BATCH_RANK {
        return Err(Error::Unsupported {
            op,
            device: Device::Cuda(dev.ordinal()),
            msg: format!(
                "{} batch dimensions after merging; at most {MAX_BATCH_RANK}",
                bshape.len()
            ),
        });
    }
    let mut batch = BatchArg {
        rank: bshape.len() as i32,
        pad: 0,
        shape: [1; MAX_BATCH_RANK],
        sa: [0; MAX_BATCH_RANK],
        sb: [0; MAX_BATCH_RANK],
    };
    for d in 0..bshape.len() {
        batch.shape[d] = bshape[d] as i64;
        batch.sa[d] = bstrides[0][d] as i64;
        batch.sb[d] = bstrides[1][d] as i64;
    }
    let batches = bshape.iter().product();
    let (out, pc) = output(&dev, out_shape)?;
    // GEMM: A [.., m, k] · B [.., k, n] → C [.., m, n], A and B by their strides
    run(Plan {
        op,
        dev: &dev,
        pa,
        pb,
        bias: 0,
        pc,
        mkn: (m, k, n),
        sa: (la.strides()[r - 2], la.strides()[r - 1]),
        sb: (lb.strides()[r - 2], lb.strides()[r - 1]),
        batch,
        batches,
        accumulate: false,
    })?;
    Ok(out)
}

/// y [rows, o] = x2 [rows, i] · Wᵀ + b, the bias added in the GEMM's epilogue.
pub(crate) fn linear(
    x2: &Tensor,
    w: &Tensor,
    b: Option<&Tensor>,
    out_shape: &[usize],
) -> Result<Tensor> {
    let op = "linear";
    let (dev, px) = operand(op, x2)?;
    let pw = operand_on(op, w, &dev)?;
    // The epilogue reads bias[j] densely.
    let bias = b.map(contiguous).transpose()?;
    let pbias = match &bias {
        Some(t) => operand_on(op, t, &dev)?,
        None => 0,
    };
    let (rows, i) = (x2.shape()[0], x2.shape()[1]);
    let o = w.shape()[0];
    let (lx, lw): (&Layout, &Layout) = (x2.layout(), w.layout());
    let (out, pc) = output(&dev, out_shape)?;
    // GEMM: x [rows, in] · Wᵀ [in, out] → y [rows, out]; Wᵀ is W read with swapped strides
    run(Plan {
        op,
        dev: &dev,
        pa: px,
        pb: pw,
        bias: pbias,
        pc,
        mkn: (rows, i, o),
        sa: (lx.strides()[0], lx.strides()[1]),
        sb: (lw.strides()[1], lw.strides()[0]),
        batch: BatchArg::single(),
        batches: 1,
        accumulate: false,
    })?;
    Ok(out)
}
