//! The matrix products every other family builds on.
//!
//! CPU: a packed, register-tiled f32 SGEMM (`sgemm` over the micro-kernels of
//! `microkernel` and the packers of `pack` / `pack_transpose`), split over the
//! GEMM thread team (`team`, `threaded`) for `matmul` / `linear`, and run
//! single-threaded per worker by the conv engine through the bounds-checked
//! entry of `checked` (which falls back to matrixmultiply for f64 and for CPUs
//! without AVX2). CUDA: `sgemm.cu` and its launcher (`cuda`).

pub(crate) mod checked;
pub(crate) mod cuda;
mod microkernel;
mod pack;
mod pack_transpose;
pub(crate) mod sgemm;
pub(crate) mod team;
#[cfg(all(test, target_arch = "x86_64"))]
mod tests;
pub(crate) mod threaded;
