//! Matrix products on a strided GEMM (f32: our packed kernel, `threaded`; f64:
//! matrixmultiply): a transposed or
//! otherwise strided operand is passed by its strides, never copied.

pub(crate) mod cuda;

use crate::copy::reshape;
use crate::dispatch::KElem;
use tensor::{broadcast_shapes, Element, Error, Layout, Result, Tensor};

/// C = A·B on the last two dims of `la`/`lb` (already broadcast over batch dims).
fn batched_gemm<T: KElem>(
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

/// `torch.matmul` for operands of rank ≥ 1: 1-D operands are promoted to a row
/// (left) or a column (right) and the added dim is removed from the result.
pub fn matmul(a: &Tensor, b: &Tensor) -> Result<Tensor> {
    if a.rank() == 0 || b.rank() == 0 {
        return Err(Error::shape_detail(
            "matmul",
            a.shape(),
            b.shape(),
            "both operands need rank ≥ 1",
        ));
    }
    let a2 = if a.rank() == 1 {
        a.unsqueeze(0)?
    } else {
        a.clone()
    };
    let b2 = if b.rank() == 1 {
        b.unsqueeze(1)?
    } else {
        b.clone()
    };
    let (ra, rb) = (a2.rank(), b2.rank());
    let (m, k) = (a2.shape()[ra - 2], a2.shape()[ra - 1]);
    let (k2, n) = (b2.shape()[rb - 2], b2.shape()[rb - 1]);
    if k != k2 {
        return Err(Error::shape_detail(
            "matmul",
            a.shape(),
            b.shape(),
            format!("inner dimensions {k} and {k2} differ"),
        ));
    }
    let batch = broadcast_shapes("matmul", &a2.shape()[..ra - 2], &b2.shape()[..rb - 2])?;
    let mut sa = batch.clone();
    sa.extend([m, k]);
    let mut sb = batch.clone();
    sb.extend([k, n]);
    let mut out_shape = batch.clone();
    out_shape.extend([m, n]);
    crate::dispatch::check_same("matmul", &a2, &b2)?;
    let out = if a2.device().is_cuda() {
        cuda::matmul(&a2, &b2, &sa, &sb, &out_shape)?
    } else {
        dispatch2!("matmul", &a2, &b2, |da, db: T, la, lb| {
            let (la, lb) = (la.broadcast_to(&sa)?, lb.broadcast_to(&sb)?);
            Tensor::from_vec::<T>(batched_gemm(da, &la, db, &lb, m, k, n), &out_shape)?
        })
    };
    let mut final_shape = batch;
    if a.rank() > 1 {
        final_shape.push(m);
    }
    if b.rank() > 1 {
        final_shape.push(n);
    }
    out.view(&final_shape)
}

/// y = x·Wᵀ + b for x [.., in], W [out, in], b [out]: the bias is written first
/// and the GEMM accumulates onto it, so bias and product are one pass.
pub fn linear(x: &Tensor, w: &Tensor, b: Option<&Tensor>) -> Result<Tensor> {
    let (o, i) = match w.shape() {
        &[o, i] => (o, i),
        s => {
            return Err(Error::arg(
                "linear",
                s,
                "weight must be 2-D [out_features, in_features]",
            ))
        }
    };
    if x.rank() == 0 || x.shape()[x.rank() - 1] != i {
        return Err(Error::shape_detail(
            "linear",
            x.shape(),
            w.shape(),
            format!("input's last dimension must be in_features = {i}"),
        ));
    }
    if let Some(b) = b {
        if b.shape() != [o] {
            return Err(Error::shape_detail(
                "linear",
                b.shape(),
                w.shape(),
                format!("bias must have shape [{o}]"),
            ));
        }
        crate::dispatch::check_same("linear", x, b)?;
    }
    crate::dispatch::check_same("linear", x, w)?;
    let rows = x.numel() / i.max(1);
    let x2 = reshape(x, &[rows, i])?;
    let mut out_shape = x.shape().to_vec();
    *out_shape.last_mut().unwrap() = o;
    if x.device().is_cuda() {
        return cuda::linear(&x2, w, b, &out_shape);
    }
    let bias: Option<Vec<f64>> = b.map(|b| b.to_vec::<f64>()).transpose()?;
    dispatch2!("linear", &x2, w, |dx, dw: T, lx, lw| {
        // With a bias, every row starts as the bias and the GEMM adds to it;
        // without one, the GEMM (beta 0) writes every element of an
        // uninitialised buffer, unless there is nothing to sum (in = 0).
        let (mut out, beta) = match &bias {
            Some(bv) => {
                let bt: Vec<T> = bv.iter().map(|&v| T::from_f64(v)).collect();
                let mut out = Vec::with_capacity(rows * o);
                for _ in 0..rows {
                    out.extend_from_slice(&bt);
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
        Tensor::from_vec::<T>(out, &out_shape)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(a: &[f32], b: &[f32], m: usize, k: usize, n: usize) -> Vec<f32> {
        let mut c = vec![0.0; m * n];
        for i in 0..m {
            for j in 0..n {
                c[i * n + j] = (0..k).map(|p| a[i * k + p] * b[p * n + j]).sum();
            }
        }
        c
    }

    #[test]
    fn transposed_operand_is_not_copied_and_correct() {
        let (m, k, n) = (5, 7, 3);
        let a: Vec<f32> = (0..m * k).map(|v| (v as f32 * 0.37).sin()).collect();
        let bt: Vec<f32> = (0..n * k).map(|v| (v as f32 * 0.11).cos()).collect(); // [n, k]
        let b: Vec<f32> = (0..k * n).map(|idx| bt[(idx % n) * k + idx / n]).collect(); // [k, n]
        let ta = Tensor::from_slice(&a, &[m, k]).unwrap();
        let tbt = Tensor::from_slice(&bt, &[n, k]).unwrap();
        let c = matmul(&ta, &tbt.t().unwrap())
            .unwrap()
            .to_vec_f32()
            .unwrap();
        for (x, y) in c.iter().zip(naive(&a, &b, m, k, n)) {
            assert!((x - y).abs() < 1e-5);
        }
        let e = matmul(&ta, &ta).unwrap_err();
        assert!(e.to_string().contains("[5, 7]"), "{e}");
    }

    #[test]
    fn batched_broadcast_and_vectors() {
        let a = Tensor::from_vec((0..12).map(|v| v as f32).collect(), &[2, 2, 3]).unwrap();
        let b = Tensor::from_vec(vec![1f32, 0., 0., 1., 1., 1.], &[3, 2]).unwrap();
        let c = matmul(&a, &b).unwrap();
        assert_eq!(c.shape(), &[2, 2, 2]);
        assert_eq!(
            c.to_vec_f32().unwrap(),
            vec![2., 3., 8., 9., 14., 15., 20., 21.]
        );
        let v = Tensor::from_vec(vec![1f32, 2., 3.], &[3]).unwrap();
        assert_eq!(matmul(&v, &b).unwrap().to_vec_f32().unwrap(), vec![4., 5.]);
    }
}
