//! Fused optimiser updates on tensors, in place, with `torch.optim` semantics:
//! one pass over a parameter, its gradient and its state buffers, on the CPU
//! or on the parameter's GPU (optim.cu). Parameter, gradient and state must be
//! dense f32 tensors of one shape on one device.

mod average;
mod cpu;
pub(crate) mod cuda;
#[cfg(test)]
mod tests;

pub use average::{lerp_many, LerpTensors};
use cpu::{adam_chunks, sgd_update, with_slices};
use tensor::{DType, Error, Result, Tensor};

/// Adam's hyper-parameters (`torch.optim.Adam`, no amsgrad).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdamHyper {
    /// Learning rate.
    pub lr: f64,
    /// Decay of the first-moment (mean) estimate.
    pub beta1: f64,
    /// Decay of the second-moment (uncentred variance) estimate.
    pub beta2: f64,
    /// Added to the denominator's square root, for stability.
    pub eps: f64,
    /// L2 penalty added to the gradient (not decoupled, as `Adam`, not `AdamW`).
    pub weight_decay: f64,
}

/// SGD's hyper-parameters (`torch.optim.SGD`).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct SgdHyper {
    /// Learning rate.
    pub lr: f64,
    /// Momentum factor (0: plain SGD, no buffer).
    pub momentum: f64,
    /// Dampening of the gradient's share in the momentum buffer.
    pub dampening: f64,
    /// L2 penalty added to the gradient.
    pub weight_decay: f64,
    /// Nesterov momentum.
    pub nesterov: bool,
}

/// The f32 scalars of one Adam step, as torch computes them for step `t`:
/// the bias corrections folded into the step size and the denominator.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AdamScalars {
    pub w1: f32,
    pub b2: f32,
    pub one_m_b2: f32,
    pub eps: f32,
    pub wd: f32,
    pub step_size: f32,
    pub bc2_sqrt: f32,
}

impl AdamScalars {
    fn new(h: &AdamHyper, step: u64) -> Self {
        let t = step.min(i32::MAX as u64) as i32;
        let bc1 = 1.0 - h.beta1.powi(t);
        let bc2 = 1.0 - h.beta2.powi(t);
        AdamScalars {
            w1: (1.0 - h.beta1) as f32,
            b2: h.beta2 as f32,
            one_m_b2: (1.0 - h.beta2) as f32,
            eps: h.eps as f32,
            wd: h.weight_decay as f32,
            step_size: (h.lr / bc1) as f32,
            bc2_sqrt: bc2.sqrt() as f32,
        }
    }
}

/// Check that the tensors can be updated together; returns the device.
fn check(op: &'static str, ts: &[&Tensor]) -> Result<tensor::Device> {
    let p = ts[0];
    for (i, t) in ts.iter().enumerate() {
        if t.shape() != p.shape() {
            return Err(Error::shape_detail(
                op,
                p.shape(),
                t.shape(),
                "parameter and state differ in shape",
            ));
        }
        if t.dtype() != DType::F32 {
            return Err(Error::DTypeMismatch {
                op,
                expected: DType::F32,
                got: t.dtype(),
            });
        }
        if t.device() != p.device() {
            return Err(Error::DeviceMismatch {
                op,
                lhs: p.device(),
                rhs: t.device(),
            });
        }
        if !t.is_contiguous() {
            return Err(Error::arg(
                op,
                t.shape(),
                "optimiser tensors must be contiguous",
            ));
        }
        // Two locks on one storage would deadlock; two roles for one buffer is a bug.
        if ts[..i].iter().any(|u| u.same_storage(t)) {
            return Err(Error::arg(
                op,
                t.shape(),
                "parameter, gradient and state must be distinct buffers",
            ));
        }
    }
    Ok(p.device())
}

/// One Adam step (`step` ≥ 1 counts this one) on `param` in place, updating
/// the moment buffers `exp_avg` and `exp_avg_sq`.
pub fn adam_step(
    param: &Tensor,
    grad: &Tensor,
    exp_avg: &Tensor,
    exp_avg_sq: &Tensor,
    step: u64,
    h: &AdamHyper,
) -> Result<()> {
    let op = "adam_step";
    if step == 0 {
        return Err(Error::arg(op, param.shape(), "steps count from 1"));
    }
    let device = check(op, &[param, exp_avg, exp_avg_sq, grad])?;
    let s = AdamScalars::new(h, step);
    if device.is_cuda() {
        return cuda::adam(param, grad, exp_avg, exp_avg_sq, &s);
    }
    with_slices(&[param, exp_avg, exp_avg_sq, grad], 3, |m, r| {
        let [p, ma, va] = m else { return };
        adam_chunks(p, r[0], ma, va, &s);
    })
}

/// One Adam step over host slices of one parameter (its gradient, first and
/// second moments), as `adam_step` computes it on a CPU tensor. For
/// optimisers that keep their state in plain vectors.
pub fn adam_slices(
    param: &mut [f32],
    grad: &[f32],
    exp_avg: &mut [f32],
    exp_avg_sq: &mut [f32],
    step: u64,
    h: &AdamHyper,
) -> Result<()> {
    let n = param.len();
    if [grad.len(), exp_avg.len(), exp_avg_sq.len()] != [n; 3] {
        return Err(Error::shape_detail(
            "adam_step",
            &[n],
            &[grad.len(), exp_avg.len(), exp_avg_sq.len()],
            "gradient and moments must match the parameter",
        ));
    }
    if step == 0 {
        return Err(Error::arg("adam_step", &[n], "steps count from 1"));
    }
    adam_chunks(param, grad, exp_avg, exp_avg_sq, &AdamScalars::new(h, step));
    Ok(())
}

/// The tensors of one parameter's Adam update (see [`adam_step`]).
#[derive(Clone, Copy)]
pub struct AdamTensors<'a> {
    /// The parameter, updated in place.
    pub param: &'a Tensor,
    /// Its gradient.
    pub grad: &'a Tensor,
    /// The first moment, updated in place.
    pub exp_avg: &'a Tensor,
    /// The second moment, updated in place.
    pub exp_avg_sq: &'a Tensor,
}

/// [`adam_step`] on every entry: on a GPU one launch for up to 24 tensors
/// (PyTorch's multi-tensor apply, the pointers passed in the launch's
/// arguments), on the CPU each in turn; the same values either way.
pub fn adam_step_many(list: &[AdamTensors<'_>], step: u64, h: &AdamHyper) -> Result<()> {
    let op = "adam_step";
    let Some(first) = list.first() else {
        return Ok(());
    };
    if step == 0 {
        return Err(Error::arg(op, first.param.shape(), "steps count from 1"));
    }
    let mut devices = Vec::with_capacity(list.len());
    for t in list {
        devices.push(check(op, &[t.param, t.exp_avg, t.exp_avg_sq, t.grad])?);
    }
    if devices.iter().all(|d| *d == devices[0] && d.is_cuda()) {
        return cuda::adam_many(list, &AdamScalars::new(h, step));
    }
    for t in list {
        adam_step(t.param, t.grad, t.exp_avg, t.exp_avg_sq, step, h)?;
    }
    Ok(())
}

/// The tensors of one parameter's SGD update (see [`sgd_step`]).
#[derive(Clone, Copy)]
pub struct SgdTensors<'a> {
    /// The parameter, updated in place.
    pub param: &'a Tensor,
    /// Its gradient.
    pub grad: &'a Tensor,
    /// The momentum buffer (required with momentum).
    pub momentum_buf: Option<&'a Tensor>,
    /// The buffer holds nothing yet (it is set to the gradient).
    pub first: bool,
}

/// [`sgd_step`] on every entry: one GPU launch for up to 24 tensors, each in
/// turn on the CPU; the same values either way.
pub fn sgd_step_many(list: &[SgdTensors<'_>], h: &SgdHyper) -> Result<()> {
    let op = "sgd_step";
    let mut devices = Vec::with_capacity(list.len());
    for t in list {
        if h.momentum != 0.0 && t.momentum_buf.is_none() {
            return Err(Error::arg(
                op,
                t.param.shape(),
                "momentum needs a momentum buffer",
            ));
        }
        let mut ts = vec![t.param];
        ts.extend(t.momentum_buf.filter(|_| h.momentum != 0.0));
        ts.push(t.grad);
        devices.push(check(op, &ts)?);
    }
    if !devices.is_empty() && devices.iter().all(|d| *d == devices[0] && d.is_cuda()) {
        return cuda::sgd_many(list, h);
    }
    for t in list {
        sgd_step(t.param, t.grad, t.momentum_buf, t.first, h)?;
    }
    Ok(())
}

/// One SGD step on `param` in place. With momentum, `momentum_buf` is
/// required; `first` says it holds nothing yet (it is then set to the
/// gradient, as PyTorch does on its first step).
pub fn sgd_step(
    param: &Tensor,
    grad: &Tensor,
    momentum_buf: Option<&Tensor>,
    first: bool,
    h: &SgdHyper,
) -> Result<()> {
    let op = "sgd_step";
    let mom = h.momentum as f32;
    let buf = match (momentum_buf, mom != 0.0) {
        (Some(b), true) => Some(b),
        (None, true) => {
            return Err(Error::arg(
                op,
                param.shape(),
                "momentum needs a momentum buffer",
            ))
        }
        (_, false) => None,
    };
    let mut ts = vec![param];
    ts.extend(buf);
    ts.push(grad);
    let device = check(op, &ts)?;
    if device.is_cuda() {
        return cuda::sgd(param, grad, buf, first, h);
    }
    with_slices(&ts, ts.len() - 1, |m, r| {
        let (p, rest) = m.split_at_mut(1);
        sgd_update(p[0], rest.first_mut().map(|b| &mut **b), r[0], first, h);
    })
}
