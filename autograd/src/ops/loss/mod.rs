//! Losses (mean reduction). Targets are plain tensors: no gradient flows
//! into them, as in the tutorials' use of nn.BCELoss and friends. Each rule
//! is the loss's fused backward kernel, an op of `backward` with a rule of
//! its own.

mod backward;

use crate::Var;
use std::sync::Arc;
use tensor::{Result, Tensor};

impl Var {
    /// `F.binary_cross_entropy(p, y)`: each log clamped at −100; soft targets allowed.
    pub fn bce(&self, target: &Tensor) -> Result<Var> {
        let y = kernels::bce(self.data(), target)?;
        let t = target.clone();
        Ok(Var::from_op("bce", y, vec![self.clone()], move |c| {
            Ok(vec![Some(c.input(0).bce_backward(c.grad, &t)?)])
        }))
    }

    /// `F.binary_cross_entropy_with_logits(x, y)` in the stable form.
    pub fn bce_with_logits(&self, target: &Tensor) -> Result<Var> {
        let y = kernels::bce_with_logits(self.data(), target)?;
        let t = target.clone();
        Ok(Var::from_op(
            "bce_with_logits",
            y,
            vec![self.clone()],
            move |c| Ok(vec![Some(c.input(0).bce_with_logits_backward(c.grad, &t)?)]),
        ))
    }

    /// `F.mse_loss(x, y)`.
    pub fn mse(&self, target: &Tensor) -> Result<Var> {
        let y = kernels::mse(self.data(), target)?;
        let t = target.clone();
        Ok(Var::from_op("mse", y, vec![self.clone()], move |c| {
            Ok(vec![Some(c.input(0).mse_backward(c.grad, &t)?)])
        }))
    }

    /// `F.cross_entropy(logits, labels)` over [batch, classes] logits.
    pub fn cross_entropy(&self, labels: &[usize]) -> Result<Var> {
        let y = kernels::cross_entropy(self.data(), labels)?;
        let l: Arc<[usize]> = labels.into();
        Ok(Var::from_op(
            "cross_entropy",
            y,
            vec![self.clone()],
            move |c| Ok(vec![Some(c.input(0).cross_entropy_backward(c.grad, &l)?)]),
        ))
    }
}
