//! The fused backward ops of the elementwise family, as differentiable ops:
//! each is one kernel (`kernels::BinaryOp::*Backward`) of a saved value `a`
//! (the op's input x or output y) and the upstream gradient g, and has a
//! rule of its own, as PyTorch's `derivatives.yaml` entries for
//! `threshold_backward`, `leaky_relu_backward`, `tanh_backward`,
//! `sigmoid_backward`, `clamp_backward` and `pow_backward`. Each is linear
//! in g, so its gradient with respect to g is the same op applied to the
//! incoming gradient gg; with respect to the saved value it is zero for the
//! piecewise-constant masks and written out below for the others.

use crate::var::Ctx;
use crate::Var;
use kernels::{binary, BinaryOp as B};
use tensor::{Error, Result};

impl Var {
    /// `op(self, g)` as a node with inputs (self, g); `rule` gives the two
    /// gradients from the context (`c.grad` is the incoming gradient gg).
    fn fused_backward(
        &self,
        g: &Var,
        name: &'static str,
        op: B,
        rule: impl Fn(&Ctx<'_>) -> Result<[Option<Var>; 2]> + Send + Sync + 'static,
    ) -> Result<Var> {
        if self.shape() != g.shape() {
            return Err(Error::shape_detail(
                name,
                self.shape(),
                g.shape(),
                "the saved value and the gradient must have one shape",
            ));
        }
        let y = binary(self.data(), g.data(), op)?;
        Ok(Var::from_op(
            name,
            y,
            vec![self.clone(), g.clone()],
            move |c| Ok(rule(c)?.into()),
        ))
    }

    /// ReLU's backward, g·1\[x > 0\] with `self` = x (`threshold_backward`):
    /// zero gradient for x, the same mask on the gradient for g.
    pub fn relu_backward(&self, g: &Var) -> Result<Var> {
        self.fused_backward(g, "relu_backward", B::ReluBackward, |c| {
            let gg = c.need(1).then(|| c.input(0).relu_backward(c.grad));
            Ok([None, gg.transpose()?])
        })
    }

    /// Leaky ReLU's backward, g·(x > 0 ? 1 : slope) with `self` = x.
    pub fn leaky_relu_backward(&self, g: &Var, slope: f64) -> Result<Var> {
        let op = B::LeakyReluBackward(slope);
        self.fused_backward(g, "leaky_relu_backward", op, move |c| {
            let gg = c
                .need(1)
                .then(|| c.input(0).leaky_relu_backward(c.grad, slope));
            Ok([None, gg.transpose()?])
        })
    }

    /// tanh's backward, g·(1 − y²) with `self` = y = tanh x: gradients
    /// −2·y·g·gg for y and (1 − y²)·gg for g.
    pub fn tanh_backward(&self, g: &Var) -> Result<Var> {
        self.fused_backward(g, "tanh_backward", B::TanhBackward, |c| {
            let (y, g, gg) = (c.input(0), c.input(1), c.grad);
            let dy = c
                .need(0)
                .then(|| y.mul(g)?.mul(gg)?.mul_scalar(-2.0))
                .transpose()?;
            let dg = c.need(1).then(|| y.tanh_backward(gg)).transpose()?;
            Ok([dy, dg])
        })
    }

    /// The sigmoid's backward, g·y(1 − y) with `self` = y = σ(x): gradients
    /// (1 − 2y)·g·gg for y and y(1 − y)·gg for g.
    pub fn sigmoid_backward(&self, g: &Var) -> Result<Var> {
        self.fused_backward(g, "sigmoid_backward", B::SigmoidBackward, |c| {
            let (y, g, gg) = (c.input(0), c.input(1), c.grad);
            let dy = c
                .need(0)
                .then(|| y.mul_scalar(-2.0)?.add_scalar(1.0)?.mul(g)?.mul(gg))
                .transpose()?;
            let dg = c.need(1).then(|| y.sigmoid_backward(gg)).transpose()?;
            Ok([dy, dg])
        })
    }

    /// clamp's backward, g·1[lo ≤ x ≤ hi] with `self` = x.
    pub fn clamp_backward(&self, g: &Var, lo: f64, hi: f64) -> Result<Var> {
        let op = B::ClampBackward(lo, hi);
        self.fused_backward(g, "clamp_backward", op, move |c| {
            let gg = c.need(1).then(|| c.input(0).clamp_backward(c.grad, lo, hi));
            Ok([None, gg.transpose()?])
        })
    }

    /// abs's backward, g·sign(x) with `self` = x (sign(0) = 0).
    pub fn abs_backward(&self, g: &Var) -> Result<Var> {
        self.fused_backward(g, "abs_backward", B::AbsBackward, |c| {
            let gg = c.need(1).then(|| c.input(0).abs_backward(c.grad));
            Ok([None, gg.transpose()?])
        })
    }

    /// pow's backward, g·e·xᵉ⁻¹ with `self` = x: gradients
    /// e(e − 1)·xᵉ⁻²·g·gg for x (none when e is 0 or 1, where the op does not
    /// depend on x) and e·xᵉ⁻¹·gg for g.
    pub fn pow_backward(&self, g: &Var, e: f64) -> Result<Var> {
        self.fused_backward(g, "pow_backward", B::PowBackward(e), move |c| {
            let (x, g, gg) = (c.input(0), c.input(1), c.grad);
            let dx = (c.need(0) && e != 0.0 && e != 1.0)
                .then(|| x.pow_backward(gg, e - 1.0)?.mul(g)?.mul_scalar(e))
                .transpose()?;
            let dg = c.need(1).then(|| x.pow_backward(gg, e)).transpose()?;
            Ok([dx, dg])
        })
    }
}
