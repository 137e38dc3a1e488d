//! What `train` is asked to do, without the command line: a fresh run of some
//! `Settings`, or the continuation of a run folder (with the changes a
//! resumed run allows), and how to run it (device, evaluation, output).

use super::state::Settings;
use crate::error::{Error, Result};
use crate::models::ModelKind;
use std::path::PathBuf;
use tensor::Device;

/// A new run or the continuation of one.
#[derive(Clone, Debug)]
pub enum Start {
    /// A fresh run with these settings.
    Fresh {
        /// The run's settings (see `Settings::for_model`).
        settings: Settings,
        /// The run folder (`None`: `runs/<model>-N`, the first N not taken).
        out: Option<PathBuf>,
        /// Replace the run a folder holds already (else that is an error).
        overwrite: bool,
    },
    /// Continue the run checkpointed in `dir`.
    Resume {
        /// The run folder.
        dir: PathBuf,
        /// Settings given again, which must agree with the run's own, and
        /// the ones a resumed run may change.
        flags: ResumeFlags,
    },
}

/// Settings given with a resumed run: `None` keeps the run's own. The model,
/// data set, batch size, learning rate, seed and batch limit must be the
/// run's; epochs (the new total) and the data folder may change.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ResumeFlags {
    /// `--model`.
    pub model: Option<ModelKind>,
    /// `--dataset`.
    pub dataset: Option<crate::data::DatasetName>,
    /// `--batch-size`.
    pub batch: Option<usize>,
    /// `--lr`.
    pub lr: Option<f64>,
    /// `--seed`.
    pub seed: Option<u64>,
    /// `--limit-batches`.
    pub limit_batches: Option<u64>,
    /// `--epochs`: the new total, to train a finished run for longer.
    pub epochs: Option<usize>,
    /// `--data-dir`: where the data set is now.
    pub data_dir: Option<PathBuf>,
    /// The recipe flags (`--loss`, `--gp`, …) when any was given: they must
    /// be the run's.
    pub recipe: Option<super::recipe::Recipe>,
}

impl ResumeFlags {
    /// Check the flags against the run's settings `s`, then apply the ones
    /// that may change.
    pub fn apply(&self, s: &mut Settings) -> Result<()> {
        let clash = |flag: &str, given: String, stored: String| {
            Error::usage(format!(
                "--resume: the run was started with {flag} {stored}, not {given}; drop {flag} (or start a new run)"
            ))
        };
        if let Some(m) = self.model.filter(|m| *m != s.model) {
            return Err(clash("--model", m.to_string(), s.model.to_string()));
        }
        if let Some(d) = self.dataset.filter(|d| *d != s.dataset) {
            return Err(clash("--dataset", d.name().into(), s.dataset.name().into()));
        }
        if let Some(b) = self.batch.filter(|b| *b != s.batch) {
            return Err(clash("--batch-size", b.to_string(), s.batch.to_string()));
        }
        if let Some(l) = self.lr.filter(|l| *l != s.lr) {
            return Err(clash("--lr", l.to_string(), s.lr.to_string()));
        }
        if let Some(x) = self.seed.filter(|x| *x != s.seed) {
            return Err(clash("--seed", x.to_string(), s.seed.to_string()));
        }
        // --conditional again: the run's classes, counted when it started.
        let recipe = self.recipe.map(|mut r| {
            if r.classes == Some(super::recipe::Recipe::CLASSES_FROM_DATA)
                && s.recipe.classes.is_some()
            {
                r.classes = s.recipe.classes;
            }
            r
        });
        if let Some(r) = recipe.filter(|r| *r != s.recipe) {
            return Err(Error::usage(format!(
                "--resume: the run was started with {}, not {}; drop the recipe flags (or start a new run)",
                s.recipe.describe().unwrap_or_else(|| "the tutorials' recipe".into()),
                r.describe().unwrap_or_else(|| "the tutorials' recipe".into())
            )));
        }
        if self.limit_batches.is_some() && self.limit_batches != s.limit_batches {
            return Err(clash(
                "--limit-batches",
                format!("{:?}", self.limit_batches),
                format!("{:?}", s.limit_batches),
            ));
        }
        if let Some(e) = self.epochs {
            s.epochs = e;
        }
        if self.data_dir.is_some() {
            s.data_dir = self.data_dir.clone();
        }
        Ok(())
    }
}

/// Everything `train` needs.
#[derive(Clone, Debug)]
pub struct TrainOptions {
    /// A fresh run or a resumed one.
    pub start: Start,
    /// Where to compute.
    pub device: Device,
    /// Image channels for an image folder (1 or 3; `None`: 3 when any image
    /// is in colour). A resumed run's must be its own.
    pub channels: Option<usize>,
    /// Decode a folder's images once into memory when that fits in this
    /// many bytes.
    pub cache_limit: u64,
    /// Evaluate the generator every N epochs (and after the last).
    pub eval_every: Option<u64>,
    /// Write a TensorBoard event file into the run folder.
    pub tensorboard: bool,
    /// No progress bars or progress messages; one line per epoch only.
    pub quiet: bool,
    /// Stop as on Ctrl-C after this many steps of this process (for tests).
    pub interrupt_after: Option<u64>,
}

impl TrainOptions {
    /// A fresh run of `settings` on the CPU into `runs/<model>-N`, with the
    /// command's defaults for everything else.
    pub fn fresh(settings: Settings) -> TrainOptions {
        Self::with_start(Start::Fresh {
            settings,
            out: None,
            overwrite: false,
        })
    }

    /// The continuation of the run in `dir`, with its own settings.
    pub fn resume(dir: impl Into<PathBuf>) -> TrainOptions {
        Self::with_start(Start::Resume {
            dir: dir.into(),
            flags: ResumeFlags::default(),
        })
    }

    fn with_start(start: Start) -> TrainOptions {
        TrainOptions {
            start,
            device: Device::Cpu,
            channels: None,
            cache_limit: datasets::folder::DEFAULT_CACHE_LIMIT,
            eval_every: None,
            tensorboard: true,
            quiet: false,
            interrupt_after: None,
        }
    }
}
