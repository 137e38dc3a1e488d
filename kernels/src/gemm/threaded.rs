//! f32 products of `matmul` / `linear` on our packed kernel (`gemm::sgemm`),
//! split over the GEMM team (`team`: helper threads that
//! stay awake between the many small GEMMs of an MLP step).
//!
//! Why not matrixmultiply here: it has no AVX-512 kernel, so on CPUs that have
//! one it runs at about half of MKL's speed, and its threading spins a helper
//! thread per call that competes with rayon's workers. Each worker here takes a
//! band of C's columns (or rows) and runs the single-threaded blocked GEMM on
//! it, packing its own panels.

use super::sgemm::{self, Lhs, Rhs};
use super::team;

/// Below this many multiply-adds (about 50 µs on one core) waking a second
/// thread costs about what it saves; on a loaded machine, more (measured on
/// the linear cases: 100×256×256 ran as fast or faster on one thread).
const PAR_MIN_MACS: usize = 4 << 20;

/// C [m, n] = A·B (+ C when `accumulate`) with A, B of any non-negative
/// strides and C of row stride `rsc`, unit column stride. Returns false (and
/// does nothing) when the kernel does not apply: no AVX2, or a negative stride.
///
/// # Safety
/// The pointers and strides must describe valid m×k, k×n and m×n matrices, and
/// C must not alias A or B.
#[allow(clippy::too_many_arguments)]
pub(crate) unsafe fn sgemm_strided(
    m: usize,
    k: usize,
    n: usize,
    a: *const f32,
    sa: (isize, isize),
    b: *const f32,
    sb: (isize, isize),
    accumulate: bool,
    c: *mut f32,
    rsc: isize,
) -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        let strides = [sa.0, sa.1, sb.0, sb.1, rsc];
        if !sgemm::available() || strides.iter().any(|&s| s < 0) || k == 0 {
            return false;
        }
        let (sa, sb) = (
            (sa.0 as usize, sa.1 as usize),
            (sb.0 as usize, sb.1 as usize),
        );
        let rsc = rsc as usize;
        let threads = team::width();
        let parts = if m * n * k < PAR_MIN_MACS { 1 } else { threads };
        // Raw pointers are not Send; the bands of C below are disjoint.
        let (pa, pb, pc) = (a as usize, b as usize, c as usize);
        // One band of C: rows r0..r0+mr, columns c0..c0+nc.
        let band = |r0: usize, mr: usize, c0: usize, nc: usize| {
            let (a, b, c) = (pa as *const f32, pb as *const f32, pc as *mut f32);
            // GEMM: A[r0.., :] [mr, k] · B[:, c0..] [k, nc] → C[r0.., c0..] [mr, nc]
            sgemm::sgemm(
                mr,
                k,
                nc,
                Lhs::Strided(a.add(r0 * sa.0), sa),
                Rhs::Strided(b.add(c0 * sb.1), sb),
                accumulate,
                c.add(r0 * rsc + c0),
                rsc,
            )
        };
        if parts <= 1 {
            band(0, m, 0, n);
        } else if n >= m {
            // bands of columns, whole micro-tiles wide (32 covers every NR)
            let w = n.div_ceil(parts).div_ceil(32) * 32;
            team::run(n.div_ceil(w), &|q| band(0, m, q * w, w.min(n - q * w)));
        } else {
            // bands of rows, whole micro-tiles tall (12 covers every MR)
            let h = m.div_ceil(parts).div_ceil(12) * 12;
            team::run(m.div_ceil(h), &|q| band(q * h, h.min(m - q * h), 0, n));
        }
        true
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}
