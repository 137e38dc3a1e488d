//! Max pooling: the backward sends each output gradient to the input element
//! that was the maximum of its window (the first one, on ties, as PyTorch).

use crate::Var;
use kernels::{max_pool2d, max_pool2d_backward};
use tensor::Result;

impl Var {
    /// `F.max_pool2d(x, kernel, stride)` (no padding, floor mode) on
    /// x [N, C, H, W] → [N, C, (H − k)/s + 1, (W − k)/s + 1].
    pub fn max_pool2d(&self, kernel: usize, stride: usize) -> Result<Var> {
        let (y, idx) = max_pool2d(self.data(), kernel, stride)?;
        let input = self.shape().to_vec();
        Ok(Var::from_op(
            "max_pool2d",
            y,
            vec![self.clone()],
            move |g| Ok(vec![Some(max_pool2d_backward(g, &idx, &input)?)]),
        ))
    }
}
