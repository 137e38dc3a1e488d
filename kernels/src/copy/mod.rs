//! Copies between layouts: `contiguous` (only when needed), `reshape` (a view when
//! the strides allow, else a copy), `cat`, writes into a view, and dtype casts.
//! The CPU copy walks the strided engine (`cpu`); the CUDA one is copy.cu
//! (`cuda`).

mod cpu;
pub(crate) mod cuda;
#[cfg(test)]
mod tests;

use crate::elementwise::strided::map1;
use cpu::strided_copy;
use tensor::{resolve_dim, CpuStorage, DType, Element, Error, Result, StorageKind, Tensor};

/// A row-major dense tensor: the same tensor if it already is one, else a copy.
pub fn contiguous(x: &Tensor) -> Result<Tensor> {
    if x.is_contiguous() {
        return Ok(x.clone());
    }
    if x.device().is_cuda() {
        return cuda::contiguous(x);
    }
    dispatch1!(x, |s: T, l| Tensor::from_vec::<T>(
        map1(s, l, |v: T| v),
        l.shape()
    ))
}

/// A tensor of a new shape: a view when the layout allows it, else a copy.
pub fn reshape(x: &Tensor, shape: &[usize]) -> Result<Tensor> {
    match x.view(shape) {
        Ok(v) => Ok(v),
        Err(Error::NotViewable { .. }) => contiguous(x)?.view(shape),
        Err(e) => Err(e),
    }
}

/// Convert the element type (a copy unless it already has `dtype`).
pub fn to_dtype(x: &Tensor, dtype: DType) -> Result<Tensor> {
    if x.dtype() == dtype {
        return Ok(x.clone());
    }
    dispatch1!(x, |s: T, l| match dtype {
        DType::F32 => Tensor::from_vec::<f32>(map1(s, l, |v: T| v.to_f64() as f32), l.shape()),
        DType::F64 => Tensor::from_vec::<f64>(map1(s, l, |v: T| v.to_f64()), l.shape()),
    })
}

/// Write `src` (broadcast to `dst`'s shape) into the view `dst`, in place.
pub fn copy_into(dst: &Tensor, src: &Tensor) -> Result<()> {
    crate::dispatch::check_same("copy_into", dst, src)?;
    // Reading and writing the same buffer would need two locks on one storage.
    let src = if src.same_storage(dst) {
        crate::elementwise::unary(src, crate::UnaryOp::MulScalar(1.0))?
    } else {
        src.clone()
    };
    let ls = src.layout().broadcast_to(dst.shape())?;
    let ld = dst.layout().clone();
    if dst.device().is_cuda() {
        return cuda::copy_strided(dst, &ld, &src, &ls);
    }
    let gs = src.storage();
    let mut gd = dst.storage_mut();
    match (gd.kind_mut(), gs.kind()) {
        (StorageKind::Cpu(CpuStorage::F32(d)), StorageKind::Cpu(CpuStorage::F32(s))) => {
            strided_copy(d, &ld, s, &ls)
        }
        (StorageKind::Cpu(CpuStorage::F64(d)), StorageKind::Cpu(CpuStorage::F64(s))) => {
            strided_copy(d, &ld, s, &ls)
        }
        // CUDA tensors returned above; dtypes and devices were checked equal.
        _ => unreachable!("dtypes and devices were checked equal"),
    }
    Ok(())
}

/// Concatenate along `dim`; every other dimension must agree.
pub fn cat(xs: &[Tensor], dim: isize) -> Result<Tensor> {
    let first = xs
        .first()
        .ok_or_else(|| Error::invalid("cat", "needs at least one tensor"))?;
    let d = resolve_dim("cat", dim, first.shape())?;
    let mut shape = first.shape().to_vec();
    shape[d] = 0;
    for x in xs {
        let ok = x.rank() == first.rank()
            && x.shape()
                .iter()
                .zip(first.shape())
                .enumerate()
                .all(|(i, (a, b))| i == d || a == b);
        if !ok {
            return Err(Error::shape_detail(
                "cat",
                first.shape(),
                x.shape(),
                format!("shapes differ outside dimension {d}"),
            ));
        }
        shape[d] += x.shape()[d];
    }
    let out = Tensor::zeros(&shape, first.dtype(), first.device())?;
    let mut start = 0;
    for x in xs {
        let len = x.shape()[d];
        copy_into(&out.narrow(d as isize, start, len)?, x)?;
        start += len;
    }
    Ok(out)
}
