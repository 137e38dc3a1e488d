//! The CPU max pooling of one plane.

use tensor::Element;

/// Max over `k`×`k` windows every `s` pixels of one plane `src` of width `w`
/// into `out` [oh, ow], with the index of each maximum within the plane.
pub(super) fn pool_plane<T: Element>(
    src: &[T],
    w: usize,
    (oh, ow): (usize, usize),
    k: usize,
    s: usize,
    out: &mut [T],
    idx: &mut [u32],
) {
    for oy in 0..oh {
        for ox in 0..ow {
            let first = oy * s * w + ox * s;
            let (mut best, mut at) = (src[first], first);
            for ki in 0..k {
                let row = first + ki * w;
                for (j, &v) in src[row..row + k].iter().enumerate() {
                    // PyTorch's rule: the first maximum wins, and NaN propagates.
                    if v > best || v.is_nan() {
                        best = v;
                        at = row + j;
                    }
                }
            }
            out[oy * ow + ox] = best;
            idx[oy * ow + ox] = at as u32;
        }
    }
}
