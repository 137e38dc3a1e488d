//! Batch-norm kernels over contiguous x viewed as [n, c, s] (s = spatial size,
//! 1 for [N, C] input). Per-channel sums run in parallel over channels, in f64
//! with 8 independent lanes (vectorisable, and far more accurate than a running
//! f32 sum over 10⁶ elements); the elementwise passes run in parallel over the
//! n rows, with per-channel coefficients precomputed in f64. Both are compiled
//! a second time with AVX2 for the CPUs that have it.

use crate::PARALLEL_THRESHOLD;
use rayon::prelude::*;
use tensor::Element;

/// Shape of x as [n, c, s].
#[derive(Clone, Copy, Debug)]
pub(crate) struct Ncs {
    pub n: usize,
    pub c: usize,
    pub s: usize,
}

impl Ncs {
    /// Elements per channel.
    pub(crate) fn m(&self) -> usize {
        self.n * self.s
    }
}

/// Over one channel's n blocks of s elements: Σ (a − ka) and
/// Σ (a − ka)·(b − kb). With b = a this gives the shifted moments; with a = g
/// it gives Σ g and Σ g·(x − mean).
fn channel_sums<T: Element>(d: Ncs, ch: usize, a: &[T], ka: f64, b: &[T], kb: f64) -> (f64, f64) {
    #[cfg(target_arch = "x86_64")]
    if crate::elementwise::strided::has_avx2() {
        if std::any::TypeId::of::<T>() == std::any::TypeId::of::<f32>() {
            // SAFETY: T is f32 (checked just above), so the slices are f32
            // slices; the CPU has the features channel_sums_f32_avx2 uses.
            return unsafe {
                let a = std::slice::from_raw_parts(a.as_ptr().cast::<f32>(), a.len());
                let b = std::slice::from_raw_parts(b.as_ptr().cast::<f32>(), b.len());
                channel_sums_f32_avx2(d, ch, a, ka, b, kb)
            };
        }
        // SAFETY: the CPU has the features channel_sums_avx2 was compiled for.
        return unsafe { channel_sums_avx2(d, ch, a, ka, b, kb) };
    }
    channel_sums_impl(d, ch, a, ka, b, kb)
}

/// `channel_sums_impl` for f32 with explicit 4-wide f64 vectors (LLVM left the
/// generic loop scalar). Lanes 0–3 and 4–7 are the generic version's 8 lanes,
/// each updated by the same operations (subtract, add; multiply then add, no
/// FMA) and summed in the same order, so the result is bit for bit the same.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn channel_sums_f32_avx2(
    d: Ncs,
    ch: usize,
    a: &[f32],
    ka: f64,
    b: &[f32],
    kb: f64,
) -> (f64, f64) {
    use std::arch::x86_64::*;
    let (kav, kbv) = (_mm256_set1_pd(ka), _mm256_set1_pd(kb));
    let z = _mm256_setzero_pd();
    let (mut s1, mut s2) = ([z, z], [z, z]);
    let (mut t1, mut t2) = (0.0, 0.0);
    for i in 0..d.n {
        let r = (i * d.c + ch) * d.s..(i * d.c + ch + 1) * d.s;
        let (ra, rb) = (&a[r.clone()], &b[r]);
        let full = ra.len() / 8 * 8;
        for j in (0..full).step_by(8) {
            let xa = _mm256_loadu_ps(ra.as_ptr().add(j));
            let xb = _mm256_loadu_ps(rb.as_ptr().add(j));
            let halves = [
                (_mm256_castps256_ps128(xa), _mm256_castps256_ps128(xb)),
                (_mm256_extractf128_ps(xa, 1), _mm256_extractf128_ps(xb, 1)),
            ];
            for (h, (ha, hb)) in halves.into_iter().enumerate() {
                let da = _mm256_sub_pd(_mm256_cvtps_pd(ha), kav);
                let db = _mm256_sub_pd(_mm256_cvtps_pd(hb), kbv);
                s1[h] = _mm256_add_pd(s1[h], da);
                s2[h] = _mm256_add_pd(s2[h], _mm256_mul_pd(da, db));
            }
        }
        for (&xa, &xb) in ra[full..].iter().zip(&rb[full..]) {
            let da = xa as f64 - ka;
            t1 += da;
            t2 += da * (xb as f64 - kb);
        }
    }
    let lanes = |v: [__m256d; 2]| {
        let mut out = [0f64; 8];
        _mm256_storeu_pd(out.as_mut_ptr(), v[0]);
        _mm256_storeu_pd(out.as_mut_ptr().add(4), v[1]);
        out.iter().sum::<f64>()
    };
    (lanes(s1) + t1, lanes(s2) + t2)
}

// The default x86-64 target only has SSE2 (2 f64 lanes); compiled again with
// AVX2 the f32→f64 conversions and the sums run 4 wide.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn channel_sums_avx2<T: Element>(
    d: Ncs,
    ch: usize,
    a: &[T],
    ka: f64,
    b: &[T],
    kb: f64,
) -> (f64, f64) {
    channel_sums_impl(d, ch, a, ka, b, kb)
}

/// 8 independent f64 lanes (vectorisable, and far more accurate than a running
/// f32 sum), carried across the channel's blocks and added up once at the end:
/// for small spatial sizes (4×4) a horizontal sum per block cost more than the
/// block's arithmetic.
#[inline(always)]
fn channel_sums_impl<T: Element>(
    d: Ncs,
    ch: usize,
    a: &[T],
    ka: f64,
    b: &[T],
    kb: f64,
) -> (f64, f64) {
    let (mut s1, mut s2) = ([0f64; 8], [0f64; 8]);
    let (mut t1, mut t2) = (0.0, 0.0);
    for i in 0..d.n {
        let r = (i * d.c + ch) * d.s..(i * d.c + ch + 1) * d.s;
        let (ca, cb) = (a[r.clone()].chunks_exact(8), b[r].chunks_exact(8));
        let (ra, rb) = (ca.remainder(), cb.remainder());
        for (xa, xb) in ca.zip(cb) {
            for l in 0..8 {
                let da = xa[l].to_f64() - ka;
                s1[l] += da;
                s2[l] += da * (xb[l].to_f64() - kb);
            }
        }
        for (xa, xb) in ra.iter().zip(rb) {
            let da = xa.to_f64() - ka;
            t1 += da;
            t2 += da * (xb.to_f64() - kb);
        }
    }
    (s1.iter().sum::<f64>() + t1, s2.iter().sum::<f64>() + t2)
}

/// For each channel, `channel_sums` with that channel's shifts.
fn per_channel<T: Element>(
    d: Ncs,
    a: &[T],
    b: &[T],
    shift: impl Fn(usize) -> (f64, f64) + Sync,
) -> Vec<(f64, f64)> {
    let one = |ch: usize| {
        let (ka, kb) = shift(ch);
        channel_sums(d, ch, a, ka, b, kb)
    };
    if d.n * d.c * d.s >= PARALLEL_THRESHOLD {
        (0..d.c).into_par_iter().map(one).collect()
    } else {
        (0..d.c).map(one).collect()
    }
}

/// Per channel (mean, biased variance), by moments about the channel's first
/// element so that a large common offset does not cancel catastrophically.
pub(crate) fn moments<T: Element>(d: Ncs, x: &[T]) -> Vec<(f64, f64)> {
    let m = d.m() as f64;
    let first = |ch: usize| {
        let k = x[ch * d.s].to_f64();
        (k, k)
    };
    per_channel(d, x, x, first)
        .into_iter()
        .enumerate()
        .map(|(ch, (s1, s2))| {
            let k = x[ch * d.s].to_f64();
            let mu = s1 / m;
            (k + mu, (s2 / m - mu * mu).max(0.0))
        })
        .collect()
}

/// Per channel (Σ g, Σ g·(x − mean[c])).
pub(crate) fn grad_sums<T: Element>(d: Ncs, g: &[T], x: &[T], mean: &[f64]) -> Vec<(f64, f64)> {
    per_channel(d, g, x, |ch| (0.0, mean[ch]))
}

/// out[n, c, s] = a[n,c,s]·k[c].0 + (b[n,c,s] − k[c].1)·k[c].2 + k[c].3 (the
/// first term only when `a` is given): the forward y = (x − mean)·γ/σ + β and
/// the backward dx = g·k₁ + (x − mean)·k₂ + k₃ are both this shape.
pub(crate) fn affine<T: Element>(d: Ncs, a: Option<&[T]>, b: &[T], k: &[[f64; 4]]) -> Vec<T> {
    let row = d.c * d.s;
    let kt: Vec<[T; 4]> = k.iter().map(|v| v.map(T::from_f64)).collect();
    by_rows(d, |i, o| {
        let a = a.map(|a| &a[i * row..(i + 1) * row]);
        #[cfg(target_arch = "x86_64")]
        if crate::elementwise::strided::has_avx2() {
            // SAFETY: the CPU has the features affine_row_avx2 was compiled for.
            return unsafe { affine_row_avx2(d.s, a, &b[i * row..(i + 1) * row], &kt, o) };
        }
        affine_row(d.s, a, &b[i * row..(i + 1) * row], &kt, o)
    })
}

/// A new [n, c, s] buffer, each of its n rows filled by `fill(i, row)`, in
/// parallel when the buffer is large.
fn by_rows<T: Element>(d: Ncs, fill: impl Fn(usize, &mut [T]) + Sync) -> Vec<T> {
    let row = d.c * d.s;
    let mut out = vec![T::ZERO; d.n * row];
    if row == 0 {
        return out;
    }
    let min_rows = (PARALLEL_THRESHOLD / row).max(1);
    if d.n * row >= PARALLEL_THRESHOLD {
        out.par_chunks_mut(row)
            .with_min_len(min_rows)
            .enumerate()
            .for_each(|(i, o)| fill(i, o));
    } else {
        out.chunks_mut(row)
            .enumerate()
            .for_each(|(i, o)| fill(i, o));
    }
    out
}

/// One row [c, s] of `affine`.
#[inline(always)]
fn affine_row<T: Element>(s: usize, a: Option<&[T]>, b: &[T], kt: &[[T; 4]], o: &mut [T]) {
    for (ch, kc) in kt.iter().enumerate() {
        let r = ch * s..(ch + 1) * s;
        let [k0, mean, k2, k3] = *kc;
        let dst = &mut o[r.clone()];
        match a {
            Some(a) => {
                for ((y, &av), &bv) in dst.iter_mut().zip(&a[r.clone()]).zip(&b[r]) {
                    *y = av * k0 + (bv - mean) * k2 + k3;
                }
            }
            None => {
                for (y, &bv) in dst.iter_mut().zip(&b[r]) {
                    *y = (bv - mean) * k2 + k3;
                }
            }
        }
    }
}

// `affine_row` with 8-wide f32 vectors (the default target has 4-wide SSE2).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn affine_row_avx2<T: Element>(
    s: usize,
    a: Option<&[T]>,
    b: &[T],
    kt: &[[T; 4]],
    o: &mut [T],
) {
    affine_row(s, a, b, kt, o)
}

/// out[n, c, s] = a·k[c].0 + b·k[c].1 + (x − k[c].2)·k[c].3 + k[c].4: batch
/// norm's double-backward dx, from g, the incoming gradient and x.
pub(crate) fn affine3<T: Element>(d: Ncs, a: &[T], b: &[T], x: &[T], k: &[[f64; 5]]) -> Vec<T> {
    let row = d.c * d.s;
    let kt: Vec<[T; 5]> = k.iter().map(|v| v.map(T::from_f64)).collect();
    by_rows(d, |i, o| {
        let r = i * row..(i + 1) * row;
        let (a, b, x) = (&a[r.clone()], &b[r.clone()], &x[r]);
        #[cfg(target_arch = "x86_64")]
        if crate::elementwise::strided::has_avx2() {
            // SAFETY: the CPU has the features affine3_row_avx2 was compiled for.
            return unsafe { affine3_row_avx2(d.s, a, b, x, &kt, o) };
        }
        affine3_row(d.s, a, b, x, &kt, o)
    })
}

/// One row [c, s] of `affine3`.
#[inline(always)]
fn affine3_row<T: Element>(s: usize, a: &[T], b: &[T], x: &[T], kt: &[[T; 5]], o: &mut [T]) {
    for (ch, kc) in kt.iter().enumerate() {
        let r = ch * s..(ch + 1) * s;
        let [k0, k1, mean, k3, k4] = *kc;
        let rows = o[r.clone()]
            .iter_mut()
            .zip(&a[r.clone()])
            .zip(&b[r.clone()])
            .zip(&x[r]);
        for (((y, &av), &bv), &xv) in rows {
            *y = av * k0 + bv * k1 + (xv - mean) * k3 + k4;
        }
    }
}

// `affine3_row` with 8-wide f32 vectors.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn affine3_row_avx2<T: Element>(
    s: usize,
    a: &[T],
    b: &[T],
    x: &[T],
    kt: &[[T; 5]],
    o: &mut [T],
) {
    affine3_row(s, a, b, x, kt, o)
}
