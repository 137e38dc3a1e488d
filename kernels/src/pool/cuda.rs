//! Host side of pool.cu: 2-D max pooling, its backward and the gather. The argmax indices
//! stay on the device (u32 bits in an f32 buffer, as `upload_u32`).

use crate::cuda::compile::Source;
use crate::cuda::launch::{grid, BLOCK};
use crate::cuda::{operand, operand_on, output, to_u32};
use cudarc::driver::DeviceRepr;
use tensor::{Result, Tensor};

/// `pool.cu`, embedded in the binary and compiled by NVRTC on first use.
pub(crate) fn source() -> Source {
    Source {
        name: "pool.cu",
        code: include_str!("pool.cu"),
    }
}

/// `struct PoolGeom` of pool.cu.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
struct PoolGeom {
    h: u32,
    w: u32,
    oh: u32,
    ow: u32,
    k: u32,
    s: u32,
    pad0: u32,
    pad1: u32,
}

// SAFETY: plain old data laid out as the C struct (repr(C), 32-bit ints).
unsafe impl DeviceRepr for PoolGeom {}

fn geom(op: &'static str, input: &[usize], out: &[usize], k: usize, s: usize) -> Result<PoolGeom> {
    Ok(PoolGeom {
        h: to_u32(op, input, "height", input[2])?,
        w: to_u32(op, input, "width", input[3])?,
        oh: to_u32(op, input, "output height", out[2])?,
        ow: to_u32(op, input, "output width", out[3])?,
        k: to_u32(op, input, "kernel", k)?,
        s: to_u32(op, input, "stride", s)?,
        pad0: 0,
        pad1: 0,
    })
}

/// y [N, C, OH, OW] and the argmax indices (same shape) of a validated pool.
pub(crate) fn forward(
    x: &Tensor,
    out_shape: &[usize],
    kernel: usize,
    stride: usize,
) -> Result<(Tensor, Tensor)> {
    let op = "max_pool2d";
    let xc = crate::copy::contiguous(x)?;
    let (dev, px) = operand(op, &xc)?;
    let g = geom(op, x.shape(), out_shape, kernel, stride)?;
    let (y, py) = output(&dev, out_shape)?;
    let (idx, pidx) = output(&dev, out_shape)?;
    let total: usize = out_shape.iter().product();
    let planes = (out_shape[0] * out_shape[1]) as i64;
    if total > 0 {
        launch!(
            op,
            &dev,
            source(),
            "maxpool_forward_f32",
            grid(&dev, total, BLOCK),
            [px, py, pidx, g, planes]
        );
    }
    Ok((y, idx))
}

/// Which way a kernel moves values between the pooled input and output.
enum Direction {
    /// Output-shaped values to the input's shape (the backward's scatter).
    ToInput,
    /// Input-shaped values to the output's shape (the gather).
    ToOutput,
}

/// Launch `name` over the device indices `idx` of a pool of `input` →
/// `output` shapes, reading `src` and writing a new tensor of the shape the
/// direction names. Both kernels take (src, idx, dst, geometry, planes).
#[allow(clippy::too_many_arguments)]
fn indexed(
    op: &'static str,
    name: &'static str,
    src: &Tensor,
    idx: &Tensor,
    (input, output_shape): (&[usize], &[usize]),
    to: Direction,
    kernel: usize,
    stride: usize,
) -> Result<Tensor> {
    let (dev, pidx) = operand(op, idx)?;
    let sc = crate::copy::contiguous(src)?;
    let psrc = operand_on(op, &sc, &dev)?;
    let g = geom(op, input, output_shape, kernel, stride)?;
    let shape = match to {
        Direction::ToInput => input,
        Direction::ToOutput => output_shape,
    };
    let (dst, pdst) = output(&dev, shape)?;
    let total: usize = shape.iter().product();
    let planes = (shape[0] * shape[1]) as i64;
    if total > 0 {
        launch!(
            op,
            &dev,
            source(),
            name,
            grid(&dev, total, BLOCK),
            [psrc, pidx, pdst, g, planes]
        );
    }
    Ok(dst)
}

/// dx of `input_shape` from dy and the device indices of the forward.
pub(crate) fn backward(
    dy: &Tensor,
    idx: &Tensor,
    input_shape: &[usize],
    kernel: usize,
    stride: usize,
) -> Result<Tensor> {
    let shapes = (input_shape, dy.shape());
    let name = "maxpool_backward_f32";
    indexed(
        "max_pool2d_backward",
        name,
        dy,
        idx,
        shapes,
        Direction::ToInput,
        kernel,
        stride,
    )
}

/// y of `out_shape` gathered from x (the pooled input's shape) at the device
/// indices of the forward.
pub(crate) fn gather(
    x: &Tensor,
    idx: &Tensor,
    out_shape: &[usize],
    kernel: usize,
    stride: usize,
) -> Result<Tensor> {
    let shapes = (x.shape(), out_shape);
    let name = "maxpool_gather_f32";
    indexed(
        "max_pool2d_gather",
        name,
        x,
        idx,
        shapes,
        Direction::ToOutput,
        kernel,
        stride,
    )
}
