//! Executing one queued op. Copies check, when they run, that their ranges
//! are still live allocations (a block freed, or pinned memory released,
//! between queueing and running is an error, not a write into freed pages).

use crate::exec;
use crate::memory::Kind;
use crate::sim::{Op, Sim, Source};
use cudarc::driver::sys::CUresult;
use std::time::Instant;

impl Sim {
    fn check_device(&mut self, what: &str, p: usize, n: usize) -> bool {
        if n == 0 || self.mem.live_range(p, n, Kind::Device) {
            return true;
        }
        let d = self.mem.describe(p);
        self.fail(
            CUresult::CUDA_ERROR_ILLEGAL_ADDRESS,
            format!("{what}: {n} bytes at {p:#x} are not inside one live device allocation ({d})"),
        );
        false
    }

    fn check_pinned(&mut self, what: &str, p: usize, n: usize) -> bool {
        if self.mem.is_pinned(p, n) {
            return true;
        }
        self.fail(
            CUresult::CUDA_ERROR_ILLEGAL_ADDRESS,
            format!("{what}: the pinned host buffer at {p:#x} was freed before the copy ran"),
        );
        false
    }

    /// Run `op`. After a failure the rest of the queued work is dropped, as
    /// on a GPU whose context has faulted, but frees, event records and
    /// waits still happen, so that nothing waits forever.
    pub(crate) fn execute(&mut self, op: Op) {
        match op {
            Op::Record { event, seq } => {
                if let Some(e) = self.events.get_mut(&event) {
                    if e.recorded.is_some_and(|(_, s)| s == seq) {
                        e.done_at = Some(Instant::now());
                    }
                }
            }
            Op::Wait { stream, seq } => self.run_to(stream, seq),
            Op::Free { ptr } => {
                self.freeing.remove(&ptr);
                self.mem.free(ptr, Kind::Device);
            }
            _ if self.pending.is_some() => {}
            Op::Launch(l) => {
                let mem = &self.mem;
                let describe = |a: usize| mem.describe(a);
                if let Err(e) = exec::execute(&l, &mut self.stacks, self.stack_size, &describe) {
                    self.fail(e.code, e.message);
                }
            }
            Op::HtoD { dst, src, bytes } => {
                if !self.check_device("host-to-device copy", dst, bytes) {
                    return;
                }
                let from = match &src {
                    Source::Staged(v) => v.as_ptr(),
                    Source::Pinned(p) if self.check_pinned("host-to-device copy", *p, bytes) => {
                        *p as *const u8
                    }
                    Source::Pinned(_) => return,
                };
                // SAFETY: both ranges checked live for `bytes`.
                unsafe { std::ptr::copy_nonoverlapping(from, dst as *mut u8, bytes) }
            }
            Op::DtoH { dst, src, bytes } => {
                if self.check_device("device-to-host copy", src, bytes)
                    && self.check_pinned("device-to-host copy", dst, bytes)
                {
                    // SAFETY: both ranges checked live.
                    unsafe {
                        std::ptr::copy_nonoverlapping(src as *const u8, dst as *mut u8, bytes)
                    }
                }
            }
            Op::DtoD { dst, src, bytes } => {
                if self.check_device("device-to-device copy", src, bytes)
                    && self.check_device("device-to-device copy", dst, bytes)
                {
                    // SAFETY: both ranges checked live; memmove semantics.
                    unsafe { std::ptr::copy(src as *const u8, dst as *mut u8, bytes) }
                }
            }
            Op::Memset { dst, value, bytes } => {
                if self.check_device("memset", dst, bytes) {
                    // SAFETY: checked live.
                    unsafe { std::ptr::write_bytes(dst as *mut u8, value, bytes) }
                }
            }
        }
    }
}
