//! Convolutions: conv2d and conv_transpose2d. Each backward computes the input
//! and weight gradients in one kernel call (sharing its im2col where it can);
//! the bias gradient is the output gradient summed over (N, H, W).

use crate::Var;
use kernels::{conv2d, conv2d_backward, conv_transpose2d, conv_transpose2d_backward, sum_axes};
use tensor::Result;

/// Inputs of a conv op: x, w and the bias when there is one.
fn conv_inputs(x: &Var, w: &Var, b: Option<&Var>) -> Vec<Var> {
    let mut inputs = vec![x.clone(), w.clone()];
    inputs.extend(b.cloned());
    inputs
}

impl Var {
    /// `F.conv2d(x, w, b, stride, padding)`: x [N, C, H, W], w [O, C, kH, kW],
    /// b \[O\] → [N, O, (H + 2p − kH)/s + 1, (W + 2p − kW)/s + 1].
    pub fn conv2d(&self, w: &Var, b: Option<&Var>, stride: usize, padding: usize) -> Result<Var> {
        let y = conv2d(self.data(), w.data(), b.map(|b| b.data()), stride, padding)?;
        let (x, wt) = (self.data().clone(), w.data().clone());
        let (need_x, need_w) = (self.requires_grad(), w.requires_grad());
        let bias = b.map(|b| b.requires_grad());
        Ok(Var::from_op(
            "conv2d",
            y,
            conv_inputs(self, w, b),
            move |g| {
                let (dx, dw) = if need_x || need_w {
                    conv2d_backward(&x, &wt, g, stride, padding, need_x, need_w)?
                } else {
                    (None, None)
                };
                let mut grads = vec![dx, dw];
                if let Some(need_b) = bias {
                    grads.push(need_b.then(|| sum_axes(g, &[0, 2, 3], false)).transpose()?);
                }
                Ok(grads)
            },
        ))
    }

    /// `F.conv_transpose2d(x, w, b, stride, padding, output_padding)`: x
    /// [N, Cin, H, W], w [Cin, Cout, kH, kW] (PyTorch's layout), b \[Cout\] →
    /// [N, Cout, (H − 1)·s − 2p + kH + output_padding, …].
    pub fn conv_transpose2d(
        &self,
        w: &Var,
        b: Option<&Var>,
        stride: usize,
        padding: usize,
        output_padding: usize,
    ) -> Result<Var> {
        let (s, p, op) = (stride, padding, output_padding);
        let y = conv_transpose2d(self.data(), w.data(), b.map(|b| b.data()), s, p, op)?;
        let (x, wt) = (self.data().clone(), w.data().clone());
        let (need_x, need_w) = (self.requires_grad(), w.requires_grad());
        let bias = b.map(|b| b.requires_grad());
        Ok(Var::from_op(
            "conv_transpose2d",
            y,
            conv_inputs(self, w, b),
            move |g| {
                let (dx, dw) = if need_x || need_w {
                    conv_transpose2d_backward(&x, &wt, g, s, p, op, need_x, need_w)?
                } else {
                    (None, None)
                };
                let mut grads = vec![dx, dw];
                if let Some(need_b) = bias {
                    grads.push(need_b.then(|| sum_axes(g, &[0, 2, 3], false)).transpose()?);
                }
                Ok(grads)
            },
        ))
    }
}
