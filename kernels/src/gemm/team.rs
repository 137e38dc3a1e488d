//! A small team of helper threads that stay awake between GEMMs (the f32
//! matmul/linear bands and the optimisers' chunks run on it).
//!
//! Why not rayon here: the MLP steps are chains of small GEMMs (a tenth of a
//! millisecond each) with elementwise work between them. A rayon worker that
//! finds nothing to do sleeps after about 50 µs, and on a virtual machine
//! waking a sleeping vCPU costs tens of microseconds more: on the 2-core
//! machine the mlp-small step ran only 1.2× faster on two threads than on
//! one. OpenMP, which PyTorch uses, keeps its threads spinning for a while
//! after each parallel region for this reason. The helpers here do the same:
//! after a job they poll for the next one for `SPIN` (yielding the core to any
//! other runnable thread), then park until woken.
//!
//! One caller at a time: a second concurrent caller (tests run in parallel
//! threads) runs its parts itself, in order, rather than wait.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// How long a helper polls for the next job before it parks.
const SPIN: Duration = Duration::from_micros(300);

/// The job being run: a type-erased `&(dyn Fn(usize) + Sync)` and its part
/// count. Only read by helpers between `epoch` moving and `done` reaching
/// the count, while the caller is blocked in `run`.
struct Job {
    f: *const (dyn Fn(usize) + Sync),
    parts: usize,
}

// SAFETY: the pointee is Sync and outlives every access (see `run`).
unsafe impl Send for Job {}

struct Team {
    helpers: usize,
    /// Bumped once per job; a helper runs part `1 + its index` of each epoch.
    epoch: AtomicUsize,
    /// Helpers that finished (or had no part in) the current job.
    done: AtomicUsize,
    panicked: AtomicBool,
    busy: AtomicBool,
    job: Mutex<Option<Job>>,
    /// Parked helpers wait here for the epoch to move.
    wake: Condvar,
}

fn team() -> &'static Team {
    static TEAM: OnceLock<&'static Team> = OnceLock::new();
    TEAM.get_or_init(|| {
        let helpers = rayon::current_num_threads().saturating_sub(1);
        let t: &'static Team = Box::leak(Box::new(Team {
            helpers,
            epoch: AtomicUsize::new(0),
            done: AtomicUsize::new(0),
            panicked: AtomicBool::new(false),
            busy: AtomicBool::new(false),
            job: Mutex::new(None),
            wake: Condvar::new(),
        }));
        for i in 0..helpers {
            std::thread::Builder::new()
                .name(format!("gemm-helper-{i}"))
                .spawn(move || helper(t, i))
                .expect("cannot start a GEMM helper thread");
        }
        t
    })
}

/// The number of parts `run` can execute at once (the caller included).
pub(crate) fn width() -> usize {
    team().helpers + 1
}

fn helper(t: &'static Team, index: usize) {
    let mut seen = 0usize;
    loop {
        // Poll, then park, until the epoch moves.
        let start = Instant::now();
        while t.epoch.load(Ordering::Acquire) == seen && start.elapsed() < SPIN {
            std::thread::yield_now();
        }
        let mut guard = t.job.lock().unwrap_or_else(|e| e.into_inner());
        while t.epoch.load(Ordering::Acquire) == seen {
            guard = t.wake.wait(guard).unwrap_or_else(|e| e.into_inner());
        }
        seen = t.epoch.load(Ordering::Acquire);
        let job = guard.as_ref().map(|j| (j.f, j.parts));
        drop(guard);
        let part = index + 1;
        if let Some((f, _)) = job.filter(|&(_, parts)| part < parts) {
            // SAFETY: the caller keeps `f` alive until `done` counts us.
            let f = unsafe { &*f };
            if catch_unwind(AssertUnwindSafe(|| f(part))).is_err() {
                t.panicked.store(true, Ordering::Release);
            }
        }
        t.done.fetch_add(1, Ordering::AcqRel);
    }
}

/// Run `f(0)`, …, `f(parts − 1)`, at most `width()` at once: part 0 on the
/// calling thread, the others on the helpers. Returns when all are done.
pub(crate) fn run(parts: usize, f: &(dyn Fn(usize) + Sync)) {
    let t = team();
    if parts <= 1
        || parts > t.helpers + 1
        || t.busy
            .compare_exchange(false, true, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
    {
        (0..parts).for_each(f);
        return;
    }
    // SAFETY (of the lifetime erasure): `f` is only called by helpers before
    // they bump `done`, and this function does not return before `done`
    // reaches `helpers`.
    let erased: *const (dyn Fn(usize) + Sync) = unsafe { std::mem::transmute(f) };
    t.done.store(0, Ordering::Release);
    t.panicked.store(false, Ordering::Release);
    {
        let mut job = t.job.lock().unwrap_or_else(|e| e.into_inner());
        *job = Some(Job { f: erased, parts });
        t.epoch.fetch_add(1, Ordering::AcqRel);
    }
    t.wake.notify_all();
    let mine = catch_unwind(AssertUnwindSafe(|| f(0)));
    while t.done.load(Ordering::Acquire) < t.helpers {
        std::hint::spin_loop();
    }
    *t.job.lock().unwrap_or_else(|e| e.into_inner()) = None;
    let helper_panicked = t.panicked.load(Ordering::Acquire);
    t.busy.store(false, Ordering::Release);
    if let Err(p) = mine {
        std::panic::resume_unwind(p);
    }
    assert!(!helper_panicked, "a GEMM helper thread panicked");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_part_runs_once_also_with_concurrent_callers() {
        let callers: Vec<_> = (0..4)
            .map(|_| {
                std::thread::spawn(|| {
                    for round in 0..200 {
                        let parts = 1 + round % width().max(1);
                        let hits: Vec<AtomicUsize> =
                            (0..parts).map(|_| AtomicUsize::new(0)).collect();
                        run(parts, &|i| {
                            hits[i].fetch_add(1, Ordering::Relaxed);
                        });
                        assert!(hits.iter().all(|h| h.load(Ordering::Relaxed) == 1));
                    }
                })
            })
            .collect();
        for c in callers {
            c.join().unwrap();
        }
    }
}
