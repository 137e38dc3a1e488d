//! `torch.optim.SGD` over named parameters: each step is
//! `kernels::sgd_step_many` over every parameter with a gradient, on its
//! device (one launch for them all on a GPU).

use super::{dense_grad, Optimizer, StateBuf};
use crate::error::Result;
use autograd::Var;
use kernels::{SgdHyper, SgdTensors};
use std::collections::HashMap;
use tensor::Tensor;

/// SGD, with a momentum buffer per parameter when `momentum` is not 0.
pub struct Sgd {
    hyper: SgdHyper,
    params: Vec<(String, Var)>,
    /// `None` until the first step, which sets it to the gradient (as PyTorch).
    momentum_buffer: Vec<Option<StateBuf>>,
    step: u64,
}

impl Sgd {
    /// SGD over `params` with `hyper`.
    pub fn new(params: Vec<(String, Var)>, hyper: SgdHyper) -> Self {
        Sgd {
            hyper,
            momentum_buffer: params.iter().map(|_| None).collect(),
            params,
            step: 0,
        }
    }
}

impl Optimizer for Sgd {
    fn step(&mut self) -> Result<()> {
        self.step += 1;
        let mut grads = Vec::with_capacity(self.params.len());
        for (i, (_, p)) in self.params.iter().enumerate() {
            let Some(g) = dense_grad(p)? else { continue };
            // The kernel's first step sets the buffer to the gradient, as
            // PyTorch does; later ones (also after a load) accumulate.
            let mut first = false;
            if self.hyper.momentum != 0.0 {
                let slot = &mut self.momentum_buffer[i];
                first = slot.is_none();
                slot.get_or_insert_with(StateBuf::zeros).beside(p.data())?;
            }
            grads.push((i, g, first));
        }
        let list: Vec<SgdTensors<'_>> = grads
            .iter()
            .map(|(i, g, first)| SgdTensors {
                param: self.params[*i].1.data(),
                grad: g,
                momentum_buf: self.momentum_buffer[*i].as_ref().and_then(StateBuf::get),
                first: *first,
            })
            .collect();
        kernels::sgd_step_many(&list, &self.hyper)?;
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
            if let Some(b) = &self.momentum_buffer[i] {
                out.push((format!("{name}.momentum_buffer"), b.snapshot(p.shape())?));
            }
        }
        Ok(out)
    }

    fn load_state(&mut self, steps: u64, tensors: &HashMap<String, Tensor>) -> Result<()> {
        for (i, (name, p)) in self.params.iter().enumerate() {
            let key = format!("{name}.momentum_buffer");
            // A parameter that never had a gradient has no buffer yet.
            self.momentum_buffer[i] = if tensors.contains_key(&key) {
                Some(StateBuf::load(tensors, &key, p.data())?)
            } else {
                None
            };
        }
        self.step = steps;
        Ok(())
    }
}
