//! Running a launch: its blocks one after another, a block's threads as
//! fibers in the device's order, switching at `__syncthreads()`, warp
//! shuffles and `__syncwarp()`. A barrier or shuffle that cannot complete
//! (a thread exited, or waits elsewhere) stops the launch with an error that
//! names the kernel, never a hang.

use crate::abi::{self, Dim3, ThreadState};
use crate::config::Order;
use crate::fault;
use crate::fiber::{cudasim_switch, Stack};
use cudarc::driver::sys::CUresult;
use std::ffi::{c_char, c_int, c_uint, c_ulonglong, c_void, CStr};
use std::sync::atomic::Ordering;

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

fn yield_now(r: *mut Run, i: usize) {
    // SAFETY: r is the live Run; a later pass resumes this fiber (or none does).
    unsafe {
        let sp = std::ptr::addr_of_mut!((&mut (*r).threads)[i].sp);
        switch_next(r, sp);
    }
}

/// Save the running context into `*from` and resume the next runnable thread
/// of the pass, or the scheduler when there is none.
unsafe fn switch_next(r: *mut Run, from: *mut usize) {
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
fn fail(r: *mut Run, code: CUresult, msg: String) -> ! {
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

extern "C" fn fiber_main(i: usize) -> ! {
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

extern "C" fn syncthreads(line: c_int) {
    let r = run();
    // SAFETY: called by the running fiber of the live Run.
    unsafe {
        let i = (*r).current;
        (&mut (*r).threads)[i].status = Status::AtSync(line);
        (*r).at_sync += 1;
        let n = (*r).threads.len();
        if (*r).at_sync + (*r).exited == n {
            if !strict() {
                release_sync(r);
                yield_now(r, i);
                return;
            }
            if (*r).exited > 0 {
                fail(r, CUresult::CUDA_ERROR_LAUNCH_FAILED, format!(
                    "__syncthreads() at line {line}: {} threads of the block exited without reaching it",
                    (*r).exited
                ));
            }
            let other = (*r).threads.iter().find_map(|t| match t.status {
                Status::AtSync(l) if l != line => Some(l),
                _ => None,
            });
            if let Some(l) = other {
                fail(r, CUresult::CUDA_ERROR_LAUNCH_FAILED, format!(
                    "divergent __syncthreads(): threads of one block wait at line {line} and at line {l}"
                ));
            }
            release_sync(r);
        }
        yield_now(r, i);
    }
}

/// Every thread waiting at __syncthreads() goes on.
unsafe fn release_sync(r: *mut Run) {
    for t in (*r).threads.iter_mut() {
        if matches!(t.status, Status::AtSync(_)) {
            t.status = Status::Runnable;
        }
    }
    (*r).at_sync = 0;
}

/// The lane a shuffle of `kind` reads for `lane`, or `lane` itself where
/// CUDA returns the caller's own value.
fn source_lane(kind: c_int, lane: u32, arg: c_int, width: u32) -> u32 {
    let base = lane - lane % width;
    match kind {
        abi::SHFL_IDX => base + (arg as u32 & (width - 1)),
        abi::SHFL_UP => {
            let d = arg as u32;
            if lane % width >= d {
                lane - d
            } else {
                lane
            }
        }
        abi::SHFL_DOWN => {
            let d = arg as u32;
            if lane % width + d < width {
                lane + d
            } else {
                lane
            }
        }
        _ => {
            let s = lane ^ (arg as u32 & 31);
            if s < base + width {
                s
            } else {
                lane
            }
        }
    }
}

/// A warp-level rendezvous (shuffle or __syncwarp) of the current thread.
fn warp_op(req: WarpReq) -> u64 {
    let r = run();
    // SAFETY: called by the running fiber of the live Run.
    unsafe {
        let i = (*r).current;
        let n = (*r).threads.len();
        let (lane, base) = ((i % 32) as u32, i - i % 32);
        let what = if req.kind == SYNCWARP {
            "__syncwarp"
        } else {
            "shuffle"
        };
        let (line, mask) = (req.line, req.mask);
        if mask & (1 << lane) == 0 {
            fail(
                r,
                CUresult::CUDA_ERROR_LAUNCH_FAILED,
                format!("{what} at line {line}: lane {lane} is not in its own mask {mask:#010x}"),
            );
        }
        let lanes = (n - base).min(32) as u32;
        if lanes < 32 && mask >> lanes != 0 {
            fail(r, CUresult::CUDA_ERROR_LAUNCH_FAILED, format!(
                "{what} at line {line}: mask {mask:#010x} names lanes that do not exist in this warp of {lanes} threads (block of {n})"));
        }
        let w = req.width as u32;
        if req.kind != SYNCWARP && !(w.is_power_of_two() && w <= 32) {
            fail(
                r,
                CUresult::CUDA_ERROR_LAUNCH_FAILED,
                format!(
                    "shuffle at line {line}: width {} is not a power of two up to 32",
                    req.width
                ),
            );
        }
        (&mut (*r).threads)[i].req = req;
        (&mut (*r).threads)[i].status = Status::AtWarp;
        let members = (0..32u32)
            .filter(|l| mask & (1 << l) != 0)
            .map(|l| base + l as usize);
        let mut complete = true;
        for j in members.clone() {
            let t = &(&mut (*r).threads)[j];
            match t.status {
                Status::AtWarp => {
                    let o = t.req;
                    if strict() && o.kind != req.kind || o.mask != mask || o.line != line {
                        fail(r, CUresult::CUDA_ERROR_LAUNCH_FAILED, format!(
                            "divergent warp: lane {lane} waits at the {what} of line {line}, lane {} at line {} (mask {:#010x})",
                            j - base, o.line, o.mask));
                    }
                }
                Status::Exited if !strict() => {}
                Status::Exited => fail(
                    r,
                    CUresult::CUDA_ERROR_LAUNCH_FAILED,
                    format!(
                        "{what} at line {line}: lane {} of the mask {mask:#010x} has exited",
                        j - base
                    ),
                ),
                _ => complete = false,
            }
        }
        if !complete {
            yield_now(r, i);
            return (&mut (*r).threads)[i].result;
        }
        for j in members.clone() {
            let t = &(&mut (*r).threads)[j];
            let l = (j - base) as u32;
            let src = if req.kind == SYNCWARP {
                l
            } else {
                source_lane(t.req.kind, l, t.req.arg, w)
            };
            if mask & (1 << src) == 0 {
                fail(r, CUresult::CUDA_ERROR_LAUNCH_FAILED, format!(
                    "shuffle at line {line}: lane {l} reads lane {src}, which is not in the mask {mask:#010x}"));
            }
            let v = (&mut (*r).threads)[base + src as usize].req.bits;
            (&mut (*r).threads)[j].result = v;
        }
        for j in members {
            if (&(*r).threads)[j].status != Status::Exited {
                (&mut (*r).threads)[j].status = Status::Runnable;
            }
        }
        (&mut (*r).threads)[i].result
    }
}

extern "C" fn shfl(
    kind: c_int,
    mask: c_uint,
    bits: c_ulonglong,
    arg: c_int,
    width: c_int,
    line: c_int,
) -> c_ulonglong {
    warp_op(WarpReq {
        kind,
        mask,
        bits,
        arg,
        width,
        line,
    })
}

extern "C" fn syncwarp(mask: c_uint, line: c_int) {
    warp_op(WarpReq {
        kind: SYNCWARP,
        mask,
        bits: 0,
        arg: 0,
        width: 32,
        line,
    });
}

extern "C" fn trap(what: *const c_char, line: c_int) {
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

fn xorshift(s: &mut u64) -> u64 {
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    *s
}

fn pass_order(order: Order, n: usize, block: u64, pass: u64, out: &mut Vec<usize>) {
    out.clear();
    out.extend(0..n);
    match order {
        Order::Forward => {}
        Order::Reverse => out.reverse(),
        Order::Shuffle(seed) => {
            let mut s = (seed ^ 0x9E37_79B9_7F4A_7C15)
                ^ block.wrapping_mul(0xD1B5_4A32_D192_ED03)
                ^ pass.wrapping_mul(0x8CB9_2BA7_2F3D_8DD7)
                | 1;
            for k in (1..n).rev() {
                out.swap(k, (xorshift(&mut s) % (k as u64 + 1)) as usize);
            }
        }
    }
}

fn deadlock_message(threads: &[Thread]) -> String {
    let mut sync_lines: Vec<c_int> = Vec::new();
    let mut warp_lines: Vec<c_int> = Vec::new();
    let mut exited = 0;
    for t in threads {
        match t.status {
            Status::AtSync(l) if !sync_lines.contains(&l) => sync_lines.push(l),
            Status::AtWarp if !warp_lines.contains(&t.req.line) => warp_lines.push(t.req.line),
            Status::Exited => exited += 1,
            _ => {}
        }
    }
    format!(
        "no thread can go on: threads wait at __syncthreads() on lines {sync_lines:?} and at warp shuffles or __syncwarp() on lines {warp_lines:?}, {exited} threads have exited"
    )
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
    let result = run_blocks(rp, l, stacks, n, describe);
    // SAFETY: as above.
    unsafe { RUN = std::ptr::null_mut() };
    result
}

fn run_blocks(
    rp: *mut Run,
    l: &Launch,
    stacks: &[Stack],
    n: usize,
    describe: &dyn Fn(usize) -> String,
) -> Result<(), LaunchError> {
    let (g, b) = (l.grid, l.block);
    // SAFETY: `rp` is the live Run; the module's state is written only here,
    // between fiber switches.
    unsafe {
        let state = &mut *l.state;
        state.grid_dim = g;
        state.block_dim = b;
        for bz in 0..g.z {
            for by in 0..g.y {
                for bx in 0..g.x {
                    let bidx = Dim3 {
                        x: bx,
                        y: by,
                        z: bz,
                    };
                    state.block_idx = bidx;
                    (*rp).block_idx = bidx;
                    (*rp).threads.clear();
                    for t in 0..n as u32 {
                        let idx = Dim3 {
                            x: t % b.x,
                            y: (t / b.x) % b.y,
                            z: t / (b.x * b.y),
                        };
                        (*rp).threads.push(Thread {
                            sp: stacks[t as usize].start(fiber_main, t as usize),
                            status: Status::Runnable,
                            idx,
                            req: WarpReq::default(),
                            result: 0,
                        });
                    }
                    (*rp).at_sync = 0;
                    (*rp).exited = 0;
                    let linear = bx as u64 + g.x as u64 * (by as u64 + g.y as u64 * bz as u64);
                    run_block(rp, l, linear, describe)?;
                }
            }
        }
    }
    Ok(())
}

unsafe fn run_block(
    rp: *mut Run,
    l: &Launch,
    linear: u64,
    describe: &dyn Fn(usize) -> String,
) -> Result<(), LaunchError> {
    let n = (*rp).threads.len();
    let err = move |code, msg: String| {
        let bi = (*rp).block_idx;
        LaunchError {
            code,
            message: format!(
                "kernel `{}`, block ({},{},{}), {msg}",
                l.name, bi.x, bi.y, bi.z
            ),
        }
    };
    let shuffled = matches!(l.order, Order::Shuffle(_));
    pass_order(l.order, n, linear, 0, &mut (*rp).order);
    let mut pass = 0u64;
    loop {
        if shuffled && pass > 0 {
            pass_order(l.order, n, linear, pass, &mut (*rp).order);
        }
        (*rp).next = 0;
        (*rp).ran = false;
        fault::FAULT_SIGNAL.store(0, Ordering::Relaxed);
        fault::IN_KERNEL.store(true, Ordering::Release);
        switch_next(rp, std::ptr::addr_of_mut!((*rp).sched_sp));
        fault::IN_KERNEL.store(false, Ordering::Release);
        let sig = fault::FAULT_SIGNAL.load(Ordering::Relaxed);
        if sig != 0 {
            let t = (&(*rp).threads)[(*rp).current].idx;
            let at = format!("thread ({},{},{})", t.x, t.y, t.z);
            let addr = fault::FAULT_ADDR.load(Ordering::Relaxed);
            return Err(match sig {
                libc::SIGSEGV | libc::SIGBUS => {
                    let rw = if fault::FAULT_WRITE.load(Ordering::Relaxed) {
                        "write"
                    } else {
                        "read"
                    };
                    err(
                        CUresult::CUDA_ERROR_ILLEGAL_ADDRESS,
                        format!("{at}: illegal {rw} at {addr:#x}: {}", describe(addr)),
                    )
                }
                libc::SIGFPE => err(
                    CUresult::CUDA_ERROR_LAUNCH_FAILED,
                    format!("{at}: arithmetic fault (integer division by zero?) at {addr:#x}"),
                ),
                _ => err(
                    CUresult::CUDA_ERROR_ILLEGAL_INSTRUCTION,
                    format!("{at}: illegal instruction at {addr:#x}"),
                ),
            });
        }
        if let Some((code, msg)) = (*rp).error.take() {
            return Err(err(code, msg));
        }
        if (*rp).exited == n {
            return Ok(());
        }
        if !(*rp).ran {
            return Err(err(
                CUresult::CUDA_ERROR_LAUNCH_FAILED,
                deadlock_message(&(*rp).threads),
            ));
        }
        pass += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shuffle_sources_follow_cuda() {
        assert_eq!(source_lane(abi::SHFL_DOWN, 3, 16, 32), 19);
        assert_eq!(source_lane(abi::SHFL_DOWN, 20, 16, 32), 20);
        assert_eq!(source_lane(abi::SHFL_DOWN, 5, 2, 8), 7);
        assert_eq!(source_lane(abi::SHFL_DOWN, 6, 2, 8), 6);
        assert_eq!(source_lane(abi::SHFL_UP, 1, 2, 32), 1);
        assert_eq!(source_lane(abi::SHFL_UP, 9, 2, 32), 7);
        assert_eq!(source_lane(abi::SHFL_XOR, 5, 1, 32), 4);
        assert_eq!(source_lane(abi::SHFL_IDX, 13, 3, 8), 11);
        assert_eq!(source_lane(abi::SHFL_IDX, 13, 35, 32), 3);
    }

    #[test]
    fn orders_are_permutations() {
        let mut v = Vec::new();
        pass_order(Order::Shuffle(3), 100, 7, 2, &mut v);
        let mut s = v.clone();
        s.sort();
        assert_eq!(s, (0..100).collect::<Vec<_>>());
        assert_ne!(v, s);
        pass_order(Order::Reverse, 4, 0, 0, &mut v);
        assert_eq!(v, [3, 2, 1, 0]);
    }
}
