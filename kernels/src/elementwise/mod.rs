//! Elementwise unary and binary ops with broadcasting, including the fused
//! backward rules of the activations.
//!
//! Files: `ops` (the op tables: every op's CPU and CUDA expression, one row
//! each), `table` (the macro that turns a row into the enum, the CPU kernel and
//! the CUDA `case`), `strided` (the CPU engine that walks strided operands),
//! `accumulate` (in-place `add_assign`), `cuda` (the launcher of
//! `elementwise.cu`), `tests`.

#[macro_use]
mod table;
mod accumulate;
pub(crate) mod cuda;
mod ops;
pub(crate) mod strided;
#[cfg(test)]
mod tests;

pub use accumulate::add_assign;
pub use ops::{BinaryOp, UnaryOp};

use ops::{apply_binary, apply_unary};
use tensor::{broadcast_shapes, Result, Tensor};

/// y = op(x), any layout in, contiguous out.
pub fn unary(x: &Tensor, op: UnaryOp) -> Result<Tensor> {
    if x.device().is_cuda() {
        return cuda::unary(x, op);
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
        return cuda::binary(a, b, op, &shape);
    }
    dispatch2!(name, a, b, |sa, sb: T, la, lb| {
        let (la, lb) = (la.broadcast_to(&shape)?, lb.broadcast_to(&shape)?);
        Tensor::from_vec::<T>(apply_binary(sa, &la, sb, &lb, op), &shape)
    })
}
