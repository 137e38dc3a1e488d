//! Allocations, copies and memsets. Device pointers are host addresses of
//! guarded blocks (never 0); copies between host and device are queued on
//! their stream, except where the real driver makes them synchronous
//! (device to pageable host memory, and the non-Async calls).

use super::{after_run, current_device, put, status, with, Res};
use crate::counts::Queue;
use crate::memory::Kind;
use crate::sim::{Op, Sim, Source};
use cudarc::driver::sys::{CUdeviceptr, CUresult, CUstream};
use std::ffi::{c_uint, c_void};

fn alloc(s: &mut Sim, bytes: usize, kind: Kind) -> Res<usize> {
    s.mem
        .alloc(bytes, kind)
        .ok_or(CUresult::CUDA_ERROR_OUT_OF_MEMORY)
}

fn stream(s: &mut Sim, h: CUstream) -> Res<usize> {
    let d = current_device(s)?;
    s.stream_key(h as usize, d)
        .ok_or(CUresult::CUDA_ERROR_INVALID_HANDLE)
}

fn check_live(s: &Sim, p: usize, n: usize) -> Res {
    if n == 0 || s.mem.live_range(p, n, Kind::Device) {
        Ok(())
    } else {
        Err(CUresult::CUDA_ERROR_INVALID_VALUE)
    }
}

/// # Safety
/// `dptr` is valid for a write.
#[no_mangle]
pub unsafe extern "C" fn cuMemAlloc_v2(dptr: *mut CUdeviceptr, bytes: usize) -> CUresult {
    status(with(|s| {
        let d = current_device(s)?;
        s.counts.add(d, Queue::Context, "alloc", "device", bytes);
        let p = alloc(s, bytes, Kind::Device)?;
        put(dptr, p as CUdeviceptr)
    }))
}

/// Allocated at once (stream order cannot make an allocation visible too
/// early: nothing knows its address before this returns).
///
/// # Safety
/// `dptr` is valid for a write.
#[no_mangle]
pub unsafe extern "C" fn cuMemAllocAsync(
    dptr: *mut CUdeviceptr,
    bytes: usize,
    h: CUstream,
) -> CUresult {
    status(with(|s| {
        let st = stream(s, h)?;
        let d = current_device(s)?;
        s.counts
            .add(d, Queue::Stream(st), "alloc", "device_async", bytes);
        let p = alloc(s, bytes, Kind::Device)?;
        put(dptr, p as CUdeviceptr)
    }))
}

/// After the work it depends on has run: the device bytes into host memory.
///
/// # Safety
/// `dst` is writable for `bytes`.
unsafe fn read_back(s: &mut Sim, dst: *mut c_void, src: usize, bytes: usize) -> Res {
    after_run(s)?;
    check_live(s, src, bytes)?;
    std::ptr::copy_nonoverlapping(src as *const u8, dst as *mut u8, bytes);
    Ok(())
}

fn queue_dtod(s: &mut Sim, st: usize, dst: usize, src: usize, bytes: usize) -> Res {
    check_live(s, src, bytes)?;
    check_live(s, dst, bytes)?;
    s.push(st, Op::DtoD { dst, src, bytes });
    Ok(())
}

fn queue_memset(s: &mut Sim, st: usize, dst: usize, value: u8, bytes: usize) -> Res {
    check_live(s, dst, bytes)?;
    s.push(st, Op::Memset { dst, value, bytes });
    Ok(())
}

fn queue_free(s: &mut Sim, p: usize) -> Res {
    if !s.mem.live_range(p, 1, Kind::Device) || s.freeing.contains(&p) {
        eprintln!(
            "cudasim: free of {p:#x}, which is not a live device allocation ({})",
            s.mem.describe(p)
        );
        return Err(CUresult::CUDA_ERROR_INVALID_VALUE);
    }
    s.freeing.insert(p);
    Ok(())
}

#[no_mangle]
pub extern "C" fn cuMemFreeAsync(dptr: CUdeviceptr, h: CUstream) -> CUresult {
    status(with(|s| {
        let st = stream(s, h)?;
        let d = current_device(s)?;
        s.counts
            .add(d, Queue::Stream(st), "free", "device_async", 0);
        queue_free(s, dptr as usize)?;
        s.push(st, Op::Free { ptr: dptr as usize });
        Ok(())
    }))
}

/// Waits for all work of the device, then frees (as the real call does).
#[no_mangle]
pub extern "C" fn cuMemFree_v2(dptr: CUdeviceptr) -> CUresult {
    status(with(|s| {
        let d = current_device(s)?;
        // the real call waits for the device's work: a synchronisation
        s.counts.add(d, Queue::Context, "free", "device", 0);
        s.counts.add(d, Queue::Context, "sync", "mem_free", 0);
        queue_free(s, dptr as usize)?;
        s.run_device(d);
        s.freeing.remove(&(dptr as usize));
        s.mem.free(dptr as usize, Kind::Device);
        after_run(s)
    }))
}

/// # Safety
/// `pp` is valid for a write.
#[no_mangle]
pub unsafe extern "C" fn cuMemHostAlloc(
    pp: *mut *mut c_void,
    bytes: usize,
    _flags: c_uint,
) -> CUresult {
    status(with(|s| {
        let d = current_device(s).unwrap_or(0);
        s.counts
            .add(d, Queue::Context, "alloc", "pinned_host", bytes);
        let p = alloc(s, bytes, Kind::PinnedHost)?;
        put(pp, p as *mut c_void)
    }))
}

/// # Safety
/// `pp` is valid for a write.
#[no_mangle]
pub unsafe extern "C" fn cuMemAllocHost_v2(pp: *mut *mut c_void, bytes: usize) -> CUresult {
    cuMemHostAlloc(pp, bytes, 0)
}

/// Queued copies that read or write the block run first.
#[no_mangle]
pub extern "C" fn cuMemFreeHost(p: *mut c_void) -> CUresult {
    status(with(|s| {
        if !s.mem.is_pinned(p as usize, 1) {
            return Err(CUresult::CUDA_ERROR_INVALID_VALUE);
        }
        let d = current_device(s).unwrap_or(0);
        s.counts.add(d, Queue::Context, "free", "pinned_host", 0);
        s.counts.add(d, Queue::Context, "sync", "mem_free_host", 0);
        s.run_all();
        s.mem.free(p as usize, Kind::PinnedHost);
        after_run(s)
    }))
}

/// # Safety
/// `src` is readable for `bytes` (until the copy runs, when it is pinned).
#[no_mangle]
pub unsafe extern "C" fn cuMemcpyHtoDAsync_v2(
    dst: CUdeviceptr,
    src: *const c_void,
    bytes: usize,
    h: CUstream,
) -> CUresult {
    status(with(|s| {
        let st = stream(s, h)?;
        check_live(s, dst as usize, bytes)?;
        let d = current_device(s)?;
        let pinned = s.mem.is_pinned(src as usize, bytes);
        let from = if pinned { "pinned" } else { "pageable" };
        s.counts.add(d, Queue::Stream(st), "htod", from, bytes);
        let source = if pinned {
            Source::Pinned(src as usize)
        } else {
            Source::Staged(std::slice::from_raw_parts(src as *const u8, bytes).to_vec())
        };
        s.push(
            st,
            Op::HtoD {
                dst: dst as usize,
                src: source,
                bytes,
            },
        );
        Ok(())
    }))
}

/// # Safety
/// `dst` is writable for `bytes` (until the copy runs, when it is pinned).
#[no_mangle]
pub unsafe extern "C" fn cuMemcpyDtoHAsync_v2(
    dst: *mut c_void,
    src: CUdeviceptr,
    bytes: usize,
    h: CUstream,
) -> CUresult {
    status(with(|s| {
        let st = stream(s, h)?;
        check_live(s, src as usize, bytes)?;
        let d = current_device(s)?;
        if s.mem.is_pinned(dst as usize, bytes) {
            s.counts.add(d, Queue::Stream(st), "dtoh", "pinned", bytes);
            s.push(
                st,
                Op::DtoH {
                    dst: dst as usize,
                    src: src as usize,
                    bytes,
                },
            );
            return Ok(());
        }
        // Into pageable memory the copy is synchronous: the stream's work first.
        s.counts
            .add(d, Queue::Stream(st), "dtoh", "pageable", bytes);
        s.counts
            .add(d, Queue::Stream(st), "sync", "dtoh_pageable", 0);
        s.run_stream(st);
        read_back(s, dst, src as usize, bytes)
    }))
}

#[no_mangle]
pub extern "C" fn cuMemcpyDtoDAsync_v2(
    dst: CUdeviceptr,
    src: CUdeviceptr,
    bytes: usize,
    h: CUstream,
) -> CUresult {
    status(with(|s| {
        let st = stream(s, h)?;
        let d = current_device(s)?;
        s.counts.add(d, Queue::Stream(st), "dtod", "async", bytes);
        queue_dtod(s, st, dst as usize, src as usize, bytes)
    }))
}

#[no_mangle]
pub extern "C" fn cuMemsetD8Async(dst: CUdeviceptr, value: u8, n: usize, h: CUstream) -> CUresult {
    status(with(|s| {
        let st = stream(s, h)?;
        let d = current_device(s)?;
        s.counts.add(d, Queue::Stream(st), "memset", "async", n);
        queue_memset(s, st, dst as usize, value, n)
    }))
}

/// The synchronous calls: queued on the device's default stream, then run;
/// counted as `kind` (`name` "blocking", `bytes`) and as a synchronisation.
fn sync_on_default(
    (kind, bytes): (&'static str, usize),
    f: impl FnOnce(&mut Sim, usize) -> Res,
) -> CUresult {
    status(with(|s| {
        let d = current_device(s)?;
        s.counts.add(d, Queue::Context, kind, "blocking", bytes);
        s.counts.add(d, Queue::Context, "sync", kind, 0);
        let st = s.stream_key(0, d).expect("default stream");
        f(s, st)?;
        s.run_device(d);
        after_run(s)
    }))
}

/// # Safety
/// `src` is readable for `bytes`.
#[no_mangle]
pub unsafe extern "C" fn cuMemcpyHtoD_v2(
    dst: CUdeviceptr,
    src: *const c_void,
    bytes: usize,
) -> CUresult {
    sync_on_default(("htod", bytes), |s, st| {
        check_live(s, dst as usize, bytes)?;
        let v = std::slice::from_raw_parts(src as *const u8, bytes).to_vec();
        s.push(
            st,
            Op::HtoD {
                dst: dst as usize,
                src: Source::Staged(v),
                bytes,
            },
        );
        Ok(())
    })
}

/// # Safety
/// `dst` is writable for `bytes`.
#[no_mangle]
pub unsafe extern "C" fn cuMemcpyDtoH_v2(
    dst: *mut c_void,
    src: CUdeviceptr,
    bytes: usize,
) -> CUresult {
    status(with(|s| {
        let d = current_device(s)?;
        s.counts.add(d, Queue::Context, "dtoh", "blocking", bytes);
        s.counts.add(d, Queue::Context, "sync", "dtoh", 0);
        s.run_device(d);
        read_back(s, dst, src as usize, bytes)
    }))
}

#[no_mangle]
pub extern "C" fn cuMemcpyDtoD_v2(dst: CUdeviceptr, src: CUdeviceptr, bytes: usize) -> CUresult {
    sync_on_default(("dtod", bytes), |s, st| {
        queue_dtod(s, st, dst as usize, src as usize, bytes)
    })
}

#[no_mangle]
pub extern "C" fn cuMemsetD8_v2(dst: CUdeviceptr, value: u8, n: usize) -> CUresult {
    sync_on_default(("memset", n), |s, st| {
        queue_memset(s, st, dst as usize, value, n)
    })
}
