//! Host side of elementwise.cu: unary and binary ops with broadcasting over
//! any strided views, and strided copies (`contiguous`, writes into views).

use super::compile::ELEMENTWISE;
use super::launch::{collapse, grid, StridesArg, BLOCK};
use super::{operand, operand_on, output};
use crate::{BinaryOp, UnaryOp};
use tensor::{Layout, Result, Tensor};

/// Op code and parameters as elementwise.cu's `unary_op` reads them. The
/// parameters are rounded to f32 as the CPU kernels round them.
fn unary_code(op: UnaryOp) -> (i32, f32, f32) {
    use UnaryOp::*;
    match op {
        Neg => (0, 0.0, 0.0),
        Exp => (1, 0.0, 0.0),
        Log => (2, 0.0, 0.0),
        Sqrt => (3, 0.0, 0.0),
        Abs => (4, 0.0, 0.0),
        Square => (5, 0.0, 0.0),
        Recip => (6, 0.0, 0.0),
        Relu => (7, 0.0, 0.0),
        Tanh => (8, 0.0, 0.0),
        Sigmoid => (9, 0.0, 0.0),
        LeakyRelu(a) => (10, a as f32, 0.0),
        AddScalar(v) => (11, v as f32, 0.0),
        MulScalar(v) => (12, v as f32, 0.0),
        PowScalar(e) => (13, e as f32, 0.0),
        Clamp(lo, hi) => (14, lo as f32, hi as f32),
        Positive => (15, 0.0, 0.0),
    }
}

/// Op code and parameters as elementwise.cu's `binary_op` reads them.
fn binary_code(op: BinaryOp) -> (i32, f32, f32) {
    use BinaryOp::*;
    match op {
        Add => (0, 0.0, 0.0),
        Sub => (1, 0.0, 0.0),
        Mul => (2, 0.0, 0.0),
        Div => (3, 0.0, 0.0),
        Maximum => (4, 0.0, 0.0),
        Minimum => (5, 0.0, 0.0),
        ReluBackward => (6, 0.0, 0.0),
        LeakyReluBackward(s) => (7, s as f32, 0.0),
        TanhBackward => (8, 0.0, 0.0),
        SigmoidBackward => (9, 0.0, 0.0),
        ClampBackward(lo, hi) => (10, lo as f32, hi as f32),
        AbsBackward => (11, 0.0, 0.0),
        // e − 1 is formed in f64 before rounding, as on the CPU.
        PowBackward(e) => (12, e as f32, (e - 1.0) as f32),
    }
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
    let (sh, st) = collapse(x.shape(), &[x.layout().strides()]);
    let l = StridesArg::new(name, &dev, &sh, &st)?;
    let (code, p0, p1) = unary_code(op);
    let n64 = n as u64;
    launch!(
        name,
        &dev,
        ELEMENTWISE,
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
    let (sh, st) = collapse(shape, &[la.strides(), lb.strides()]);
    let l = StridesArg::new(name, &dev, &sh, &st)?;
    let (code, p0, p1) = binary_code(op);
    let n64 = n as u64;
    launch!(
        name,
        &dev,
        ELEMENTWISE,
        "binary_f32",
        grid(&dev, n, BLOCK),
        [pa, pb, py, n64, code, p0, p1, l]
    );
    Ok(out)
}

/// Copy `src` (layout `ls`, already broadcast to `ld`'s shape) into `dst`'s
/// view `ld`, in place on the device.
pub(crate) fn copy_strided(dst: &Tensor, ld: &Layout, src: &Tensor, ls: &Layout) -> Result<()> {
    let name = "copy";
    let (dev, pd) = operand(name, dst)?;
    let ps = operand_on(name, src, &dev)?;
    let n = ld.numel();
    if n == 0 {
        return Ok(());
    }
    let (sh, st) = collapse(ld.shape(), &[ls.strides(), ld.strides()]);
    let l = StridesArg::new(name, &dev, &sh, &st)?;
    let n64 = n as u64;
    launch!(
        name,
        &dev,
        ELEMENTWISE,
        "copy_f32",
        grid(&dev, n, BLOCK),
        [ps, pd, n64, l]
    );
    Ok(())
}

/// A dense copy of any view.
pub(crate) fn contiguous(x: &Tensor) -> Result<Tensor> {
    let (dev, _) = operand("contiguous", x)?;
    let (out, _) = output(&dev, x.shape())?;
    copy_strided(&out, &Layout::contiguous(x.shape()), x, x.layout())?;
    Ok(out)
}
