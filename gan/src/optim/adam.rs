//! `torch.optim.Adam` (no amsgrad), as its single-tensor CPU path computes it;
//! parameters on a GPU go through the fused `adam_f32` kernel instead.

use super::{device_grad, state_buffer, with_param_and_grad, Buf, Optimizer};
use crate::error::Result;
use autograd::Var;
use std::collections::HashMap;
use tensor::Tensor;

#[derive(Clone, Copy, Debug)]
pub struct AdamConfig {
    pub lr: f64,
    pub beta1: f64,
    pub beta2: f64,
    pub eps: f64,
    pub weight_decay: f64,
}

impl Default for AdamConfig {
    fn default() -> Self {
        AdamConfig {
            lr: 1e-3,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay: 0.0,
        }
    }
}

pub struct Adam {
    cfg: AdamConfig,
    params: Vec<(String, Var)>,
    exp_avg: Vec<Buf>,
    exp_avg_sq: Vec<Buf>,
    step: u64,
}

impl Adam {
    pub fn new(params: Vec<(String, Var)>, cfg: AdamConfig) -> Self {
        let zeros = |p: &Var| Buf::Host(vec![0f32; p.data().numel()]);
        Adam {
            cfg,
            exp_avg: params.iter().map(|(_, p)| zeros(p)).collect(),
            exp_avg_sq: params.iter().map(|(_, p)| zeros(p)).collect(),
            params,
            step: 0,
        }
    }
}

/// `a.lerp_(b, w)` for one element, with PyTorch's two-sided formula.
#[inline(always)]
fn lerp(a: f32, b: f32, w: f32) -> f32 {
    if w.abs() < 0.5 {
        a + w * (b - a)
    } else {
        b - (b - a) * (1.0 - w)
    }
}

impl Optimizer for Adam {
    fn step(&mut self) -> Result<()> {
        self.step += 1;
        let c = self.cfg;
        let t = self.step as i32;
        let bc1 = 1.0 - c.beta1.powi(t);
        let bc2 = 1.0 - c.beta2.powi(t);
        let step_size = (c.lr / bc1) as f32;
        let bc2_sqrt = bc2.sqrt() as f32;
        let (w1, b2, one_m_b2) = (
            (1.0 - c.beta1) as f32,
            c.beta2 as f32,
            (1.0 - c.beta2) as f32,
        );
        let (eps, wd) = (c.eps as f32, c.weight_decay as f32);
        for (i, (_, p)) in self.params.iter().enumerate() {
            let (ma, va) = (&mut self.exp_avg[i], &mut self.exp_avg_sq[i]);
            if p.data().device().is_cuda() {
                let Some(g) = device_grad(p)? else { continue };
                let h = kernels::AdamHyper {
                    lr: c.lr,
                    beta1: c.beta1,
                    beta2: c.beta2,
                    eps: c.eps,
                    weight_decay: c.weight_decay,
                };
                let (m, v) = (ma.on_device(p.data())?, va.on_device(p.data())?);
                kernels::adam_step(p.data(), &g, m, v, self.step, &h)?;
                continue;
            }
            let (m, v) = (ma.host_mut()?, va.host_mut()?);
            with_param_and_grad(p, |pv, gv| {
                for (((x, &g), m), v) in pv.iter_mut().zip(gv).zip(m.iter_mut()).zip(v.iter_mut()) {
                    let g = if wd != 0.0 { g + wd * *x } else { g };
                    *m = lerp(*m, g, w1);
                    *v = *v * b2 + one_m_b2 * g * g;
                    let denom = v.sqrt() / bc2_sqrt + eps;
                    *x += -step_size * (*m / denom);
                }
            })?;
        }
        Ok(())
    }

    fn zero_grad(&self) {
        for (_, p) in &self.params {
            p.zero_grad();
        }
    }

    fn steps(&self) -> u64 {
        self.step
    }

    fn state(&self) -> Result<Vec<(String, Tensor)>> {
        let mut out = Vec::new();
        for (i, (name, p)) in self.params.iter().enumerate() {
            let shape = p.shape();
            out.push((format!("{name}.exp_avg"), self.exp_avg[i].snapshot(shape)?));
            out.push((
                format!("{name}.exp_avg_sq"),
                self.exp_avg_sq[i].snapshot(shape)?,
            ));
        }
        Ok(out)
    }

    fn load_state(&mut self, steps: u64, tensors: &HashMap<String, Tensor>) -> Result<()> {
        for (i, (name, p)) in self.params.iter().enumerate() {
            let n = p.data().numel();
            self.exp_avg[i] = Buf::Host(state_buffer(tensors, &format!("{name}.exp_avg"), n)?);
            self.exp_avg_sq[i] =
                Buf::Host(state_buffer(tensors, &format!("{name}.exp_avg_sq"), n)?);
        }
        self.step = steps;
        Ok(())
    }
}
