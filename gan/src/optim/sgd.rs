//! `torch.optim.SGD` with momentum (no dampening, no Nesterov); parameters on
//! a GPU go through the fused `sgd_f32` kernel instead of the loop.

use super::{device_grad, state_buffer, with_param_and_grad, Buf, Optimizer};
use crate::error::Result;
use autograd::Var;
use std::collections::HashMap;
use tensor::Tensor;

#[derive(Clone, Copy, Debug, Default)]
pub struct SgdConfig {
    pub lr: f64,
    pub momentum: f64,
    pub weight_decay: f64,
}

pub struct Sgd {
    cfg: SgdConfig,
    params: Vec<(String, Var)>,
    /// `None` until the first step, which copies the gradient in (as PyTorch).
    momentum_buffer: Vec<Option<Buf>>,
    step: u64,
}

impl Sgd {
    pub fn new(params: Vec<(String, Var)>, cfg: SgdConfig) -> Self {
        Sgd {
            cfg,
            momentum_buffer: params.iter().map(|_| None).collect(),
            params,
            step: 0,
        }
    }
}

impl Optimizer for Sgd {
    fn step(&mut self) -> Result<()> {
        self.step += 1;
        let (lr, mom, wd) = (
            self.cfg.lr as f32,
            self.cfg.momentum as f32,
            self.cfg.weight_decay as f32,
        );
        for (i, (_, p)) in self.params.iter().enumerate() {
            let slot = &mut self.momentum_buffer[i];
            if p.data().device().is_cuda() {
                let Some(g) = device_grad(p)? else { continue };
                let h = kernels::SgdHyper {
                    lr: self.cfg.lr,
                    momentum: self.cfg.momentum,
                    weight_decay: self.cfg.weight_decay,
                    ..kernels::SgdHyper::default()
                };
                if mom == 0.0 {
                    kernels::sgd_step(p.data(), &g, None, false, &h)?;
                    continue;
                }
                // The kernel's first step sets the buffer to the gradient, as
                // PyTorch does; later ones (also after a load) accumulate.
                let first = slot.is_none();
                let b = match slot {
                    Some(b) => b,
                    None => slot.insert(Buf::zeros_on(p.data())?),
                };
                kernels::sgd_step(p.data(), &g, Some(b.on_device(p.data())?), first, &h)?;
                continue;
            }
            let buf = match slot {
                Some(b) => Some(b.host_mut()?),
                None => None,
            };
            let mut fresh = None;
            with_param_and_grad(p, |pv, gv| {
                if mom == 0.0 {
                    for (x, &g) in pv.iter_mut().zip(gv) {
                        let g = if wd != 0.0 { g + wd * *x } else { g };
                        *x += -lr * g;
                    }
                    return;
                }
                match buf {
                    None => {
                        let mut b = Vec::with_capacity(pv.len());
                        for (x, &g) in pv.iter_mut().zip(gv) {
                            let g = if wd != 0.0 { g + wd * *x } else { g };
                            b.push(g);
                            *x += -lr * g;
                        }
                        fresh = Some(b);
                    }
                    Some(b) => {
                        for ((x, &g), b) in pv.iter_mut().zip(gv).zip(b.iter_mut()) {
                            let g = if wd != 0.0 { g + wd * *x } else { g };
                            *b = *b * mom + g;
                            *x += -lr * *b;
                        }
                    }
                }
            })?;
            if let Some(b) = fresh {
                *slot = Some(Buf::Host(b));
            }
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
                Some(Buf::Host(state_buffer(tensors, &key, p.data().numel())?))
            } else {
                None
            };
        }
        self.step = steps;
        Ok(())
    }
}
