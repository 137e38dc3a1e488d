//! Work over every file of a folder on a few plain threads of our own (not
//! the compute pool, which training keeps busy), with a progress bar.

use crate::error::{Error, Result};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

/// Items a worker takes at a time.
const BLOCK: usize = 32;

/// Threads to use when asked for 0: one per core.
pub fn default_workers() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

pub fn spinner(progress: bool, prefix: &str) -> ProgressBar {
    if !progress {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::new_spinner();
    pb.set_draw_target(ProgressDrawTarget::stderr());
    pb.set_prefix(prefix.to_string());
    if let Ok(style) = ProgressStyle::with_template("{prefix} {spinner} {msg} {elapsed}") {
        pb.set_style(style);
    }
    pb
}

pub fn bar(progress: bool, len: usize, prefix: &str) -> ProgressBar {
    if !progress {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::new(len as u64);
    pb.set_draw_target(ProgressDrawTarget::stderr());
    if let Ok(style) =
        ProgressStyle::with_template("{prefix} [{bar:28}] {pos}/{len} {per_sec} {elapsed}<{eta}")
    {
        pb.set_style(style.progress_chars("=> "));
    }
    pb.set_prefix(prefix.to_string());
    pb
}

/// Calls `f(i, chunk)` for every item `i`, where `out` holds `per_item`
/// values per item, on `workers` threads. The first error stops the work;
/// of the errors seen, the one of the lowest item is returned.
pub fn for_each_item<T, F>(
    out: &mut [T],
    per_item: usize,
    workers: usize,
    pb: &ProgressBar,
    f: F,
) -> Result<()>
where
    T: Send,
    F: Fn(usize, &mut [T]) -> Result<()> + Sync,
{
    if per_item == 0 || out.is_empty() {
        return Ok(());
    }
    let blocks = Mutex::new(out.chunks_mut(per_item * BLOCK).enumerate());
    let failed = AtomicBool::new(false);
    let first_error: Mutex<Option<(usize, Error)>> = Mutex::new(None);
    std::thread::scope(|s| {
        for _ in 0..workers.max(1) {
            s.spawn(|| loop {
                if failed.load(Ordering::Relaxed) {
                    return;
                }
                let next = blocks.lock().map(|mut it| it.next()).unwrap_or(None);
                let Some((b, block)) = next else { return };
                for (k, item) in block.chunks_mut(per_item).enumerate() {
                    let i = b * BLOCK + k;
                    if let Err(e) = f(i, item) {
                        failed.store(true, Ordering::Relaxed);
                        if let Ok(mut slot) = first_error.lock() {
                            if slot.as_ref().is_none_or(|(j, _)| i < *j) {
                                *slot = Some((i, e));
                            }
                        }
                        return;
                    }
                    pb.inc(1);
                }
            });
        }
    });
    pb.finish_and_clear();
    match first_error.into_inner() {
        Ok(Some((_, e))) => Err(e),
        Ok(None) => Ok(()),
        Err(_) => Err(Error::Config("a decoding thread failed".into())),
    }
}
