//! `dst += src` into dst's own buffer, for gradient accumulation.
//!
//! Why: a leaf that receives a gradient on every backward (the benchmarks'
//! inputs, a parameter used twice in one graph) would otherwise get a freshly
//! allocated sum each time, one more write stream and allocation than PyTorch's
//! in-place `grad += g`. Only a buffer nobody else can see is updated: the
//! tensor must be the sole owner of its whole storage, so no view, no clone
//! handed out by `grad()`, and no other tensor observes the change.

use crate::dispatch::KElem;
use crate::PARALLEL_THRESHOLD;
use rayon::prelude::*;
use tensor::{Result, StorageKind, Tensor};

/// Add `src` into `dst` in place when `dst` solely owns a contiguous CPU buffer
/// of the same shape and dtype; returns false (changing nothing) otherwise.
pub fn add_assign(dst: &Tensor, src: &Tensor) -> Result<bool> {
    let sole = dst.storage_refcount() == 1
        && !dst.device().is_cuda()
        && !src.device().is_cuda()
        && dst.dtype() == src.dtype()
        && dst.shape() == src.shape()
        && dst.is_contiguous()
        && dst.layout().offset() == 0
        && src.is_contiguous();
    if !sole {
        return Ok(false);
    }
    let src = src.clone();
    let n = dst.numel();
    let mut guard = dst.storage_mut();
    let StorageKind::Cpu(d) = guard.kind_mut() else {
        return Ok(false);
    };
    if d.len() != n {
        return Ok(false);
    }
    let read = src.storage();
    let StorageKind::Cpu(s) = read.kind() else {
        return Ok(false);
    };
    let off = src.layout().offset();
    let done = match dst.dtype() {
        tensor::DType::F32 => add_slices::<f32>(d, s, off, n),
        tensor::DType::F64 => add_slices::<f64>(d, s, off, n),
    };
    Ok(done)
}

fn add_slices<T: KElem>(
    d: &mut tensor::CpuStorage,
    s: &tensor::CpuStorage,
    off: usize,
    n: usize,
) -> bool {
    let (Some(d), Some(s)) = (T::slice_mut(d), T::slice(s)) else {
        return false;
    };
    let s = &s[off..off + n];
    // Same chunking as the elementwise engine; x + y as `BinaryOp::Add`
    // computes it, so the result is bit for bit the out-of-place sum.
    const CHUNK: usize = 1 << 14;
    let add = |(d, s): (&mut [T], &[T])| {
        for (x, &y) in d.iter_mut().zip(s) {
            // `Element` has `Add` but not `AddAssign`
            #[allow(clippy::assign_op_pattern)]
            {
                *x = *x + y;
            }
        }
    };
    if n >= PARALLEL_THRESHOLD {
        d.par_chunks_mut(CHUNK)
            .zip(s.par_chunks(CHUNK))
            .for_each(add);
    } else {
        add((d, s));
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_place_only_when_the_buffer_is_ours_alone() {
        let dst = Tensor::from_vec(vec![1f32, 2., 3.], &[3]).unwrap();
        let src = Tensor::from_vec(vec![10f32, 20., 30.], &[3]).unwrap();
        assert!(add_assign(&dst, &src).unwrap());
        assert_eq!(dst.to_vec_f32().unwrap(), vec![11., 22., 33.]);
        // a second owner (a clone, as `Var::grad()` hands out) must not see a change
        let seen = dst.clone();
        assert!(!add_assign(&dst, &src).unwrap());
        assert_eq!(seen.to_vec_f32().unwrap(), vec![11., 22., 33.]);
        drop(seen);
        // a view of part of a buffer is never written through
        let whole = Tensor::from_vec(vec![0f32; 6], &[2, 3]).unwrap();
        let row = whole.narrow(0, 1, 1).unwrap().view(&[3]).unwrap();
        drop(whole);
        assert!(!add_assign(&row, &src).unwrap());
    }
}
