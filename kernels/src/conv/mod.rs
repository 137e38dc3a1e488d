//! 2-D convolution and transposed convolution (dilation 1, groups 1), forward and
//! backward, as PyTorch's `F.conv2d` / `F.conv_transpose2d`.
//!
//! Everything runs through one engine (`pass`): im2col + GEMM for the forward
//! and the weight gradient, GEMM + col2im for the input gradient. A transposed
//! convolution is the adjoint of a convolution, so conv_transpose2d's forward is
//! conv2d's input-gradient pass and its input gradient is a conv2d forward: the
//! same code with the roles of the images swapped (`Geom` is always stated in
//! conv2d's terms).
//!
//! Files: `geom` (shapes and their validation), `pass` (the engine), `unfold`
//! (the implicit im2col), `dense`
//! (filters that cover the whole image, and biases), `cuda` (the launcher of
//! `conv.cu`). The matrix products are `crate::gemm`'s.

pub(crate) mod cuda;
mod dense;
mod geom;
mod pass;
mod unfold;

use crate::copy::contiguous;
use crate::dispatch::check_same;
use crate::gemm::checked::GemmElem;
pub(crate) use geom::Geom;
use geom::{check_bias, check_grad, conv2d_geom, conv_transpose2d_geom, rank4};
use pass::{Io, Outputs, Want};
use std::sync::RwLockReadGuard;
use tensor::{DType, Error, Result, Storage, StorageKind, Tensor};

/// The elements of a contiguous CPU tensor as `&[T]`, borrowed from its guard.
fn elems<'g, T: GemmElem>(guard: &'g Storage, t: &Tensor) -> &'g [T] {
    let s = match guard.kind() {
        StorageKind::Cpu(c) => T::slice(c).expect("dtype was checked"),
        StorageKind::Cuda(_) => unreachable!("run_pass refuses CUDA tensors before locking any"),
    };
    &s[t.layout().offset()..t.layout().offset() + t.numel()]
}

/// The tensors a pass reads, all contiguous and of one dtype.
struct PassArgs<'a> {
    u: Option<&'a Tensor>,
    v: Option<&'a Tensor>,
    w: &'a Tensor,
    bias_fwd: Option<&'a Tensor>,
    bias_data: Option<&'a Tensor>,
}

type Locked<'a> = Option<(RwLockReadGuard<'a, Storage>, &'a Tensor)>;

fn lock(t: Option<&Tensor>) -> Locked<'_> {
    t.map(|t| (t.storage(), t))
}

fn slice<'g, T: GemmElem>(l: &'g Locked<'_>) -> Option<&'g [T]> {
    l.as_ref().map(|(g, t)| elems::<T>(g, t))
}

fn run_typed<T: GemmElem>(g: &Geom, a: &PassArgs<'_>, want: Want) -> Outputs<T> {
    let (lu, lv, lbf, lbd) = (lock(a.u), lock(a.v), lock(a.bias_fwd), lock(a.bias_data));
    let lw = a.w.storage();
    let io = Io {
        u: slice(&lu),
        v: slice(&lv),
        w: elems::<T>(&lw, a.w),
        bias_fwd: slice(&lbf),
        bias_data: slice(&lbd),
    };
    pass::run(g, &io, want)
}

fn wrap<T: GemmElem>(v: Option<Vec<T>>, shape: &[usize]) -> Result<Option<Tensor>> {
    v.map(|v| Tensor::from_vec(v, shape)).transpose()
}

/// Run a pass, dispatching on dtype; returns (fwd, dw, data) as tensors.
fn run_pass(
    g: &Geom,
    a: &PassArgs<'_>,
    want: Want,
    shapes: [&[usize]; 3],
) -> Result<[Option<Tensor>; 3]> {
    // Device tensors go to the CUDA engine here, the one way into `elems`.
    let all = [a.u, a.v, Some(a.w), a.bias_fwd, a.bias_data];
    if all.into_iter().flatten().any(|t| t.device().is_cuda()) {
        let w = [want.fwd, want.dw, want.data];
        return cuda::pass(g, a.u, a.v, a.w, a.bias_fwd, a.bias_data, w, shapes);
    }
    Ok(match a.w.dtype() {
        DType::F32 => {
            let o = run_typed::<f32>(g, a, want);
            [
                wrap(o.fwd, shapes[0])?,
                wrap(o.dw, shapes[1])?,
                wrap(o.data, shapes[2])?,
            ]
        }
        DType::F64 => {
            let o = run_typed::<f64>(g, a, want);
            [
                wrap(o.fwd, shapes[0])?,
                wrap(o.dw, shapes[1])?,
                wrap(o.data, shapes[2])?,
            ]
        }
    })
}

fn opt_contiguous(t: Option<&Tensor>) -> Result<Option<Tensor>> {
    t.map(contiguous).transpose()
}

/// `F.conv2d(x, w, b, stride, padding)`: x [N, C, H, W], w [O, C, kH, kW],
/// b \[O\] → [N, O, OH, OW] with OH = (H + 2p − kH)/s + 1.
pub fn conv2d(
    x: &Tensor,
    w: &Tensor,
    b: Option<&Tensor>,
    stride: usize,
    padding: usize,
) -> Result<Tensor> {
    let op = "conv2d";
    let g = conv2d_geom(op, x.shape(), w.shape(), stride, padding)?;
    check_same(op, x, w)?;
    check_bias(op, b, x, g.o)?;
    let (xc, wc, bc) = (contiguous(x)?, contiguous(w)?, opt_contiguous(b)?);
    let args = PassArgs {
        u: Some(&xc),
        v: None,
        w: &wc,
        bias_fwd: bc.as_ref(),
        bias_data: None,
    };
    let want = Want {
        fwd: true,
        ..Want::default()
    };
    let [y, _, _] = run_pass(&g, &args, want, [&[g.n, g.o, g.oh, g.ow], &[], &[]])?;
    Ok(y.expect("fwd was wanted"))
}

/// Gradients of conv2d with respect to its input and/or its weight, given the
/// output gradient `dy` [N, O, OH, OW]; `(dx, dw)`, each `None` unless asked for.
/// The bias gradient is the sum of `dy` over (N, OH, OW).
pub fn conv2d_backward(
    x: &Tensor,
    w: &Tensor,
    dy: &Tensor,
    stride: usize,
    padding: usize,
    need_input: bool,
    need_weight: bool,
) -> Result<(Option<Tensor>, Option<Tensor>)> {
    let op = "conv2d_backward";
    let g = conv2d_geom(op, x.shape(), w.shape(), stride, padding)?;
    check_same(op, x, w)?;
    check_grad(op, dy, x, &[g.n, g.o, g.oh, g.ow])?;
    let (xc, wc, dyc) = (contiguous(x)?, contiguous(w)?, contiguous(dy)?);
    let args = PassArgs {
        u: Some(&xc),
        v: Some(&dyc),
        w: &wc,
        bias_fwd: None,
        bias_data: None,
    };
    let want = Want {
        fwd: false,
        dw: need_weight,
        data: need_input,
    };
    let [_, dw, dx] = run_pass(&g, &args, want, [&[], w.shape(), x.shape()])?;
    Ok((dx, dw))
}

/// conv2d's input gradient: dy [N, O, OH, OW] and w [O, C, kH, kW] → dx of
/// `input_shape` [N, C, H, W] (needed because OH = (H + 2p − kH)/s + 1 rounds).
pub fn conv2d_backward_input(
    dy: &Tensor,
    w: &Tensor,
    input_shape: &[usize],
    stride: usize,
    padding: usize,
) -> Result<Tensor> {
    let op = "conv2d_backward_input";
    let g = conv2d_geom(op, input_shape, w.shape(), stride, padding)?;
    check_same(op, dy, w)?;
    if dy.shape() != [g.n, g.o, g.oh, g.ow] {
        return Err(Error::shape_detail(
            op,
            dy.shape(),
            input_shape,
            format!(
                "output gradient must have shape {:?}",
                [g.n, g.o, g.oh, g.ow]
            ),
        ));
    }
    let (wc, dyc) = (contiguous(w)?, contiguous(dy)?);
    let args = PassArgs {
        u: None,
        v: Some(&dyc),
        w: &wc,
        bias_fwd: None,
        bias_data: None,
    };
    let want = Want {
        data: true,
        ..Want::default()
    };
    let [_, _, dx] = run_pass(&g, &args, want, [&[], &[], input_shape])?;
    Ok(dx.expect("data was wanted"))
}

/// conv2d's weight gradient: x [N, C, H, W] and dy [N, O, OH, OW] → dw
/// [O, C, kH, kW] for the given kernel size.
pub fn conv2d_backward_weight(
    x: &Tensor,
    dy: &Tensor,
    kernel: (usize, usize),
    stride: usize,
    padding: usize,
) -> Result<Tensor> {
    let op = "conv2d_backward_weight";
    let o = rank4(op, "output gradient [N, O, OH, OW]", dy.shape())?[1];
    let c = rank4(op, "input [N, C, H, W]", x.shape())?[1];
    let wshape = [o, c, kernel.0, kernel.1];
    let g = conv2d_geom(op, x.shape(), &wshape, stride, padding)?;
    check_grad(op, dy, x, &[g.n, g.o, g.oh, g.ow])?;
    let (xc, dyc) = (contiguous(x)?, contiguous(dy)?);
    // The pass never reads W for a dw-only pass; any slice of its dtype will do.
    let args = PassArgs {
        u: Some(&xc),
        v: Some(&dyc),
        w: &dyc,
        bias_fwd: None,
        bias_data: None,
    };
    let want = Want {
        dw: true,
        ..Want::default()
    };
    let [_, dw, _] = run_pass(&g, &args, want, [&[], &wshape, &[]])?;
    Ok(dw.expect("dw was wanted"))
}

/// `F.conv_transpose2d(x, w, b, stride, padding, output_padding)`: x
/// [N, Cin, H, W], w [Cin, Cout, kH, kW] (PyTorch's layout), b \[Cout\] →
/// [N, Cout, (H − 1)·s − 2p + kH + output_padding, …].
pub fn conv_transpose2d(
    x: &Tensor,
    w: &Tensor,
    b: Option<&Tensor>,
    stride: usize,
    padding: usize,
    output_padding: usize,
) -> Result<Tensor> {
    let op = "conv_transpose2d";
    let g = conv_transpose2d_geom(op, x.shape(), w.shape(), stride, padding, output_padding)?;
    check_same(op, x, w)?;
    check_bias(op, b, x, g.c)?;
    let (xc, wc, bc) = (contiguous(x)?, contiguous(w)?, opt_contiguous(b)?);
    // y = col2im(Wᵀ · x): the input-gradient pass of the adjoint conv2d
    let args = PassArgs {
        u: None,
        v: Some(&xc),
        w: &wc,
        bias_fwd: None,
        bias_data: bc.as_ref(),
    };
    let want = Want {
        data: true,
        ..Want::default()
    };
    let [_, _, y] = run_pass(&g, &args, want, [&[], &[], &[g.n, g.c, g.h, g.w]])?;
    Ok(y.expect("data was wanted"))
}

/// Gradients of conv_transpose2d with respect to its input and/or weight given
/// `dy` [N, Cout, OH, OW]: dx = conv2d(dy, w) and dw = Σ x · im2col(dy)ᵀ, which
/// share one im2col of dy. The bias gradient is the sum of `dy` over (N, OH, OW).
#[allow(clippy::too_many_arguments)]
pub fn conv_transpose2d_backward(
    x: &Tensor,
    w: &Tensor,
    dy: &Tensor,
    stride: usize,
    padding: usize,
    output_padding: usize,
    need_input: bool,
    need_weight: bool,
) -> Result<(Option<Tensor>, Option<Tensor>)> {
    let op = "conv_transpose2d_backward";
    let g = conv_transpose2d_geom(op, x.shape(), w.shape(), stride, padding, output_padding)?;
    check_same(op, x, w)?;
    check_grad(op, dy, x, &[g.n, g.c, g.h, g.w])?;
    let (xc, wc, dyc) = (contiguous(x)?, contiguous(w)?, contiguous(dy)?);
    let args = PassArgs {
        u: Some(&dyc),
        v: Some(&xc),
        w: &wc,
        bias_fwd: None,
        bias_data: None,
    };
    let want = Want {
        fwd: need_input,
        dw: need_weight,
        data: false,
    };
    let [dx, dw, _] = run_pass(&g, &args, want, [x.shape(), w.shape(), &[]])?;
    Ok((dx, dw))
}

#[cfg(test)]
mod tests;
