//! Optimisers with `torch.optim` semantics, updating parameters in place.
//!
//! Each step is one fused pass over every parameter's contiguous f32 buffer:
//! no tensor is allocated per step. On the CPU that is the loop here, over
//! state (moments, momentum buffers) kept as `Vec<f32>`; for a parameter on a
//! GPU it is the fused kernel (`kernels::adam_step` / `sgd_step`) over state
//! kept beside it on the device, with no host round trip (see `Buf`). State is
//! named `<param>.<buffer>` in checkpoints, which always hold host copies.

mod adam;
mod sgd;

pub use adam::{Adam, AdamConfig};
pub use sgd::{Sgd, SgdConfig};

use crate::error::{Error, Result};
use crate::models::OptKind;
use autograd::Var;
use std::collections::HashMap;
use tensor::{CpuStorage, DType, StorageKind, Tensor};

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

/// One state buffer of one parameter. A CPU parameter's stays on the host,
/// updated by the loops here exactly as before the GPU existed (the parity
/// fixtures and the resume tests depend on those bits). A CUDA parameter's
/// lives on its GPU; values that arrive on the host (fresh zeros, or a
/// checkpoint's) are uploaded when the first step needs them, so building an
/// optimiser and loading its state never touch the device.
pub(crate) enum Buf {
    Host(Vec<f32>),
    Device(Tensor),
}

impl Buf {
    /// The host values, for the CPU loop.
    pub(crate) fn host_mut(&mut self) -> Result<&mut Vec<f32>> {
        match self {
            Buf::Host(v) => Ok(v),
            Buf::Device(_) => Err(Error::Unsupported(
                "optimiser state is on a GPU but its parameter is not".into(),
            )),
        }
    }

    /// The buffer on the GPU of parameter `p`, uploaded there on first use.
    pub(crate) fn on_device(&mut self, p: &Tensor) -> Result<&Tensor> {
        if let Buf::Host(v) = self {
            let t = Tensor::from_slice(v, p.shape())?.to_device(p.device())?;
            *self = Buf::Device(t);
        }
        match self {
            Buf::Device(t) => Ok(t),
            Buf::Host(_) => unreachable!("uploaded just above"),
        }
    }

    /// Zeros beside `p` (fresh state the kernel overwrites on its first step).
    pub(crate) fn zeros_on(p: &Tensor) -> Result<Buf> {
        Ok(Buf::Device(Tensor::zeros(
            p.shape(),
            DType::F32,
            p.device(),
        )?))
    }

    /// A CPU copy of `shape` for checkpoints (downloaded from the GPU: the host
    /// waits here, which is fine once per checkpoint).
    pub(crate) fn snapshot(&self, shape: &[usize]) -> Result<Tensor> {
        Ok(match self {
            Buf::Host(v) => Tensor::from_slice(v, shape)?,
            Buf::Device(t) => Tensor::from_vec(t.to_vec_f32()?, shape)?,
        })
    }
}

/// A GPU parameter's gradient, dense, or `None` before any backward. The fused
/// kernels need contiguous operands; gradients usually already are.
pub(crate) fn device_grad(p: &Var) -> Result<Option<Tensor>> {
    Ok(match p.grad() {
        Some(g) => Some(kernels::contiguous(&g)?),
        None => None,
    })
}
