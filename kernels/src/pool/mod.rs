//! 2-D max pooling (no padding, floor mode), as `F.max_pool2d(x, kernel,
//! stride)`. The forward records, for every output, where in its input plane
//! the maximum was; the backward scatters the output gradient there (adding up
//! where overlapping windows picked the same input), and the gather reads an
//! input-shaped tensor back at those positions (the scatter's own gradient,
//! for second-order derivatives). Parallel over planes.

mod cpu;
pub(crate) mod cuda;

use crate::copy::contiguous;
use crate::PARALLEL_THRESHOLD;
use cpu::pool_plane;
use rayon::prelude::*;
use tensor::{Element, Error, Result, Tensor};

/// The argmax of each output within its input plane, plus the shapes it was
/// recorded for; opaque so that a backward can only get indices a forward made.
#[derive(Clone, Debug)]
pub struct PoolIndices {
    /// Host indices of a CPU forward (empty after a GPU one).
    idx: Vec<u32>,
    /// Device indices of a GPU forward (u32 bits, shaped as the output).
    device_idx: Option<Tensor>,
    kernel: usize,
    stride: usize,
    input_shape: Vec<usize>,
    output_shape: Vec<usize>,
}

impl PoolIndices {
    /// The shape [N, C, H, W] of the input the indices point into.
    pub fn input_shape(&self) -> &[usize] {
        &self.input_shape
    }
    /// The shape of the pooled output the indices belong to.
    pub fn output_shape(&self) -> &[usize] {
        &self.output_shape
    }
}

/// Max over `kernel`×`kernel` windows every `stride` pixels of x [N, C, H, W]
/// → [N, C, (H − k)/s + 1, (W − k)/s + 1], and where each maximum came from.
pub fn max_pool2d(x: &Tensor, kernel: usize, stride: usize) -> Result<(Tensor, PoolIndices)> {
    let op = "max_pool2d";
    let &[n, c, h, w] = x.shape() else {
        return Err(Error::arg(op, x.shape(), "input must be 4-D [N, C, H, W]"));
    };
    if kernel == 0 || stride == 0 {
        return Err(Error::arg(
            op,
            x.shape(),
            format!("kernel {kernel} and stride {stride} must be positive"),
        ));
    }
    if kernel > h || kernel > w {
        return Err(Error::arg(
            op,
            x.shape(),
            format!("kernel {kernel} is larger than the input plane {h}×{w}"),
        ));
    }
    if h.checked_mul(w).is_none_or(|hw| hw > u32::MAX as usize) {
        return Err(Error::arg(
            op,
            x.shape(),
            "input planes beyond 2^32 elements",
        ));
    }
    let (oh, ow) = ((h - kernel) / stride + 1, (w - kernel) / stride + 1);
    let out_shape = vec![n, c, oh, ow];
    if x.device().is_cuda() {
        let (y, idx) = cuda::forward(x, &out_shape, kernel, stride)?;
        return Ok((
            y,
            PoolIndices {
                idx: Vec::new(),
                device_idx: Some(idx),
                kernel,
                stride,
                input_shape: x.shape().to_vec(),
                output_shape: out_shape,
            },
        ));
    }
    let xc = contiguous(x)?;
    let mut idx = vec![0u32; n * c * oh * ow];
    let y = dispatch1!(&xc, |s: T, l| {
        let src = &s[l.offset()..l.offset() + l.numel()];
        let mut out = vec![T::ZERO; n * c * oh * ow];
        let plane = |(p, (o, i)): (usize, (&mut [T], &mut [u32]))| {
            pool_plane(
                &src[p * h * w..(p + 1) * h * w],
                w,
                (oh, ow),
                kernel,
                stride,
                o,
                i,
            )
        };
        // oh, ow ≥ 1 as the kernel fits the plane
        if l.numel() >= PARALLEL_THRESHOLD {
            out.par_chunks_mut(oh * ow)
                .zip(idx.par_chunks_mut(oh * ow))
                .enumerate()
                .for_each(plane);
        } else {
            out.chunks_mut(oh * ow)
                .zip(idx.chunks_mut(oh * ow))
                .enumerate()
                .for_each(plane);
        }
        Tensor::from_vec::<T>(out, &out_shape)?
    });
    Ok((
        y,
        PoolIndices {
            idx,
            device_idx: None,
            kernel,
            stride,
            input_shape: x.shape().to_vec(),
            output_shape: out_shape,
        },
    ))
}

/// The gradient of `max_pool2d` with respect to its input: each element of
/// `dy` is added to the input position its window's maximum came from.
pub fn max_pool2d_backward(
    dy: &Tensor,
    indices: &PoolIndices,
    input_shape: &[usize],
) -> Result<Tensor> {
    let op = "max_pool2d_backward";
    if dy.shape() != indices.output_shape.as_slice()
        || input_shape != indices.input_shape.as_slice()
    {
        return Err(Error::shape_detail(
            op,
            dy.shape(),
            input_shape,
            format!(
                "the indices are for input {:?} → output {:?}",
                indices.input_shape, indices.output_shape
            ),
        ));
    }
    let [_, _, h, w] = <[usize; 4]>::try_from(input_shape)
        .map_err(|_| Error::arg(op, input_shape, "input must be 4-D"))?;
    if let Some(idx) = &indices.device_idx {
        return cuda::backward(dy, idx, input_shape, indices.kernel, indices.stride);
    }
    let plane_out = indices.output_shape[2] * indices.output_shape[3];
    let gc = contiguous(dy)?;
    dispatch1!(&gc, |s: T, l| {
        let g = &s[l.offset()..l.offset() + l.numel()];
        let mut dx = vec![T::ZERO; input_shape.iter().product()];
        let plane = |(p, d): (usize, &mut [T])| {
            let gp = &g[p * plane_out..(p + 1) * plane_out];
            let ip = &indices.idx[p * plane_out..(p + 1) * plane_out];
            for (&gv, &i) in gp.iter().zip(ip) {
                d[i as usize] += gv;
            }
        };
        // h, w ≥ 1: the indices were recorded for a plane the kernel fit in
        if dx.len() >= PARALLEL_THRESHOLD {
            dx.par_chunks_mut(h * w).enumerate().for_each(plane);
        } else {
            dx.chunks_mut(h * w).enumerate().for_each(plane);
        }
        Tensor::from_vec::<T>(dx, input_shape)
    })
}

/// The elements of `x` (shaped as the pooled input) at the positions the
/// forward's maxima came from, shaped as the pooled output: the gradient of
/// [`max_pool2d_backward`] with respect to its `dy`.
pub fn max_pool2d_gather(x: &Tensor, indices: &PoolIndices) -> Result<Tensor> {
    let op = "max_pool2d_gather";
    if x.shape() != indices.input_shape.as_slice() {
        return Err(Error::shape_detail(
            op,
            x.shape(),
            &indices.input_shape,
            "the tensor must have the shape of the pooled input",
        ));
    }
    let out_shape = &indices.output_shape;
    if let Some(idx) = &indices.device_idx {
        return cuda::gather(x, idx, out_shape, indices.kernel, indices.stride);
    }
    let hw = x.shape()[2] * x.shape()[3];
    let plane_out = out_shape[2] * out_shape[3];
    let xc = contiguous(x)?;
    dispatch1!(&xc, |s: T, l| {
        let src = &s[l.offset()..l.offset() + l.numel()];
        let mut y = vec![T::ZERO; indices.idx.len()];
        // plane_out ≥ 1: the kernel fit the plane
        for (p, out) in y.chunks_mut(plane_out).enumerate() {
            let ip = &indices.idx[p * plane_out..(p + 1) * plane_out];
            for (o, &i) in out.iter_mut().zip(ip) {
                *o = src[p * hw + i as usize];
            }
        }
        Tensor::from_vec::<T>(y, out_shape)
    })
}

#[cfg(test)]
mod tests;
