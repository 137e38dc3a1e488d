//! `torch.optim.Adam` (no amsgrad) over named parameters: each step is
//! `kernels::adam_step_many` over every parameter with a gradient, on its
//! device (one launch for them all on a GPU).

use super::{dense_grad, Optimizer, StateBuf};
use crate::error::Result;
use autograd::Var;
use kernels::{AdamHyper, AdamTensors};
use std::collections::HashMap;
use tensor::Tensor;

/// Adam with its two moment buffers per parameter.
pub struct Adam {
    hyper: AdamHyper,
    params: Vec<(String, Var)>,
    exp_avg: Vec<StateBuf>,
    exp_avg_sq: Vec<StateBuf>,
    step: u64,
}

impl Adam {
    /// Adam over `params` with `hyper` (see `optim::adam_defaults`); the
    /// moments start at zero, as PyTorch's.
    pub fn new(params: Vec<(String, Var)>, hyper: AdamHyper) -> Self {
        Adam {
            hyper,
            exp_avg: params.iter().map(|_| StateBuf::zeros()).collect(),
            exp_avg_sq: params.iter().map(|_| StateBuf::zeros()).collect(),
            params,
            step: 0,
        }
    }
}

impl Optimizer for Adam {
    fn step(&mut self) -> Result<()> {
        self.step += 1;
        let mut grads = Vec::with_capacity(self.params.len());
        for (i, (_, p)) in self.params.iter().enumerate() {
            let Some(g) = dense_grad(p)? else { continue };
            self.exp_avg[i].beside(p.data())?;
            self.exp_avg_sq[i].beside(p.data())?;
            grads.push((i, g));
        }
        let list: Vec<AdamTensors<'_>> = grads
            .iter()
            .map(|(i, g)| AdamTensors {
                param: self.params[*i].1.data(),
                grad: g,
                exp_avg: self.exp_avg[*i].get().expect("made just above"),
                exp_avg_sq: self.exp_avg_sq[*i].get().expect("made just above"),
            })
            .collect();
        kernels::adam_step_many(&list, self.step, &self.hyper)?;
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
            let p = p.data();
            self.exp_avg[i] = StateBuf::load(tensors, &format!("{name}.exp_avg"), p)?;
            self.exp_avg_sq[i] = StateBuf::load(tensors, &format!("{name}.exp_avg_sq"), p)?;
        }
        self.step = steps;
        Ok(())
    }
}
