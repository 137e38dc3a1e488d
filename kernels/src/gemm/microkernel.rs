//! The register-tiled inner products of `sgemm`, one per instruction set.
//!
//! Each computes an MR×NR tile of C from one packed A sliver (kc groups of MR
//! values) and one packed B sliver (kc groups of NR values), keeping the whole
//! tile in vector registers for the kc-deep loop. The tile shape is chosen so
//! that the accumulators plus two B vectors and one broadcast fill most of the
//! register file, with enough independent FMA chains to hide their latency:
//! AVX2 (16 ymm): 6×16 = 12 accumulators; AVX-512 (32 zmm): 12×32 = 24.
//!
//! Why AVX-512 matters here: on CPUs that have it, PyTorch's MKL runs at twice
//! the FLOPs per instruction; with the AVX2 kernel alone every GEMM-bound case
//! is capped at about half of PyTorch's speed.

#![cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]

/// Which micro-kernel (and so which packing layout) a product uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Isa {
    Avx2,
    Avx512,
}

impl Isa {
    /// Rows of an A sliver (rows of the register tile).
    pub(crate) const fn mr(self) -> usize {
        match self {
            Isa::Avx2 => 6,
            Isa::Avx512 => 12,
        }
    }
    /// Columns of a B sliver.
    pub(crate) const fn nr(self) -> usize {
        match self {
            Isa::Avx2 => 16,
            Isa::Avx512 => 32,
        }
    }
    /// Depth of a packed panel. AVX2: the B sliver (16·256 floats, 16 KB) and
    /// the A sliver stay well inside L1. AVX-512: 384 measured 10–30 % faster
    /// than 192 on the `sgemm_speed` shapes (C is loaded and stored half as
    /// often, and each packed panel is used longer), although its B sliver
    /// (48 KB) then fills the L1 of a 48 KB-L1 core.
    pub(crate) const fn kc(self) -> usize {
        match self {
            Isa::Avx2 => 256,
            Isa::Avx512 => 384,
        }
    }

    /// Whether this CPU can run it (std caches the cpuid).
    pub(crate) fn supported(self) -> bool {
        #[cfg(target_arch = "x86_64")]
        {
            let avx2 = is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma");
            match self {
                Isa::Avx2 => avx2,
                Isa::Avx512 => avx2 && is_x86_feature_detected!("avx512f"),
            }
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            false
        }
    }

    /// The widest kernel this CPU runs; `GAN_RS_SGEMM=avx2` forces the AVX2
    /// one (to compare them, or to reproduce a result of an AVX2-only machine).
    pub(crate) fn best() -> Option<Isa> {
        static BEST: std::sync::OnceLock<Option<Isa>> = std::sync::OnceLock::new();
        *BEST.get_or_init(|| {
            let forced_avx2 = std::env::var("GAN_RS_SGEMM").is_ok_and(|v| v == "avx2");
            [Isa::Avx512, Isa::Avx2]
                .into_iter()
                .filter(|i| !(forced_avx2 && *i == Isa::Avx512))
                .find(|i| i.supported())
        })
    }

    /// C[0..mr, 0..nr] (row stride rsc) = (or +=, when `load`) the product of
    /// one packed A sliver and one packed B sliver of depth kc.
    ///
    /// # Safety
    /// The slivers hold kc·MR and kc·NR floats; C is writable for mr × nr;
    /// `self.supported()`.
    #[cfg(target_arch = "x86_64")]
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    pub(crate) unsafe fn run(
        self,
        kc: usize,
        a: *const f32,
        b: *const f32,
        c: *mut f32,
        rsc: usize,
        mr: usize,
        nr: usize,
        load: bool,
    ) {
        match self {
            Isa::Avx2 => kernel_6x16(kc, a, b, c, rsc, mr, nr, load),
            // A bottom edge sliver of at most 4 or 8 rows (batch 100 = 8·12
            // + 4, batch 64 = 5·12 + 4) computes only the rows it has: the
            // full 12 wasted 7 % of the MLP steps' GEMM time.
            Isa::Avx512 if mr <= 4 => kernel_avx512::<4>(kc, a, b, c, rsc, mr, nr, load),
            Isa::Avx512 if mr <= 8 => kernel_avx512::<8>(kc, a, b, c, rsc, mr, nr, load),
            Isa::Avx512 => kernel_avx512::<12>(kc, a, b, c, rsc, mr, nr, load),
        }
    }
}

/// Write an edge tile (mr < MR or nr < NR) from its spilled accumulators.
///
/// # Safety
/// C writable for mr × nr with row stride rsc; `tmp` holds MR·NR values.
#[inline(always)]
unsafe fn store_edge<const N: usize>(
    tmp: &[f32],
    c: *mut f32,
    rsc: usize,
    mr: usize,
    nr: usize,
    load: bool,
) {
    for i in 0..mr {
        for j in 0..nr {
            let d = c.add(i * rsc + j);
            *d = if load {
                *d + tmp[i * N + j]
            } else {
                tmp[i * N + j]
            };
        }
    }
}

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
    const MR: usize = 6;
    const NR: usize = 16;
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
        let mut tmp = [0f32; MR * NR];
        for (i, row) in acc.iter().enumerate() {
            _mm256_storeu_ps(tmp.as_mut_ptr().add(i * NR), row[0]);
            _mm256_storeu_ps(tmp.as_mut_ptr().add(i * NR + 8), row[1]);
        }
        store_edge::<NR>(&tmp, c, rsc, mr, nr, load);
    }
}

/// The AVX-512 12×32 kernel on the first R rows of a 12-row A sliver
/// (R = 12, or 4 / 8 for a bottom edge sliver).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx2,fma")]
#[allow(clippy::too_many_arguments)]
unsafe fn kernel_avx512<const R: usize>(
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
    const MR: usize = 12;
    const NR: usize = 32;
    debug_assert!(R <= MR && mr <= R);
    let mut acc = [[_mm512_setzero_ps(); 2]; R];
    let (mut a, mut b) = (a, b);
    for _ in 0..kc {
        let b0 = _mm512_loadu_ps(b);
        let b1 = _mm512_loadu_ps(b.add(16));
        for (i, row) in acc.iter_mut().enumerate() {
            let ai = _mm512_set1_ps(*a.add(i));
            row[0] = _mm512_fmadd_ps(ai, b0, row[0]);
            row[1] = _mm512_fmadd_ps(ai, b1, row[1]);
        }
        a = a.add(MR);
        b = b.add(NR);
    }
    if mr == R && nr == NR {
        for (i, row) in acc.iter().enumerate() {
            let dst = c.add(i * rsc);
            let (mut v0, mut v1) = (row[0], row[1]);
            if load {
                v0 = _mm512_add_ps(v0, _mm512_loadu_ps(dst));
                v1 = _mm512_add_ps(v1, _mm512_loadu_ps(dst.add(16)));
            }
            _mm512_storeu_ps(dst, v0);
            _mm512_storeu_ps(dst.add(16), v1);
        }
    } else {
        let mut tmp = [0f32; MR * NR];
        for (i, row) in acc.iter().enumerate() {
            _mm512_storeu_ps(tmp.as_mut_ptr().add(i * NR), row[0]);
            _mm512_storeu_ps(tmp.as_mut_ptr().add(i * NR + 16), row[1]);
        }
        store_edge::<NR>(&tmp, c, rsc, mr, nr, load);
    }
}
