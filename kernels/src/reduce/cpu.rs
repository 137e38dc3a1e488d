//! CPU reduction kernels over contiguous data.

use crate::PARALLEL_THRESHOLD;
use rayon::prelude::*;
use tensor::Element;

/// Sum of a contiguous run with 8 independent accumulators: vectorisable, and
/// its rounding error grows far slower than a single running sum.
#[inline]
pub(crate) fn sum_run<T: Element>(v: &[T]) -> T {
    let mut acc = [T::ZERO; 8];
    let chunks = v.chunks_exact(8);
    let rest = chunks.remainder();
    for c in chunks {
        for k in 0..8 {
            acc[k] += c[k];
        }
    }
    let mut s = T::ZERO;
    for &r in rest {
        s += r;
    }
    ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7])) + s
}

/// x viewed as [outer, r, inner] → out [outer, inner] = Σ over r.
pub(crate) fn sum_outer_r_inner<T: Element>(
    x: &[T],
    outer: usize,
    r: usize,
    inner: usize,
) -> Vec<T> {
    let mut out = vec![T::ZERO; outer * inner];
    if inner == 1 {
        if outer == 1 && x.len() >= PARALLEL_THRESHOLD {
            out[0] = x
                .par_chunks(1 << 14)
                .map(sum_run)
                .reduce(|| T::ZERO, |a, b| a + b);
        } else if x.len() >= PARALLEL_THRESHOLD {
            out.par_iter_mut()
                .enumerate()
                .for_each(|(o, y)| *y = sum_run(&x[o * r..(o + 1) * r]));
        } else {
            for (o, y) in out.iter_mut().enumerate() {
                *y = sum_run(&x[o * r..(o + 1) * r]);
            }
        }
        return out;
    }
    let body = |o: usize, acc: &mut [T]| {
        for j in 0..r {
            let row = &x[(o * r + j) * inner..(o * r + j + 1) * inner];
            for (a, &v) in acc.iter_mut().zip(row) {
                *a += v;
            }
        }
    };
    if x.len() >= PARALLEL_THRESHOLD && outer > 1 {
        out.par_chunks_mut(inner)
            .enumerate()
            .for_each(|(o, acc)| body(o, acc));
    } else {
        for (o, acc) in out.chunks_mut(inner).enumerate() {
            body(o, acc);
        }
    }
    out
}

/// Per row of length `len`: the max and the index of its first occurrence.
pub(crate) fn row_max<T: Element>(x: &[T], len: usize) -> (Vec<T>, Vec<usize>) {
    let rows = x.len() / len;
    let mut vals = Vec::with_capacity(rows);
    let mut idx = Vec::with_capacity(rows);
    for row in x.chunks_exact(len) {
        let (mut best, mut bi) = (row[0], 0);
        for (i, &v) in row.iter().enumerate().skip(1) {
            if best.is_nan() {
                break;
            }
            if v > best || v.is_nan() {
                best = v;
                bi = i;
            }
        }
        vals.push(best);
        idx.push(bi);
    }
    (vals, idx)
}
