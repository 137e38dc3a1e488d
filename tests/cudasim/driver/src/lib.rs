//! The driver half of the CUDA simulator: a shared library with the CUDA
//! driver API functions our code reaches through cudarc, over host memory.
//!
//! - Memory (`memory`): guarded, NaN-filled blocks; freed blocks quarantined.
//! - Streams (`sim`): queues that run only when something waits for them.
//! - Modules (`module`): shared objects from the NVRTC stand-in.
//! - Launches (`exec`, `fiber`, `fault`): blocks one after another, a
//!   block's threads as fibers in the device's order, barrier and shuffle
//!   checks, faults turned into launch errors.
//!
//! The tests load it with `tensor::cuda::simulator`; see the README's
//! section "Testing the CUDA path without a GPU" for what it checks and what
//! it cannot see.

pub mod abi;
mod api;
pub mod config;
mod counts;
mod exec;
mod execute;
mod fault;
mod fiber;
pub mod memory;
mod module;
mod sim;

use std::ffi::{c_char, c_int, CStr};

/// Configure the simulated machine before the first driver call, from a
/// spec such as `devices=2 arch=90 sms=132,8 order=forward,reverse`
/// (see `config`). Returns 0, or -1 with the reason on stderr.
///
/// # Safety
/// `spec` is a C string.
#[no_mangle]
pub unsafe extern "C" fn cudasim_configure(spec: *const c_char) -> c_int {
    let spec = CStr::from_ptr(spec).to_string_lossy();
    match config::Config::from_spec(&spec).and_then(sim::configure) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("cudasim: {e}");
            -1
        }
    }
}

/// The simulated device `ordinal` in words (`simulator cuda:0 (sm_90, 132
/// SMs, forward order)`) into `buf`; its length, or -1 if there is none.
///
/// # Safety
/// `buf` has room for `len` bytes.
#[no_mangle]
pub unsafe extern "C" fn cudasim_describe(ordinal: c_int, buf: *mut c_char, len: c_int) -> c_int {
    let g = sim::lock();
    let s = g.as_ref().expect("created by lock");
    let Some(d) = usize::try_from(ordinal)
        .ok()
        .and_then(|o| s.cfg.devices.get(o))
    else {
        return -1;
    };
    let text = d.name(ordinal as usize);
    if len > 0 && !buf.is_null() {
        let n = text.len().min(len as usize - 1);
        std::ptr::copy_nonoverlapping(text.as_ptr() as *const c_char, buf, n);
        *buf.add(n) = 0;
    }
    text.len() as c_int
}

/// The number of simulated devices.
#[no_mangle]
pub extern "C" fn cudasim_device_count() -> c_int {
    let g = sim::lock();
    g.as_ref().map_or(0, |s| s.cfg.devices.len() as c_int)
}

/// The counts of what the host asked of the driver (see `counts`), one line
/// per counter, into `buf`; the length they need (write nothing and call
/// again with more room when it exceeds `len`).
///
/// # Safety
/// `buf` has room for `len` bytes.
#[no_mangle]
pub unsafe extern "C" fn cudasim_counts(buf: *mut c_char, len: usize) -> usize {
    let g = sim::lock();
    let text = g.as_ref().expect("created by lock").counts.dump();
    let b = text.as_bytes();
    if b.len() < len {
        std::ptr::copy_nonoverlapping(b.as_ptr() as *const c_char, buf, b.len());
        *buf.add(b.len()) = 0;
    }
    b.len() + 1
}

/// Zero the counts.
#[no_mangle]
pub extern "C" fn cudasim_counts_reset() {
    sim::lock()
        .as_mut()
        .expect("created by lock")
        .counts
        .clear();
}
