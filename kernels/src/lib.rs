#![warn(missing_docs)]
//! Compute kernels over `tensor::Tensor`. Each op family has its own folder:
//! `mod.rs` (the public entry: checks, then CPU or CUDA), its CPU kernel files,
//! `cuda.rs` (the launcher) with `<family>.cu` (the CUDA C kernels), and its
//! unit tests. `gemm` holds the matrix products the other families build on;
//! `cuda` only the shared CUDA plumbing (NVRTC, the launch macro, operand
//! helpers), which imports no family. Every entry point takes tensors of any
//! layout (strided, broadcast, offset) and returns a new contiguous tensor.

#[macro_use]
mod dispatch;
#[macro_use]
pub mod cuda;
pub mod copy;
pub mod elementwise;
pub mod fastmath;
mod gemm;
pub mod loss;
pub mod matmul;
pub mod optim;
pub mod random;
pub mod reduce;

pub use copy::{cat, contiguous, copy_into, reshape, to_dtype};
pub use elementwise::{add_assign, binary, unary, BinaryOp, UnaryOp};
pub use loss::{
    bce, bce_backward, bce_with_logits, bce_with_logits_backward, cross_entropy,
    cross_entropy_backward, mse, mse_backward,
};
pub use matmul::{linear, matmul};
pub use optim::{
    adam_step, adam_step_many, sgd_step, sgd_step_many, AdamHyper, AdamTensors, SgdHyper,
    SgdTensors,
};
pub use reduce::{max_dim, mean_each, scatter_to_dim, sum_axes, sum_to_shape};
pub use tensor::{DType, Device, Error, Layout, Result, Tensor};

/// Every CUDA C source of the backend, one per op family (as NVRTC compiles
/// it, generated op tables included): for the NVRTC compile test and the
/// simulator tests.
pub fn cuda_sources() -> Vec<cuda::compile::Source> {
    vec![
        elementwise::cuda::source(),
        copy::cuda::source(),
        reduce::cuda::source(),
        gemm::cuda::source(),
        loss::cuda::source(),
        optim::cuda::source(),
        random::cuda::source(),
        conv::cuda::source(),
        batchnorm::cuda::source(),
        pool::cuda::source(),
    ]
}

/// Below this many elements a kernel stays on the calling thread: waking rayon
/// workers costs more than a few microseconds of arithmetic.
pub const PARALLEL_THRESHOLD: usize = 1 << 15;

/// Run `f` on a worker of rayon's global pool and wait for it.
///
/// Why: called from a thread outside the pool, every parallel kernel injects
/// its job, wakes a worker and puts the caller to sleep until the job is done
/// (two thread switches per op, ~10–50 µs each, which on the MLP steps was a
/// fifth of the time). Run from a worker, the caller does its share of the
/// work and only the other workers are woken. The training loop and the
/// benchmarks wrap their whole work in this.
pub fn on_pool<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    rayon::scope(|_| f())
}
pub mod conv;
pub use conv::{
    conv2d, conv2d_backward, conv2d_backward_input, conv2d_backward_weight, conv_transpose2d,
    conv_transpose2d_backward,
};
pub mod batchnorm;
pub mod pool;
pub use batchnorm::{
    batch_norm_backward, batch_norm_double_backward, batch_norm_eval, batch_norm_train,
    BatchNormSaved,
};
pub use pool::{max_pool2d, max_pool2d_backward, max_pool2d_gather, PoolIndices};
