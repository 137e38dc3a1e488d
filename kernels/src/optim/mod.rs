//! Fused optimiser updates on tensors, in place, with `torch.optim` semantics:
//! one pass over a parameter, its gradient and its state buffers, on the CPU
//! or on the parameter's GPU (optim.cu). Parameter, gradient and state must be
//! dense f32 tensors of one shape on one device.

#[cfg(test)]
mod tests;

pub(crate) mod cuda;
use tensor::{CpuStorage, DType, Error, Result, StorageKind, Tensor};

/// Adam's hyper-parameters (`torch.optim.Adam`, no amsgrad).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdamHyper {
    pub lr: f64,
    pub beta1: f64,
    pub beta2: f64,
    pub eps: f64,
    pub weight_decay: f64,
}

/// SGD's hyper-parameters (`torch.optim.SGD`).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct SgdHyper {
    pub lr: f64,
    pub momentum: f64,
    pub dampening: f64,
    pub weight_decay: f64,
    pub nesterov: bool,
}

/// The f32 scalars of one Adam step, as torch computes them for step `t`:
/// the bias corrections folded into the step size and the denominator.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AdamScalars {
    pub w1: f32,
    pub b2: f32,
    pub one_m_b2: f32,
    pub eps: f32,
    pub wd: f32,
    pub step_size: f32,
    pub bc2_sqrt: f32,
}

impl AdamScalars {
    fn new(h: &AdamHyper, step: u64) -> Self {
        let t = step.min(i32::MAX as u64) as i32;
        let bc1 = 1.0 - h.beta1.powi(t);
        let bc2 = 1.0 - h.beta2.powi(t);
        AdamScalars {
            w1: (1.0 - h.beta1) as f32,
            b2: h.beta2 as f32,
            one_m_b2: (1.0 - h.beta2) as f32,
            eps: h.eps as f32,
            wd: h.weight_decay as f32,
            step_size: (h.lr / bc1) as f32,
            bc2_sqrt: bc2.sqrt() as f32,
        }
    }
}

/// Check that the tensors can be updated together; returns the device.
fn check(op: &'static str, ts: &[&Tensor]) -> Result<tensor::Device> {
    let p = ts[0];
    for (i, t) in ts.iter().enumerate() {
        if t.shape() != p.shape() {
            return Err(Error::shape_detail(
                op,
                p.shape(),
                t.shape(),
                "parameter and state differ in shape",
            ));
        }
        if t.dtype() != DType::F32 {
            return Err(Error::DTypeMismatch {
                op,
                expected: DType::F32,
                got: t.dtype(),
            });
        }
        if t.device() != p.device() {
            return Err(Error::DeviceMismatch {
                op,
                lhs: p.device(),
                rhs: t.device(),
            });
        }
        if !t.is_contiguous() {
            return Err(Error::arg(
                op,
                t.shape(),
                "optimiser tensors must be contiguous",
            ));
        }
        // Two locks on one storage would deadlock; two roles for one buffer is a bug.
        if ts[..i].iter().any(|u| u.same_storage(t)) {
            return Err(Error::arg(
                op,
                t.shape(),
                "parameter, gradient and state must be distinct buffers",
            ));
        }
    }
    Ok(p.device())
}

/// `a.lerp_(b, w)` with PyTorch's two-sided formula.
#[inline(always)]
fn lerp(a: f32, b: f32, w: f32) -> f32 {
    if w.abs() < 0.5 {
        a + w * (b - a)
    } else {
        b - (b - a) * (1.0 - w)
    }
}

/// Run `f` over the dense f32 slices of the tensors, the first `n_mut` mutably.
fn with_slices(
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

/// One Adam step (`step` ≥ 1 counts this one) on `param` in place, updating
/// the moment buffers `exp_avg` and `exp_avg_sq`.
pub fn adam_step(
    param: &Tensor,
    grad: &Tensor,
    exp_avg: &Tensor,
    exp_avg_sq: &Tensor,
    step: u64,
    h: &AdamHyper,
) -> Result<()> {
    let op = "adam_step";
    if step == 0 {
        return Err(Error::arg(op, param.shape(), "steps count from 1"));
    }
    let device = check(op, &[param, exp_avg, exp_avg_sq, grad])?;
    let s = AdamScalars::new(h, step);
    if device.is_cuda() {
        return cuda::adam(param, grad, exp_avg, exp_avg_sq, &s);
    }
    with_slices(&[param, exp_avg, exp_avg_sq, grad], 3, |m, r| {
        let [p, ma, va] = m else { return };
        adam_chunks(p, r[0], ma, va, &s);
    })
}

/// One Adam step over host slices of one parameter (its gradient, first and
/// second moments), as `adam_step` computes it on a CPU tensor. For
/// optimisers that keep their state in plain vectors.
pub fn adam_slices(
    param: &mut [f32],
    grad: &[f32],
    exp_avg: &mut [f32],
    exp_avg_sq: &mut [f32],
    step: u64,
    h: &AdamHyper,
) -> Result<()> {
    let n = param.len();
    if [grad.len(), exp_avg.len(), exp_avg_sq.len()] != [n; 3] {
        return Err(Error::shape_detail(
            "adam_step",
            &[n],
            &[grad.len(), exp_avg.len(), exp_avg_sq.len()],
            "gradient and moments must match the parameter",
        ));
    }
    if step == 0 {
        return Err(Error::arg("adam_step", &[n], "steps count from 1"));
    }
    adam_chunks(param, grad, exp_avg, exp_avg_sq, &AdamScalars::new(h, step));
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

fn adam_chunks(p: &mut [f32], g: &[f32], ma: &mut [f32], va: &mut [f32], s: &AdamScalars) {
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
    let parts = crate::gemm::team::width().min(n / OPTIM_PARALLEL_MIN).max(1);
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

/// One SGD step on `param` in place. With momentum, `momentum_buf` is
/// required; `first` says it holds nothing yet (it is then set to the
/// gradient, as PyTorch does on its first step).
pub fn sgd_step(
    param: &Tensor,
    grad: &Tensor,
    momentum_buf: Option<&Tensor>,
    first: bool,
    h: &SgdHyper,
) -> Result<()> {
    let op = "sgd_step";
    let (lr, mom, damp, wd) = (
        h.lr as f32,
        h.momentum as f32,
        h.dampening as f32,
        h.weight_decay as f32,
    );
    let buf = match (momentum_buf, mom != 0.0) {
        (Some(b), true) => Some(b),
        (None, true) => {
            return Err(Error::arg(
                op,
                param.shape(),
                "momentum needs a momentum buffer",
            ))
        }
        (_, false) => None,
    };
    let mut ts = vec![param];
    ts.extend(buf);
    ts.push(grad);
    let device = check(op, &ts)?;
    if device.is_cuda() {
        return cuda::sgd(param, grad, buf, first, h);
    }
    let nesterov = h.nesterov;
    with_slices(&ts, ts.len() - 1, |m, r| {
        let (p, rest) = m.split_at_mut(1);
        let p = &mut *p[0];
        let g = r[0];
        for i in 0..p.len() {
            let mut gi = if wd != 0.0 { g[i] + wd * p[i] } else { g[i] };
            if let Some(b) = rest.first_mut() {
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
    })
}
