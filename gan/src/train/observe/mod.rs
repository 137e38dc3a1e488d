//! What a run shows and writes besides its checkpoint, one small type each:
//! the CSV log, the sample grids, the loss plot, the evaluation, the
//! TensorBoard event files, the checkpoints, Ctrl-C, the progress bar and
//! the console lines. `train()`
//! builds the ones a run asks for and `drive` tells them what happens.

pub mod checkpoint;
pub mod console;
pub mod csv;
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub mod driver_calls;
pub mod eval;
pub mod grids;
pub mod interrupt;
#[cfg(feature = "plot")]
pub mod plot;
pub mod progress;
pub mod tensorboard;

use super::trainer::{Report, Trainer};
use crate::error::Result;

/// The loss plot's file name (drawn with the `plot` feature).
pub const PLOT_FILE: &str = "losses.png";

pub use checkpoint::Checkpoints;
pub use console::Console;
pub use csv::CsvObserver;
pub use eval::EvalObserver;
pub use grids::Grids;
pub use interrupt::Interrupt;
#[cfg(feature = "plot")]
pub use plot::LossPlot;
pub use progress::Progress;
pub use tensorboard::TensorBoard;

/// One observer of a run. Every method has a default that does nothing, so
/// that each observer says only what it reacts to. Errors stop the run.
pub trait Observer {
    /// An epoch begins at batch `start` (0, or inside the epoch for the
    /// first epoch of a resumed run).
    fn epoch_start(&mut self, _t: &Trainer, _start: usize) -> Result<()> {
        Ok(())
    }

    /// The next batch took `_secs` seconds to arrive from the loader.
    fn waited(&mut self, _secs: f64) {}

    /// After every step, and after the reads of `Trainer::flush` and
    /// `Trainer::end_epoch`: the figures and log intervals they made known.
    fn report(&mut self, _t: &Trainer, _r: &Report) -> Result<()> {
        Ok(())
    }

    /// Whether the run should stop after the step just reported, with a
    /// checkpoint (Ctrl-C).
    fn stop_requested(&mut self) -> bool {
        false
    }

    /// The run stops early at the trainer's position.
    fn interrupted(&mut self, _t: &Trainer) -> Result<()> {
        Ok(())
    }

    /// After `Trainer::end_epoch` (the trainer stands at the start of the
    /// next epoch). Lines pushed to `notes` are printed under the epoch's.
    fn epoch_end(&mut self, _t: &mut Trainer, _notes: &mut Vec<String>) -> Result<()> {
        Ok(())
    }

    /// After the last epoch. Lines pushed to `notes` end the run's output.
    fn finish(&mut self, _t: &Trainer, _notes: &mut Vec<String>) -> Result<()> {
        Ok(())
    }
}
