//! conv2d's input and weight gradients as differentiable ops, and the
//! gradients of both convolutions in terms of them.
//!
//! With J(w) the linear map x ↦ conv2d(x, w): the input gradient is
//! I(dy, w) = J(w)ᵀ·dy and the weight gradient W(x, dy) satisfies
//! ⟨V, W(x, dy)⟩ = ⟨conv2d(x, V), dy⟩. Both are bilinear, and from those
//! identities their gradients for an incoming gg are
//! - I(dy, w): dy ← conv2d(gg, w), w ← W(gg, dy);
//! - W(x, dy): x ← I(dy, gg), dy ← conv2d(x, gg);
//!
//! so {conv2d, I, W} is closed under differentiation (PyTorch's
//! `convolution_backward` double backward does the same). conv_transpose2d
//! is I with its output size given, so its gradients are conv2d(g, w) for x
//! and W(g, x) for w.

use crate::grad_mode::is_grad_enabled;
use crate::Var;
use tensor::Result;

fn kernel_of(w: &Var) -> (usize, usize) {
    let s = w.shape();
    (s[2], s[3])
}

/// The output_padding that makes conv_transpose2d of `dy` (with w's kernel)
/// as large as `input_shape`, when it is one number for both dimensions.
fn transposed_padding(
    dy: &Var,
    w: &Var,
    input_shape: &[usize],
    s: usize,
    p: usize,
) -> Option<usize> {
    let (kh, kw) = kernel_of(w);
    let pad = |i: usize, out: usize, k: usize| (i + 2 * p).checked_sub((out - 1) * s + k);
    let op_h = pad(input_shape[2], dy.shape()[2], kh)?;
    let op_w = pad(input_shape[3], dy.shape()[3], kw)?;
    (op_h == op_w).then_some(op_h)
}

/// conv2d's (dx, dw) for the output gradient `g`: the fused kernel when
/// nothing is recorded, the two ops below when it is.
pub(super) fn conv2d_grads(
    x: &Var,
    w: &Var,
    g: &Var,
    stride: usize,
    padding: usize,
    need: [bool; 2],
) -> Result<[Option<Var>; 2]> {
    if !is_grad_enabled() {
        let (dx, dw) = kernels::conv2d_backward(
            x.data(),
            w.data(),
            g.data(),
            stride,
            padding,
            need[0],
            need[1],
        )?;
        return Ok([dx.map(Var::constant), dw.map(Var::constant)]);
    }
    let dx = need[0]
        .then(|| g.conv2d_input_grad(w, x.shape(), stride, padding))
        .transpose()?;
    let dw = need[1]
        .then(|| x.conv2d_weight_grad(g, kernel_of(w), stride, padding))
        .transpose()?;
    Ok([dx, dw])
}

/// conv_transpose2d's (dx, dw) for the output gradient `g`; `geom` is
/// (stride, padding, output_padding).
pub(super) fn conv_transpose2d_grads(
    x: &Var,
    w: &Var,
    g: &Var,
    geom: [usize; 3],
    need: [bool; 2],
) -> Result<[Option<Var>; 2]> {
    let [s, p, op] = geom;
    if !is_grad_enabled() {
        let (dx, dw) = kernels::conv_transpose2d_backward(
            x.data(),
            w.data(),
            g.data(),
            s,
            p,
            op,
            need[0],
            need[1],
        )?;
        return Ok([dx.map(Var::constant), dw.map(Var::constant)]);
    }
    // w [Cin, Cout, k, k] read as a conv2d weight maps Cout channels to Cin.
    let dx = need[0].then(|| g.conv2d(w, None, s, p)).transpose()?;
    let dw = need[1]
        .then(|| g.conv2d_weight_grad(x, kernel_of(w), s, p))
        .transpose()?;
    Ok([dx, dw])
}

impl Var {
    /// conv2d's input gradient as an op: `self` = dy [N, O, OH, OW] and w
    /// [O, C, kH, kW] → dx of `input_shape` [N, C, H, W] (given, because
    /// OH = (H + 2p − kH)/s + 1 rounds). This is conv_transpose2d of dy.
    pub fn conv2d_input_grad(
        &self,
        w: &Var,
        input_shape: &[usize],
        stride: usize,
        padding: usize,
    ) -> Result<Var> {
        let (s, p) = (stride, padding);
        let y = kernels::conv2d_backward_input(self.data(), w.data(), input_shape, s, p)?;
        Ok(Var::from_op(
            "conv2d_input_grad",
            y,
            vec![self.clone(), w.clone()],
            move |c| {
                let (dy, w, gg) = (c.input(0), c.input(1), c.grad);
                // Unrecorded, one kernel computes both: it is conv_transpose2d's
                // backward, and shares the im2col of gg.
                let op = transposed_padding(dy, w, c.output.shape(), s, p);
                if let (false, Some(op)) = (is_grad_enabled(), op) {
                    let (d_dy, d_w) = kernels::conv_transpose2d_backward(
                        dy.data(),
                        w.data(),
                        gg.data(),
                        s,
                        p,
                        op,
                        c.need(0),
                        c.need(1),
                    )?;
                    return Ok(vec![d_dy.map(Var::constant), d_w.map(Var::constant)]);
                }
                let d_dy = c.need(0).then(|| gg.conv2d(w, None, s, p)).transpose()?;
                let d_w = c
                    .need(1)
                    .then(|| gg.conv2d_weight_grad(dy, kernel_of(w), s, p))
                    .transpose()?;
                Ok(vec![d_dy, d_w])
            },
        ))
    }

    /// conv2d's weight gradient as an op: `self` = x [N, C, H, W] and dy
    /// [N, O, OH, OW] → dw [O, C, kH, kW] for `kernel` = (kH, kW).
    pub fn conv2d_weight_grad(
        &self,
        dy: &Var,
        kernel: (usize, usize),
        stride: usize,
        padding: usize,
    ) -> Result<Var> {
        let (s, p) = (stride, padding);
        let y = kernels::conv2d_backward_weight(self.data(), dy.data(), kernel, s, p)?;
        Ok(Var::from_op(
            "conv2d_weight_grad",
            y,
            vec![self.clone(), dy.clone()],
            move |c| {
                let (x, dy, gg) = (c.input(0), c.input(1), c.grad);
                let d_x = c
                    .need(0)
                    .then(|| dy.conv2d_input_grad(gg, x.shape(), s, p))
                    .transpose()?;
                let d_dy = c.need(1).then(|| x.conv2d(gg, None, s, p)).transpose()?;
                Ok(vec![d_x, d_dy])
            },
        ))
    }
}
