//! Host side of elementwise.cu: unary and binary ops with broadcasting over
//! any strided views. The op codes and their `case` lines come from the op
//! tables (`ops`); the parameters are rounded to f32 as the CPU kernels round
//! them.

use super::{BinaryOp, UnaryOp};
use crate::cuda::compile::Source;
use crate::cuda::launch::{grid, StridesArg, BLOCK, STRIDED_PRELUDE};
use crate::cuda::{operand, operand_on, output};
use std::sync::OnceLock;
use tensor::{Layout, Result, Tensor};

/// The marker lines of elementwise.cu that the generated cases replace.
const UNARY_MARKER: &str = "// @UNARY_OPS@\n";
const BINARY_MARKER: &str = "// @BINARY_OPS@\n";

/// elementwise.cu behind the strided prelude, its `switch`es filled in from
/// the op tables; built on first use.
pub(crate) fn source() -> Source {
    static CODE: OnceLock<String> = OnceLock::new();
    Source::assembled("elementwise.cu", &CODE, || {
        let body = include_str!("elementwise.cu")
            .replacen(UNARY_MARKER, &UnaryOp::cuda_cases(), 1)
            .replacen(BINARY_MARKER, &BinaryOp::cuda_cases(), 1);
        format!("{STRIDED_PRELUDE}\n{body}")
    })
}

/// An op's code and its two parameters in f32, as the kernels take them.
fn code_and_params(code: i32, [p0, p1]: [f64; 2]) -> (i32, f32, f32) {
    (code, p0 as f32, p1 as f32)
}

/// y = op(x): a dense output of x's shape.
pub(crate) fn unary(x: &Tensor, op: UnaryOp) -> Result<Tensor> {
    let name = "unary";
    let (dev, px) = operand(name, x)?;
    let (out, py) = output(&dev, x.shape())?;
    let n = x.numel();
    if n == 0 {
        return Ok(out);
    }
    let l = StridesArg::new(name, &dev, &Layout::merge_layouts(&[x.layout()]))?;
    let (code, p0, p1) = code_and_params(op.code(), op.params());
    let n64 = n as u64;
    launch!(
        name,
        &dev,
        source(),
        "unary_f32",
        grid(&dev, n, BLOCK),
        [px, py, n64, code, p0, p1, l]
    );
    Ok(out)
}

/// z = op(a, b) for layouts already broadcast to `shape`.
pub(crate) fn binary(a: &Tensor, b: &Tensor, op: BinaryOp, shape: &[usize]) -> Result<Tensor> {
    let name = "binary";
    let (dev, pa) = operand(name, a)?;
    let pb = operand_on(name, b, &dev)?;
    let (la, lb) = (
        a.layout().broadcast_to(shape)?,
        b.layout().broadcast_to(shape)?,
    );
    let (out, py) = output(&dev, shape)?;
    let n: usize = shape.iter().product();
    if n == 0 {
        return Ok(out);
    }
    let l = StridesArg::new(name, &dev, &Layout::merge_layouts(&[&la, &lb]))?;
    let (code, p0, p1) = code_and_params(op.code(), op.params());
    let n64 = n as u64;
    launch!(
        name,
        &dev,
        source(),
        "binary_f32",
        grid(&dev, n, BLOCK),
        [pa, pb, py, n64, code, p0, p1, l]
    );
    Ok(out)
}
