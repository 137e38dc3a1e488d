//! The `gan` crate: the MLP GANs and DCGANs of the classic MNIST tutorials on the
//! from-scratch engine (tensor, kernels, autograd), with PyTorch's models,
//! initialisation, optimisers and training step, plus the pictures, logs,
//! checkpoints and CLI around them.

pub mod cli;
pub mod data;
pub mod error;
pub mod eval;
pub mod io;
pub mod models;
pub mod nn;
pub mod optim;
pub mod sample;
pub mod train;

pub use error::{Error, Result};
