//! The elementwise engine: walks N strided (possibly broadcast) operands in the
//! row-major order of the output, as runs along the innermost dimension.
//!
//! Dimensions are first merged by `tensor::Layout::merge_dims` (size-1 dims
//! dropped, neighbours merged when every operand is dense across them), so
//! that `[B, F] + [F]` becomes one inner run per row with strides (1, 1) and a
//! contiguous tensor becomes one long run. The inner loops are specialised on
//! unit and zero strides so that LLVM vectorises them.

use crate::PARALLEL_THRESHOLD;
use rayon::prelude::*;
use std::mem::MaybeUninit;
use tensor::Layout;

/// Chunk of output elements per rayon task.
const CHUNK: usize = 1 << 14;

pub(crate) struct Plan<const N: usize> {
    dims: Vec<usize>,
    strides: [Vec<usize>; N],
    offsets: [usize; N],
    numel: usize,
}

impl<const N: usize> Plan<N> {
    /// `layouts` must already have the output's shape (broadcast beforehand).
    /// Their dimensions are merged by `Layout::merge_dims`, as the CUDA
    /// launcher merges them.
    pub(crate) fn new(shape: &[usize], layouts: [&Layout; N]) -> Self {
        let strides: [&[usize]; N] = std::array::from_fn(|k| layouts[k].strides());
        let merged = Layout::merge_dims(shape, &strides);
        let mut per_operand = merged.strides.into_iter();
        Plan {
            numel: shape.iter().product(),
            offsets: std::array::from_fn(|k| layouts[k].offset()),
            dims: merged.shape,
            strides: std::array::from_fn(|_| per_operand.next().unwrap_or_default()),
        }
    }

    pub(crate) fn numel(&self) -> usize {
        self.numel
    }

    /// Visit output positions `start..start+len` as inner runs:
    /// `visit(pos_in_chunk, run_len, operand_offsets, operand_inner_strides)`.
    #[allow(clippy::needless_range_loop)] // k indexes several parallel arrays
    pub(crate) fn for_runs(
        &self,
        start: usize,
        len: usize,
        mut visit: impl FnMut(usize, usize, [usize; N], [usize; N]),
    ) {
        let last = self.dims.len() - 1;
        let inner = self.dims[last];
        let inner_strides: [usize; N] = std::array::from_fn(|k| self.strides[k][last]);
        let end = start + len;
        let mut pos = start;
        while pos < end {
            let (mut row, col) = (pos / inner, pos % inner);
            let mut offs = self.offsets;
            for d in (0..last).rev() {
                let i = row % self.dims[d];
                row /= self.dims[d];
                for k in 0..N {
                    offs[k] += i * self.strides[k][d];
                }
            }
            for k in 0..N {
                offs[k] += col * inner_strides[k];
            }
            let run = (inner - col).min(end - pos);
            visit(pos - start, run, offs, inner_strides);
            pos += run;
        }
    }
}

/// Fill `out` (the whole output) by calling `fill(chunk_start, chunk)` over chunks,
/// in parallel when the output is large.
pub(crate) fn fill_chunks<T: Send>(out: &mut [T], fill: impl Fn(usize, &mut [T]) + Sync) {
    if out.len() >= PARALLEL_THRESHOLD {
        out.par_chunks_mut(CHUNK)
            .enumerate()
            .for_each(|(i, c)| fill(i * CHUNK, c));
    } else {
        fill(0, out);
    }
}

#[inline(always)]
pub(crate) fn run1<T: Copy, U>(
    out: &mut [MaybeUninit<U>],
    a: &[T],
    oa: usize,
    sa: usize,
    f: &impl Fn(T) -> U,
) {
    let n = out.len();
    if sa == 1 {
        for (o, &x) in out.iter_mut().zip(&a[oa..oa + n]) {
            o.write(f(x));
        }
    } else {
        for (i, o) in out.iter_mut().enumerate() {
            o.write(f(a[oa + i * sa]));
        }
    }
}

#[inline(always)]
#[allow(clippy::too_many_arguments)]
pub(crate) fn run2<T: Copy, U>(
    out: &mut [MaybeUninit<U>],
    a: &[T],
    oa: usize,
    sa: usize,
    b: &[T],
    ob: usize,
    sb: usize,
    f: &impl Fn(T, T) -> U,
) {
    let n = out.len();
    match (sa, sb) {
        (1, 1) => {
            for ((o, &x), &y) in out.iter_mut().zip(&a[oa..oa + n]).zip(&b[ob..ob + n]) {
                o.write(f(x, y));
            }
        }
        (1, 0) => {
            let y = b[ob];
            for (o, &x) in out.iter_mut().zip(&a[oa..oa + n]) {
                o.write(f(x, y));
            }
        }
        (0, 1) => {
            let x = a[oa];
            for (o, &y) in out.iter_mut().zip(&b[ob..ob + n]) {
                o.write(f(x, y));
            }
        }
        _ => {
            for (i, o) in out.iter_mut().enumerate() {
                o.write(f(a[oa + i * sa], b[ob + i * sb]));
            }
        }
    }
}

/// True when the CPU has AVX2 and FMA (detected once, then a cached load).
#[inline(always)]
pub(crate) fn has_avx2() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

// The same inner loops compiled a second time with AVX2 enabled: the default
// x86-64 target only allows SSE2, so this doubles the vector width where the
// CPU has it, while the binary still runs on any x86-64.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn run1_avx2<T: Copy, U>(
    out: &mut [MaybeUninit<U>],
    a: &[T],
    oa: usize,
    sa: usize,
    f: &impl Fn(T) -> U,
) {
    run1(out, a, oa, sa, f)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
#[allow(clippy::too_many_arguments)]
unsafe fn run2_avx2<T: Copy, U>(
    out: &mut [MaybeUninit<U>],
    a: &[T],
    oa: usize,
    sa: usize,
    b: &[T],
    ob: usize,
    sb: usize,
    f: &impl Fn(T, T) -> U,
) {
    run2(out, a, oa, sa, b, ob, sb, f)
}

// And once more with AVX-512 (16 lanes): on CPUs that have it the polynomial
// tanh / sigmoid / exp are compute-bound at 8 lanes, and PyTorch's run at 16.
// Each element is still computed alone, by the same operations, so results are
// bit for bit those of the narrower versions.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx2,fma")]
unsafe fn run1_avx512<T: Copy, U>(
    out: &mut [MaybeUninit<U>],
    a: &[T],
    oa: usize,
    sa: usize,
    f: &impl Fn(T) -> U,
) {
    run1(out, a, oa, sa, f)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx2,fma")]
#[allow(clippy::too_many_arguments)]
unsafe fn run2_avx512<T: Copy, U>(
    out: &mut [MaybeUninit<U>],
    a: &[T],
    oa: usize,
    sa: usize,
    b: &[T],
    ob: usize,
    sb: usize,
    f: &impl Fn(T, T) -> U,
) {
    run2(out, a, oa, sa, b, ob, sb, f)
}

/// True when the CPU has AVX-512F besides AVX2 and FMA.
#[inline(always)]
fn has_avx512() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        has_avx2() && std::is_x86_feature_detected!("avx512f")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

#[inline(always)]
fn run1_best<T: Copy, U>(
    out: &mut [MaybeUninit<U>],
    a: &[T],
    oa: usize,
    sa: usize,
    f: &impl Fn(T) -> U,
) {
    #[cfg(target_arch = "x86_64")]
    if has_avx512() {
        // SAFETY: the CPU supports the features run1_avx512 was compiled for.
        return unsafe { run1_avx512(out, a, oa, sa, f) };
    }
    #[cfg(target_arch = "x86_64")]
    if has_avx2() {
        // SAFETY: the CPU supports the features run1_avx2 was compiled for.
        return unsafe { run1_avx2(out, a, oa, sa, f) };
    }
    run1(out, a, oa, sa, f)
}

#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn run2_best<T: Copy, U>(
    out: &mut [MaybeUninit<U>],
    a: &[T],
    oa: usize,
    sa: usize,
    b: &[T],
    ob: usize,
    sb: usize,
    f: &impl Fn(T, T) -> U,
) {
    #[cfg(target_arch = "x86_64")]
    if has_avx512() {
        // SAFETY: the CPU supports the features run2_avx512 was compiled for.
        return unsafe { run2_avx512(out, a, oa, sa, b, ob, sb, f) };
    }
    #[cfg(target_arch = "x86_64")]
    if has_avx2() {
        // SAFETY: the CPU supports the features run2_avx2 was compiled for.
        return unsafe { run2_avx2(out, a, oa, sa, b, ob, sb, f) };
    }
    run2(out, a, oa, sa, b, ob, sb, f)
}

/// out[i] = f(a[i]) over any layout.
pub(crate) fn map1<T: Copy + Sync, U: Copy + Send>(
    a: &[T],
    la: &Layout,
    f: impl Fn(T) -> U + Sync,
) -> Vec<U> {
    let plan = Plan::new(la.shape(), [la]);
    let mut out = Vec::with_capacity(plan.numel());
    fill_chunks(
        &mut out.spare_capacity_mut()[..plan.numel()],
        |start, chunk| {
            plan.for_runs(start, chunk.len(), |p, n, [oa], [sa]| {
                run1_best(&mut chunk[p..p + n], a, oa, sa, &f)
            });
        },
    );
    // SAFETY: the runs of the plan cover every output position exactly once.
    unsafe { out.set_len(plan.numel()) };
    out
}

/// out[i] = f(a[i], b[i]); both layouts already broadcast to the output shape.
pub(crate) fn map2<T: Copy + Sync, U: Copy + Send>(
    a: &[T],
    la: &Layout,
    b: &[T],
    lb: &Layout,
    f: impl Fn(T, T) -> U + Sync,
) -> Vec<U> {
    let plan = Plan::new(la.shape(), [la, lb]);
    let mut out = Vec::with_capacity(plan.numel());
    fill_chunks(
        &mut out.spare_capacity_mut()[..plan.numel()],
        |start, chunk| {
            plan.for_runs(start, chunk.len(), |p, n, [oa, ob], [sa, sb]| {
                run2_best(&mut chunk[p..p + n], a, oa, sa, b, ob, sb, &f)
            });
        },
    );
    // SAFETY: the runs of the plan cover every output position exactly once.
    unsafe { out.set_len(plan.numel()) };
    out
}
