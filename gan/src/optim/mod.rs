//! Optimisers with `torch.optim` semantics, updating parameters in place.
//!
//! Each step is one fused loop over every parameter's contiguous f32 buffer:
//! no tensor is allocated per step. State (moments, momentum buffers) is plain
//! `Vec<f32>` per parameter, named `<param>.<buffer>` for checkpoints.

mod adam;
mod sgd;

pub use adam::{Adam, AdamConfig};
pub use sgd::{Sgd, SgdConfig};

use crate::error::{Error, Result};
use crate::models::OptKind;
use autograd::Var;
use std::collections::HashMap;
use tensor::{CpuStorage, StorageKind, Tensor};

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

/// The optimiser a model's spec asks for, over `params`.
pub fn build(kind: OptKind, lr: f64, params: Vec<(String, Var)>) -> Box<dyn Optimizer> {
    match kind {
        OptKind::Adam { beta1, beta2 } => Box::new(Adam::new(
            params,
            AdamConfig {
                lr,
                beta1,
                beta2,
                ..AdamConfig::default()
            },
        )),
        OptKind::Sgd { momentum } => Box::new(Sgd::new(
            params,
            SgdConfig {
                lr,
                momentum,
                ..SgdConfig::default()
            },
        )),
    }
}

/// Run `f` on a parameter's f32 buffer (mutable) and its gradient's (read-only).
/// Returns false when the parameter has no gradient.
pub(crate) fn with_param_and_grad(p: &Var, f: impl FnOnce(&mut [f32], &[f32])) -> Result<bool> {
    let Some(g) = p.grad() else {
        return Ok(false);
    };
    let g = if g.is_contiguous() {
        g
    } else {
        kernels::contiguous(&g)?
    };
    let (pd, n) = (p.data(), p.data().numel());
    if g.numel() != n {
        return Err(Error::Tensor(tensor::Error::shape_detail(
            "optimiser step",
            pd.shape(),
            g.shape(),
            "gradient and parameter differ in size",
        )));
    }
    let prange = pd.layout().contiguous_range().ok_or_else(|| {
        Error::Tensor(tensor::Error::arg(
            "optimiser step",
            pd.shape(),
            "parameters must be contiguous",
        ))
    })?;
    let grange = g
        .layout()
        .contiguous_range()
        .expect("made contiguous above");
    let gs = g.storage();
    let StorageKind::Cpu(CpuStorage::F32(gv)) = gs.kind() else {
        return Err(Error::Unsupported(
            "optimisers update f32 CPU tensors only".into(),
        ));
    };
    let mut ps = pd.storage_mut();
    let StorageKind::Cpu(CpuStorage::F32(pv)) = ps.kind_mut() else {
        return Err(Error::Unsupported(
            "optimisers update f32 CPU tensors only".into(),
        ));
    };
    f(&mut pv[prange], &gv[grange]);
    Ok(true)
}

/// A state buffer from a checkpoint, checked against its parameter's size.
pub(crate) fn state_buffer(
    tensors: &HashMap<String, Tensor>,
    key: &str,
    numel: usize,
) -> Result<Vec<f32>> {
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
