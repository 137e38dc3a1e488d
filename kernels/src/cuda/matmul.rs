//! Host side of sgemm.cu: batched, broadcast matmul and the fused linear.
//! Transposed operands are passed by their strides, never copied.

use super::compile::SGEMM;
use super::launch::collapse;
use super::{operand, operand_on, output, CudaDevice};
use crate::copy::contiguous;
use cudarc::driver::{DeviceRepr, LaunchConfig};
use tensor::{Device, Error, Layout, Result, Tensor};

const MAX_BATCH_RANK: usize = 6;

/// `struct Gemm` of sgemm.cu.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
struct GemmArg {
    m: i32,
    n: i32,
    k: i32,
    pad: i32,
    rsa: i64,
    csa: i64,
    rsb: i64,
    csb: i64,
    ldc: i64,
    alpha: f32,
    beta: f32,
}

/// `struct Batch` of sgemm.cu: broadcast batch dims and both operands' strides.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
struct BatchArg {
    rank: i32,
    pad: i32,
    shape: [i64; MAX_BATCH_RANK],
    sa: [i64; MAX_BATCH_RANK],
    sb: [i64; MAX_BATCH_RANK],
}

// SAFETY: plain old data laid out as the C structs (repr(C), i32/i64/f32).
unsafe impl DeviceRepr for GemmArg {}
unsafe impl DeviceRepr for BatchArg {}

/// One strided SGEMM launch: C[b] (dense [m, n] per batch) = A[b]·B[b] (+ bias).
struct Plan<'a> {
    op: &'static str,
    dev: &'a CudaDevice,
    pa: u64,
    pb: u64,
    bias: u64,
    pc: u64,
    /// (m, k, n)
    mkn: (usize, usize, usize),
    /// (row, column) strides of A and B.
    sa: (usize, usize),
    sb: (usize, usize),
    batch: BatchArg,
    batches: usize,
    /// C += A·B instead of C = A·B.
    accumulate: bool,
}

fn dim(op: &'static str, dev: &CudaDevice, v: usize) -> Result<i32> {
    i32::try_from(v).map_err(|_| Error::Unsupported {
        op,
        device: Device::Cuda(dev.ordinal()),
        msg: format!("matrix dimension {v} exceeds the SGEMM kernel's 2^31 limit"),
    })
}

fn run(p: Plan<'_>) -> Result<()> {
    let (m, k, n) = p.mkn;
    if m * n * p.batches == 0 {
        return Ok(());
    }
    let g = GemmArg {
        m: dim(p.op, p.dev, m)?,
        n: dim(p.op, p.dev, n)?,
        k: dim(p.op, p.dev, k)?,
        pad: 0,
        rsa: p.sa.0 as i64,
        csa: p.sa.1 as i64,
        rsb: p.sb.0 as i64,
        csb: p.sb.1 as i64,
        ldc: n as i64,
        alpha: 1.0,
        beta: if p.accumulate { 1.0 } else { 0.0 },
    };
    // Big tiles when there are enough of them to occupy every SM.
    let big = m.div_ceil(128) * n.div_ceil(128) * p.batches >= p.dev.sm_count() as usize;
    let (tile, name) = if big {
        (128, "sgemm_128x128")
    } else {
        (64, "sgemm_64x64")
    };
    let rows = m.div_ceil(tile);
    if rows > 65_535 {
        return Err(Error::Unsupported {
            op: p.op,
            device: Device::Cuda(p.dev.ordinal()),
            msg: format!("{m} rows exceed the SGEMM grid ({} max)", 65_535 * tile),
        });
    }
    let cfg = LaunchConfig {
        grid_dim: (
            n.div_ceil(tile) as u32,
            rows as u32,
            p.batches.min(65_535) as u32,
        ),
        block_dim: (256, 1, 1),
        shared_mem_bytes: 0,
    };
    let (pa, pb, bias, pc, bt, nb) = (p.pa, p.pb, p.bias, p.pc, p.batch, p.batches as i64);
    launch!(p.op, p.dev, SGEMM, name, cfg, [pa, pb, bias, pc, g, bt, nb]);
    Ok(())
}

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
    let (bshape, bstrides) = collapse(
        &sa[..r - 2],
        &[&la.strides()[..r - 2], &lb.strides()[..r - 2]],
    );
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
        batch: BatchArg {
            rank: 0,
            pad: 0,
            shape: [1; MAX_BATCH_RANK],
            sa: [0; MAX_BATCH_RANK],
            sb: [0; MAX_BATCH_RANK],
        },
        batches: 1,
        accumulate: false,
    })?;
    Ok(out)
}

/// One unbatched GEMM into a dense C [m, n] at `pc`: C = A·B, or C += A·B
/// when `accumulate`; A [m, k] and B [k, n] are read by their (row, column)
/// strides. For the convolutions (`cuda::conv`).
#[allow(clippy::too_many_arguments)]
pub(crate) fn gemm(
    op: &'static str,
    dev: &CudaDevice,
    (pa, sa): (u64, (usize, usize)),
    (pb, sb): (u64, (usize, usize)),
    pc: u64,
    mkn: (usize, usize, usize),
    accumulate: bool,
) -> Result<()> {
    run(Plan {
        op,
        dev,
        pa,
        pb,
        bias: 0,
        pc,
        mkn,
        sa,
        sb,
        batch: BatchArg {
            rank: 0,
            pad: 0,
            shape: [1; MAX_BATCH_RANK],
            sa: [0; MAX_BATCH_RANK],
            sb: [0; MAX_BATCH_RANK],
        },
        batches: 1,
        accumulate,
    })
}
