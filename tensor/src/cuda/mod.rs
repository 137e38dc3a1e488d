//! The memory side of the CUDA backend: finding the driver and the GPUs, one
//! context and stream per GPU, the caching allocator, host↔device copies, and
//! `CudaStorage`. It lives here, not in `kernels`, because a `Tensor` must be
//! able to carry device buffers and move between devices on its own; the
//! kernels that compute on these buffers are in `kernels::cuda`.
//!
//! The driver is loaded with dlopen when first needed, after a probe: on a
//! machine without libcuda everything here returns `Error::Cuda` naming the
//! problem, and nothing panics.

mod alloc;
mod device;
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub mod sim_counts;
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub mod simulator;
mod storage;
mod transfer;

pub use alloc::{size_class, stats, trim, AllocStats};
pub use device::{device, device_count, driver_available, driver_error, probe, CudaDevice};
pub use storage::CudaStorage;
pub use transfer::{download, upload};
