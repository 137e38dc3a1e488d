//! The lines a run prints on stdout: what it trains, a line per epoch (with
//! the notes of the other observers under it) and how it ended.

use super::Observer;
use crate::data::{DataSource, DatasetName};
use crate::error::Result;
use crate::models::OptKind;
use crate::train::report::{describe, mean_stats, DataWait};
use crate::train::state::LogAcc;
use crate::train::trainer::{Report, Trainer};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Prints the run's progress, one line per epoch.
pub struct Console {
    dir: PathBuf,
    folder: bool,
    steps: u64,
    epoch_start: Instant,
    epoch_figures: LogAcc,
    epoch_busy: f64,
    wait: DataWait,
}

impl Console {
    /// Say what the run in `dir` trains on `data` (`batches_per_epoch`
    /// batches an epoch): a fresh run's settings, or where a resumed one goes on.
    pub fn open(
        dir: &Path,
        fresh: bool,
        data: &DataSource,
        t: &Trainer,
        batches_per_epoch: usize,
    ) -> Console {
        let (s, pos, nb) = (t.settings(), t.position(), batches_per_epoch);
        // The optimisers as the recipe leaves them (its rates and betas win).
        let r = &s.recipe;
        let (lr_g, lr_d) = (r.lr_g.unwrap_or(s.lr), r.lr_d.unwrap_or(s.lr));
        let lr = if lr_g == lr_d {
            format!("lr {lr_g}")
        } else {
            format!("lr G {lr_g}, D {lr_d}")
        };
        let opt = match t.gan().spec.opt {
            OptKind::Adam { beta1, beta2 } => {
                let (b1, b2) = r.betas.unwrap_or((beta1, beta2));
                format!("Adam({lr}, betas ({b1}, {b2}))")
            }
            OptKind::Sgd { momentum } => format!("SGD({lr}, momentum {momentum})"),
        };
        if fresh {
            println!(
                "training {} on {} ({} images): {} epochs of {nb} batches of {}, {opt}, seed {} -> {}",
                s.model,
                s.dataset.name(),
                data.len(),
                s.epochs,
                s.batch,
                s.seed,
                dir.display()
            );
        } else {
            println!(
                "resuming {} at epoch {}, batch {}/{nb} (step {}), {} epochs in all",
                dir.display(),
                pos.epoch + 1,
                pos.batch,
                pos.global_step,
                s.epochs
            );
        }
        if let Some(r) = s.recipe.describe() {
            println!("{r}");
        }
        if let Some(note) = s.recipe.note_for(s.model) {
            println!("note: {note}");
        }
        Console {
            dir: dir.to_path_buf(),
            folder: s.dataset == DatasetName::Folder,
            steps: 0,
            epoch_start: Instant::now(),
            epoch_figures: LogAcc::default(),
            epoch_busy: 0.0,
            wait: DataWait::default(),
        }
    }
}

/// Say what was opened, when there is more to say than the data set's name
/// (an image folder's counts, channels and cache): at once, so that it
/// comes before any complaint about the data.
pub fn print_data_summary(data: &DataSource) {
    if let Some(line) = &data.summary {
        println!("{line}");
    }
}

impl Observer for Console {
    fn epoch_start(&mut self, _t: &Trainer, _start: usize) -> Result<()> {
        self.epoch_start = Instant::now();
        self.epoch_figures = LogAcc::default();
        self.epoch_busy = 0.0;
        self.wait = DataWait::default();
        Ok(())
    }

    fn waited(&mut self, secs: f64) {
        self.wait.add(secs);
    }

    fn report(&mut self, _t: &Trainer, r: &Report) -> Result<()> {
        self.steps += r.steps;
        self.epoch_busy += r.seconds;
        for st in &r.stats {
            self.epoch_figures.add(st);
        }
        Ok(())
    }

    fn epoch_end(&mut self, t: &mut Trainer, notes: &mut Vec<String>) -> Result<()> {
        let secs = self.epoch_start.elapsed().as_secs_f64();
        let n = self.epoch_figures.n;
        println!(
            "epoch {}/{}: {n} steps in {secs:.1} s ({:.2} ms per training step)  {}",
            t.position().epoch,
            t.settings().epochs,
            self.epoch_busy * 1e3 / n.max(1) as f64,
            describe(&mean_stats(&self.epoch_figures))
        );
        if self.folder {
            println!("  {}", self.wait.describe());
        }
        for line in notes.iter() {
            println!("  {line}");
        }
        Ok(())
    }

    fn finish(&mut self, t: &Trainer, notes: &mut Vec<String>) -> Result<()> {
        let epochs = t.settings().epochs;
        if t.position().epoch >= epochs && self.steps == 0 {
            println!(
                "{} has already trained for {epochs} epochs; pass --epochs N to go on",
                self.dir.display()
            );
        }
        println!(
            "done: {epochs} epochs; checkpoints, grids, log.csv and losses.png in {}",
            self.dir.display()
        );
        for line in notes.iter() {
            println!("{line}");
        }
        Ok(())
    }
}
