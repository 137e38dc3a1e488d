//! The module ABI shared with `tests/cudasim/nvrtc/src/shim.h`: what a
//! compiled module exports and what it calls back. Keep in step with the
//! header (and its `CUDASIM_ABI`).

use std::ffi::{c_char, c_int, c_uint, c_ulong, c_ulonglong, c_void};

pub const ABI: c_uint = 1;

#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Dim3 {
    pub x: c_uint,
    pub y: c_uint,
    pub z: c_uint,
}

/// `__cudasim::State`: the indices of the running thread.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct ThreadState {
    pub thread_idx: Dim3,
    pub block_idx: Dim3,
    pub block_dim: Dim3,
    pub grid_dim: Dim3,
}

/// `__cudasim::Api`: the calls a kernel makes into the scheduler.
#[repr(C)]
pub struct Api {
    pub syncthreads: extern "C" fn(line: c_int),
    pub shfl: extern "C" fn(
        kind: c_int,
        mask: c_uint,
        bits: c_ulonglong,
        arg: c_int,
        width: c_int,
        line: c_int,
    ) -> c_ulonglong,
    pub syncwarp: extern "C" fn(mask: c_uint, line: c_int),
    pub trap: extern "C" fn(what: *const c_char, line: c_int),
}

/// `__cudasim::Kernel`.
#[repr(C)]
pub struct Kernel {
    pub name: *const c_char,
    pub entry: extern "C" fn(params: *mut *mut c_void),
    pub num_params: c_uint,
    pub param_sizes: *const c_ulong,
    pub max_threads: c_int,
}

/// `__cudasim::Module`, exported as `__cudasim_module`.
#[repr(C)]
pub struct Module {
    pub abi: c_uint,
    pub num_kernels: c_uint,
    pub kernels: *const *const Kernel,
    pub state: *mut ThreadState,
    pub api: *mut *const Api,
}

/// Shuffle kinds of the header.
pub const SHFL_IDX: c_int = 0;
pub const SHFL_UP: c_int = 1;
pub const SHFL_DOWN: c_int = 2;
pub const SHFL_XOR: c_int = 3;
