//! The op tables of the elementwise family: one row per op, the only place an
//! op is written down (name, parameters, CPU expression, CUDA expression). Its
//! op code is its position here; `elementwise.cu`'s `switch`es are generated
//! from these rows (see `table`). Adding an op is one row here, plus its
//! autograd rule and a test.
//!
//! Unary rows see the input `x`; binary rows see `a` (the left operand, or the
//! saved input/output of a backward rule) and `b` (the right operand, or the
//! upstream gradient). `p0`, `p1` are the row's parameters (`T` on the CPU,
//! f32 on the GPU). The fused backward rules make a backward pass one kernel,
//! not three.

use super::strided::{map1, map2};
use tensor::Layout;

op_table! {
    /// Elementwise unary ops: `y = op(x)`.
    pub enum UnaryOp;
    cpu fn apply_unary<T>(s: &[T], l: &Layout) = map1(s, l) over (x);
    params p0, p1;
    /// −x
    Neg => -x, "-x";
    /// eˣ
    Exp => x.fast_exp(), "expf(x)";
    /// ln x
    Log => x.ln(), "logf(x)";
    /// √x
    Sqrt => x.sqrt(), "sqrtf(x)";
    /// |x|
    Abs => x.abs(), "fabsf(x)";
    /// x²
    Square => x * x, "x * x";
    /// 1/x
    Recip => T::ONE / x, "1.0f / x";
    /// max(x, 0); NaN gives 0 on both devices.
    Relu => if x > T::ZERO { x } else { T::ZERO }, "x > 0.0f ? x : 0.0f";
    /// tanh x
    Tanh => x.fast_tanh(), "tanhf(x)";
    /// σ(x), overflow-safe at both ends.
    Sigmoid => x.fast_sigmoid(), "sigmoidf(x)";
    /// x > 0 ? x : slope·x
    LeakyRelu(slope: f64) [slope] => if x > T::ZERO { x } else { x * p0 }, "x > 0.0f ? x : x * p0";
    /// x + v
    AddScalar(v: f64) [v] => x + p0, "x + p0";
    /// x · v
    MulScalar(v: f64) [v] => x * p0, "x * p0";
    /// x^e for a constant exponent.
    PowScalar(e: f64) [e] => x.powf(p0), "powf(x, p0)";
    /// x clamped to [lo, hi]; NaN passes.
    Clamp(lo: f64, hi: f64) [lo, hi] => {
        if x < p0 {
            p0
        } else if x > p1 {
            p1
        } else {
            x
        }
    }, "x < p0 ? p0 : (x > p1 ? p1 : x)";
    /// Indicator used for masks: 1 where x > 0, else 0.
    Positive => if x > T::ZERO { T::ONE } else { T::ZERO }, "x > 0.0f ? 1.0f : 0.0f";
}

op_table! {
    /// Elementwise binary ops with broadcasting: `z = op(a, b)`.
    pub enum BinaryOp;
    cpu fn apply_binary<T>(sa: &[T], la: &Layout, sb: &[T], lb: &Layout) = map2(sa, la, sb, lb) over (a, b);
    params p0, p1;
    /// a + b
    Add => a + b, "a + b";
    /// a − b
    Sub => a - b, "a - b";
    /// a · b
    Mul => a * b, "a * b";
    /// a / b
    Div => a / b, "a / b";
    /// max(a, b)
    Maximum => if a >= b { a } else { b }, "a >= b ? a : b";
    /// min(a, b)
    Minimum => if a <= b { a } else { b }, "a <= b ? a : b";
    /// g · 1\[x > 0\]  (a = x, b = g)
    ReluBackward => if a > T::ZERO { b } else { T::ZERO }, "a > 0.0f ? b : 0.0f";
    /// g · (x > 0 ? 1 : slope)
    LeakyReluBackward(slope: f64) [slope] => if a > T::ZERO { b } else { b * p0 }, "a > 0.0f ? b : b * p0";
    /// g · (1 − y²)  (a = y = tanh x)
    TanhBackward => b * (T::ONE - a * a), "b * (1.0f - a * a)";
    /// g · y (1 − y)  (a = y = σ(x))
    SigmoidBackward => b * a * (T::ONE - a), "b * a * (1.0f - a)";
    /// g · 1[lo ≤ x ≤ hi], as PyTorch's clamp backward
    ClampBackward(lo: f64, hi: f64) [lo, hi] => {
        if a >= p0 && a <= p1 {
            b
        } else {
            T::ZERO
        }
    }, "(a >= p0 && a <= p1) ? b : 0.0f";
    /// g · sign(x), sign(0) = 0
    AbsBackward => {
        if a > T::ZERO {
            b
        } else if a < T::ZERO {
            -b
        } else {
            T::ZERO
        }
    }, "a > 0.0f ? b : (a < 0.0f ? -b : 0.0f)";
    /// g · e · x^(e−1); e − 1 is formed in f64 before rounding, on both devices.
    PowBackward(e: f64) [e, e - 1.0] => b * p0 * a.powf(p1), "b * p0 * powf(a, p1)";
}
