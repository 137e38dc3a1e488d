//! The dense case of the conv engine, and the per-channel bias.
//!
//! A filter that covers the whole unpadded image (one output pixel, as in a
//! DCGAN discriminator's last layer or its generator's first) makes im2col the
//! identity: u is already the column matrix of the whole batch, so each result
//! is one GEMM over the batch (split into row blocks across threads), with no
//! copies at all.

use super::pass::{Io, Outputs, Want};
use super::Geom;
use crate::gemm::checked::{gemm, GemmElem, A, B};
use rayon::prelude::*;

pub(crate) fn run_dense<T: GemmElem>(
    g: &Geom,
    io: &Io<'_, T>,
    want: Want,
    mut out: Outputs<T>,
) -> Outputs<T> {
    let (n, o, k) = (g.n, g.o, g.ckk());
    if let (Some(y), Some(u)) = (out.fwd.as_mut(), io.u) {
        // GEMM: u [n, ckk] · Wᵀ [ckk, o] → v [n, o]
        par_rows(n, k, o, (u, (k, 1)), (io.w, (1, k)), y);
    }
    if let (true, Some(u), Some(v)) = (want.dw, io.u, io.v) {
        let mut dw = vec![T::ZERO; o * k];
        // GEMM: vᵀ [o, n] · u [n, ckk] → dW [o, ckk]
        par_rows(o, n, k, (v, (1, o)), (u, (k, 1)), &mut dw);
        out.dw = Some(dw);
    }
    if let (Some(d), Some(v)) = (out.data.as_mut(), io.v) {
        // GEMM: v [n, o] · W [o, ckk] → u [n, ckk]
        par_rows(n, o, k, (v, (o, 1)), (io.w, (k, 1)), d);
    }
    add_bias(&mut out, io, g);
    out
}

type Operand<'a, T> = (&'a [T], (usize, usize));

/// C [m, n] = A [m, k] · B [k, n] as one GEMM per block of rows, in parallel.
fn par_rows<T: GemmElem>(
    m: usize,
    k: usize,
    n: usize,
    (a, sa): Operand<'_, T>,
    (b, sb): Operand<'_, T>,
    c: &mut [T],
) {
    let threads = rayon::current_num_threads().max(1);
    let blocks = if m * n * k >= 1 << 20 { 2 * threads } else { 1 };
    let rows = m.div_ceil(blocks.min(m).max(1)).max(1);
    c.par_chunks_mut(rows * n.max(1))
        .enumerate()
        .for_each(|(i, cb)| {
            let r = cb.len() / n.max(1);
            // GEMM: A rows [i·rows, +r) [r, k] · B [k, n] → C rows [r, n]
            let ai = A::Strided(&a[i * rows * sa.0..], sa);
            gemm(r, k, n, ai, B::Strided(b, sb), false, cb, n);
        });
}

/// img [channels, plane] += bias[channel].
pub(crate) fn add_channel_bias<T: GemmElem>(img: &mut [T], bias: &[T], plane: usize) {
    for (row, &b) in img.chunks_mut(plane.max(1)).zip(bias) {
        for y in row {
            *y += b;
        }
    }
}

/// Add the per-channel biases to whichever outputs have them.
pub(crate) fn add_bias<T: GemmElem>(out: &mut Outputs<T>, io: &Io<'_, T>, g: &Geom) {
    if let (Some(y), Some(b)) = (out.fwd.as_mut(), io.bias_fwd) {
        for img in y.chunks_mut(g.out_size().max(1)) {
            add_channel_bias(img, b, g.ohw());
        }
    }
    if let (Some(y), Some(b)) = (out.data.as_mut(), io.bias_data) {
        for img in y.chunks_mut(g.in_size().max(1)) {
            add_channel_bias(img, b, g.h * g.w);
        }
    }
}
