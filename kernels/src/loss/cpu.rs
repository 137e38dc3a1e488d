//! The CPU reductions of the losses: the mean of per-element losses and the
//! row-wise softmax of cross-entropy.

use crate::reduce::cpu::sum_run;
use rayon::prelude::*;
use tensor::Element;

/// The mean of `v`, summed in runs (in parallel when long).
pub(super) fn mean_of<T: Element>(v: Vec<T>) -> T {
    let n = v.len();
    let s = if n >= crate::PARALLEL_THRESHOLD {
        v.par_chunks(1 << 14)
            .map(sum_run)
            .reduce(|| T::ZERO, |a, b| a + b)
    } else {
        sum_run(&v)
    };
    s / T::from_f64(n as f64)
}

/// Row-wise softmax of a contiguous [n, c] buffer, max-shifted.
pub(super) fn softmax_rows<T: Element>(x: &[T], c: usize) -> Vec<T> {
    let mut out = x.to_vec();
    for row in out.chunks_mut(c) {
        let m = row.iter().fold(row[0], |a, &b| a.max(b));
        let mut s = T::ZERO;
        for v in row.iter_mut() {
            *v = (*v - m).exp();
            s += *v;
        }
        for v in row.iter_mut() {
            *v = *v / s;
        }
    }
    out
}
