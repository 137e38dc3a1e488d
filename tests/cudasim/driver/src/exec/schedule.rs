//! The scheduler: a launch's blocks one after another, and a block's passes
//! over its runnable threads until every thread has exited, one has failed
//! or faulted (a launch error naming the kernel, block and thread), or a pass
//! ran none (a deadlock, reported with the lines the threads wait at).

use super::order::pass_order;
use super::switch::{fiber_main, switch_next};
use super::{Launch, LaunchError, Run, Status, Thread, WarpReq};
use crate::abi::Dim3;
use crate::config::Order;
use crate::fault;
use crate::fiber::Stack;
use cudarc::driver::sys::CUresult;
use std::ffi::c_int;
use std::sync::atomic::Ordering;

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

pub(super) fn run_blocks(
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
