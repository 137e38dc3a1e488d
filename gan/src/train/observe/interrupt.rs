//! Ctrl-C: the run stops after the step in progress, with a checkpoint, and
//! says how to resume. The handler only sets a flag; `Interrupt` reads it
//! after every step (and stops after `--interrupt-after N` steps, for tests).

use super::Observer;
use crate::error::Error;
use crate::error::Result;
use crate::train::trainer::{Report, Trainer};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

/// Set by Ctrl-C (or by a library user who wants the run to stop).
pub static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Route Ctrl-C to `INTERRUPTED`; a second Ctrl-C quits at once.
#[cfg(feature = "cli")]
pub fn install_ctrlc_handler() {
    let _ = ctrlc::set_handler(|| {
        if INTERRUPTED.swap(true, Ordering::SeqCst) {
            eprintln!("\nsecond Ctrl-C: quitting without a checkpoint");
            std::process::exit(130);
        }
        eprintln!("\nCtrl-C: finishing this step, then writing a checkpoint (Ctrl-C again to quit at once)");
    });
}

/// Asks the run to stop on Ctrl-C, or after a number of steps.
pub struct Interrupt {
    after: Option<u64>,
    steps: u64,
}

impl Interrupt {
    /// Stop on Ctrl-C, or after `after` steps of this process when given.
    pub fn new(after: Option<u64>) -> Interrupt {
        Interrupt { after, steps: 0 }
    }
}

impl Observer for Interrupt {
    fn report(&mut self, _t: &Trainer, r: &Report) -> Result<()> {
        self.steps += r.steps;
        Ok(())
    }

    fn stop_requested(&mut self) -> bool {
        INTERRUPTED.load(Ordering::SeqCst) || self.after.is_some_and(|n| self.steps >= n)
    }
}

/// The error a run stopped early ends with: where its checkpoint is, and
/// how to resume it.
pub fn stopped(t: &Trainer, dir: &Path, batches_per_epoch: usize) -> Error {
    let pos = t.position();
    Error::Interrupted(format!(
        "interrupted: checkpoint written at epoch {}, batch {}/{batches_per_epoch} (step {}) in {}\n\
         resume with: gan train --resume {}",
        pos.epoch + 1,
        pos.batch,
        pos.global_step,
        dir.display(),
        dir.display()
    ))
}
