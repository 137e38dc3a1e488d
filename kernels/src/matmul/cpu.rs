//! The CPU matrix products of `matmul` and `linear`, on `KElem::gemm`.

use crate::dispatch::KElem;
use tensor::Layout;

/// C = A·B on the last two dims of `la`/`lb` (already broadcast over batch dims).
pub(super) fn batched_gemm<T: KElem>(
    a: &[T],
    la: &Layout,
    b: &[T],
    lb: &Layout,
    m: usize,
    k: usize,
    n: usize,
) -> Vec<T> {
    let r = la.rank();
    let batch_shape = &la.shape()[..r - 2];
    let batches: usize = batch_shape.iter().product();
    if m * n * k == 0 {
        return vec![T::ZERO; batches * m * n];
    }
    // Every element is written by its batch's GEMM below (beta 0: C is not
    // read), so the buffer starts uninitialised: zeroing it first was 4 % of
    // the single-threaded mlp step.
    let mut out: Vec<T> = Vec::with_capacity(batches * m * n);
    let (rsa, csa) = (la.strides()[r - 2] as isize, la.strides()[r - 1] as isize);
    let (rsb, csb) = (lb.strides()[r - 2] as isize, lb.strides()[r - 1] as isize);
    for bi in 0..batches {
        // SAFETY: within the capacity reserved above.
        let c = unsafe { out.as_mut_ptr().add(bi * m * n) };
        let (mut oa, mut ob, mut rem) = (la.offset(), lb.offset(), bi);
        for d in (0..r - 2).rev() {
            let i = rem % batch_shape[d];
            rem /= batch_shape[d];
            oa += i * la.strides()[d];
            ob += i * lb.strides()[d];
        }
        // GEMM: [m, k] · [k, n] → [m, n] for batch `bi`
        // SAFETY: offsets and strides come from layouts validated against these buffers.
        unsafe {
            T::gemm(
                m,
                k,
                n,
                T::ONE,
                a.as_ptr().add(oa),
                rsa,
                csa,
                b.as_ptr().add(ob),
                rsb,
                csb,
                T::ZERO,
                c,
                n as isize,
                1,
            );
        }
    }
    // SAFETY: the GEMMs above wrote all batches · m · n elements.
    unsafe { out.set_len(batches * m * n) };
    out
}

/// y [rows, o] = x [rows, i] · Wᵀ (+ the bias row `bias` [o] on every row),
/// x and W [o, i] read through their layouts.
pub(super) fn linear_rows<T: KElem>(
    dx: &[T],
    lx: &Layout,
    dw: &[T],
    lw: &Layout,
    bias: Option<&[T]>,
    (rows, i, o): (usize, usize, usize),
) -> Vec<T> {
    // With a bias, every row starts as the bias and the GEMM adds to it;
    // without one, the GEMM (beta 0) writes every element of an
    // uninitialised buffer, unless there is nothing to sum (in = 0).
    let (mut out, beta) = match bias {
        Some(bt) => {
            let mut out = Vec::with_capacity(rows * o);
            for _ in 0..rows {
                out.extend_from_slice(bt);
            }
            (out, T::ONE)
        }
        None if i == 0 => (vec![T::ZERO; rows * o], T::ZERO),
        None => (Vec::with_capacity(rows * o), T::ZERO),
    };
    if rows * o > 0 && i > 0 {
        // GEMM: x [rows, in] · Wᵀ [in, out] → y [rows, out]; Wᵀ is W read with swapped strides
        // SAFETY: pointers and strides come from validated layouts of these buffers.
        unsafe {
            T::gemm(
                rows,
                i,
                o,
                T::ONE,
                dx.as_ptr().add(lx.offset()),
                lx.strides()[0] as isize,
                lx.strides()[1] as isize,
                dw.as_ptr().add(lw.offset()),
                lw.strides()[1] as isize,
                lw.strides()[0] as isize,
                beta,
                out.as_mut_ptr(),
                o as isize,
                1,
            );
            // SAFETY: filled above, or written in full by the GEMM.
            out.set_len(rows * o);
        }
    }
    out
}
