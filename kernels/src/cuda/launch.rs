//! Launch plumbing: kernel-argument structs that mirror the `.cu` sources,
//! dimension collapsing, grid sizes, and the `launch!` macro.

use cudarc::driver::{DeviceRepr, LaunchConfig};
use tensor::cuda::CudaDevice;
use tensor::{Device, Error, Result};

/// Rank limit of the strided kernels (after collapsing), as in elementwise.cu.
pub(crate) const MAX_RANK: usize = 8;

/// `struct Strides` of elementwise.cu: a shape and up to three operands'
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
    /// From a collapsed shape and K ≤ 3 stride lists of the same rank.
    pub(crate) fn new(
        op: &'static str,
        dev: &CudaDevice,
        shape: &[usize],
        strides: &[Vec<usize>],
    ) -> Result<Self> {
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

/// Drop size-1 dims and merge neighbours that are contiguous in every operand
/// (outer stride = inner stride · inner size), so that dense operands become
/// rank 1 and the kernel's index loop does no division.
pub(crate) fn collapse(shape: &[usize], strides: &[&[usize]]) -> (Vec<usize>, Vec<Vec<usize>>) {
    let k = strides.len();
    let mut sh: Vec<usize> = Vec::new();
    let mut st: Vec<Vec<usize>> = vec![Vec::new(); k];
    for d in 0..shape.len() {
        if shape[d] == 1 {
            continue;
        }
        let mergeable =
            !sh.is_empty() && (0..k).all(|i| st[i].last() == Some(&(strides[i][d] * shape[d])));
        if mergeable {
            *sh.last_mut().expect("checked non-empty") *= shape[d];
            for i in 0..k {
                *st[i].last_mut().expect("same rank as sh") = strides[i][d];
            }
        } else {
            sh.push(shape[d]);
            for i in 0..k {
                st[i].push(strides[i][d]);
            }
        }
    }
    if sh.is_empty() {
        sh.push(1);
        for s in st.iter_mut() {
            s.push(0);
        }
    }
    (sh, st)
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
        let __f = $crate::cuda::compile::function(__dev, $src, $name)?;
        let __stream = __dev.stream();
        let mut __b = __stream.launch_builder(&__f);
        $( __b.arg(&$arg); )*
        // SAFETY: the arguments match the kernel's parameters in type and order,
        // and every address points into a live buffer at least as large as the
        // sizes the kernel is given (checked by the caller).
        unsafe { __b.launch($cfg) }
            .map_err(|e| tensor::cuda::driver_error($op, e))?;
    }};
}

#[cfg(test)]
mod tests {
    use super::collapse;

    #[test]
    fn dense_operands_collapse_to_rank_one() {
        let (sh, st) = collapse(&[2, 3, 4], &[&[12, 4, 1], &[12, 4, 1]]);
        assert_eq!((sh, st), (vec![24], vec![vec![1], vec![1]]));
    }

    #[test]
    fn broadcast_and_transposed_dims_stay_apart() {
        // b is broadcast along dim 1: [2, 3] with strides [1, 0].
        let (sh, st) = collapse(&[2, 1, 3], &[&[3, 3, 1], &[1, 1, 0]]);
        assert_eq!(sh, vec![2, 3]);
        assert_eq!(st, vec![vec![3, 1], vec![1, 0]]);
        // A transpose keeps two dims.
        let (sh, _) = collapse(&[4, 5], &[&[1, 4]]);
        assert_eq!(sh, vec![4, 5]);
        // All size-1: a scalar.
        let (sh, st) = collapse(&[1, 1], &[&[1, 1]]);
        assert_eq!((sh, st), (vec![1], vec![vec![0]]));
    }
}
