//! The checkpoint after every epoch and when the run stops early.

use super::Observer;
use crate::error::Result;
use crate::train::trainer::Trainer;
use std::path::PathBuf;

/// Writes the trainer's checkpoint into the run folder.
pub struct Checkpoints {
    dir: PathBuf,
}

impl Checkpoints {
    /// Checkpoints into `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> Checkpoints {
        Checkpoints { dir: dir.into() }
    }
}

impl Observer for Checkpoints {
    fn interrupted(&mut self, t: &Trainer) -> Result<()> {
        t.checkpoint(&self.dir)
    }

    fn epoch_end(&mut self, t: &mut Trainer, _notes: &mut Vec<String>) -> Result<()> {
        t.checkpoint(&self.dir)
    }
}
