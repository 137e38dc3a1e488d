//! Launch plumbing: the strided-view argument and the CUDA prelude it
//! mirrors, grid sizes, and the `launch!` macro. Dimension merging is
//! `tensor::Layout::merge_dims`, shared with the CPU engine.

use cudarc::driver::{DeviceRepr, LaunchConfig};
use tensor::cuda::CudaDevice;
use tensor::{Device, Error, MergedDims, Result};

/// Rank limit of the strided kernels (after merging), as in strided.cuh.
pub(crate) const MAX_RANK: usize = 8;

/// The CUDA C prelude of the kernels over strided views (`struct Strides`,
/// the `offsets` index walk, `SMALL`): prepended to their sources.
pub(crate) const STRIDED_PRELUDE: &str = include_str!("strided.cuh");

/// `struct Strides` of strided.cuh: a shape and up to three operands'
/// element strides. Passed by value as a kernel parameter.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub(crate) struct StridesArg {
    rank: i32,
    pad: i32,
    shape: [i64; MAX_RANK],
    s: [[i64; MAX_RANK]; 3],
}

// SAFETY: plain old data with the same layout as the C struct (repr(C), i32/i64).
unsafe impl DeviceRepr for StridesArg {}

impl StridesArg {
    /// From merged dimensions of K ≤ 3 operands.
    pub(crate) fn new(op: &'static str, dev: &CudaDevice, merged: &MergedDims) -> Result<Self> {
        let (shape, strides) = (&merged.shape, &merged.strides);
        if shape.len() > MAX_RANK || strides.len() > 3 {
            return Err(Error::Unsupported {
                op,
                device: Device::Cuda(dev.ordinal()),
                msg: format!(
                    "a view of shape {shape:?} keeps {} dimensions after merging; the CUDA kernels take at most {MAX_RANK}",
                    shape.len()
                ),
            });
        }
        let mut a = StridesArg {
            rank: shape.len() as i32,
            pad: 0,
            shape: [1; MAX_RANK],
            s: [[0; MAX_RANK]; 3],
        };
        for (d, &n) in shape.iter().enumerate() {
            a.shape[d] = n as i64;
        }
        for (k, st) in strides.iter().enumerate() {
            for (d, &v) in st.iter().enumerate() {
                a.s[k][d] = v as i64;
            }
        }
        Ok(a)
    }
}

/// Threads per block of the 1-D kernels.
pub(crate) const BLOCK: u32 = 256;

/// A grid-stride launch over `items`: enough blocks to fill the GPU, no more.
pub(crate) fn grid(dev: &CudaDevice, items: usize, block: u32) -> LaunchConfig {
    let want = items.div_ceil(block as usize).max(1);
    let cap = (dev.sm_count() as usize) * 32;
    LaunchConfig {
        grid_dim: (want.min(cap) as u32, 1, 1),
        block_dim: (block, 1, 1),
        shared_mem_bytes: 0,
    }
}

/// A grid-stride launch with one warp per item (row).
pub(crate) fn grid_warps(dev: &CudaDevice, rows: usize) -> LaunchConfig {
    grid(dev, rows.saturating_mul(32), BLOCK)
}

/// `launch!(op, dev, source, "kernel", cfg, [arg, ...])`: queue a kernel on
/// the device's compute stream. Arguments are local variables (the builder
/// keeps references to them until the launch); their types and order must
/// match the kernel's signature in the `.cu` source.
macro_rules! launch {
    ($op:expr, $dev:expr, $src:expr, $name:expr, $cfg:expr, [$($arg:ident),* $(,)?]) => {{
        use cudarc::driver::PushKernelArg as _;
        let __dev: &tensor::cuda::CudaDevice = $dev;
        let __k = $crate::cuda::compile::function(__dev, $src, $name)?;
        let __cfg: cudarc::driver::LaunchConfig = $cfg;
        __k.note(&__cfg);
        let __stream = __dev.stream();
        let mut __b = __stream.launch_builder(&__k.f);
        $( __b.arg(&$arg); )*
        // SAFETY: the arguments match the kernel's parameters in type and order,
        // and every address points into a live buffer at least as large as the
        // sizes the kernel is given (checked by the caller).
        unsafe { __b.launch(__cfg) }
            .map_err(|e| tensor::cuda::driver_error($op, e))?;
    }};
}
