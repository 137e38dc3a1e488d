//! `CudaStorage`: an f32 buffer on one GPU, taken from and given back to the
//! device's caching allocator.

use super::alloc::UploadBlock;
use super::device::{driver_error, CudaDevice};
use crate::{DType, Error, Result};
use cudarc::driver::{result, CudaSlice, DevicePtr};
use std::sync::Arc;

enum Block {
    /// From the compute pool: written by kernels.
    Compute(CudaSlice<f32>),
    /// From the upload pool: written by a host→device copy, then by kernels.
    Upload(Box<UploadBlock>),
}

/// Device memory holding `len` f32 values (the block may be larger: it is a
/// size class of the allocator). Kernels address it by its raw device pointer;
/// all of them run on the device's compute stream, which orders every access.
pub struct CudaStorage {
    /// `None` only while being dropped.
    block: Option<Block>,
    len: usize,
    ptr: u64,
    dev: Arc<CudaDevice>,
}

impl std::fmt::Debug for CudaStorage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "CudaStorage(cuda:{}, {} f32)",
            self.dev.ordinal(),
            self.len
        )
    }
}

fn raw_ptr(dev: &CudaDevice, s: &CudaSlice<f32>) -> u64 {
    // Event tracking is off, so the returned guard records nothing.
    let (p, _guard) = s.device_ptr(dev.stream());
    p
}

impl CudaStorage {
    /// An uninitialised buffer for `len` values: every kernel output starts here.
    pub fn alloc(dev: &Arc<CudaDevice>, len: usize) -> Result<Self> {
        let s = dev.pool.take(dev, len)?;
        Ok(CudaStorage {
            ptr: raw_ptr(dev, &s),
            block: Some(Block::Compute(s)),
            len,
            dev: dev.clone(),
        })
    }

    /// `len` zeros (a memset queued on the compute stream).
    pub fn zeros(dev: &Arc<CudaDevice>, len: usize) -> Result<Self> {
        let s = Self::alloc(dev, len)?;
        if len > 0 {
            let err = |e| driver_error("zeros: memset", e);
            dev.context().bind_to_thread().map_err(err)?;
            // SAFETY: the block holds at least `len` f32s; the stream is this device's.
            unsafe { result::memset_d8_async(s.ptr, 0, len * 4, dev.stream().cu_stream()) }
                .map_err(err)?;
        }
        Ok(s)
    }

    pub(crate) fn from_upload(dev: &Arc<CudaDevice>, b: UploadBlock, len: usize) -> Self {
        CudaStorage {
            ptr: raw_ptr(dev, &b.slice),
            block: Some(Block::Upload(Box::new(b))),
            len,
            dev: dev.clone(),
        }
    }

    /// Always f32: device buffers hold nothing else.
    pub fn dtype(&self) -> DType {
        DType::F32
    }
    /// The number of f32 elements (not bytes).
    pub fn len(&self) -> usize {
        self.len
    }
    /// Whether the buffer holds no element.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
    /// The ordinal of the device the buffer lives on.
    pub fn ordinal(&self) -> usize {
        self.dev.ordinal()
    }
    /// The device the buffer lives on (for its stream and allocator).
    pub fn device(&self) -> &Arc<CudaDevice> {
        &self.dev
    }
    /// The device address of element 0.
    pub fn device_ptr(&self) -> u64 {
        self.ptr
    }
    /// The device address of element `i`, checked against the length.
    pub fn ptr_at(&self, i: usize) -> Result<u64> {
        if i > self.len {
            return Err(Error::Cuda(format!(
                "element {i} is outside a device buffer of {} values",
                self.len
            )));
        }
        Ok(self.ptr + 4 * i as u64)
    }
}

impl Drop for CudaStorage {
    fn drop(&mut self) {
        match self.block.take() {
            Some(Block::Compute(s)) => self.dev.pool.give(s),
            Some(Block::Upload(b)) => self.dev.uploads.give(&self.dev, *b),
            None => {}
        }
    }
}
