//! `losses.png`: d_loss and g_loss of every log row against epochs, redrawn
//! after every epoch.

use super::csv::CSV_FILE;
use super::{Observer, PLOT_FILE};
use crate::error::Result;
use crate::io::csv::{loss_curves, read_rows, Row};
use crate::io::plot;
use crate::train::report::row;
use crate::train::trainer::{Report, Trainer};
use std::path::{Path, PathBuf};

/// Plots the rows `log.csv` holds.
pub struct LossPlot {
    path: PathBuf,
    title: String,
    rows: Vec<Row>,
    batches_per_epoch: usize,
}

impl LossPlot {
    /// The plot of the run in `dir` titled `title`; a resumed run's starts
    /// from the rows its `log.csv` holds up to the trainer's step.
    pub fn open(
        dir: &Path,
        title: &str,
        fresh: bool,
        t: &Trainer,
        batches_per_epoch: usize,
    ) -> Result<Self> {
        let rows = if fresh {
            Vec::new()
        } else {
            read_rows(&dir.join(CSV_FILE), t.position().global_step)?
        };
        Ok(LossPlot {
            path: dir.join(PLOT_FILE),
            title: title.to_string(),
            rows,
            batches_per_epoch,
        })
    }
}

impl Observer for LossPlot {
    fn report(&mut self, _t: &Trainer, r: &Report) -> Result<()> {
        let nb = self.batches_per_epoch;
        self.rows
            .extend(r.intervals.iter().map(|iv| row(&iv.at, nb, &iv.sums)));
        Ok(())
    }

    fn epoch_end(&mut self, _t: &mut Trainer, _notes: &mut Vec<String>) -> Result<()> {
        let (d, g) = loss_curves(&self.rows);
        plot::save_loss_plot(&self.path, &self.title, d, g)
    }
}
