//! Packing of `sgemm`'s operands into the slivers its micro-kernels stream:
//! A in MR-row slivers and B in NR-column slivers, each kc deep, from strided
//! memory or (B) through the conv engine's offset tables. Transposed slivers
//! go through register transposes (`pack_transpose`).

#![cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]

#[cfg(target_arch = "x86_64")]
use super::pack_transpose::{transpose_pack, transpose_pack_a};

/// Pack rows `0..mc` × depth `0..kc` of A into MR-row slivers, each laid out
/// as kc groups of MR values (rows past mc are zero).
///
/// # Safety
/// `a` with strides (rsa, csa) must be readable for mc × kc; `out` must hold
/// ceil(mc / MR) · MR · kc floats.
pub(super) unsafe fn pack_a<const MR: usize>(
    mc: usize,
    kc: usize,
    a: *const f32,
    rsa: usize,
    csa: usize,
    out: *mut f32,
) {
    for (q, i0) in (0..mc).step_by(MR).enumerate() {
        let rows = MR.min(mc - i0);
        let dst = out.add(q * MR * kc);
        if csa == 1 && rows == MR && MR.is_multiple_of(4) && cfg!(target_arch = "x86_64") {
            // rows are contiguous: 4×4 blocks transposed in SSE registers
            #[cfg(target_arch = "x86_64")]
            transpose_pack_a::<MR>(kc, a.add(i0 * rsa), rsa, dst);
        } else if csa == 1 && rows == MR {
            // rows are contiguous: stream along all MR of them at once, so
            // that the writes are sequential (one sliver column after another)
            let src: [*const f32; MR] = std::array::from_fn(|i| a.add((i0 + i) * rsa));
            for p in 0..kc {
                let d = dst.add(p * MR);
                for (i, s) in src.iter().enumerate() {
                    *d.add(i) = *s.add(p);
                }
            }
        } else if csa == 1 {
            // an edge sliver: read along the rows that exist, zeros below
            for i in 0..MR {
                for p in 0..kc {
                    *dst.add(p * MR + i) = if i < rows {
                        *a.add((i0 + i) * rsa + p)
                    } else {
                        0.0
                    };
                }
            }
        } else if rsa == 1 {
            // a transposed operand (the Gᵀ of every weight gradient): each
            // depth step's MR values are already contiguous, so a sliver
            // column is one copy (of a fixed size for a full sliver, zeros
            // below an edge sliver)
            for p in 0..kc {
                let (src, d) = (a.add(i0 + p * csa), dst.add(p * MR));
                if rows == MR {
                    std::ptr::copy_nonoverlapping(src, d, MR);
                } else {
                    std::ptr::copy_nonoverlapping(src, d, rows);
                    std::ptr::write_bytes(d.add(rows), 0, MR - rows);
                }
            }
        } else {
            for p in 0..kc {
                for i in 0..MR {
                    *dst.add(p * MR + i) = if i < rows {
                        *a.add((i0 + i) * rsa + p * csa)
                    } else {
                        0.0
                    };
                }
            }
        }
    }
}

/// Pack depth `0..kc` × columns `0..nc` of B into NR-column slivers, each laid
/// out as kc groups of NR values (columns past nc are zero).
///
/// # Safety
/// `b` with strides (rsb, csb) must be readable for kc × nc; `out` must hold
/// ceil(nc / NR) · NR · kc floats.
pub(super) unsafe fn pack_b<const NR: usize>(
    kc: usize,
    nc: usize,
    b: *const f32,
    rsb: usize,
    csb: usize,
    out: *mut f32,
) {
    for (q, j0) in (0..nc).step_by(NR).enumerate() {
        let cols = NR.min(nc - j0);
        let dst = out.add(q * NR * kc);
        if csb == 1 && cols == NR {
            for p in 0..kc {
                std::ptr::copy_nonoverlapping(b.add(p * rsb + j0), dst.add(p * NR), NR);
            }
        } else if csb == 1 {
            for p in 0..kc {
                for j in 0..NR {
                    *dst.add(p * NR + j) = if j < cols {
                        *b.add(p * rsb + j0 + j)
                    } else {
                        0.0
                    };
                }
            }
        } else if cols == NR && rsb == 1 && NR.is_multiple_of(8) && cfg!(target_arch = "x86_64") {
            // a transposed operand (the Wᵀ of every linear forward), whose
            // columns are contiguous: 8×8 blocks transposed in registers
            #[cfg(target_arch = "x86_64")]
            transpose_pack::<NR>(kc, b.add(j0 * csb), csb, dst);
        } else if cols == NR {
            // a transposed operand: stream along all NR columns at once, so
            // that the writes are sequential
            let src: [*const f32; NR] = std::array::from_fn(|j| b.add((j0 + j) * csb));
            for p in 0..kc {
                let d = dst.add(p * NR);
                for (j, s) in src.iter().enumerate() {
                    *d.add(j) = *s.add(p * rsb);
                }
            }
        } else {
            // an edge sliver of a transposed operand: zeros past the last column
            for j in 0..NR {
                for p in 0..kc {
                    *dst.add(p * NR + j) = if j < cols {
                        *b.add(p * rsb + (j0 + j) * csb)
                    } else {
                        0.0
                    };
                }
            }
        }
    }
}

/// Pack B[p][j] = base[rows[p] + cols[j]] for p in 0..kc, j in 0..nc, like
/// `pack_b`: the implicit im2col of the conv engine (rows: one offset per
/// filter tap, cols: one per output pixel, into the padded images).
///
/// # Safety
/// `base` readable at every rows[p] + cols[j]; `out` as for `pack_b`.
pub(super) unsafe fn pack_b_gather<const NR: usize>(
    rows: &[usize],
    cols: &[usize],
    base: *const f32,
    out: *mut f32,
) {
    let kc = rows.len();
    for (q, j0) in (0..cols.len()).step_by(NR).enumerate() {
        let dst = out.add(q * NR * kc);
        let mut offs = [usize::MAX; NR];
        let n = NR.min(cols.len() - j0);
        offs[..n].copy_from_slice(&cols[j0..j0 + n]);
        if n == NR && offs[NR - 1] == offs[0] + NR - 1 {
            // 16 neighbouring pixels of one output row: a plain copy
            for (p, &r) in rows.iter().enumerate() {
                std::ptr::copy_nonoverlapping(base.add(r + offs[0]), dst.add(p * NR), NR);
            }
        } else if n == NR {
            // a full sliver of scattered pixels: every offset is real
            for (p, &r) in rows.iter().enumerate() {
                let src = base.add(r);
                for (jj, &o) in offs.iter().enumerate() {
                    *dst.add(p * NR + jj) = *src.add(o);
                }
            }
        } else {
            for (p, &r) in rows.iter().enumerate() {
                let src = base.add(r);
                for (jj, &o) in offs.iter().enumerate() {
                    *dst.add(p * NR + jj) = if o == usize::MAX { 0.0 } else { *src.add(o) };
                }
            }
        }
    }
}
