//! Initialisation, devices, their attributes, primary contexts.

use super::{ctx_handle, ctx_ordinal, put, status, with, Res, CURRENT};
use crate::sim;
use cudarc::driver::sys::{CUcontext, CUdevice, CUresult};
use std::ffi::{c_char, c_int, c_uint};

const TOTAL_MEM: usize = 80 << 30;

#[no_mangle]
pub extern "C" fn cuInit(flags: c_uint) -> CUresult {
    if flags != 0 {
        return CUresult::CUDA_ERROR_INVALID_VALUE;
    }
    let mut g = sim::lock();
    let s = g.as_mut().expect("created by lock");
    s.initialized = true;
    if s.cfg.devices.is_empty() {
        return CUresult::CUDA_ERROR_NO_DEVICE;
    }
    CUresult::CUDA_SUCCESS
}

/// # Safety
/// `v` is valid for a write.
#[no_mangle]
pub unsafe extern "C" fn cuDriverGetVersion(v: *mut c_int) -> CUresult {
    status(put(v, 13000))
}

fn device(s: &sim::Sim, d: CUdevice) -> Res<usize> {
    if d >= 0 && (d as usize) < s.cfg.devices.len() {
        Ok(d as usize)
    } else {
        Err(CUresult::CUDA_ERROR_INVALID_DEVICE)
    }
}

/// # Safety
/// `count` is valid for a write.
#[no_mangle]
pub unsafe extern "C" fn cuDeviceGetCount(count: *mut c_int) -> CUresult {
    status(with(|s| put(count, s.cfg.devices.len() as c_int)))
}

/// # Safety
/// `dev` is valid for a write.
#[no_mangle]
pub unsafe extern "C" fn cuDeviceGet(dev: *mut CUdevice, ordinal: c_int) -> CUresult {
    status(with(|s| put(dev, device(s, ordinal)? as CUdevice)))
}

/// # Safety
/// `name` has room for `len` bytes.
#[no_mangle]
pub unsafe extern "C" fn cuDeviceGetName(name: *mut c_char, len: c_int, dev: CUdevice) -> CUresult {
    status(with(|s| {
        let d = device(s, dev)?;
        if name.is_null() || len <= 0 {
            return Err(CUresult::CUDA_ERROR_INVALID_VALUE);
        }
        let text = s.cfg.devices[d].name(d);
        let n = text.len().min(len as usize - 1);
        std::ptr::copy_nonoverlapping(text.as_ptr() as *const c_char, name, n);
        *name.add(n) = 0;
        Ok(())
    }))
}

/// # Safety
/// `bytes` is valid for a write.
#[no_mangle]
pub unsafe extern "C" fn cuDeviceTotalMem_v2(bytes: *mut usize, dev: CUdevice) -> CUresult {
    status(with(|s| {
        device(s, dev)?;
        put(bytes, TOTAL_MEM)
    }))
}

/// # Safety
/// `free` and `total` are valid for writes.
#[no_mangle]
pub unsafe extern "C" fn cuMemGetInfo_v2(free: *mut usize, total: *mut usize) -> CUresult {
    status(with(|s| {
        super::current_device(s)?;
        put(free, TOTAL_MEM.saturating_sub(s.mem.live_device_bytes))?;
        put(total, TOTAL_MEM)
    }))
}

/// # Safety
/// `v` is valid for a write.
#[no_mangle]
pub unsafe extern "C" fn cuDeviceGetAttribute(
    v: *mut c_int,
    attrib: c_uint,
    dev: CUdevice,
) -> CUresult {
    status(with(|s| {
        let spec = &s.cfg.devices[device(s, dev)?];
        let value = match attrib {
            1 => 1024,
            2 | 3 => 1024,
            4 => 64,
            5 => i32::MAX,
            6 | 7 => 65_535,
            8 => 48 << 10,
            9 => 64 << 10,
            10 => 32,
            12 | 82 => 65_536,
            13 => 1_755_000,
            15 | 31 | 41 | 95 | 115 => 1,
            16 => spec.sms as c_int,
            33 | 34 => 0,
            36 => 2_619_000,
            37 => 5120,
            38 => 50 << 20,
            39 => 2048,
            75 => (spec.arch / 10) as c_int,
            76 => (spec.arch % 10) as c_int,
            81 => 228 << 10,
            97 => 227 << 10,
            106 => 32,
            _ => return Err(CUresult::CUDA_ERROR_INVALID_VALUE),
        };
        put(v, value)
    }))
}

/// # Safety
/// `ctx` is valid for a write.
#[no_mangle]
pub unsafe extern "C" fn cuDevicePrimaryCtxRetain(ctx: *mut CUcontext, dev: CUdevice) -> CUresult {
    status(with(|s| put(ctx, ctx_handle(device(s, dev)?) as CUcontext)))
}

#[no_mangle]
pub extern "C" fn cuDevicePrimaryCtxRelease_v2(dev: CUdevice) -> CUresult {
    status(with(|s| device(s, dev).map(|_| ())))
}

#[no_mangle]
pub extern "C" fn cuCtxSetCurrent(ctx: CUcontext) -> CUresult {
    status(with(|s| {
        let c = ctx as usize;
        if c != 0 {
            ctx_ordinal(s, c)?;
        }
        CURRENT.with(|cur| cur.set(c));
        Ok(())
    }))
}

/// # Safety
/// `ctx` is valid for a write.
#[no_mangle]
pub unsafe extern "C" fn cuCtxGetCurrent(ctx: *mut CUcontext) -> CUresult {
    status(with(|_| put(ctx, CURRENT.with(|c| c.get()) as CUcontext)))
}

/// # Safety
/// `dev` is valid for a write.
#[no_mangle]
pub unsafe extern "C" fn cuCtxGetDevice(dev: *mut CUdevice) -> CUresult {
    status(with(|s| put(dev, super::current_device(s)? as CUdevice)))
}

/// Runs everything queued on the current device.
#[no_mangle]
pub extern "C" fn cuCtxSynchronize() -> CUresult {
    status(with(|s| {
        let d = super::current_device(s)?;
        let q = crate::counts::Queue::Context;
        s.counts.add(d, q, "sync", "ctx_synchronize", 0);
        s.run_device(d);
        super::after_run(s)
    }))
}
