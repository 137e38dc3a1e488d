//! The caching allocator. A dropped tensor's device block goes back to a free
//! list keyed by its size class and the next request of that class takes it,
//! so a training loop stops calling the driver after its first step.
//!
//! Reuse needs no event: every kernel runs on the one compute stream, so
//! whatever a freed block's last reader was, it is queued before the block's
//! next writer. Upload blocks are the exception (they are written on the copy
//! stream) and live in their own pool with an event marking their release.

use super::device::{driver_error, CudaDevice};
use crate::Result;
use cudarc::driver::{sys, CudaEvent, CudaSlice, CudaStream, DriverError, PinnedHostSlice};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

/// Counters of one device's allocators, for tests and logs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AllocStats {
    /// Blocks obtained from the driver (compute and upload pools).
    pub driver_allocs: u64,
    /// Requests served from a free list.
    pub reuses: u64,
    /// Bytes sitting in the free lists now.
    pub cached_bytes: usize,
}

/// Elements in the size class of a request for `n`: at least 256 (1 KiB), then
/// four classes per power of two, so a block wastes at most a quarter.
pub fn size_class(n: usize) -> usize {
    if n <= 256 {
        return 256;
    }
    let step = 1usize << (usize::BITS - 1 - n.leading_zeros()).saturating_sub(2);
    n.div_ceil(step) * step
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn is_oom(e: &DriverError) -> bool {
    e.0 == sys::CUresult::CUDA_ERROR_OUT_OF_MEMORY
}

#[derive(Default)]
pub(crate) struct Pool {
    free: Mutex<HashMap<usize, Vec<CudaSlice<f32>>>>,
    driver_allocs: AtomicU64,
    reuses: AtomicU64,
}

impl Pool {
    /// A block of at least `n` f32s, uninitialised, usable on `stream`.
    pub(crate) fn take(&self, dev: &CudaDevice, n: usize) -> Result<CudaSlice<f32>> {
        let class = size_class(n);
        if let Some(s) = lock(&self.free).get_mut(&class).and_then(Vec::pop) {
            self.reuses.fetch_add(1, Ordering::Relaxed);
            return Ok(s);
        }
        let s = alloc_or_trim(dev, dev.stream(), class)?;
        self.driver_allocs.fetch_add(1, Ordering::Relaxed);
        Ok(s)
    }

    pub(crate) fn give(&self, s: CudaSlice<f32>) {
        lock(&self.free).entry(s.len()).or_default().push(s);
    }

    fn drain(&self) -> Vec<CudaSlice<f32>> {
        lock(&self.free).drain().flat_map(|(_, v)| v).collect()
    }

    fn cached_bytes(&self) -> usize {
        lock(&self.free).iter().map(|(c, v)| c * v.len() * 4).sum()
    }
}

/// Page-locked host memory and its address, taken once when it is made:
/// cudarc's accessors synchronise on an event of their own at every call,
/// which would make each upload a host synchronisation; this buffer is
/// ordered by `UploadBlock::copied` instead.
pub(crate) struct Staging {
    /// Owns the memory `ptr` points into.
    _buf: PinnedHostSlice<f32>,
    ptr: *mut f32,
    len: usize,
}

// SAFETY: the pointer is into `_buf`, which this struct owns and never
// shares; who writes through it is ordered by the block's events.
unsafe impl Send for Staging {}
unsafe impl Sync for Staging {}

impl Staging {
    fn new(mut buf: PinnedHostSlice<f32>) -> Result<Staging> {
        let len = buf.len();
        let ptr = buf
            .as_mut_ptr()
            .map_err(|e| driver_error("pinned host allocation", e))?;
        Ok(Staging {
            _buf: buf,
            ptr,
            len,
        })
    }

    /// The first `n` values, to fill.
    ///
    /// # Safety
    /// No copy out of the buffer may be running (the caller has waited for
    /// the block's `copied` event).
    pub(crate) unsafe fn first_mut(&mut self, n: usize) -> &mut [f32] {
        assert!(
            n <= self.len,
            "staging buffer of {} for {n} values",
            self.len
        );
        std::slice::from_raw_parts_mut(self.ptr, n)
    }
}

/// A device block for host→device copies, with the pinned host buffer that
/// feeds it and the two events that order it against the streams.
pub(crate) struct UploadBlock {
    pub(crate) slice: CudaSlice<f32>,
    /// Page-locked staging, so that the copy runs asynchronously (None for
    /// very large blocks, which are copied from pageable memory instead).
    pub(crate) pinned: Option<Staging>,
    /// Recorded on the compute stream when the block's tensor is dropped: the
    /// next upload into it waits (on the device) for that tensor's last reader.
    pub(crate) released: CudaEvent,
    /// Recorded on the copy stream after the copy: the compute stream waits for
    /// it, and the host waits for it before refilling `pinned`.
    pub(crate) copied: CudaEvent,
}

/// Blocks above this many elements are uploaded without a pinned buffer.
pub(crate) const PINNED_MAX: usize = 1 << 22;

#[derive(Default)]
pub(crate) struct UploadPool {
    free: Mutex<HashMap<usize, Vec<UploadBlock>>>,
    driver_allocs: AtomicU64,
    reuses: AtomicU64,
}

impl UploadPool {
    pub(crate) fn take(&self, dev: &CudaDevice, n: usize) -> Result<UploadBlock> {
        let class = size_class(n);
        if let Some(b) = lock(&self.free).get_mut(&class).and_then(Vec::pop) {
            self.reuses.fetch_add(1, Ordering::Relaxed);
            return Ok(b);
        }
        let ctx = dev.context();
        let e = |what: &'static str| move |err| driver_error(what, err);
        let slice = alloc_or_trim(dev, dev.copy_stream(), class)?;
        let pinned = if class <= PINNED_MAX {
            // SAFETY: the buffer is written in full before any copy reads it.
            let buf =
                unsafe { ctx.alloc_pinned::<f32>(class) }.map_err(e("pinned host allocation"))?;
            Some(Staging::new(buf)?)
        } else {
            None
        };
        let released = ctx.new_event(None).map_err(e("creating an event"))?;
        let copied = ctx.new_event(None).map_err(e("creating an event"))?;
        self.driver_allocs.fetch_add(1, Ordering::Relaxed);
        Ok(UploadBlock {
            slice,
            pinned,
            released,
            copied,
        })
    }

    /// Return a block whose tensor was dropped.
    pub(crate) fn give(&self, dev: &CudaDevice, b: UploadBlock) {
        // Kernels queued before this point may still read the block.
        if b.released.record(dev.stream()).is_ok() {
            lock(&self.free).entry(b.slice.len()).or_default().push(b);
        } else {
            // Without the event the block cannot be ordered: free it once idle.
            let _ = dev.synchronize();
            drop(b);
        }
    }

    fn drain(&self) -> Vec<UploadBlock> {
        lock(&self.free).drain().flat_map(|(_, v)| v).collect()
    }

    fn cached_bytes(&self) -> usize {
        lock(&self.free).iter().map(|(c, v)| c * v.len() * 4).sum()
    }
}

/// Allocate on `stream`; when the driver is out of memory, give every cached
/// block back (after the streams are idle) and try once more.
fn alloc_or_trim(dev: &CudaDevice, stream: &Arc<CudaStream>, n: usize) -> Result<CudaSlice<f32>> {
    // SAFETY: the block is uninitialised; every user writes before reading.
    match unsafe { stream.alloc::<f32>(n) } {
        Ok(s) => Ok(s),
        Err(e) if is_oom(&e) => {
            trim(dev)?;
            // SAFETY: as above.
            unsafe { stream.alloc::<f32>(n) }.map_err(|e| {
                driver_error(
                    &format!("allocating {} bytes on cuda:{}", n * 4, dev.ordinal()),
                    e,
                )
            })
        }
        Err(e) => Err(driver_error(
            &format!("allocating {} bytes on cuda:{}", n * 4, dev.ordinal()),
            e,
        )),
    }
}

/// Free every cached block of `dev` back to the driver.
pub fn trim(dev: &CudaDevice) -> Result<()> {
    // Upload blocks may still be targets of queued copies or sources of queued
    // kernels on either stream: wait for both before freeing anything.
    dev.synchronize()?;
    drop(dev.pool.drain());
    drop(dev.uploads.drain());
    dev.synchronize()
}

/// The allocator counters of `dev`.
pub fn stats(dev: &CudaDevice) -> AllocStats {
    AllocStats {
        driver_allocs: dev.pool.driver_allocs.load(Ordering::Relaxed)
            + dev.uploads.driver_allocs.load(Ordering::Relaxed),
        reuses: dev.pool.reuses.load(Ordering::Relaxed)
            + dev.uploads.reuses.load(Ordering::Relaxed),
        cached_bytes: dev.pool.cached_bytes() + dev.uploads.cached_bytes(),
    }
}

#[cfg(test)]
mod tests {
    use super::size_class;

    #[test]
    fn size_classes_cover_and_waste_little() {
        assert_eq!(size_class(0), 256);
        assert_eq!(size_class(256), 256);
        assert_eq!(size_class(257), 320);
        assert_eq!(size_class(1000), 1024);
        assert_eq!(size_class(1025), 1280);
        for n in [
            300usize,
            784,
            12_544,
            50_000,
            1 << 20,
            (1 << 20) + 1,
            123_456_789,
        ] {
            let c = size_class(n);
            assert!(c >= n && c - n <= n / 4, "{n} -> {c}");
            assert_eq!(size_class(c), c, "a class is its own class");
        }
    }
}
