//! Host side of sgemm.cu: one strided, batched SGEMM launch (`run`), used by
//! the CUDA matmul and linear (`matmul::cuda`) and the convolutions
//! (`conv::cuda`, through `gemm`). Transposed operands are passed by their
//! strides, never copied.

use crate::cuda::compile::Source;
use crate::cuda::CudaDevice;
use cudarc::driver::{DeviceRepr, LaunchConfig};
use tensor::{Device, Error, Result};

/// `sgemm.cu`, embedded in the binary and compiled by NVRTC on first use.
pub(crate) fn source() -> Source {
    Source {
        name: "sgemm.cu",
        code: include_str!("sgemm.cu"),
    }
}

/// Batch dims (after merging) that `struct Batch` of sgemm.cu holds.
pub(crate) const MAX_BATCH_RANK: usize = 6;

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
pub(crate) struct BatchArg {
    pub(crate) rank: i32,
    pub(crate) pad: i32,
    pub(crate) shape: [i64; MAX_BATCH_RANK],
    pub(crate) sa: [i64; MAX_BATCH_RANK],
    pub(crate) sb: [i64; MAX_BATCH_RANK],
}

impl BatchArg {
    /// No batch dims: a single product.
    pub(crate) fn single() -> Self {
        BatchArg {
            rank: 0,
            pad: 0,
            shape: [1; MAX_BATCH_RANK],
            sa: [0; MAX_BATCH_RANK],
            sb: [0; MAX_BATCH_RANK],
        }
    }
}

// SAFETY: plain old data laid out as the C structs (repr(C), i32/i64/f32).
unsafe impl DeviceRepr for GemmArg {}
unsafe impl DeviceRepr for BatchArg {}

/// One strided SGEMM launch: C[b] (dense [m, n] per batch) = A[b]·B[b] (+ bias).
pub(crate) struct Plan<'a> {
    pub(crate) op: &'static str,
    pub(crate) dev: &'a CudaDevice,
    pub(crate) pa: u64,
    pub(crate) pb: u64,
    pub(crate) bias: u64,
    pub(crate) pc: u64,
    /// (m, k, n)
    pub(crate) mkn: (usize, usize, usize),
    /// (row, column) strides of A and B.
    pub(crate) sa: (usize, usize),
    pub(crate) sb: (usize, usize),
    pub(crate) batch: BatchArg,
    pub(crate) batches: usize,
    /// C += A·B instead of C = A·B.
    pub(crate) accumulate: bool,
}

fn dim(op: &'static str, dev: &CudaDevice, v: usize) -> Result<i32> {
    i32::try_from(v).map_err(|_| Error::Unsupported {
        op,
        device: Device::Cuda(dev.ordinal()),
        msg: format!("matrix dimension {v} exceeds the SGEMM kernel's 2^31 limit"),
    })
}

/// Queue the launch `p` describes (nothing when C is empty).
pub(crate) fn run(p: Plan<'_>) -> Result<()> {
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
    launch!(
        p.op,
        p.dev,
        source(),
        name,
        cfg,
        [pa, pb, bias, pc, g, bt, nb]
    );
    Ok(())
}

/// One unbatched GEMM into a dense C [m, n] at `pc`: C = A·B, or C += A·B
/// when `accumulate`; A [m, k] and B [k, n] are read by their (row, column)
/// strides. For the convolutions (`conv::cuda`).
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
        batch: BatchArg::single(),
        batches: 1,
        accumulate,
    })
}
