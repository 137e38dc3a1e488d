//! What a program training a GAN with this crate needs, in one `use`:
//! `use gan::prelude::*;`.

pub use crate::data::{DataOptions, DataSource, DatasetName};
pub use crate::error::{Error, Result};
pub use crate::io::checkpoint;
pub use crate::models::{ModelKind, Spec};
pub use crate::nn::{Fwd, Module};
pub use crate::optim::{Adam, AdamHyper, Optimizer, Sgd, SgdHyper};
pub use crate::train::noise::{sample_z, step_rng, stream_rng};
pub use crate::train::observe::Observer;
pub use crate::train::{
    drive, train, Gan, Interval, Position, Report, Settings, Start, StepStats, TrainOptions,
    Trainer,
};
pub use tensor::{Device, Tensor};
