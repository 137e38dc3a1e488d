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

impl Optimizer for Adam {
    fn step(&mut self) -> Result<()> {
        self.step += 1;
        let c = self.cfg;
        let h = kernels::AdamHyper {
            lr: c.lr,
            beta1: c.beta1,
            beta2: c.beta2,
            eps: c.eps,
            weight_decay: c.weight_decay,
        };
        for (i, (_, p)) in self.params.iter().enumerate() {
            let (ma, va) = (&mut self.exp_avg[i], &mut self.exp_avg_sq[i]);
            if p.data().device().is_cuda() {
                let Some(g) = device_grad(p)? else { continue };
                let (m, v) = (ma.on_device(p.data())?, va.on_device(p.data())?);
                kernels::adam_step(p.data(), &g, m, v, self.step, &h)?;
                continue;
            }
            let (m, v) = (ma.host_mut()?, va.host_mut()?);
            let mut r = Ok(());
            with_param_and_grad(p, |pv, gv| {
                r = kernels::optim::adam_slices(pv, gv, m, v, self.step, &h);
            })?;
            r?;
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
