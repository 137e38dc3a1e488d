//! Packing of transposed slivers for `sgemm` through register transposes:
//! the row-major A of every linear forward and the transposed B (the Wᵀ of
//! every linear forward) are stored across the order the micro-kernel reads
//! them, and one scalar load and store per element made their packing a fifth
//! of the single-threaded mlp step.

/// One MR-row sliver of a row-major A (A[i][p] = a[i·rsa + p]):
/// out[p·MR + i] = A[i][p], through 4×4 SSE register transposes (SSE is in
/// every x86-64, so no feature check): 4 loads, 8 shuffles and 4 stores per
/// 16 elements instead of 16 scalar loads and stores.
///
/// # Safety
/// `a` readable for MR rows × kc; `out` writable for kc·MR floats.
#[cfg(target_arch = "x86_64")]
pub(super) unsafe fn transpose_pack_a<const MR: usize>(
    kc: usize,
    a: *const f32,
    rsa: usize,
    out: *mut f32,
) {
    use std::arch::x86_64::*;
    let full = kc / 4 * 4;
    for ib in (0..MR).step_by(4) {
        let row = |i: usize| a.add((ib + i) * rsa);
        for p in (0..full).step_by(4) {
            let r0 = _mm_loadu_ps(row(0).add(p));
            let r1 = _mm_loadu_ps(row(1).add(p));
            let r2 = _mm_loadu_ps(row(2).add(p));
            let r3 = _mm_loadu_ps(row(3).add(p));
            let t0 = _mm_unpacklo_ps(r0, r1);
            let t1 = _mm_unpacklo_ps(r2, r3);
            let t2 = _mm_unpackhi_ps(r0, r1);
            let t3 = _mm_unpackhi_ps(r2, r3);
            // depth p + k, rows ib..ib+4
            let cols = [
                _mm_movelh_ps(t0, t1),
                _mm_movehl_ps(t1, t0),
                _mm_movelh_ps(t2, t3),
                _mm_movehl_ps(t3, t2),
            ];
            for (k, v) in cols.iter().enumerate() {
                _mm_storeu_ps(out.add((p + k) * MR + ib), *v);
            }
        }
        for p in full..kc {
            for i in 0..4 {
                *out.add(p * MR + ib + i) = *row(i).add(p);
            }
        }
    }
}

/// One NR-column sliver of a B whose columns are contiguous (B[p][j] =
/// b[j·csb + p]): out[p·NR + j] = B[p][j], through 8×8 register transposes,
/// about 4× faster than one scalar load and store per element (this packing
/// was a seventh of the single-threaded mlp step).
///
/// # Safety
/// AVX2 (every kernel of `Isa` needs it); `b` readable for NR columns × kc;
/// `out` writable for kc·NR floats.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
pub(super) unsafe fn transpose_pack<const NR: usize>(
    kc: usize,
    b: *const f32,
    csb: usize,
    out: *mut f32,
) {
    use std::arch::x86_64::*;
    let full = kc / 8 * 8;
    for jb in (0..NR).step_by(8) {
        let col = |j: usize| b.add((jb + j) * csb);
        for p in (0..full).step_by(8) {
            let r: [__m256; 8] = std::array::from_fn(|j| _mm256_loadu_ps(col(j).add(p)));
            let t0 = _mm256_unpacklo_ps(r[0], r[1]);
            let t1 = _mm256_unpackhi_ps(r[0], r[1]);
            let t2 = _mm256_unpacklo_ps(r[2], r[3]);
            let t3 = _mm256_unpackhi_ps(r[2], r[3]);
            let t4 = _mm256_unpacklo_ps(r[4], r[5]);
            let t5 = _mm256_unpackhi_ps(r[4], r[5]);
            let t6 = _mm256_unpacklo_ps(r[6], r[7]);
            let t7 = _mm256_unpackhi_ps(r[6], r[7]);
            let u0 = _mm256_shuffle_ps::<0x44>(t0, t2);
            let u1 = _mm256_shuffle_ps::<0xEE>(t0, t2);
            let u2 = _mm256_shuffle_ps::<0x44>(t1, t3);
            let u3 = _mm256_shuffle_ps::<0xEE>(t1, t3);
            let u4 = _mm256_shuffle_ps::<0x44>(t4, t6);
            let u5 = _mm256_shuffle_ps::<0xEE>(t4, t6);
            let u6 = _mm256_shuffle_ps::<0x44>(t5, t7);
            let u7 = _mm256_shuffle_ps::<0xEE>(t5, t7);
            // row k of the transposed block: depth p + k, columns jb..jb+8
            let rows = [
                _mm256_permute2f128_ps::<0x20>(u0, u4),
                _mm256_permute2f128_ps::<0x20>(u1, u5),
                _mm256_permute2f128_ps::<0x20>(u2, u6),
                _mm256_permute2f128_ps::<0x20>(u3, u7),
                _mm256_permute2f128_ps::<0x31>(u0, u4),
                _mm256_permute2f128_ps::<0x31>(u1, u5),
                _mm256_permute2f128_ps::<0x31>(u2, u6),
                _mm256_permute2f128_ps::<0x31>(u3, u7),
            ];
            for (k, v) in rows.iter().enumerate() {
                _mm256_storeu_ps(out.add((p + k) * NR + jb), *v);
            }
        }
        for p in full..kc {
            for j in 0..8 {
                *out.add(p * NR + jb + j) = *col(j).add(p);
            }
        }
    }
}
