//! Training: the step (`Gan`), the `Trainer` around it, the observers that
//! write a run's folder and print its progress, `train` composing them, and
//! the random streams; gradient penalties (`penalty`).

pub mod conditional;
mod ema;
mod generate;
pub mod noise;
pub mod observe;
pub mod options;
pub mod penalty;
pub mod recipe;
mod recipe_step;
pub mod report;
pub mod run_dir;
pub mod setup;
mod spectral_norm;
pub mod state;
pub mod step;
#[path = "loop.rs"]
pub mod train_loop;
pub mod trainer;

pub use options::{ResumeFlags, Start, TrainOptions};
pub use state::{LogAcc, Position, Settings};
pub use step::{Gan, StepInputs, StepStats};
pub use train_loop::{drive, train, Outcome};
pub use trainer::{Interval, Report, Trainer};
