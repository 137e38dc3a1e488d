//! `matmul` and `linear` on a strided GEMM (f32: the packed kernel of
//! `crate::gemm`, split over its thread team; f64: matrixmultiply): a
//! transposed or otherwise strided operand is passed by its strides, never
//! copied. The CPU products are in `cpu`, the CUDA ones in `cuda`.

mod cpu;
pub(crate) mod cuda;

use crate::copy::reshape;
use cpu::{batched_gemm, linear_rows};
use tensor::{broadcast_shapes, Element, Error, Result, Tensor};

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

/// y = x·Wᵀ + b for x [.., in], W \[out, in\], b \[out\]: the bias is written first
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
        let bt: Option<Vec<T>> = bias
            .as_ref()
            .map(|bv| bv.iter().map(|&v| T::from_f64(v)).collect());
        let out = linear_rows(dx, lx, dw, lw, bt.as_deref(), (rows, i, o));
        Tensor::from_vec::<T>(out, &out_shape)
    })
}

#[cfg(test)]
mod tests;
