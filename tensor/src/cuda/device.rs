//! Finding the driver and the GPUs without panicking, and one lazily created
//! `CudaDevice` (context, streams, allocators) per ordinal.

use super::alloc::{Pool, UploadPool};
use crate::{Error, Result};
use cudarc::driver::{sys, CudaContext, CudaStream, DriverError};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

/// A GPU as the engine uses it. All kernels and device→host copies run in
/// order on one compute stream, so the host never synchronises per op and a
/// freed block can be reused by the next op without any event; host→device
/// uploads run on a second stream and are ordered against the first by events.
pub struct CudaDevice {
    ctx: Arc<CudaContext>,
    stream: Arc<CudaStream>,
    copy_stream: Arc<CudaStream>,
    ordinal: usize,
    cc: (i32, i32),
    sm_count: u32,
    pub(crate) pool: Pool,
    pub(crate) uploads: UploadPool,
}

impl std::fmt::Debug for CudaDevice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "CudaDevice(cuda:{}, sm_{}{}, {} SMs)",
            self.ordinal, self.cc.0, self.cc.1, self.sm_count
        )
    }
}

impl CudaDevice {
    /// The device's index, N of `cuda:N`.
    pub fn ordinal(&self) -> usize {
        self.ordinal
    }
    /// (major, minor), e.g. (9, 0) for an H100.
    pub fn compute_capability(&self) -> (i32, i32) {
        self.cc
    }
    /// The number of streaming multiprocessors: launch sizes (grid caps,
    /// SGEMM tiles, reduction strategies) are chosen from it.
    pub fn sm_count(&self) -> u32 {
        self.sm_count
    }
    /// The driver context of this device (bind it before raw driver calls).
    pub fn context(&self) -> &Arc<CudaContext> {
        &self.ctx
    }
    /// The stream every kernel of this device is launched on.
    pub fn stream(&self) -> &Arc<CudaStream> {
        &self.stream
    }
    pub(crate) fn copy_stream(&self) -> &Arc<CudaStream> {
        &self.copy_stream
    }
    /// Wait for all queued work; only the host reads (and tests) need it.
    pub fn synchronize(&self) -> Result<()> {
        self.stream
            .synchronize()
            .and_then(|_| self.copy_stream.synchronize())
            .map_err(|e| driver_error("synchronize", e))
    }
}

/// A driver error as a typed error naming the operation.
pub fn driver_error(op: &str, e: DriverError) -> Error {
    Error::Cuda(format!("{op}: {e:?}"))
}

static PRESENT: OnceLock<bool> = OnceLock::new();

/// Whether the driver has been probed (after which the simulator can no
/// longer take its place).
pub(crate) fn driver_touched() -> bool {
    PRESENT.get().is_some()
}

/// Whether libcuda loads. Probed once: cudarc panics when a missing library is
/// first used, so nothing may touch the driver before this says yes.
pub fn driver_available() -> Result<()> {
    // SAFETY: only tries to dlopen the candidate library names.
    if *PRESENT.get_or_init(|| unsafe { sys::is_culib_present() }) {
        Ok(())
    } else {
        Err(Error::Cuda(
            "no CUDA driver found (libcuda.so): this machine has no NVIDIA driver \
             installed, or it is not on the library path; use --device cpu"
                .into(),
        ))
    }
}

/// Number of GPUs the driver reports (an error when there is no driver).
pub fn device_count() -> Result<usize> {
    driver_available()?;
    match CudaContext::device_count() {
        Ok(n) => Ok(n.max(0) as usize),
        Err(DriverError(sys::CUresult::CUDA_ERROR_NO_DEVICE)) => Ok(0),
        Err(e) => Err(Error::Cuda(format!(
            "the CUDA driver failed to initialise ({e:?}); use --device cpu"
        ))),
    }
}

/// Check that `cuda:ordinal` can be used, with a message fit for a user.
pub fn probe(ordinal: usize) -> Result<()> {
    device(ordinal).map(|_| ())
}

fn registry() -> &'static Mutex<HashMap<usize, Arc<CudaDevice>>> {
    static R: OnceLock<Mutex<HashMap<usize, Arc<CudaDevice>>>> = OnceLock::new();
    R.get_or_init(Default::default)
}

/// The device `cuda:ordinal`, created on first use and then shared.
pub fn device(ordinal: usize) -> Result<Arc<CudaDevice>> {
    driver_available()?;
    let mut reg = registry().lock().unwrap_or_else(|e| e.into_inner());
    if let Some(d) = reg.get(&ordinal) {
        return Ok(d.clone());
    }
    let count = device_count()?;
    if count == 0 {
        return Err(Error::Cuda(
            "no CUDA GPU found: the driver is installed but reports no device; use --device cpu"
                .into(),
        ));
    }
    if ordinal >= count {
        return Err(Error::Cuda(format!(
            "cuda:{ordinal} does not exist: the driver reports {count} GPU(s) (cuda:0..cuda:{})",
            count - 1
        )));
    }
    let d = Arc::new(create(ordinal)?);
    reg.insert(ordinal, d.clone());
    Ok(d)
}

fn create(ordinal: usize) -> Result<CudaDevice> {
    let err = |what: &str, e: DriverError| driver_error(&format!("cuda:{ordinal}: {what}"), e);
    let ctx = CudaContext::new(ordinal).map_err(|e| err("creating the context", e))?;
    // The engine orders all work itself (one compute stream, explicit events for
    // uploads). cudarc's per-buffer event tracking would add a wait and a record
    // per kernel argument, so it is turned off before the first allocation.
    // SAFETY: no CudaSlice exists yet in this context.
    unsafe { ctx.disable_event_tracking() };
    // Created streams, not the legacy default stream: they can be captured into
    // CUDA graphs, and they do not synchronise with other work on the device.
    let stream = ctx.new_stream().map_err(|e| err("creating a stream", e))?;
    let copy_stream = ctx.new_stream().map_err(|e| err("creating a stream", e))?;
    let cc = ctx
        .compute_capability()
        .map_err(|e| err("compute capability", e))?;
    let sm_count = ctx
        .attribute(sys::CUdevice_attribute::CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT)
        .map_err(|e| err("SM count", e))?
        .max(1) as u32;
    Ok(CudaDevice {
        ctx,
        stream,
        copy_stream,
        ordinal,
        cc,
        sm_count,
        pool: Pool::default(),
        uploads: UploadPool::default(),
    })
}
