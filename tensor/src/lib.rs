//! Strided tensors: shared storage plus a layout (shape, strides, offset).
//!
//! Views (transpose, permute, narrow, broadcast, squeeze/unsqueeze, reshape when
//! the strides allow it) are pure layout math over a shared buffer. The compute
//! lives in the `kernels` crate, which matches on [`StorageKind`] to pick a device.

#![warn(missing_docs)]

pub mod cuda;
pub mod dtype;
pub mod error;
pub mod layout;
pub mod malloc_tuning;
pub mod storage;
pub mod tensor;

pub use dtype::{DType, Element};
pub use error::{Error, Result};
pub use layout::{broadcast_shapes, contiguous_strides, resolve_dim, Layout, MergedDims};
pub use malloc_tuning::tune_malloc;
pub use storage::{
    live_storage_stats, CpuSlice, CpuStorage, CudaStorage, Device, Storage, StorageKind,
};
pub use tensor::Tensor;
