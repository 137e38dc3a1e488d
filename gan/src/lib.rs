//! The `gan` crate: the MLP GANs and DCGANs of the classic MNIST tutorials on
//! the from-scratch engine (tensor, kernels, autograd), with PyTorch's models,
//! initialisation, optimisers and training step, plus the pictures, logs,
//! checkpoints and CLI around them.
//!
//! The library is everything but the command line: `models`, `nn`, `optim`,
//! checkpoints (`io::checkpoint`), a [`Trainer`](train::Trainer) that takes
//! one D+G step at a time and writes and reads checkpoints, the observers
//! that make a run folder (`train::observe`), and `eval`. The `cli` feature
//! (on by default) adds the `gan` command, its progress bars and Ctrl-C
//! handling; the `plot` feature (implied by `cli`) adds the loss and
//! Fréchet-distance plots. `gan::prelude` holds what a training loop needs.
//!
//! A small MLP GAN trained for 20 steps on random images:
//!
//! ```
//! use gan::prelude::*;
//!
//! let mut settings = Settings::for_model(ModelKind::MlpSmall);
//! settings.batch = 16;
//! let mut trainer = Trainer::new(settings, 1, Device::Cpu)?;
//! let mut rng = step_rng(7, u64::MAX);
//! let mut figures = Vec::new();
//! for _ in 0..20 {
//!     let real = Tensor::rand_uniform(&[16, 1, 28, 28], -1.0, 1.0, &mut rng)?;
//!     figures.extend(trainer.step(&real)?.stats);
//! }
//! trainer.end_epoch()?;
//! assert_eq!(figures.len(), 20);
//! assert!(figures.iter().all(|s| s.d_loss.is_finite() && s.g_loss.is_finite()));
//! # Ok::<(), gan::Error>(())
//! ```
#![warn(missing_docs)]

#[cfg(feature = "cli")]
pub mod cli;
pub mod data;
pub mod error;
pub mod eval;
pub mod io;
pub mod models;
pub mod nn;
pub mod optim;
pub mod prelude;
pub mod progress_bar;
pub mod sample;
pub mod train;

pub use error::{Error, Result};
