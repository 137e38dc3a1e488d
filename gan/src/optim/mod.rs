//! Optimisers with `torch.optim` semantics, updating parameters in place.
//!
//! Each step is one fused pass over every parameter, its gradient and its
//! state, on the parameter's device: `kernels::adam_step` / `kernels::sgd_step`,
//! with no tensor allocated per step (the update is written once, in
//! `kernels`, for the CPU and the GPU). State is named `<param>.<buffer>` in
//! checkpoints, which always hold host copies.

mod adam;
mod sgd;

pub use adam::Adam;
pub use kernels::{AdamHyper, SgdHyper};
pub use sgd::Sgd;

use crate::error::{Error, Result};
use crate::models::OptKind;
use autograd::Var;
use std::collections::HashMap;
use tensor::{DType, Tensor};

/// An optimiser over a fixed list of named parameters.
pub trait Optimizer: Send {
    /// Apply one update from the parameters' accumulated gradients. Parameters
    /// without a gradient are left alone, as PyTorch does.
    fn step(&mut self) -> Result<()>;
    /// Forget every parameter's gradient.
    fn zero_grad(&self);
    /// How many steps were taken.
    fn steps(&self) -> u64;
    /// The state to checkpoint, as named tensors.
    fn state(&self) -> Result<Vec<(String, Tensor)>>;
    /// Restore the state written by `state` after `steps` steps; every buffer
    /// must be there with its parameter's shape.
    fn load_state(&mut self, steps: u64, tensors: &HashMap<String, Tensor>) -> Result<()>;
}

/// `torch.optim.Adam`'s defaults (betas 0.9, 0.999, eps 1e-8, no weight
/// decay) at learning rate `lr`.
pub fn adam_defaults(lr: f64) -> AdamHyper {
    AdamHyper {
        lr,
        beta1: 0.9,
        beta2: 0.999,
        eps: 1e-8,
        weight_decay: 0.0,
    }
}

/// The optimiser a model's spec asks for, over `params`.
pub fn build(kind: OptKind, lr: f64, params: Vec<(String, Var)>) -> Box<dyn Optimizer> {
    match kind {
        OptKind::Adam { beta1, beta2 } => Box::new(Adam::new(
            params,
            AdamHyper {
                beta1,
                beta2,
                ..adam_defaults(lr)
            },
        )),
        OptKind::Sgd { momentum } => Box::new(Sgd::new(
            params,
            SgdHyper {
                lr,
                momentum,
                ..SgdHyper::default()
            },
        )),
    }
}

/// A state buffer from a checkpoint, checked against its parameter's size.
fn state_values(tensors: &HashMap<String, Tensor>, key: &str, numel: usize) -> Result<Vec<f32>> {
    let t = tensors
        .get(key)
        .ok_or_else(|| Error::usage(format!("optimiser state has no '{key}'")))?;
    if t.numel() != numel {
        return Err(Error::usage(format!(
            "optimiser state '{key}' has {} values, its parameter {numel}",
            t.numel()
        )));
    }
    Ok(t.to_vec_f32()?)
}

/// One state buffer of one parameter, a dense f32 tensor of its shape, or
/// `None` before the first step needs it (then zeros). Values that arrive on
/// the host (a checkpoint's) move to a GPU parameter's device when the first
/// step needs them, so building an optimiser and loading its state never
/// touch the device.
pub(crate) struct StateBuf(Option<Tensor>);

impl StateBuf {
    /// Zeros, made when first needed.
    pub(crate) fn zeros() -> StateBuf {
        StateBuf(None)
    }

    /// The checkpoint's buffer `key` of parameter `p`, on the host.
    pub(crate) fn load(tensors: &HashMap<String, Tensor>, key: &str, p: &Tensor) -> Result<Self> {
        let v = state_values(tensors, key, p.numel())?;
        Ok(StateBuf(Some(Tensor::from_vec(v, p.shape())?)))
    }

    /// The buffer on `p`'s device (zeros there at first use, or the loaded
    /// values moved there).
    pub(crate) fn beside(&mut self, p: &Tensor) -> Result<&Tensor> {
        let t = match self.0.take() {
            Some(t) if t.device() == p.device() => t,
            Some(t) => t.to_device(p.device())?,
            None => Tensor::zeros(p.shape(), DType::F32, p.device())?,
        };
        Ok(self.0.insert(t))
    }

    /// The buffer made by `beside` (`None` before).
    pub(crate) fn get(&self) -> Option<&Tensor> {
        self.0.as_ref()
    }

    /// A host copy of shape `shape` for checkpoints (downloaded from a GPU:
    /// the host waits here, which is fine once per checkpoint).
    pub(crate) fn snapshot(&self, shape: &[usize]) -> Result<Tensor> {
        Ok(match &self.0 {
            Some(t) => Tensor::from_vec(t.to_vec_f32()?, shape)?,
            None => Tensor::zeros(shape, DType::F32, tensor::Device::Cpu)?,
        })
    }
}

/// A parameter's gradient, dense (the fused kernels need contiguous
/// operands; gradients usually already are), or `None` before any backward.
pub(crate) fn dense_grad(p: &Var) -> Result<Option<Tensor>> {
    Ok(match p.grad() {
        Some(g) => Some(kernels::contiguous(&g)?),
        None => None,
    })
}
