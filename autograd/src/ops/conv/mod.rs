//! Convolutions: conv2d and conv_transpose2d. On the first-order path each
//! backward computes the input and weight gradients in one kernel call
//! (sharing its im2col where it can); recorded, it is two differentiable
//! ops of `backward` (conv2d's input and weight gradients), which with
//! conv2d itself are closed under differentiation. The bias gradient is the
//! output gradient summed over (N, H, W).

mod backward;

use crate::Var;
use kernels::{conv2d, conv_transpose2d};
use tensor::Result;

/// Inputs of a conv op: x, w and the bias when there is one.
fn conv_inputs(x: &Var, w: &Var, b: Option<&Var>) -> Vec<Var> {
    let mut inputs = vec![x.clone(), w.clone()];
    inputs.extend(b.cloned());
    inputs
}

/// The bias gradient, when the op has a bias and it is needed.
fn bias_grad(c: &crate::var::Ctx<'_>) -> Result<Option<Var>> {
    c.need(2).then(|| c.grad.sum(&[0, 2, 3], false)).transpose()
}

impl Var {
    /// `F.conv2d(x, w, b, stride, padding)`: x [N, C, H, W], w [O, C, kH, kW],
    /// b \[O\] → [N, O, (H + 2p − kH)/s + 1, (W + 2p − kW)/s + 1].
    pub fn conv2d(&self, w: &Var, b: Option<&Var>, stride: usize, padding: usize) -> Result<Var> {
        let y = conv2d(self.data(), w.data(), b.map(|b| b.data()), stride, padding)?;
        Ok(Var::from_op(
            "conv2d",
            y,
            conv_inputs(self, w, b),
            move |c| {
                let (x, w, g) = (c.input(0), c.input(1), c.grad);
                let [dx, dw] =
                    backward::conv2d_grads(x, w, g, stride, padding, [c.need(0), c.need(1)])?;
                let mut grads = vec![dx, dw];
                if c.inputs.len() == 3 {
                    grads.push(bias_grad(c)?);
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
        Ok(Var::from_op(
            "conv_transpose2d",
            y,
            conv_inputs(self, w, b),
            move |c| {
                let (x, w, g) = (c.input(0), c.input(1), c.grad);
                let need = [c.need(0), c.need(1)];
                let [dx, dw] = backward::conv_transpose2d_grads(x, w, g, [s, p, op], need)?;
                let mut grads = vec![dx, dw];
                if c.inputs.len() == 3 {
                    grads.push(bias_grad(c)?);
                }
                Ok(grads)
            },
        ))
    }
}
