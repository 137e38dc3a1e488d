//! The driver API functions, exported with C linkage under the names cudarc
//! resolves. Every status returned is a value of cudarc's `CUresult`.

pub mod device;
pub mod error;
pub mod launch;
pub mod memory;
pub mod stream;

use crate::sim::{self, Sim};
use cudarc::driver::sys::CUresult;
use std::cell::Cell;

pub(crate) type Res<T = ()> = Result<T, CUresult>;

pub(crate) fn status(r: Res) -> CUresult {
    match r {
        Ok(()) => CUresult::CUDA_SUCCESS,
        Err(e) => e,
    }
}

/// Run `f` on the initialised simulator.
pub(crate) fn with<T>(f: impl FnOnce(&mut Sim) -> Res<T>) -> Res<T> {
    let mut g = sim::lock();
    let s = g.as_mut().expect("created by lock");
    if !s.initialized {
        return Err(CUresult::CUDA_ERROR_NOT_INITIALIZED);
    }
    f(s)
}

/// The failure of executed work, if any, as the call's status (its message
/// is what cuGetErrorString then says for that status).
pub(crate) fn after_run(s: &mut Sim) -> Res {
    s.take_failure().map_err(error::report)
}

const CTX_BASE: usize = 0x0c7c_0000;

pub(crate) fn ctx_handle(ordinal: usize) -> usize {
    CTX_BASE + ordinal * 16
}

pub(crate) fn ctx_ordinal(s: &Sim, ctx: usize) -> Res<usize> {
    let o = ctx.wrapping_sub(CTX_BASE) / 16;
    if ctx >= CTX_BASE && ctx.is_multiple_of(16) && o < s.cfg.devices.len() {
        Ok(o)
    } else {
        Err(CUresult::CUDA_ERROR_INVALID_CONTEXT)
    }
}

thread_local! {
    /// The calling thread's current context (0: none).
    pub(crate) static CURRENT: Cell<usize> = const { Cell::new(0) };
}

/// The device of the calling thread's current context.
pub(crate) fn current_device(s: &Sim) -> Res<usize> {
    let c = CURRENT.with(Cell::get);
    if c == 0 {
        return Err(CUresult::CUDA_ERROR_INVALID_CONTEXT);
    }
    ctx_ordinal(s, c)
}

/// Write through an out-pointer, or fail with CUDA_ERROR_INVALID_VALUE.
///
/// # Safety
/// `p` is null or valid for a write of T.
pub(crate) unsafe fn put<T>(p: *mut T, v: T) -> Res {
    if p.is_null() {
        return Err(CUresult::CUDA_ERROR_INVALID_VALUE);
    }
    p.write(v);
    Ok(())
}
