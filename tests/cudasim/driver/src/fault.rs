//! Faults inside kernels: a SIGSEGV (guard page, freed block), SIGBUS,
//! SIGFPE or SIGILL raised while a fiber runs kernel code is turned into a
//! launch error instead of killing the process. The handler records the
//! address and sends the fiber to `landing` (by editing the saved context),
//! which switches back to the scheduler; the fiber is never resumed.
//! Signals from anywhere else go to the handler that was installed before.

use std::cell::UnsafeCell;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicUsize, Ordering};
use std::sync::Once;

/// True while a fiber of the launch being executed runs.
pub static IN_KERNEL: AtomicBool = AtomicBool::new(false);
/// `pthread_self()` of the host thread executing launches.
pub static EXEC_THREAD: AtomicUsize = AtomicUsize::new(0);
/// Where `landing` runs: the top of the faulting fiber's stack.
pub static LANDING_STACK: AtomicUsize = AtomicUsize::new(0);

pub static FAULT_SIGNAL: AtomicI32 = AtomicI32::new(0);
pub static FAULT_ADDR: AtomicUsize = AtomicUsize::new(0);
pub static FAULT_WRITE: AtomicBool = AtomicBool::new(false);

const SIGNALS: [libc::c_int; 4] = [libc::SIGSEGV, libc::SIGBUS, libc::SIGFPE, libc::SIGILL];

struct Previous(UnsafeCell<[libc::sigaction; 4]>);
// SAFETY: written once inside `install`'s Once, read only afterwards.
unsafe impl Sync for Previous {}
static PREVIOUS: Previous = Previous(UnsafeCell::new(unsafe { std::mem::zeroed() }));

static LANDING: AtomicUsize = AtomicUsize::new(0);

/// Install the handler once; `landing` is where a faulting fiber goes.
pub fn install(landing: extern "C" fn() -> !) {
    static ONCE: Once = Once::new();
    LANDING.store(landing as usize, Ordering::Relaxed);
    ONCE.call_once(|| {
        // SAFETY: plain sigaction calls; PREVIOUS is written before any
        // handler of ours can run.
        unsafe {
            let prev = &mut *PREVIOUS.0.get();
            for (i, &sig) in SIGNALS.iter().enumerate() {
                let mut sa: libc::sigaction = std::mem::zeroed();
                sa.sa_sigaction = handler as *const () as usize;
                sa.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK;
                libc::sigemptyset(&mut sa.sa_mask);
                libc::sigaction(sig, &sa, &mut prev[i]);
            }
        }
    });
}

extern "C" fn handler(sig: libc::c_int, info: *mut libc::siginfo_t, ctx: *mut libc::c_void) {
    // SAFETY: only async-signal-safe work: atomics and edits of the saved context.
    unsafe {
        let ours = IN_KERNEL.load(Ordering::Acquire)
            && EXEC_THREAD.load(Ordering::Relaxed) == libc::pthread_self() as usize;
        if ours {
            IN_KERNEL.store(false, Ordering::Release);
            let uc = ctx as *mut libc::ucontext_t;
            let gregs = &mut (*uc).uc_mcontext.gregs;
            FAULT_SIGNAL.store(sig, Ordering::Relaxed);
            FAULT_ADDR.store((*info).si_addr() as usize, Ordering::Relaxed);
            // Bit 1 of the page-fault error code: the access was a write.
            FAULT_WRITE.store(gregs[libc::REG_ERR as usize] & 2 != 0, Ordering::Relaxed);
            gregs[libc::REG_RIP as usize] = LANDING.load(Ordering::Relaxed) as i64;
            // As if `landing` had been called: rsp ≡ 8 (mod 16) at its entry.
            gregs[libc::REG_RSP as usize] = (LANDING_STACK.load(Ordering::Relaxed) - 8) as i64;
            return;
        }
        let Some(i) = SIGNALS.iter().position(|&s| s == sig) else {
            return;
        };
        let prev = &(*PREVIOUS.0.get())[i];
        match prev.sa_sigaction {
            libc::SIG_DFL | libc::SIG_IGN => {
                // Restore the default and return: the instruction faults again
                // and the process ends as it would have without us.
                libc::sigaction(sig, prev, std::ptr::null_mut());
            }
            f if prev.sa_flags & libc::SA_SIGINFO != 0 => {
                let f: extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void) =
                    std::mem::transmute(f);
                f(sig, info, ctx)
            }
            f => {
                let f: extern "C" fn(libc::c_int) = std::mem::transmute(f);
                f(sig)
            }
        }
    }
}

/// A signal stack for the executing thread, so that the handler also runs
/// when a fiber overflows its own stack. Installed around each execution.
pub struct AltStack {
    old: libc::stack_t,
}

const ALT_SIZE: usize = 256 << 10;

fn alt_memory() -> usize {
    static MEM: AtomicUsize = AtomicUsize::new(0);
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // SAFETY: a fresh private mapping, kept for the life of the process.
        let m = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                ALT_SIZE,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        MEM.store(
            if m == libc::MAP_FAILED { 0 } else { m as usize },
            Ordering::Relaxed,
        );
    });
    MEM.load(Ordering::Relaxed)
}

impl AltStack {
    /// Only one thread executes at a time (the simulator's lock), so one
    /// signal stack serves them all.
    pub fn enter() -> AltStack {
        // SAFETY: sigaltstack with our own mapping; the old one is restored on drop.
        unsafe {
            let mut old: libc::stack_t = std::mem::zeroed();
            let mem = alt_memory();
            if mem != 0 {
                let st = libc::stack_t {
                    ss_sp: mem as *mut libc::c_void,
                    ss_flags: 0,
                    ss_size: ALT_SIZE,
                };
                libc::sigaltstack(&st, &mut old);
            } else {
                libc::sigaltstack(std::ptr::null(), &mut old);
            }
            EXEC_THREAD.store(libc::pthread_self() as usize, Ordering::Relaxed);
            AltStack { old }
        }
    }
}

impl Drop for AltStack {
    fn drop(&mut self) {
        // SAFETY: puts back what `enter` found.
        unsafe {
            libc::sigaltstack(&self.old, std::ptr::null_mut());
        }
    }
}
