//! A single-threaded f32 GEMM for the conv engine and the CPU matmul: BLIS-style
//! blocking around the register-tiled micro-kernels of `microkernel` (AVX-512
//! 12×32 where the CPU has it, else AVX2 + FMA 6×16).
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
//! strides: they are copied into packed panels first (A in MR-row slivers, B in
//! NR-column slivers, KC deep), so the micro-kernel only streams contiguous data.
//! MR, NR and KC are the micro-kernel's (`Isa`); the packing routines take them
//! as const parameters so that their inner loops have fixed trip counts.

#![cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]

use super::microkernel::Isa;
use super::pack::{pack_a, pack_b, pack_b_gather};
use std::cell::RefCell;

/// Rows of A packed at once (a multiple of every MR; ≤ 120 KB, in L2).
const MC: usize = 120;
/// Columns of B packed at once (a multiple of every NR; ≤ 1 MB, in L3).
const NC: usize = 1024;

/// Whether this CPU can run any of the kernels.
pub(crate) fn available() -> bool {
    Isa::best().is_some()
}

thread_local! {
    /// Packing buffers, reused across calls on each (rayon worker) thread.
    static PACK: RefCell<(Vec<f32>, Vec<f32>)> = const { RefCell::new((Vec::new(), Vec::new())) };
}

/// A 64-byte (cache line) aligned window of `len` floats into `buf`.
fn aligned(buf: &mut Vec<f32>, len: usize) -> *mut f32 {
    if buf.len() < len + 16 {
        buf.resize(len + 16, 0.0);
    }
    let p = buf.as_mut_ptr();
    // SAFETY: at most 15 floats in, and `len` more fit in the buffer.
    unsafe { p.add(p.align_offset(64)) }
}

/// Where the right operand comes from.
#[derive(Clone, Copy)]
pub(crate) enum Rhs<'a> {
    /// B[p][j] = b[p·rs + j·cs].
    Strided(*const f32, (usize, usize)),
    /// B[p][j] = base[rows[p] + cols[j]] (k = rows.len(), n = cols.len()).
    Gather(*const f32, &'a [usize], &'a [usize]),
}

/// A left operand packed once for many products (the conv weights, reused by
/// every image batch), in the layout of the kernel `isa`. Blocks of depth KC
/// are stored one after another, each holding all the MR-row slivers: block
/// (pc, ic) starts at pc·m̄ + ic·kc with m̄ = m rounded up to MR.
pub(crate) struct PackedA {
    buf: Vec<f32>,
    off: usize,
    m: usize,
    k: usize,
    isa: Isa,
}

impl PackedA {
    /// Packed for the best kernel of this CPU.
    ///
    /// # Safety
    /// `a` with strides `sa` must be readable for m × k; `available()`.
    pub(crate) unsafe fn new(m: usize, k: usize, a: *const f32, sa: (usize, usize)) -> PackedA {
        let isa = Isa::best().expect("sgemm::available() was checked");
        Self::new_for(isa, m, k, a, sa)
    }

    /// # Safety
    /// As `new`.
    pub(crate) unsafe fn new_for(
        isa: Isa,
        m: usize,
        k: usize,
        a: *const f32,
        sa: (usize, usize),
    ) -> PackedA {
        let (mr, kcmax) = (isa.mr(), isa.kc());
        let mpad = m.div_ceil(mr) * mr;
        let mut buf = vec![0f32; mpad * k + 16];
        let off = buf.as_ptr().align_offset(64);
        let base = buf.as_mut_ptr().add(off);
        for pc in (0..k).step_by(kcmax) {
            let kc = kcmax.min(k - pc);
            for ic in (0..m).step_by(MC) {
                let mc = MC.min(m - ic);
                let (src, dst) = (a.add(ic * sa.0 + pc * sa.1), base.add(pc * mpad + ic * kc));
                match isa {
                    Isa::Avx2 => pack_a::<6>(mc, kc, src, sa.0, sa.1, dst),
                    Isa::Avx512 => pack_a::<12>(mc, kc, src, sa.0, sa.1, dst),
                }
            }
        }
        PackedA {
            buf,
            off,
            m,
            k,
            isa,
        }
    }
    pub(crate) fn rows(&self) -> usize {
        self.m
    }
    pub(crate) fn depth(&self) -> usize {
        self.k
    }
    fn block(&self, pc: usize, ic: usize) -> *const f32 {
        let mr = self.isa.mr();
        let mpad = self.m.div_ceil(mr) * mr;
        // SAFETY: pc < k and ic < m, so the block lies inside the buffer.
        unsafe {
            self.buf
                .as_ptr()
                .add(self.off + pc * mpad + ic * self.isa.kc().min(self.k - pc))
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

/// C = A·B (+ C when `accumulate`), single-threaded, on the best kernel (or
/// the one A was packed for).
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
    let isa = match a {
        Lhs::Packed(p) => p.isa,
        Lhs::Strided(..) => Isa::best().expect("sgemm::available() was checked"),
    };
    sgemm_on(isa, m, k, n, a, b, accumulate, c, rsc)
}

/// `sgemm` on a given kernel (the tests run every kernel the CPU has).
///
/// # Safety
/// As `sgemm`, with `isa.supported()` and a packed A packed for `isa`.
#[cfg(target_arch = "x86_64")]
#[allow(clippy::too_many_arguments)]
pub(crate) unsafe fn sgemm_on(
    isa: Isa,
    m: usize,
    k: usize,
    n: usize,
    a: Lhs<'_>,
    b: Rhs<'_>,
    accumulate: bool,
    c: *mut f32,
    rsc: usize,
) {
    match isa {
        Isa::Avx2 => blocked::<6, 16, 256>(isa, m, k, n, a, b, accumulate, c, rsc),
        Isa::Avx512 => blocked::<12, 32, 384>(isa, m, k, n, a, b, accumulate, c, rsc),
    }
}

/// The five loops around the micro-kernel (BLIS order: NC columns of B, KC
/// deep, MC rows of A, then NR × MR register tiles).
///
/// # Safety
/// As `sgemm_on`; (MR, NR, KC) are `isa`'s.
#[cfg(target_arch = "x86_64")]
#[allow(clippy::too_many_arguments)]
unsafe fn blocked<const MR: usize, const NR: usize, const KC: usize>(
    isa: Isa,
    m: usize,
    k: usize,
    n: usize,
    a: Lhs<'_>,
    b: Rhs<'_>,
    accumulate: bool,
    c: *mut f32,
    rsc: usize,
) {
    debug_assert!(isa.mr() == MR && isa.nr() == NR && isa.kc() == KC);
    if let Lhs::Packed(p) = a {
        assert_eq!(p.isa, isa, "A was packed for another kernel");
    }
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
                        pack_b::<NR>(kc, nc, b.add(pc * sb.0 + jc * sb.1), sb.0, sb.1, pb)
                    }
                    Rhs::Gather(base, rows, cols) => {
                        pack_b_gather::<NR>(&rows[pc..pc + kc], &cols[jc..jc + nc], base, pb)
                    }
                }
                let load = accumulate || pc > 0;
                for ic in (0..m).step_by(MC) {
                    let mc = MC.min(m - ic);
                    let pa = match a {
                        Lhs::Strided(a, sa) => {
                            pack_a::<MR>(mc, kc, a.add(ic * sa.0 + pc * sa.1), sa.0, sa.1, pa);
                            pa as *const f32
                        }
                        Lhs::Packed(p) => p.block(pc, ic),
                    };
                    for jr in (0..nc).step_by(NR) {
                        for ir in (0..mc).step_by(MR) {
                            isa.run(
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
