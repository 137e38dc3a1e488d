//! Max pooling: the backward sends each output gradient to the input element
//! that was the maximum of its window (the first one, on ties, as PyTorch).
//! That scatter is an op whose gradient gathers an input-shaped tensor at
//! the same positions, and the gather's gradient is the scatter, so max
//! pooling differentiates to any order.

use crate::Var;
use kernels::{max_pool2d, max_pool2d_backward, max_pool2d_gather, PoolIndices};
use std::sync::Arc;
use tensor::Result;

/// g (pooled shape) scattered to the argmax positions of the input shape.
fn scatter(g: &Var, idx: &Arc<PoolIndices>) -> Result<Var> {
    let y = max_pool2d_backward(g.data(), idx, idx.input_shape())?;
    let idx = idx.clone();
    Ok(Var::from_op(
        "max_pool2d_backward",
        y,
        vec![g.clone()],
        move |c| Ok(vec![Some(gather(c.grad, &idx)?)]),
    ))
}

/// The elements of an input-shaped `x` at the argmax positions (pooled shape).
fn gather(x: &Var, idx: &Arc<PoolIndices>) -> Result<Var> {
    let y = max_pool2d_gather(x.data(), idx)?;
    let idx = idx.clone();
    Ok(Var::from_op(
        "max_pool2d_gather",
        y,
        vec![x.clone()],
        move |c| Ok(vec![Some(scatter(c.grad, &idx)?)]),
    ))
}

impl Var {
    /// `F.max_pool2d(x, kernel, stride)` (no padding, floor mode) on
    /// x [N, C, H, W] → [N, C, (H − k)/s + 1, (W − k)/s + 1].
    pub fn max_pool2d(&self, kernel: usize, stride: usize) -> Result<Var> {
        let (y, idx) = max_pool2d(self.data(), kernel, stride)?;
        let idx = Arc::new(idx);
        Ok(Var::from_op(
            "max_pool2d",
            y,
            vec![self.clone()],
            move |c| Ok(vec![Some(scatter(c.grad, &idx)?)]),
        ))
    }
}
