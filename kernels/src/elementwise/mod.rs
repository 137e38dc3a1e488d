//! Elementwise unary and binary ops with broadcasting, including the fused
//! backward rules of the activations (`a` = the saved input or output, `b` = the
//! upstream gradient), so that a backward pass is one kernel, not three.

mod accumulate;
pub(crate) mod strided;

pub use accumulate::add_assign;

use crate::dispatch::KElem;
use strided::{map1, map2};
use tensor::{broadcast_shapes, Layout, Result, Tensor};

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum UnaryOp {
    Neg,
    Exp,
    Log,
    Sqrt,
    Abs,
    Square,
    Recip,
    Relu,
    Tanh,
    Sigmoid,
    LeakyRelu(f64),
    AddScalar(f64),
    MulScalar(f64),
    /// x^e for a constant exponent.
    PowScalar(f64),
    Clamp(f64, f64),
    /// Indicator used for masks: 1 where x > 0, else 0.
    Positive,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum BinaryOp {
    Add,
    Sub,
    Mul,
    Div,
    Maximum,
    Minimum,
    /// g · 1[x > 0]  (a = x, b = g)
    ReluBackward,
    /// g · (x > 0 ? 1 : slope)
    LeakyReluBackward(f64),
    /// g · (1 − y²)  (a = y = tanh x)
    TanhBackward,
    /// g · y (1 − y)  (a = y = σ(x))
    SigmoidBackward,
    /// g · 1[lo ≤ x ≤ hi], as PyTorch's clamp backward
    ClampBackward(f64, f64),
    /// g · sign(x), sign(0) = 0
    AbsBackward,
    /// g · e · x^(e−1)
    PowBackward(f64),
}

fn apply_unary<T: KElem>(s: &[T], l: &Layout, op: UnaryOp) -> Vec<T> {
    let c = |v: f64| T::from_f64(v);
    match op {
        UnaryOp::Neg => map1(s, l, |x: T| -x),
        UnaryOp::Exp => map1(s, l, |x: T| x.fast_exp()),
        UnaryOp::Log => map1(s, l, |x: T| x.ln()),
        UnaryOp::Sqrt => map1(s, l, |x: T| x.sqrt()),
        UnaryOp::Abs => map1(s, l, |x: T| x.abs()),
        UnaryOp::Square => map1(s, l, |x: T| x * x),
        UnaryOp::Recip => map1(s, l, |x: T| T::ONE / x),
        UnaryOp::Relu => map1(s, l, |x: T| if x > T::ZERO { x } else { T::ZERO }),
        UnaryOp::Tanh => map1(s, l, |x: T| x.fast_tanh()),
        UnaryOp::Sigmoid => map1(s, l, |x: T| x.fast_sigmoid()),
        UnaryOp::LeakyRelu(a) => {
            let a = c(a);
            map1(s, l, move |x: T| if x > T::ZERO { x } else { x * a })
        }
        UnaryOp::AddScalar(v) => {
            let v = c(v);
            map1(s, l, move |x: T| x + v)
        }
        UnaryOp::MulScalar(v) => {
            let v = c(v);
            map1(s, l, move |x: T| x * v)
        }
        UnaryOp::PowScalar(e) => {
            let e = c(e);
            map1(s, l, move |x: T| x.powf(e))
        }
        UnaryOp::Clamp(lo, hi) => {
            let (lo, hi) = (c(lo), c(hi));
            map1(s, l, move |x: T| {
                if x < lo {
                    lo
                } else if x > hi {
                    hi
                } else {
                    x
                }
            })
        }
        UnaryOp::Positive => map1(s, l, |x: T| if x > T::ZERO { T::ONE } else { T::ZERO }),
    }
}

fn apply_binary<T: KElem>(a: &[T], la: &Layout, b: &[T], lb: &Layout, op: BinaryOp) -> Vec<T> {
    let c = |v: f64| T::from_f64(v);
    match op {
        BinaryOp::Add => map2(a, la, b, lb, |x: T, y: T| x + y),
        BinaryOp::Sub => map2(a, la, b, lb, |x: T, y: T| x - y),
        BinaryOp::Mul => map2(a, la, b, lb, |x: T, y: T| x * y),
        BinaryOp::Div => map2(a, la, b, lb, |x: T, y: T| x / y),
        BinaryOp::Maximum => map2(a, la, b, lb, |x: T, y: T| if x >= y { x } else { y }),
        BinaryOp::Minimum => map2(a, la, b, lb, |x: T, y: T| if x <= y { x } else { y }),
        BinaryOp::ReluBackward => map2(
            a,
            la,
            b,
            lb,
            |x: T, g: T| if x > T::ZERO { g } else { T::ZERO },
        ),
        BinaryOp::LeakyReluBackward(slope) => {
            let s = c(slope);
            map2(
                a,
                la,
                b,
                lb,
                move |x: T, g: T| if x > T::ZERO { g } else { g * s },
            )
        }
        BinaryOp::TanhBackward => map2(a, la, b, lb, |y: T, g: T| g * (T::ONE - y * y)),
        BinaryOp::SigmoidBackward => map2(a, la, b, lb, |y: T, g: T| g * y * (T::ONE - y)),
        BinaryOp::ClampBackward(lo, hi) => {
            let (lo, hi) = (c(lo), c(hi));
            map2(
                a,
                la,
                b,
                lb,
                move |x: T, g: T| if x >= lo && x <= hi { g } else { T::ZERO },
            )
        }
        BinaryOp::AbsBackward => map2(a, la, b, lb, |x: T, g: T| {
            if x > T::ZERO {
                g
            } else if x < T::ZERO {
                -g
            } else {
                T::ZERO
            }
        }),
        BinaryOp::PowBackward(e) => {
            let (e, em1) = (c(e), c(e - 1.0));
            map2(a, la, b, lb, move |x: T, g: T| g * e * x.powf(em1))
        }
    }
}

/// y = op(x), any layout in, contiguous out.
pub fn unary(x: &Tensor, op: UnaryOp) -> Result<Tensor> {
    if x.device().is_cuda() {
        return crate::cuda::elementwise::unary(x, op);
    }
    dispatch1!(x, |s: T, l| Tensor::from_vec::<T>(
        apply_unary(s, l, op),
        l.shape()
    ))
}

/// z = op(a, b) with PyTorch broadcasting.
pub fn binary(a: &Tensor, b: &Tensor, op: BinaryOp) -> Result<Tensor> {
    let name = "binary";
    let shape = broadcast_shapes(name, a.shape(), b.shape())?;
    crate::dispatch::check_same(name, a, b)?;
    if a.device().is_cuda() {
        return crate::cuda::elementwise::binary(a, b, op, &shape);
    }
    dispatch2!(name, a, b, |sa, sb: T, la, lb| {
        let (la, lb) = (la.broadcast_to(&shape)?, lb.broadcast_to(&shape)?);
        Tensor::from_vec::<T>(apply_binary(sa, &la, sb, &lb, op), &shape)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(v: &[f32], s: &[usize]) -> Tensor {
        Tensor::from_slice(v, s).unwrap()
    }

    #[test]
    fn broadcast_add_matches_manual() {
        let a = t(&[1., 2., 3., 4., 5., 6.], &[2, 3]);
        let b = t(&[10., 20., 30.], &[3]);
        let c = t(&[100., 200.], &[2, 1]);
        assert_eq!(
            binary(&a, &b, BinaryOp::Add).unwrap().to_vec_f32().unwrap(),
            vec![11., 22., 33., 14., 25., 36.]
        );
        assert_eq!(
            binary(&a, &c, BinaryOp::Mul).unwrap().to_vec_f32().unwrap(),
            vec![100., 200., 300., 800., 1000., 1200.]
        );
        let e = binary(&a, &t(&[1., 2.], &[2]), BinaryOp::Add).unwrap_err();
        assert!(
            e.to_string().contains("[2, 3]") && e.to_string().contains("[2]"),
            "{e}"
        );
    }

    #[test]
    fn transposed_and_large_inputs() {
        let n = 300;
        let v: Vec<f32> = (0..n * n).map(|i| i as f32).collect();
        let a = t(&v, &[n, n]);
        let at = a.t().unwrap();
        let s = binary(&a, &at, BinaryOp::Add)
            .unwrap()
            .to_vec_f32()
            .unwrap();
        for i in [0, 1, 7 * n + 3, n * n - 1] {
            let (r, c) = (i / n, i % n);
            assert_eq!(s[i], v[r * n + c] + v[c * n + r]);
        }
        let r = unary(&at, UnaryOp::Neg).unwrap().to_vec_f32().unwrap();
        assert_eq!(r[1], -(n as f32));
    }

    #[test]
    fn sigmoid_is_stable_at_extremes() {
        let y = unary(&t(&[-1000., 0., 1000.], &[3]), UnaryOp::Sigmoid)
            .unwrap()
            .to_vec_f32()
            .unwrap();
        assert_eq!(y, vec![0.0, 0.5, 1.0]);
    }
}
