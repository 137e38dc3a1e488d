//! Batch normalisation with PyTorch's semantics: training mode normalises with
//! the batch statistics (biased variance) and updates the running statistics in
//! place (unbiased variance, `momentum` weight on the new value); eval mode
//! normalises with the running statistics. The backward differentiates through
//! the batch statistics in training mode, and treats the running ones as
//! constants in eval mode (see `backward` for how it differentiates again).

mod backward;

use crate::Var;
use kernels::{batch_norm_eval, batch_norm_train};
use std::sync::Arc;
use tensor::{Result, Tensor};

impl Var {
    /// `F.batch_norm(x, running_mean, running_var, weight, bias, training,
    /// momentum, eps)` for x [N, C] or [N, C, H, W] (any [N, C, *]). In training
    /// mode `running_mean` / `running_var` (\[C\]) are updated in place.
    #[allow(clippy::too_many_arguments)]
    pub fn batch_norm(
        &self,
        weight: &Var,
        bias: &Var,
        running_mean: &Tensor,
        running_var: &Tensor,
        training: bool,
        momentum: f64,
        eps: f64,
    ) -> Result<Var> {
        let (x, w, b) = (self.data(), Some(weight.data()), Some(bias.data()));
        let (y, saved) = if training {
            batch_norm_train(x, w, b, Some((running_mean, running_var)), momentum, eps)?
        } else {
            batch_norm_eval(x, w, b, running_mean, running_var, eps)?
        };
        let saved = Arc::new(saved);
        let inputs = vec![self.clone(), weight.clone(), bias.clone()];
        Ok(Var::from_op("batch_norm", y, inputs, move |c| {
            let need = [c.need(0), c.need(1), c.need(2)];
            let (x, w, g) = (c.input(0), c.input(1), c.grad);
            Ok(backward::batch_norm_grads(x, w, g, &saved, eps, need)?.into())
        }))
    }
}
