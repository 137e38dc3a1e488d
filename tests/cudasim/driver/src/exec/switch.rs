//! The fibers' lives: a thread's fiber starts at `fiber_main`, hands over to
//! the next runnable thread of the pass when it stops (`yield_now`), and goes
//! back to the scheduler when it fails (`fail`, `trap`) or faults
//! (`landing`).

use super::sync::release_sync;
use super::{run, strict, Run, Status};
use crate::fault;
use crate::fiber::cudasim_switch;
use cudarc::driver::sys::CUresult;
use std::ffi::{c_char, c_int, CStr};
use std::sync::atomic::Ordering;

pub(super) fn yield_now(r: *mut Run, i: usize) {
    // SAFETY: r is the live Run; a later pass resumes this fiber (or none does).
    unsafe {
        let sp = std::ptr::addr_of_mut!((&mut (*r).threads)[i].sp);
        switch_next(r, sp);
    }
}

/// Save the running context into `*from` and resume the next runnable thread
/// of the pass, or the scheduler when there is none.
pub(super) unsafe fn switch_next(r: *mut Run, from: *mut usize) {
    let order = &(*r).order;
    let mut p = (*r).next;
    while p < order.len() {
        let t = order[p];
        if (&(*r).threads)[t].status == Status::Runnable {
            (*r).next = p + 1;
            (*r).ran = true;
            (*r).current = t;
            (*(*r).state).thread_idx = (&(*r).threads)[t].idx;
            fault::LANDING_STACK.store((&(*r).tops)[t], Ordering::Relaxed);
            cudasim_switch(from, (&(*r).threads)[t].sp);
            return;
        }
        p += 1;
    }
    (*r).next = p;
    cudasim_switch(from, (*r).sched_sp);
}

/// Back to the scheduler, ending the pass: after an error or a fault.
unsafe fn to_scheduler(r: *mut Run, i: usize) {
    let sp = std::ptr::addr_of_mut!((&mut (*r).threads)[i].sp);
    cudasim_switch(sp, (*r).sched_sp);
}

/// Stop the block with an error; the calling fiber is never resumed.
pub(super) fn fail(r: *mut Run, code: CUresult, msg: String) -> ! {
    // SAFETY: as in yield_now.
    unsafe {
        let i = (*r).current;
        if (*r).error.is_none() {
            let t = &(&mut (*r).threads)[i];
            let msg = format!("thread ({},{},{}): {msg}", t.idx.x, t.idx.y, t.idx.z);
            (*r).error = Some((code, msg));
        }
        (&mut (*r).threads)[i].status = Status::Failed;
        to_scheduler(r, i);
    }
    unreachable!("a failed fiber was resumed")
}

pub(super) extern "C" fn fiber_main(i: usize) -> ! {
    let r = run();
    // SAFETY: the Run outlives its fibers; entry and params are the launch's.
    unsafe {
        ((*r).entry)((*r).params);
        (&mut (*r).threads)[i].status = Status::Exited;
        (*r).exited += 1;
        let n = (*r).threads.len();
        if (*r).at_sync > 0 && (*r).at_sync + (*r).exited == n {
            if !strict() {
                release_sync(r);
                yield_now(r, i);
            }
            fail(r, CUresult::CUDA_ERROR_LAUNCH_FAILED, format!(
                "exited without reaching the __syncthreads() where {} other threads of the block wait",
                (*r).at_sync
            ));
        }
        yield_now(r, i);
    }
    unreachable!("an exited fiber was resumed")
}

/// Where a faulting fiber goes (see `fault`).
pub extern "C" fn landing() -> ! {
    let r = run();
    // SAFETY: as in yield_now.
    unsafe {
        let i = (*r).current;
        (&mut (*r).threads)[i].status = Status::Failed;
        to_scheduler(r, i);
    }
    unreachable!("a faulted fiber was resumed")
}

pub(super) extern "C" fn trap(what: *const c_char, line: c_int) {
    // SAFETY: the shim passes a string literal.
    let what = unsafe { CStr::from_ptr(what) }
        .to_string_lossy()
        .into_owned();
    let code = if what.starts_with("assert") {
        CUresult::CUDA_ERROR_ASSERT
    } else {
        CUresult::CUDA_ERROR_LAUNCH_FAILED
    };
    fail(run(), code, format!("{what} failed at line {line}"));
}
