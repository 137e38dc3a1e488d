//! A single-threaded f32 GEMM for the conv engine: BLIS-style blocking with an
//! AVX2 + FMA 6×16 micro-kernel (12 accumulators in registers).
//!
//! Why not matrixmultiply: the conv engine already runs one GEMM per image
//! batch on every rayon worker at once, and matrixmultiply (with its `threading`
//! feature on, as this workspace builds it) splits any GEMM of this size onto
//! its own single helper thread: two workers then queue on that one thread and
//! spin-yield while they wait, which costs throughput and collapses badly when
//! the machine is shared. Its threading cannot be turned off per call; this
//! kernel never spawns anything.
//!
//! C [m, n] (row stride rsc, unit column stride) = A · B (+ C), A and B with any
//! strides: they are copied into packed panels first (A in 6-row slivers, B in
//! 16-column slivers, KC deep), so the micro-kernel only streams contiguous data.

#![cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]

use std::cell::RefCell;

const MR: usize = 6;
const NR: usize = 16;
/// Depth of a packed panel: an A sliver (6 KB) and a B sliver (16 KB) fit in L1.
const KC: usize = 256;
/// Rows of A packed at once (a multiple of MR; 120 KB, in L2).
const MC: usize = 120;
/// Columns of B packed at once (a multiple of NR; 1 MB, in L3).
const NC: usize = 1024;

/// Whether this CPU can run the kernel (checked once; std caches the cpuid).
pub(crate) fn available() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

thread_local! {
    /// Packing buffers, reused across calls on each (rayon worker) thread.
    static PACK: RefCell<(Vec<f32>, Vec<f32>)> = const { RefCell::new((Vec::new(), Vec::new())) };
}

/// A 32-byte aligned window of `len` floats into `buf`.
fn aligned(buf: &mut Vec<f32>, len: usize) -> *mut f32 {
    if buf.len() < len + 8 {
        buf.resize(len + 8, 0.0);
    }
    let p = buf.as_mut_ptr();
    // SAFETY: at most 7 floats in, and `len` more fit in the buffer.
    unsafe { p.add(p.align_offset(32)) }
}

/// Pack rows `0..mc` × depth `0..kc` of A into MR-row slivers, each laid out
/// as kc groups of MR values (rows past mc are zero).
///
/// # Safety
/// `a` with strides (rsa, csa) must be readable for mc × kc; `out` must hold
/// ceil(mc / MR) · MR · kc floats.
unsafe fn pack_a(mc: usize, kc: usize, a: *const f32, rsa: usize, csa: usize, out: *mut f32) {
    for (q, i0) in (0..mc).step_by(MR).enumerate() {
        let rows = MR.min(mc - i0);
        let dst = out.add(q * MR * kc);
        if csa == 1 {
            // rows are contiguous: read along them
            for i in 0..MR {
                for p in 0..kc {
                    *dst.add(p * MR + i) = if i < rows {
                        *a.add((i0 + i) * rsa + p)
                    } else {
                        0.0
                    };
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
unsafe fn pack_b(kc: usize, nc: usize, b: *const f32, rsb: usize, csb: usize, out: *mut f32) {
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
        } else {
            // columns are contiguous (a transposed operand): read along them
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
unsafe fn pack_b_gather(rows: &[usize], cols: &[usize], base: *const f32, out: *mut f32) {
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

/// Where the right operand comes from.
#[derive(Clone, Copy)]
pub(crate) enum Rhs<'a> {
    /// B[p][j] = b[p·rs + j·cs].
    Strided(*const f32, (usize, usize)),
    /// B[p][j] = base[rows[p] + cols[j]] (k = rows.len(), n = cols.len()).
    Gather(*const f32, &'a [usize], &'a [usize]),
}

/// C[0..mr, 0..nr] (row stride rsc) = (or +=, when `load`) the product of one
/// packed A sliver and one packed B sliver of depth kc.
///
/// # Safety
/// The slivers hold kc·MR and kc·NR floats; C is writable for mr × nr; the CPU
/// has AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
#[allow(clippy::too_many_arguments)]
unsafe fn kernel_6x16(
    kc: usize,
    a: *const f32,
    b: *const f32,
    c: *mut f32,
    rsc: usize,
    mr: usize,
    nr: usize,
    load: bool,
) {
    use std::arch::x86_64::*;
    let mut acc = [[_mm256_setzero_ps(); 2]; MR];
    let (mut a, mut b) = (a, b);
    for _ in 0..kc {
        let b0 = _mm256_load_ps(b);
        let b1 = _mm256_load_ps(b.add(8));
        for (i, row) in acc.iter_mut().enumerate() {
            let ai = _mm256_broadcast_ss(&*a.add(i));
            row[0] = _mm256_fmadd_ps(ai, b0, row[0]);
            row[1] = _mm256_fmadd_ps(ai, b1, row[1]);
        }
        a = a.add(MR);
        b = b.add(NR);
    }
    if mr == MR && nr == NR {
        for (i, row) in acc.iter().enumerate() {
            let dst = c.add(i * rsc);
            let (mut v0, mut v1) = (row[0], row[1]);
            if load {
                v0 = _mm256_add_ps(v0, _mm256_loadu_ps(dst));
                v1 = _mm256_add_ps(v1, _mm256_loadu_ps(dst.add(8)));
            }
            _mm256_storeu_ps(dst, v0);
            _mm256_storeu_ps(dst.add(8), v1);
        }
    } else {
        // an edge tile: spill and write only the valid part
        let mut tmp = [0f32; MR * NR];
        for (i, row) in acc.iter().enumerate() {
            _mm256_storeu_ps(tmp.as_mut_ptr().add(i * NR), row[0]);
            _mm256_storeu_ps(tmp.as_mut_ptr().add(i * NR + 8), row[1]);
        }
        for i in 0..mr {
            for j in 0..nr {
                let d = c.add(i * rsc + j);
                *d = if load {
                    *d + tmp[i * NR + j]
                } else {
                    tmp[i * NR + j]
                };
            }
        }
    }
}

/// A left operand packed once for many products (the conv weights, reused by
/// every image batch). Blocks of depth KC are stored one after another, each
/// holding all the MR-row slivers: block (pc, ic) starts at pc·m̄ + ic·kc with
/// m̄ = m rounded up to MR.
pub(crate) struct PackedA {
    buf: Vec<f32>,
    off: usize,
    m: usize,
    k: usize,
}

impl PackedA {
    /// # Safety
    /// `a` with strides `sa` must be readable for m × k.
    pub(crate) unsafe fn new(m: usize, k: usize, a: *const f32, sa: (usize, usize)) -> PackedA {
        let mpad = m.div_ceil(MR) * MR;
        let mut buf = vec![0f32; mpad * k + 8];
        let off = buf.as_ptr().align_offset(32);
        let base = buf.as_mut_ptr().add(off);
        for pc in (0..k).step_by(KC) {
            let kc = KC.min(k - pc);
            for ic in (0..m).step_by(MC) {
                let mc = MC.min(m - ic);
                pack_a(
                    mc,
                    kc,
                    a.add(ic * sa.0 + pc * sa.1),
                    sa.0,
                    sa.1,
                    base.add(pc * mpad + ic * kc),
                );
            }
        }
        PackedA { buf, off, m, k }
    }
    pub(crate) fn rows(&self) -> usize {
        self.m
    }
    pub(crate) fn depth(&self) -> usize {
        self.k
    }
    fn block(&self, pc: usize, ic: usize) -> *const f32 {
        let mpad = self.m.div_ceil(MR) * MR;
        // SAFETY: pc < k and ic < m, so the block lies inside the buffer.
        unsafe {
            self.buf
                .as_ptr()
                .add(self.off + pc * mpad + ic * KC.min(self.k - pc))
        }
    }
}

/// Where the left operand comes from: strided memory, packed per block as the
/// product goes, or packed beforehand.
#[derive(Clone, Copy)]
pub(crate) enum Lhs<'a> {
    Strided(*const f32, (usize, usize)),
    Packed(&'a PackedA),
}

/// C = A·B (+ C when `accumulate`), single-threaded.
///
/// # Safety
/// A (m × k) and B (k × n) must be readable as described by `a` and `b`, and C
/// (m × n, row stride rsc, unit column stride) writable; `available()` is true.
#[cfg(target_arch = "x86_64")]
#[allow(clippy::too_many_arguments)]
pub(crate) unsafe fn sgemm(
    m: usize,
    k: usize,
    n: usize,
    a: Lhs<'_>,
    b: Rhs<'_>,
    accumulate: bool,
    c: *mut f32,
    rsc: usize,
) {
    PACK.with(|bufs| {
        let (abuf, bbuf) = &mut *bufs.borrow_mut();
        let pa = aligned(abuf, MC * KC);
        let pb = aligned(bbuf, KC * NC);
        for jc in (0..n).step_by(NC) {
            let nc = NC.min(n - jc);
            for pc in (0..k).step_by(KC) {
                let kc = KC.min(k - pc);
                match b {
                    Rhs::Strided(b, sb) => {
                        pack_b(kc, nc, b.add(pc * sb.0 + jc * sb.1), sb.0, sb.1, pb)
                    }
                    Rhs::Gather(base, rows, cols) => {
                        pack_b_gather(&rows[pc..pc + kc], &cols[jc..jc + nc], base, pb)
                    }
                }
                let load = accumulate || pc > 0;
                for ic in (0..m).step_by(MC) {
                    let mc = MC.min(m - ic);
                    let pa = match a {
                        Lhs::Strided(a, sa) => {
                            pack_a(mc, kc, a.add(ic * sa.0 + pc * sa.1), sa.0, sa.1, pa);
                            pa as *const f32
                        }
                        Lhs::Packed(p) => p.block(pc, ic),
                    };
                    for jr in (0..nc).step_by(NR) {
                        for ir in (0..mc).step_by(MR) {
                            kernel_6x16(
                                kc,
                                pa.add(ir * kc),
                                pb.add(jr * kc),
                                c.add((ic + ir) * rsc + jc + jr),
                                rsc,
                                MR.min(mc - ir),
                                NR.min(nc - jr),
                                load,
                            );
                        }
                    }
                }
            }
        }
    })
}
