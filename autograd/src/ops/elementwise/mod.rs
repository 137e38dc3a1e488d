//! Elementwise ops. Broadcasting binaries sum their gradients back to each
//! operand's shape. The rules call the fused backward ops of `backward`
//! (one kernel each on the first-order path), which are differentiable ops
//! in their own right.

mod backward;

use crate::var::Ctx;
use crate::Var;
use kernels::{binary, unary, BinaryOp as B, UnaryOp as U};
use tensor::{Error, Result};

impl Var {
    /// A unary op whose rule maps the context to the input's gradient.
    fn unary_op(
        &self,
        name: &'static str,
        op: U,
        rule: impl Fn(&Ctx<'_>) -> Result<Var> + Send + Sync + 'static,
    ) -> Result<Var> {
        let y = unary(self.data(), op)?;
        Ok(Var::from_op(name, y, vec![self.clone()], move |c| {
            Ok(vec![Some(rule(c)?)])
        }))
    }

    /// −x elementwise; gradient −g.
    pub fn neg(&self) -> Result<Var> {
        self.unary_op("neg", U::Neg, |c| c.grad.neg())
    }
    /// eˣ elementwise; gradient g·eˣ (from the saved output).
    pub fn exp(&self) -> Result<Var> {
        self.unary_op("exp", U::Exp, |c| c.grad.mul(c.output))
    }
    /// ln x elementwise (NaN below 0, −∞ at 0, as PyTorch); gradient g / x.
    pub fn log(&self) -> Result<Var> {
        self.unary_op("log", U::Log, |c| c.grad.div(c.input(0)))
    }
    /// √x elementwise (NaN below 0); gradient g / (2√x).
    pub fn sqrt(&self) -> Result<Var> {
        // d√x = 1/(2√x)
        self.unary_op("sqrt", U::Sqrt, |c| c.grad.div(c.output)?.mul_scalar(0.5))
    }
    /// |x| elementwise; gradient g·sign(x), 0 at x = 0 (as PyTorch).
    pub fn abs(&self) -> Result<Var> {
        self.unary_op("abs", U::Abs, |c| c.input(0).abs_backward(c.grad))
    }
    /// x² elementwise; gradient 2x·g.
    pub fn square(&self) -> Result<Var> {
        self.unary_op("square", U::Square, |c| {
            c.input(0).mul(c.grad)?.mul_scalar(2.0)
        })
    }
    /// xᵉ elementwise for a constant exponent `e` (`torch.pow(x, e)`);
    /// gradient e·xᵉ⁻¹·g.
    pub fn pow_scalar(&self, e: f64) -> Result<Var> {
        self.unary_op("pow", U::PowScalar(e), move |c| {
            c.input(0).pow_backward(c.grad, e)
        })
    }
    /// max(x, 0) elementwise; gradient g where x > 0, else 0.
    pub fn relu(&self) -> Result<Var> {
        self.unary_op("relu", U::Relu, |c| c.input(0).relu_backward(c.grad))
    }
    /// x where x > 0, else `slope`·x (`F.leaky_relu(x, slope)`); gradient g
    /// or `slope`·g on the same sides.
    pub fn leaky_relu(&self, slope: f64) -> Result<Var> {
        self.unary_op("leaky_relu", U::LeakyRelu(slope), move |c| {
            c.input(0).leaky_relu_backward(c.grad, slope)
        })
    }
    /// tanh x elementwise; gradient (1 − tanh²x)·g (from the saved output).
    pub fn tanh(&self) -> Result<Var> {
        self.unary_op("tanh", U::Tanh, |c| c.output.tanh_backward(c.grad))
    }
    /// 1 / (1 + e⁻ˣ) elementwise; gradient σ(1 − σ)·g (from the saved
    /// output).
    pub fn sigmoid(&self) -> Result<Var> {
        self.unary_op("sigmoid", U::Sigmoid, |c| c.output.sigmoid_backward(c.grad))
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
        self.unary_op("clamp", U::Clamp(lo, hi), move |c| {
            c.input(0).clamp_backward(c.grad, lo, hi)
        })
    }
    /// x + `v` elementwise; gradient g.
    pub fn add_scalar(&self, v: f64) -> Result<Var> {
        self.unary_op("add_scalar", U::AddScalar(v), |c| Ok(c.grad.clone()))
    }
    /// `v`·x elementwise; gradient `v`·g.
    pub fn mul_scalar(&self, v: f64) -> Result<Var> {
        self.unary_op("mul_scalar", U::MulScalar(v), move |c| c.grad.mul_scalar(v))
    }

    /// A broadcasting binary op; `rule` maps (a, b, g, needs) to the two
    /// full-shape gradients, which are summed back to each operand's shape.
    fn binary_op(
        &self,
        other: &Var,
        name: &'static str,
        op: B,
        rule: impl Fn(&Var, &Var, &Var, [bool; 2]) -> Result<[Option<Var>; 2]> + Send + Sync + 'static,
    ) -> Result<Var> {
        let z = binary(self.data(), other.data(), op)?;
        Ok(Var::from_op(
            name,
            z,
            vec![self.clone(), other.clone()],
            move |c| {
                let (a, b) = (c.input(0), c.input(1));
                let [ga, gb] = rule(a, b, c.grad, [c.need(0), c.need(1)])?;
                Ok(vec![
                    ga.map(|g| g.sum_to_shape(a.shape())).transpose()?,
                    gb.map(|g| g.sum_to_shape(b.shape())).transpose()?,
                ])
            },
        ))
    }

    /// a + b with broadcasting (NumPy rules); each gradient is g summed
    /// back to its operand's shape. An error when the shapes do not broadcast
    /// or the devices differ.
    pub fn add(&self, other: &Var) -> Result<Var> {
        self.binary_op(other, "add", B::Add, |_, _, g, [na, nb]| {
            Ok([na.then(|| g.clone()), nb.then(|| g.clone())])
        })
    }
    /// a − b with broadcasting; gradients g and −g, summed back to each
    /// operand's shape.
    pub fn sub(&self, other: &Var) -> Result<Var> {
        self.binary_op(other, "sub", B::Sub, |_, _, g, [na, nb]| {
            Ok([na.then(|| g.clone()), nb.then(|| g.neg()).transpose()?])
        })
    }
    /// a·b elementwise with broadcasting; gradients g·b and g·a, summed
    /// back to each operand's shape.
    pub fn mul(&self, other: &Var) -> Result<Var> {
        self.binary_op(other, "mul", B::Mul, |a, b, g, [na, nb]| {
            Ok([
                na.then(|| g.mul(b)).transpose()?,
                nb.then(|| g.mul(a)).transpose()?,
            ])
        })
    }
    /// a / b elementwise with broadcasting; gradients g / b and −g·a / b²,
    /// summed back to each operand's shape.
    pub fn div(&self, other: &Var) -> Result<Var> {
        // d(a/b)/da = 1/b, d(a/b)/db = −a/b² = −(g/b)·a/b
        self.binary_op(other, "div", B::Div, |a, b, g, [na, nb]| {
            let ga = g.div(b)?;
            let gb = nb.then(|| ga.mul(a)?.div(b)?.neg()).transpose()?;
            Ok([na.then_some(ga), gb])
        })
    }
}
