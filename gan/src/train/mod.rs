//! Training: the step, the epoch loop with its outputs, and the random streams.

pub mod args;
pub mod noise;
mod report;
pub mod state;
pub mod step;
#[path = "loop.rs"]
pub mod train_loop;

pub use step::{Gan, StepStats};
