//! `log.csv`: a row per logging interval, with the means of its figures.

use super::Observer;
use crate::error::Result;
use crate::io::csv::CsvLog;
use crate::train::report::row;
use crate::train::trainer::{Report, Trainer};
use std::path::Path;

/// The run's CSV log file name.
pub const CSV_FILE: &str = "log.csv";

/// Appends a row to the run's `log.csv` for every completed interval.
pub struct CsvObserver {
    log: CsvLog,
    batches_per_epoch: usize,
}

impl CsvObserver {
    /// A new log in `dir` for a fresh run; for a resumed one, its log kept up
    /// to the checkpoint's step (rows logged after it are dropped).
    pub fn open(
        dir: &Path,
        fresh: bool,
        t: &Trainer,
        batches_per_epoch: usize,
    ) -> Result<CsvObserver> {
        let path = dir.join(CSV_FILE);
        let log = if fresh {
            CsvLog::create(&path)?
        } else {
            CsvLog::resume(&path, t.position().global_step)?
        };
        Ok(CsvObserver {
            log,
            batches_per_epoch,
        })
    }
}

impl Observer for CsvObserver {
    fn report(&mut self, _t: &Trainer, r: &Report) -> Result<()> {
        for iv in &r.intervals {
            self.log
                .append(row(&iv.at, self.batches_per_epoch, &iv.sums))?;
        }
        Ok(())
    }
}
