//! The CPU side of `kernels::random`: Philox4x32-10 (random.cu's generator,
//! bit for bit) computed for `LANES` blocks at once, and the maps from words
//! to uniform, normal and dropout-mask values written as random.cu writes them.
//!
//! A draw of n elements with (seed, offset) is element i = map(word i % 4 of
//! block i / 4); blocks are independent, so any split over threads or lanes
//! gives the same bits. The block loop is plain Rust over arrays of lanes
//! (LLVM turns the 32×32→64 products into `vpmuludq`), compiled three times:
//! baseline, AVX2 and AVX-512, chosen at run time as in the rest of the crate.

use rayon::prelude::*;

const M0: u32 = 0xD251_1F53;
const M1: u32 = 0xCD9E_8D57;
const W0: u32 = 0x9E37_79B9;
const W1: u32 = 0xBB67_AE85;

/// Blocks computed together: 16 u32 lanes fill one AVX-512 register.
const LANES: usize = 16;
/// Elements of one group of `LANES` blocks.
const GROUP: usize = 4 * LANES;
/// Elements per parallel task (a multiple of `GROUP`).
const TASK: usize = 64 * GROUP;

/// Philox4x32 with 10 rounds (Salmon et al., SC'11; Random123's philox4x32_10).
pub fn philox4x32_10(mut c: [u32; 4], mut k: [u32; 2]) -> [u32; 4] {
    for r in 0..10 {
        if r > 0 {
            k[0] = k[0].wrapping_add(W0);
            k[1] = k[1].wrapping_add(W1);
        }
        let p0 = (M0 as u64) * (c[0] as u64);
        let p1 = (M1 as u64) * (c[2] as u64);
        c = [
            ((p1 >> 32) as u32) ^ c[1] ^ k[0],
            p1 as u32,
            ((p0 >> 32) as u32) ^ c[3] ^ k[1],
            p0 as u32,
        ];
    }
    c
}

/// The words of blocks q0 .. q0 + LANES, word-major: `w[j][l]` is word j of
/// block q0 + l. The same rounds as `philox4x32_10`, one lane per block.
#[inline(always)]
fn blocks(q0: u64, seed: u64, offset: u64) -> [[u32; LANES]; 4] {
    let mut c0 = [0u32; LANES];
    let mut c1 = [0u32; LANES];
    let mut c2 = [offset as u32; LANES];
    let mut c3 = [(offset >> 32) as u32; LANES];
    for l in 0..LANES {
        let q = q0.wrapping_add(l as u64);
        c0[l] = q as u32;
        c1[l] = (q >> 32) as u32;
    }
    let (mut k0, mut k1) = (seed as u32, (seed >> 32) as u32);
    for r in 0..10 {
        if r > 0 {
            k0 = k0.wrapping_add(W0);
            k1 = k1.wrapping_add(W1);
        }
        for l in 0..LANES {
            let p0 = (M0 as u64) * (c0[l] as u64);
            let p1 = (M1 as u64) * (c2[l] as u64);
            let next = [
                ((p1 >> 32) as u32) ^ c1[l] ^ k0,
                p1 as u32,
                ((p0 >> 32) as u32) ^ c3[l] ^ k1,
                p0 as u32,
            ];
            (c0[l], c1[l], c2[l], c3[l]) = (next[0], next[1], next[2], next[3]);
        }
    }
    [c0, c1, c2, c3]
}

/// [0, 1) from the top 24 bits: exact in f32 (random.cu's `unit`).
#[inline(always)]
pub(crate) fn unit(x: u32) -> f32 {
    (x >> 8) as f32 * (1.0 / 16_777_216.0)
}

/// (0, 1]: safe for ln (random.cu's `unit_open0`).
#[inline(always)]
fn unit_open0(x: u32) -> f32 {
    ((x >> 8) + 1) as f32 * (1.0 / 16_777_216.0)
}

/// `out` (element `first` of the stream onwards; `first` a multiple of
/// GROUP) filled group by group; `f` maps one block's 4 words to 4 values.
#[inline(always)]
fn fill_range(
    out: &mut [f32],
    first: u64,
    seed: u64,
    offset: u64,
    f: &impl Fn([u32; 4]) -> [f32; 4],
) {
    for (g, chunk) in out.chunks_mut(GROUP).enumerate() {
        let w = blocks(first / 4 + (g * LANES) as u64, seed, offset);
        let mut v = [0f32; GROUP];
        for l in 0..LANES {
            let x = f([w[0][l], w[1][l], w[2][l], w[3][l]]);
            v[4 * l..4 * l + 4].copy_from_slice(&x);
        }
        chunk.copy_from_slice(&v[..chunk.len()]);
    }
}

// `fill_range` compiled again for AVX2 and AVX-512: the baseline x86-64
// target has SSE2's 4 lanes and no FMA (then `mul_add` is a libm call).
// Every lane computes exactly what the scalar code does, so the bits are the
// same on every CPU.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn fill_range_avx2(
    out: &mut [f32],
    first: u64,
    seed: u64,
    offset: u64,
    f: &impl Fn([u32; 4]) -> [f32; 4],
) {
    fill_range(out, first, seed, offset, f)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx2,fma")]
unsafe fn fill_range_avx512(
    out: &mut [f32],
    first: u64,
    seed: u64,
    offset: u64,
    f: &impl Fn([u32; 4]) -> [f32; 4],
) {
    fill_range(out, first, seed, offset, f)
}

/// Which copy of `fill_range` this CPU runs (detected once, then a cached load).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Isa {
    Avx512,
    Avx2,
    Baseline,
}

fn isa() -> Isa {
    #[cfg(target_arch = "x86_64")]
    {
        let avx2 = is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma");
        if avx2 && is_x86_feature_detected!("avx512f") {
            return Isa::Avx512;
        }
        if avx2 {
            return Isa::Avx2;
        }
    }
    Isa::Baseline
}

/// `fill_range` in the widest form this CPU runs.
fn fill_range_best(
    out: &mut [f32],
    first: u64,
    seed: u64,
    offset: u64,
    f: &impl Fn([u32; 4]) -> [f32; 4],
) {
    #[cfg(target_arch = "x86_64")]
    {
        let isa = isa();
        if isa == Isa::Avx512 {
            // SAFETY: the features were just detected.
            return unsafe { fill_range_avx512(out, first, seed, offset, f) };
        }
        if isa == Isa::Avx2 {
            // SAFETY: the features were just detected.
            return unsafe { fill_range_avx2(out, first, seed, offset, f) };
        }
    }
    fill_range(out, first, seed, offset, f)
}

/// `n` values of the stream (seed, offset), four per block; threads take
/// `TASK`-element ranges when the draw is large.
fn fill(n: usize, seed: u64, offset: u64, f: impl Fn([u32; 4]) -> [f32; 4] + Sync) -> Vec<f32> {
    let mut out = vec![0f32; n];
    if n >= crate::PARALLEL_THRESHOLD {
        out.par_chunks_mut(TASK)
            .enumerate()
            .for_each(|(t, part)| fill_range_best(part, (t * TASK) as u64, seed, offset, &f));
    } else {
        fill_range_best(&mut out, 0, seed, offset, &f);
    }
    out
}

/// `n` uniform values in [lo, hi): lo + (hi − lo)·u, fused as random.cu's fmaf.
pub(crate) fn uniform(n: usize, lo: f32, hi: f32, seed: u64, offset: u64) -> Vec<f32> {
    let span = hi - lo;
    fill(n, seed, offset, |w| w.map(|x| span.mul_add(unit(x), lo)))
}

/// `n` normal values N(mean, std²) by Box–Muller on word pairs, random.cu's
/// formula operation for operation. `ln`, `sqrt`, `cos`, `sin` are the host
/// libm's (sqrt is exact everywhere; CUDA's logf, cosf, sinf are within 1–2
/// ulp of the true value, so a real GPU may differ from this in the last bits).
pub(crate) fn normal(n: usize, mean: f32, std: f32, seed: u64, offset: u64) -> Vec<f32> {
    fill(n, seed, offset, |w| {
        let r0 = (-2.0 * unit_open0(w[0]).ln()).sqrt();
        let t0 = 6.283_185_5 * unit(w[1]);
        let r1 = (-2.0 * unit_open0(w[2]).ln()).sqrt();
        let t1 = 6.283_185_5 * unit(w[3]);
        [r0 * t0.cos(), r0 * t0.sin(), r1 * t1.cos(), r1 * t1.sin()].map(|z| std.mul_add(z, mean))
    })
}

/// `n` inverted-dropout mask values: 0 where u < p (u from 24 bits, compared
/// in f32 as random.cu does), else `scale`.
pub(crate) fn dropout_mask(n: usize, p: f32, scale: f32, seed: u64, offset: u64) -> Vec<f32> {
    fill(n, seed, offset, |w| {
        w.map(|x| if unit(x) < p { 0.0 } else { scale })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The scalar definition: element i from `philox4x32_10` alone.
    fn scalar_words(n: usize, seed: u64, offset: u64) -> Vec<u32> {
        (0..n)
            .map(|i| {
                let q = (i / 4) as u64;
                let c = [
                    q as u32,
                    (q >> 32) as u32,
                    offset as u32,
                    (offset >> 32) as u32,
                ];
                philox4x32_10(c, [seed as u32, (seed >> 32) as u32])[i % 4]
            })
            .collect()
    }

    #[test]
    fn lanes_and_threads_give_the_scalar_words() {
        // Sizes around a group, a task and the parallel threshold, odd tails.
        let seed = 0x0123_4567_89AB_CDEF;
        let offset = 0xFEDC_BA98_7654_3210;
        for n in [
            1,
            3,
            GROUP - 1,
            GROUP + 5,
            TASK + 7,
            crate::PARALLEL_THRESHOLD + 13,
        ] {
            let want = scalar_words(n, seed, offset);
            let got = fill(n, seed, offset, |w| w.map(f32::from_bits));
            let got: Vec<u32> = got.iter().map(|x| x.to_bits()).collect();
            assert_eq!(got, want, "n = {n}");
        }
    }

    #[test]
    fn every_dispatch_level_gives_the_same_bits() {
        let f = |w: [u32; 4]| w.map(|x| 0.5f32.mul_add(unit(x), -0.25));
        let n = 3 * GROUP + 9;
        let mut base = vec![0f32; n];
        fill_range(&mut base, 0, 11, 2, &f);
        #[cfg(target_arch = "x86_64")]
        {
            let mut v = vec![0f32; n];
            if isa() != Isa::Baseline {
                // SAFETY: detected.
                unsafe { fill_range_avx2(&mut v, 0, 11, 2, &f) };
                assert_eq!(v, base);
            }
            if isa() == Isa::Avx512 {
                // SAFETY: detected.
                unsafe { fill_range_avx512(&mut v, 0, 11, 2, &f) };
                assert_eq!(v, base);
            }
        }
    }
}
