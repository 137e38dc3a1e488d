//! The CUDA backend's shared plumbing: NVRTC compilation and caching
//! (`compile`), the launch macro and kernel-argument helpers (`launch`), and
//! the operand helpers below. The kernels themselves are hand-written CUDA C,
//! one `.cu` per op family with its launcher (`cuda.rs`) beside the family's
//! CPU code; nothing here imports an op family.
//!
//! Every public kernel entry (`crate::unary`, `crate::matmul`, ...) checks its
//! inputs, then calls its family's launcher when they live on a GPU. Outputs come from the
//! device's caching allocator; launches are queued on the device's one compute
//! stream and nothing here waits for the GPU, except `max_dim`, whose argmax
//! indices are returned to the host by its signature (and the test helper
//! `random::cuda::philox_words`).
//!
//! Memory, contexts and host↔device copies are in `tensor::cuda`.

#[macro_use]
pub(crate) mod launch;
pub mod compile;
pub mod resources;

pub use tensor::cuda::{
    device, device_count, driver_available, probe, size_class, stats, trim, AllocStats, CudaDevice,
};

use std::sync::Arc;
use tensor::cuda::CudaStorage;
use tensor::{Device, Error, Layout, Result, Storage, StorageKind, Tensor};

/// When the developer has set `GAN_RS_CUDASIM` (`1`, or the folder of the
/// simulator's libraries), load the CUDA simulator and describe its device 0;
/// `None` when it is not set. Call before anything else touches CUDA.
pub fn simulator_from_env() -> Result<Option<String>> {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    return tensor::cuda::simulator::from_env();
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    return Ok(None);
}

/// Whether every piece needed to run kernels on `cuda:ordinal` is present:
/// the driver, the GPU, and NVRTC. The message says which one is missing.
pub fn available(ordinal: usize) -> Result<()> {
    probe(ordinal)?;
    compile::nvrtc_available()
}

/// The device of a CUDA tensor and the address of its element at the layout's
/// offset. The address stays valid while `t` is alive; the kernels that use it
/// are queued on the device's stream, which orders them before any later
/// reuse of the block.
pub(crate) fn operand(op: &'static str, t: &Tensor) -> Result<(Arc<CudaDevice>, u64)> {
    let g = t.storage();
    match g.kind() {
        StorageKind::Cuda(c) => Ok((c.device().clone(), c.ptr_at(t.layout().offset())?)),
        StorageKind::Cpu(_) => Err(Error::invalid(
            op,
            "a CPU tensor reached the CUDA path (devices are checked before it)",
        )),
    }
}

/// Like `operand`, and the tensor must live on `dev`.
pub(crate) fn operand_on(op: &'static str, t: &Tensor, dev: &CudaDevice) -> Result<u64> {
    let (d, p) = operand(op, t)?;
    if d.ordinal() != dev.ordinal() {
        return Err(Error::DeviceMismatch {
            op,
            lhs: Device::Cuda(dev.ordinal()),
            rhs: Device::Cuda(d.ordinal()),
        });
    }
    Ok(p)
}

/// A fresh, uninitialised, contiguous output of `shape` and its address.
pub(crate) fn output(dev: &Arc<CudaDevice>, shape: &[usize]) -> Result<(Tensor, u64)> {
    let s = CudaStorage::alloc(dev, shape.iter().product())?;
    let p = s.device_ptr();
    let t = Tensor::from_storage(
        Storage::new(StorageKind::Cuda(s)),
        Layout::contiguous(shape),
    );
    Ok((t, p))
}

/// A zero-filled contiguous output of `shape` and its address.
pub(crate) fn zeros(dev: &Arc<CudaDevice>, shape: &[usize]) -> Result<(Tensor, u64)> {
    let s = CudaStorage::zeros(dev, shape.iter().product())?;
    let p = s.device_ptr();
    let t = Tensor::from_storage(
        Storage::new(StorageKind::Cuda(s)),
        Layout::contiguous(shape),
    );
    Ok((t, p))
}

/// A host array of u32 as a device buffer: the bits travel in an f32 buffer,
/// so that the one allocator serves indices too.
pub(crate) fn upload_u32(dev: &Arc<CudaDevice>, v: &[u32]) -> Result<(CudaStorage, u64)> {
    let bits: Vec<f32> = v.iter().map(|&x| f32::from_bits(x)).collect();
    let s = tensor::cuda::upload(dev, &bits)?;
    let p = s.device_ptr();
    Ok((s, p))
}

/// A count as u32 for a kernel argument, or a typed error naming the op.
pub(crate) fn to_u32(op: &'static str, shape: &[usize], what: &str, v: usize) -> Result<u32> {
    u32::try_from(v).map_err(|_| {
        Error::arg(
            op,
            shape,
            format!("{what} = {v} exceeds the CUDA kernels' 2^32 limit"),
        )
    })
}
