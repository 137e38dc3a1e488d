//! The rendezvous of a block's threads: `__syncthreads()` waits for every
//! thread of the block at one line, a shuffle or `__syncwarp()` for the
//! lanes of its mask at one line; a rendezvous that cannot complete fails the
//! launch (unless CUDASIM_DISABLE=barriers).

use super::switch::{fail, yield_now};
use super::{abi, run, strict, Run, Status, WarpReq, SYNCWARP};
use cudarc::driver::sys::CUresult;
use std::ffi::{c_int, c_uint, c_ulonglong};

pub(super) extern "C" fn syncthreads(line: c_int) {
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
pub(super) unsafe fn release_sync(r: *mut Run) {
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

pub(super) extern "C" fn shfl(
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

pub(super) extern "C" fn syncwarp(mask: c_uint, line: c_int) {
    warp_op(WarpReq {
        kind: SYNCWARP,
        mask,
        bits: 0,
        arg: 0,
        width: 32,
        line,
    });
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
}
