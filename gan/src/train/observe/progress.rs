//! The progress bar of each epoch, with the latest step's figures.

use super::Observer;
use crate::error::Result;
use crate::progress_bar::Bar;
use crate::train::report::describe;
use crate::train::trainer::{Report, Trainer};

/// Draws a bar per epoch on stderr (nothing without the `cli` feature).
pub struct Progress {
    batches_per_epoch: usize,
    bar: Bar,
}

impl Progress {
    /// Bars of `batches_per_epoch` steps.
    pub fn new(batches_per_epoch: usize) -> Progress {
        Progress {
            batches_per_epoch,
            bar: Bar::hidden(),
        }
    }
}

impl Observer for Progress {
    fn epoch_start(&mut self, t: &Trainer, start: usize) -> Result<()> {
        let (epoch, epochs) = (t.position().epoch, t.settings().epochs);
        let prefix = format!("epoch {}/{epochs}", epoch + 1);
        self.bar = Bar::new(self.batches_per_epoch, start, prefix);
        Ok(())
    }

    fn report(&mut self, _t: &Trainer, r: &Report) -> Result<()> {
        for st in &r.stats {
            self.bar.set_message(describe(st));
        }
        self.bar.inc(r.steps);
        Ok(())
    }

    fn interrupted(&mut self, _t: &Trainer) -> Result<()> {
        self.bar.abandon();
        Ok(())
    }

    fn epoch_end(&mut self, _t: &mut Trainer, _notes: &mut Vec<String>) -> Result<()> {
        self.bar.finish_and_clear();
        Ok(())
    }
}
