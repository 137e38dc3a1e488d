//! Host↔device copies.
//!
//! Uploads go through the copy stream from a pinned staging buffer, so the host
//! returns as soon as the data is staged and the copy of batch k+1 overlaps the
//! kernels of step k; the compute stream waits for the copy on the device.
//! Downloads run on the compute stream after every queued kernel and are the
//! only place the host waits for the GPU: when it reads values (to log them).

use super::device::{driver_error, CudaDevice};
use super::storage::CudaStorage;
use crate::{Error, Result};
use cudarc::driver::{result, DevicePtr};
use std::ops::Range;
use std::sync::Arc;

/// A new device buffer holding `data`.
pub fn upload(dev: &Arc<CudaDevice>, data: &[f32]) -> Result<CudaStorage> {
    let n = data.len();
    let mut b = dev.uploads.take(dev, n)?;
    let err = |what: &'static str| move |e| driver_error(what, e);
    let copy = dev.copy_stream();
    // The block's previous tensor may still be read by queued kernels: the copy
    // waits for them on the device (an event never recorded counts as done).
    copy.wait(&b.released).map_err(err("upload: ordering"))?;
    if n > 0 {
        let (dst, _guard) = b.slice.device_ptr(copy);
        match &mut b.pinned {
            Some(p) => {
                // The previous copy out of this staging buffer must be done
                // before it is refilled. In steady state it finished long ago:
                // ask first (a query never blocks), wait only when it has not.
                if !b.copied.try_is_complete().map_err(err("upload: staging"))? {
                    b.copied.synchronize().map_err(err("upload: staging"))?;
                }
                // SAFETY: the previous copy out of the buffer is complete.
                let host = unsafe { p.first_mut(n) };
                host.copy_from_slice(data);
                dev.context()
                    .bind_to_thread()
                    .map_err(err("upload: context"))?;
                // SAFETY: `dst` holds at least n f32s; `host` is pinned and stays
                // untouched until `copied` (recorded below) has completed.
                unsafe { result::memcpy_htod_async(dst, host, copy.cu_stream()) }
                    .map_err(err("upload: copy"))?;
            }
            None => {
                dev.context()
                    .bind_to_thread()
                    .map_err(err("upload: context"))?;
                // SAFETY: `dst` holds at least n f32s. From pageable memory the
                // driver stages `data` before returning, so it may be freed after.
                unsafe { result::memcpy_htod_async(dst, data, copy.cu_stream()) }
                    .map_err(err("upload: copy"))?;
            }
        }
    }
    b.copied.record(copy).map_err(err("upload: ordering"))?;
    dev.stream()
        .wait(&b.copied)
        .map_err(err("upload: ordering"))?;
    Ok(CudaStorage::from_upload(dev, b, n))
}

/// The values `range` of a device buffer, after all queued work.
pub fn download(s: &CudaStorage, range: Range<usize>) -> Result<Vec<f32>> {
    if range.end > s.len() || range.start > range.end {
        return Err(Error::Cuda(format!(
            "download: range {range:?} is outside a device buffer of {} values",
            s.len()
        )));
    }
    let mut out = vec![0f32; range.len()];
    if out.is_empty() {
        return Ok(out);
    }
    let dev = s.device();
    let err = |e| driver_error("download", e);
    dev.context().bind_to_thread().map_err(err)?;
    let src = s.ptr_at(range.start)?;
    // SAFETY: the source range lies inside the buffer; `out` has room for it.
    unsafe { result::memcpy_dtoh_async(&mut out, src, dev.stream().cu_stream()) }.map_err(err)?;
    // The host reads `out` next: wait for the copy (and the kernels before it).
    dev.stream().synchronize().map_err(err)?;
    Ok(out)
}
