//! The losses' fused backward kernels as differentiable ops of (x, g), g
//! being the one-element upstream gradient, as PyTorch's `derivatives.yaml`
//! entries for `binary_cross_entropy_backward`, `mse_loss_backward` and
//! friends. Each is g/N·r(x) for a per-element r, so its gradient for g is
//! Σ gg·r(x)/N and for x is g/N·r′(x)·gg (a Jacobian-vector product for
//! cross-entropy's softmax), written with differentiable ops.

use crate::Var;
use tensor::{Error, Result, Tensor};

/// Σ(gg·r)/N in g's shape: the gradient for the upstream g of g/N·r.
fn upstream_grad(gg: &Var, r: &Var, g: &Var, n: usize) -> Result<Var> {
    gg.mul(r)?
        .sum_all()?
        .mul_scalar(1.0 / n as f64)?
        .reshape(g.shape())
}

/// softmax over the rows of [n, c] logits, as ops; the row maximum that
/// keeps exp from overflowing is a constant (softmax does not depend on it).
fn softmax_rows(x: &Var) -> Result<Var> {
    let (m, _) = kernels::max_dim(x.data(), 1, true)?;
    let e = x.sub(&Var::constant(m))?.exp()?;
    e.div(&e.sum(&[1], true)?)
}

/// A [n, c] one-hot tensor of `labels` with x's dtype and device.
fn one_hot(x: &Var, labels: &[usize]) -> Result<Tensor> {
    let c = x.shape()[1];
    let mut v = vec![0.0f64; labels.len() * c];
    for (row, &l) in labels.iter().enumerate() {
        v[row * c + l] = 1.0;
    }
    let t = Tensor::from_vec(v, &[labels.len(), c])?;
    kernels::to_dtype(&t, x.dtype())?.to_device(x.device())
}

fn check_upstream(op: &'static str, g: &Var) -> Result<()> {
    if g.data().numel() != 1 {
        return Err(Error::arg(
            op,
            g.shape(),
            "the upstream gradient of a loss has one element",
        ));
    }
    Ok(())
}

impl Var {
    /// BCE's backward, g/N·(p − t)/max(p(1 − p), 10⁻¹²) with `self` = p:
    /// gradients g/N·gg·(p² − 2pt + t)/(p(1 − p))² for p and Σgg·(p − t)/
    /// (p(1 − p))/N for g (PyTorch's `binary_cross_entropy_double_backward`).
    pub fn bce_backward(&self, g: &Var, target: &Tensor) -> Result<Var> {
        check_upstream("bce_backward", g)?;
        let y = kernels::bce_backward(self.data(), target, g.data())?;
        let t = Var::constant(target.clone());
        let inputs = vec![self.clone(), g.clone()];
        Ok(Var::from_op("bce_backward", y, inputs, move |c| {
            let (p, g, gg) = (c.input(0), c.input(1), c.grad);
            let n = p.data().numel();
            // p(1 − p), clamped as the kernel clamps it
            let q = p
                .mul(&p.neg()?.add_scalar(1.0)?)?
                .clamp(1e-12, f64::INFINITY)?;
            let dp = if c.need(0) {
                let num = p.square()?.sub(&p.mul(&t)?.mul_scalar(2.0)?)?.add(&t)?;
                let d = num.div(&q.square()?)?.mul(gg)?.mul(g)?;
                Some(d.mul_scalar(1.0 / n as f64)?)
            } else {
                None
            };
            let dg = c
                .need(1)
                .then(|| upstream_grad(gg, &p.sub(&t)?.div(&q)?, g, n))
                .transpose()?;
            Ok(vec![dp, dg])
        }))
    }

    /// BCE-with-logits' backward, g/N·(σ(x) − t) with `self` = x: gradients
    /// g/N·σ(1 − σ)·gg for x and Σgg·(σ − t)/N for g.
    pub fn bce_with_logits_backward(&self, g: &Var, target: &Tensor) -> Result<Var> {
        check_upstream("bce_with_logits_backward", g)?;
        let y = kernels::bce_with_logits_backward(self.data(), target, g.data())?;
        let t = Var::constant(target.clone());
        let inputs = vec![self.clone(), g.clone()];
        Ok(Var::from_op(
            "bce_with_logits_backward",
            y,
            inputs,
            move |c| {
                let (x, g, gg) = (c.input(0), c.input(1), c.grad);
                let n = x.data().numel();
                let s = x.sigmoid()?;
                let dx = c
                    .need(0)
                    .then(|| s.sigmoid_backward(gg)?.mul(g)?.mul_scalar(1.0 / n as f64))
                    .transpose()?;
                let dg = c
                    .need(1)
                    .then(|| upstream_grad(gg, &s.sub(&t)?, g, n))
                    .transpose()?;
                Ok(vec![dx, dg])
            },
        ))
    }

    /// MSE's backward, 2g/N·(x − t) with `self` = x: gradients 2g/N·gg for
    /// x and Σgg·2(x − t)/N for g.
    pub fn mse_backward(&self, g: &Var, target: &Tensor) -> Result<Var> {
        check_upstream("mse_backward", g)?;
        let y = kernels::mse_backward(self.data(), target, g.data())?;
        let t = Var::constant(target.clone());
        let inputs = vec![self.clone(), g.clone()];
        Ok(Var::from_op("mse_backward", y, inputs, move |c| {
            let (x, g, gg) = (c.input(0), c.input(1), c.grad);
            let n = x.data().numel();
            let dx = c
                .need(0)
                .then(|| gg.mul(g)?.mul_scalar(2.0 / n as f64))
                .transpose()?;
            let dg = c
                .need(1)
                .then(|| upstream_grad(gg, &x.sub(&t)?.mul_scalar(2.0)?, g, n))
                .transpose()?;
            Ok(vec![dx, dg])
        }))
    }

    /// Cross-entropy's backward, g/N·(softmax(x) − onehot) with `self` = x
    /// [N, C]: gradients g/N·s⊙(gg − Σⱼsⱼggⱼ) per row for x (the softmax's
    /// Jacobian applied to gg) and Σgg·(s − onehot)/N for g.
    pub fn cross_entropy_backward(&self, g: &Var, labels: &[usize]) -> Result<Var> {
        check_upstream("cross_entropy_backward", g)?;
        let y = kernels::cross_entropy_backward(self.data(), labels, g.data())?;
        let labels = labels.to_vec();
        let inputs = vec![self.clone(), g.clone()];
        Ok(Var::from_op(
            "cross_entropy_backward",
            y,
            inputs,
            move |c| {
                let (x, g, gg) = (c.input(0), c.input(1), c.grad);
                let n = labels.len();
                let s = softmax_rows(x)?;
                let dx = if c.need(0) {
                    let dot = s.mul(gg)?.sum(&[1], true)?;
                    let d = s.mul(&gg.sub(&dot)?)?.mul(g)?;
                    Some(d.mul_scalar(1.0 / n as f64)?)
                } else {
                    None
                };
                let dg = if c.need(1) {
                    let onehot = Var::constant(one_hot(x, &labels)?);
                    Some(upstream_grad(gg, &s.sub(&onehot)?, g, n)?)
                } else {
                    None
                };
                Ok(vec![dx, dg])
            },
        ))
    }
}
