//! Elementwise ops. Broadcasting binaries sum their gradients back to each
//! operand's shape.

use crate::Var;
use kernels::{binary, sum_to_shape, unary, BinaryOp as B, UnaryOp as U};
use tensor::{Error, Result, Tensor};

impl Var {
    fn unary_op(
        &self,
        name: &'static str,
        op: U,
        grad: impl FnOnce(&Tensor, &Tensor, &Tensor) -> Result<Tensor> + Send + 'static,
    ) -> Result<Var> {
        let y = unary(self.data(), op)?;
        let (x, yy) = (self.data().clone(), y.clone());
        Ok(Var::from_op(name, y, vec![self.clone()], move |g| {
            Ok(vec![Some(grad(&x, &yy, g)?)])
        }))
    }

    /// −x elementwise; gradient −g.
    pub fn neg(&self) -> Result<Var> {
        self.unary_op("neg", U::Neg, |_, _, g| unary(g, U::Neg))
    }
    /// eˣ elementwise; gradient g·eˣ (from the saved output).
    pub fn exp(&self) -> Result<Var> {
        self.unary_op("exp", U::Exp, |_, y, g| binary(g, y, B::Mul))
    }
    /// ln x elementwise (NaN below 0, −∞ at 0, as PyTorch); gradient g / x.
    pub fn log(&self) -> Result<Var> {
        self.unary_op("log", U::Log, |x, _, g| binary(g, x, B::Div))
    }
    /// √x elementwise (NaN below 0); gradient g / (2√x).
    pub fn sqrt(&self) -> Result<Var> {
        // d√x = 1/(2√x)
        self.unary_op("sqrt", U::Sqrt, |_, y, g| {
            unary(&binary(g, y, B::Div)?, U::MulScalar(0.5))
        })
    }
    /// |x| elementwise; gradient g·sign(x), 0 at x = 0 (as PyTorch).
    pub fn abs(&self) -> Result<Var> {
        self.unary_op("abs", U::Abs, |x, _, g| binary(x, g, B::AbsBackward))
    }
    /// x² elementwise; gradient 2x·g.
    pub fn square(&self) -> Result<Var> {
        self.unary_op("square", U::Square, |x, _, g| {
            unary(&binary(x, g, B::Mul)?, U::MulScalar(2.0))
        })
    }
    /// xᵉ elementwise for a constant exponent `e` (`torch.pow(x, e)`);
    /// gradient e·xᵉ⁻¹·g.
    pub fn pow_scalar(&self, e: f64) -> Result<Var> {
        self.unary_op("pow", U::PowScalar(e), move |x, _, g| {
            binary(x, g, B::PowBackward(e))
        })
    }
    /// max(x, 0) elementwise; gradient g where x > 0, else 0.
    pub fn relu(&self) -> Result<Var> {
        self.unary_op("relu", U::Relu, |x, _, g| binary(x, g, B::ReluBackward))
    }
    /// x where x > 0, else `slope`·x (`F.leaky_relu(x, slope)`); gradient g
    /// or `slope`·g on the same sides.
    pub fn leaky_relu(&self, slope: f64) -> Result<Var> {
        self.unary_op("leaky_relu", U::LeakyRelu(slope), move |x, _, g| {
            binary(x, g, B::LeakyReluBackward(slope))
        })
    }
    /// tanh x elementwise; gradient (1 − tanh²x)·g (from the saved output).
    pub fn tanh(&self) -> Result<Var> {
        self.unary_op("tanh", U::Tanh, |_, y, g| binary(y, g, B::TanhBackward))
    }
    /// 1 / (1 + e⁻ˣ) elementwise; gradient σ(1 − σ)·g (from the saved
    /// output).
    pub fn sigmoid(&self) -> Result<Var> {
        self.unary_op("sigmoid", U::Sigmoid, |_, y, g| {
            binary(y, g, B::SigmoidBackward)
        })
    }
    /// x limited to [`lo`, `hi`] (`torch.clamp`); gradient g inside the
    /// bounds (inclusive), 0 outside. An error when `lo > hi` or either is NaN.
    pub fn clamp(&self, lo: f64, hi: f64) -> Result<Var> {
        if lo > hi || lo.is_nan() || hi.is_nan() {
            return Err(Error::arg(
                "clamp",
                self.shape(),
                format!("bounds [{lo}, {hi}] are not ordered"),
            ));
        }
        self.unary_op("clamp", U::Clamp(lo, hi), move |x, _, g| {
            binary(x, g, B::ClampBackward(lo, hi))
        })
    }
    /// x + `v` elementwise; gradient g.
    pub fn add_scalar(&self, v: f64) -> Result<Var> {
        self.unary_op("add_scalar", U::AddScalar(v), |_, _, g| Ok(g.clone()))
    }
    /// `v`·x elementwise; gradient `v`·g.
    pub fn mul_scalar(&self, v: f64) -> Result<Var> {
        self.unary_op("mul_scalar", U::MulScalar(v), move |_, _, g| {
            unary(g, U::MulScalar(v))
        })
    }

    fn binary_op(
        &self,
        other: &Var,
        name: &'static str,
        op: B,
        grads: impl FnOnce(&Tensor, &Tensor, &Tensor) -> Result<(Tensor, Tensor)> + Send + 'static,
    ) -> Result<Var> {
        let z = binary(self.data(), other.data(), op)?;
        let (a, b) = (self.data().clone(), other.data().clone());
        let (need_a, need_b) = (self.requires_grad(), other.requires_grad());
        Ok(Var::from_op(
            name,
            z,
            vec![self.clone(), other.clone()],
            move |g| {
                let (ga, gb) = grads(&a, &b, g)?;
                Ok(vec![
                    need_a.then(|| sum_to_shape(&ga, a.shape())).transpose()?,
                    need_b.then(|| sum_to_shape(&gb, b.shape())).transpose()?,
                ])
            },
        ))
    }

    /// a + b with broadcasting (NumPy rules); each gradient is g summed
    /// back to its operand's shape. An error when the shapes do not broadcast
    /// or the devices differ.
    pub fn add(&self, other: &Var) -> Result<Var> {
        self.binary_op(other, "add", B::Add, |_, _, g| Ok((g.clone(), g.clone())))
    }
    /// a − b with broadcasting; gradients g and −g, summed back to each
    /// operand's shape.
    pub fn sub(&self, other: &Var) -> Result<Var> {
        self.binary_op(other, "sub", B::Sub, |_, _, g| {
            Ok((g.clone(), unary(g, U::Neg)?))
        })
    }
    /// a·b elementwise with broadcasting; gradients g·b and g·a, summed
    /// back to each operand's shape.
    pub fn mul(&self, other: &Var) -> Result<Var> {
        self.binary_op(other, "mul", B::Mul, |a, b, g| {
            Ok((binary(g, b, B::Mul)?, binary(g, a, B::Mul)?))
        })
    }
    /// a / b elementwise with broadcasting; gradients g / b and −g·a / b²,
    /// summed back to each operand's shape.
    pub fn div(&self, other: &Var) -> Result<Var> {
        // d(a/b)/da = 1/b, d(a/b)/db = −a/b²
        self.binary_op(other, "div", B::Div, |a, b, g| {
            let ga = binary(g, b, B::Div)?;
            let gb = unary(&binary(&binary(&ga, a, B::Mul)?, b, B::Div)?, U::Neg)?;
            Ok((ga, gb))
        })
    }
}
