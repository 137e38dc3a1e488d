//! The CPU optimiser updates: Adam over dense f32 slices (split over the GEMM
//! team when a parameter is large, on AVX-512/AVX2 where the CPU has them)
//! and SGD with momentum, both elementwise as `torch.optim` computes them.

use super::{AdamScalars, SgdHyper};
use tensor::{CpuStorage, Error, Result, StorageKind, Tensor};

/// `a.lerp_(b, w)` with PyTorch's two-sided formula.
#[inline(always)]
pub(super) fn lerp(a: f32, b: f32, w: f32) -> f32 {
    if w.abs() < 0.5 {
        a + w * (b - a)
    } else {
        b - (b - a) * (1.0 - w)
    }
}

/// Run `f` over the dense f32 slices of the tensors, the first `n_mut` mutably.
pub(super) fn with_slices(
    ts: &[&Tensor],
    n_mut: usize,
    f: impl FnOnce(&mut [&mut [f32]], &[&[f32]]),
) -> Result<()> {
    let mut wg: Vec<_> = ts[..n_mut].iter().map(|t| t.storage_mut()).collect();
    let rg: Vec<_> = ts[n_mut..].iter().map(|t| t.storage()).collect();
    let range = |t: &Tensor| t.layout().offset()..t.layout().offset() + t.numel();
    let mut muts = Vec::new();
    for (g, t) in wg.iter_mut().zip(&ts[..n_mut]) {
        match g.kind_mut() {
            StorageKind::Cpu(CpuStorage::F32(v)) => muts.push(&mut v[range(t)]),
            _ => return Err(Error::invalid("optimiser", "expected f32 CPU tensors")),
        }
    }
    let mut refs = Vec::new();
    for (g, t) in rg.iter().zip(&ts[n_mut..]) {
        match g.kind() {
            StorageKind::Cpu(CpuStorage::F32(v)) => refs.push(&v[range(t)]),
            _ => return Err(Error::invalid("optimiser", "expected f32 CPU tensors")),
        }
    }
    f(&mut muts, &refs);
    Ok(())
}

/// Below this many elements a parameter is updated on the calling thread;
/// above it (the mlp's 784×256 weights), its elements are split over the
/// GEMM team, whose helpers are awake between the step's GEMMs anyway.
const OPTIM_PARALLEL_MIN: usize = 1 << 16;

/// The Adam update of one range, element by element.
#[inline(always)]
fn adam_range(p: &mut [f32], g: &[f32], ma: &mut [f32], va: &mut [f32], s: &AdamScalars) {
    for (((x, &g), m), v) in p.iter_mut().zip(g).zip(ma.iter_mut()).zip(va.iter_mut()) {
        let g = if s.wd != 0.0 { g + s.wd * *x } else { g };
        *m = lerp(*m, g, s.w1);
        *v = *v * s.b2 + s.one_m_b2 * g * g;
        let denom = v.sqrt() / s.bc2_sqrt + s.eps;
        *x += -s.step_size * (*m / denom);
    }
}

/// `adam_range` compiled for wider vectors: AVX-512's 16 lanes or AVX2's 8
/// (the baseline build has only SSE's 4, and two divisions and a square root
/// per element made the loop a twentieth of the mlp step). Rust never
/// contracts a·b + c into an FMA, so every lane computes exactly what the
/// scalar loop does.
macro_rules! adam_range_with {
    ($name:ident, $features:literal) => {
        /// # Safety
        /// The CPU has the target features this copy is compiled for.
        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = $features)]
        unsafe fn $name(p: &mut [f32], g: &[f32], ma: &mut [f32], va: &mut [f32], s: &AdamScalars) {
            adam_range(p, g, ma, va, s)
        }
    };
}
adam_range_with!(adam_range_avx512, "avx512f");
adam_range_with!(adam_range_avx2, "avx2");

pub(super) fn adam_chunks(
    p: &mut [f32],
    g: &[f32],
    ma: &mut [f32],
    va: &mut [f32],
    s: &AdamScalars,
) {
    let run = |p: &mut [f32], g: &[f32], ma: &mut [f32], va: &mut [f32]| {
        #[cfg(target_arch = "x86_64")]
        {
            if is_x86_feature_detected!("avx512f") {
                // SAFETY: the feature was just detected.
                return unsafe { adam_range_avx512(p, g, ma, va, s) };
            }
            if is_x86_feature_detected!("avx2") {
                // SAFETY: the feature was just detected.
                return unsafe { adam_range_avx2(p, g, ma, va, s) };
            }
        }
        adam_range(p, g, ma, va, s)
    };
    let n = p.len();
    let parts = crate::gemm::team::width()
        .min(n / OPTIM_PARALLEL_MIN)
        .max(1);
    if parts == 1 {
        return run(p, g, ma, va);
    }
    let chunk = n.div_ceil(parts);
    // Raw pointers are not Sync; each part below touches its own range only.
    let (pp, pm, pv) = (
        p.as_mut_ptr() as usize,
        ma.as_mut_ptr() as usize,
        va.as_mut_ptr() as usize,
    );
    crate::gemm::team::run(parts, &|q| {
        let (lo, hi) = (q * chunk, ((q + 1) * chunk).min(n));
        // SAFETY: the ranges lo..hi of the parts are disjoint and inside the slices.
        let part = |base: usize| unsafe {
            std::slice::from_raw_parts_mut((base as *mut f32).add(lo), hi - lo)
        };
        run(part(pp), &g[lo..hi], part(pm), part(pv));
    });
}

/// One SGD step on the host slices of a parameter, its momentum buffer (when
/// momentum is on; `first`: it holds nothing yet) and its gradient.
pub(super) fn sgd_update(
    p: &mut [f32],
    mut buf: Option<&mut [f32]>,
    g: &[f32],
    first: bool,
    h: &SgdHyper,
) {
    let (lr, mom, damp, wd) = (
        h.lr as f32,
        h.momentum as f32,
        h.dampening as f32,
        h.weight_decay as f32,
    );
    let nesterov = h.nesterov;
    for i in 0..p.len() {
        let mut gi = if wd != 0.0 { g[i] + wd * p[i] } else { g[i] };
        if let Some(b) = buf.as_deref_mut() {
            let bi = if first {
                gi
            } else {
                mom * b[i] + (1.0 - damp) * gi
            };
            b[i] = bi;
            gi = if nesterov { gi + mom * bi } else { bi };
        }
        p[i] += -lr * gi;
    }
}
