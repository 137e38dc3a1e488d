//! Running a launch: its blocks one after another, a block's threads as
//! fibers in the device's order, switching at `__syncthreads()`, warp
//! shuffles and `__syncwarp()`. A barrier or shuffle that cannot complete
//! (a thread exited, or waits elsewhere) stops the launch with an error that
//! names the kernel, never a hang.
//!
//! - `switch`: the fibers' lives: starting, handing over to the next
//!   runnable thread of the pass, stopping with an error or a fault.
//! - `sync`: the rendezvous: `__syncthreads()`, warp shuffles, `__syncwarp()`.
//! - `order`: the order the threads of a pass run in.
//! - `schedule`: the blocks of a launch, and the passes over a block's
//!   threads until every thread has exited (or none can go on).

mod order;
mod schedule;
mod switch;
mod sync;

use crate::abi::{self, Dim3, ThreadState};
use crate::config::Order;
use crate::fault;
use crate::fiber::Stack;
use cudarc::driver::sys::CUresult;
use std::ffi::{c_int, c_uint, c_void};
use std::sync::atomic::Ordering;
use switch::{landing, trap};
use sync::{shfl, syncthreads, syncwarp};

/// A queued launch, with its own copy of the arguments.
pub struct Launch {
    pub name: String,
    pub entry: extern "C" fn(*mut *mut c_void),
    pub state: *mut ThreadState,
    pub grid: Dim3,
    pub block: Dim3,
    pub params: Vec<Vec<u128>>,
    pub order: Order,
}

// SAFETY: `state` points into a loaded module, which outlives queued work
// (modules are unloaded only after every stream has run).
unsafe impl Send for Launch {}

#[derive(Debug)]
pub struct LaunchError {
    pub code: CUresult,
    pub message: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Status {
    Runnable,
    AtSync(c_int),
    AtWarp,
    Exited,
    Failed,
}

#[derive(Clone, Copy, Default)]
struct WarpReq {
    kind: c_int,
    mask: c_uint,
    bits: u64,
    arg: c_int,
    width: c_int,
    line: c_int,
}

const SYNCWARP: c_int = -1;

struct Thread {
    sp: usize,
    status: Status,
    idx: Dim3,
    req: WarpReq,
    result: u64,
}

/// The block being run; reached by the kernel's calls through `RUN`.
///
/// A pass runs the runnable threads in `order`: each thread that stops (at a
/// barrier, a shuffle, or its end) switches straight to the next runnable one
/// (`switch_next`), and the last one back to the scheduler, which checks the
/// pass and starts the next.
struct Run {
    threads: Vec<Thread>,
    sched_sp: usize,
    current: usize,
    order: Vec<usize>,
    /// Where in `order` the pass goes on.
    next: usize,
    /// Whether the pass ran any thread.
    ran: bool,
    state: *mut ThreadState,
    /// Each thread's stack top, where a fault sends it (see `fault`).
    tops: Vec<usize>,
    at_sync: usize,
    exited: usize,
    block_idx: Dim3,
    entry: extern "C" fn(*mut *mut c_void),
    params: *mut *mut c_void,
    error: Option<(CUresult, String)>,
}

static mut RUN: *mut Run = std::ptr::null_mut();

/// Off only under CUDASIM_DISABLE=barriers: then a barrier counts exited
/// threads as arrived and waits at different lines release together, and a
/// shuffle takes an exited lane's last value, as a lenient GPU might.
static BARRIER_CHECKS: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(true);

pub fn set_barrier_checks(on: bool) {
    BARRIER_CHECKS.store(on, Ordering::Relaxed);
}

fn strict() -> bool {
    BARRIER_CHECKS.load(Ordering::Relaxed)
}

/// The callbacks every module gets (`__cudasim_api`).
pub static API: abi::Api = abi::Api {
    syncthreads,
    shfl,
    syncwarp,
    trap,
};

fn run() -> *mut Run {
    // SAFETY: set by `execute` for the duration of a launch, on this thread.
    unsafe { RUN }
}

/// Run `l` to the end; `describe` tells where a faulting address lies.
pub fn execute(
    l: &Launch,
    stacks: &mut Vec<Stack>,
    stack_size: usize,
    describe: &dyn Fn(usize) -> String,
) -> Result<(), LaunchError> {
    let n = (l.block.x * l.block.y * l.block.z) as usize;
    while stacks.len() < n {
        let s = Stack::new(stack_size).ok_or_else(|| LaunchError {
            code: CUresult::CUDA_ERROR_OUT_OF_MEMORY,
            message: format!(
                "kernel `{}`: no memory for the stacks of {n} threads",
                l.name
            ),
        })?;
        stacks.push(s);
    }
    fault::install(landing);
    let _alt = fault::AltStack::enter();
    let mut params: Vec<*mut c_void> = l.params.iter().map(|p| p.as_ptr() as *mut c_void).collect();
    let mut r = Run {
        threads: Vec::with_capacity(n),
        sched_sp: 0,
        current: 0,
        order: Vec::with_capacity(n),
        next: 0,
        ran: false,
        state: l.state,
        tops: stacks[..n].iter().map(Stack::top).collect(),
        at_sync: 0,
        exited: 0,
        block_idx: Dim3::default(),
        entry: l.entry,
        params: params.as_mut_ptr(),
        error: None,
    };
    let rp: *mut Run = &mut r;
    // SAFETY: RUN points at `r` only while this function runs its fibers.
    unsafe { RUN = rp };
    let result = schedule::run_blocks(rp, l, stacks, n, describe);
    // SAFETY: as above.
    unsafe { RUN = std::ptr::null_mut() };
    result
}
