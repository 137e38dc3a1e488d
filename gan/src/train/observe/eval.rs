//! `--eval-every N`: after every N-th epoch (and the last) the metrics of
//! 10,000 samples (`eval::hook::EvalLog`: eval.csv, frechet.png), a line under
//! the epoch's and a summary at the end of the run.

use super::Observer;
use crate::error::{Error, Result};
use crate::eval::hook::EvalLog;
use crate::train::trainer::Trainer;
use std::path::Path;

/// Evaluates the run's generator every few epochs.
pub struct EvalObserver {
    log: EvalLog,
}

impl EvalObserver {
    /// Evaluation every `every` epochs of the run in `dir` (its `eval.csv`
    /// kept up to the epochs done), loading or training the classifier of the
    /// run's data set (with progress messages on stderr when `progress`).
    pub fn open(dir: &Path, every: u64, t: &Trainer, progress: bool) -> Result<EvalObserver> {
        let s = t.settings();
        let log = EvalLog::open(
            dir,
            every,
            t.position().epoch,
            s.dataset.kind().ok_or_else(needs_idx)?,
            s.data_dir.as_deref(),
            t.gan().spec.image,
            s.seed,
            &format!("{} on {}", s.model, s.dataset.name()),
            progress,
        )?;
        Ok(EvalObserver { log })
    }
}

/// The error of `--eval-every` on an image folder.
pub fn needs_idx() -> Error {
    Error::usage(
        "--eval-every: the evaluation classifier exists for mnist, fashion-mnist and kmnist, not for a folder",
    )
}

impl Observer for EvalObserver {
    fn epoch_end(&mut self, t: &mut Trainer, notes: &mut Vec<String>) -> Result<()> {
        let (epoch, step) = (t.position().epoch, t.position().global_step);
        if self.log.due(epoch, t.settings().epochs) {
            let m = self.log.evaluate(t.gan_mut(), epoch, step)?;
            notes.push(EvalLog::describe(&m));
        }
        Ok(())
    }

    fn finish(&mut self, _t: &Trainer, notes: &mut Vec<String>) -> Result<()> {
        notes.extend(self.log.summary());
        Ok(())
    }
}
