//! One training step, exactly as bench_torch.py's `step()`: one discriminator
//! update on real images and detached fakes, then one generator update with the
//! non-saturating loss (target 1) through the updated discriminator.

use super::noise::sample_z;
use crate::error::Result;
use crate::models::{Loss, ModelKind, Spec};
use crate::nn::{Fwd, Module};
use crate::optim::{self, Optimizer};
use autograd::{no_grad, Var};
use rand::rngs::StdRng;
use tensor::{DType, Device, Tensor};

/// The figures of one step, as the tutorials print them.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct StepStats {
    pub d_loss: f32,
    pub g_loss: f32,
    /// Mean of D's probability on the real batch.
    pub d_x: f32,
    /// Mean of D's probability on the fake batch (during D's step).
    pub d_gz: f32,
}

/// Targets for one batch size: smoothed real labels, zeros, ones.
struct Targets {
    batch: usize,
    real: Tensor,
    zeros: Tensor,
    ones: Tensor,
}

/// A model pair with its optimisers.
pub struct Gan {
    pub kind: ModelKind,
    pub spec: Spec,
    pub g: Box<dyn Module>,
    pub d: Box<dyn Module>,
    pub opt_g: Box<dyn Optimizer>,
    pub opt_d: Box<dyn Optimizer>,
    targets: Option<Targets>,
}

impl Gan {
    /// Fresh models initialised from `seed`, optimisers as the spec says at `lr`.
    pub fn new(kind: ModelKind, seed: u64, lr: f64) -> Result<Gan> {
        let spec = kind.spec();
        let (g, d) = kind.build(seed)?;
        let opt_g = optim::build(spec.opt, lr, g.named_parameters());
        let opt_d = optim::build(spec.opt, lr, d.named_parameters());
        Ok(Gan {
            kind,
            spec,
            g,
            d,
            opt_g,
            opt_d,
            targets: None,
        })
    }

    fn targets(&mut self, b: usize) -> Result<&Targets> {
        if self.targets.as_ref().is_none_or(|t| t.batch != b) {
            let full = |v: f64| Tensor::full(v, &[b, 1], DType::F32, Device::Cpu);
            self.targets = Some(Targets {
                batch: b,
                real: full(self.spec.label_smooth as f64)?,
                zeros: full(0.0)?,
                ones: full(1.0)?,
            });
        }
        Ok(self.targets.as_ref().expect("set above"))
    }

    fn criterion(&self, out: &Var, target: &Tensor) -> Result<Var> {
        let b = target.shape()[0];
        let out = if out.shape() == [b, 1] {
            out.clone()
        } else {
            out.reshape(&[b, 1])?
        };
        Ok(match self.spec.loss {
            Loss::Bce => out.bce(target)?,
            Loss::BceLogits => out.bce_with_logits(target)?,
        })
    }

    /// Mean probability of D's outputs (sigmoid first when D returns logits).
    fn mean_prob(&self, out: &Var) -> Result<f32> {
        let v = out.data().to_vec_f32()?;
        let s: f64 = match self.spec.loss {
            Loss::Bce => v.iter().map(|&x| x as f64).sum(),
            Loss::BceLogits => v.iter().map(|&x| 1.0 / (1.0 + (-x as f64).exp())).sum(),
        };
        Ok((s / v.len().max(1) as f64) as f32)
    }

    /// Images as D takes them: (B, C·H·W) for the MLPs, else as they are.
    fn d_input(&self, x: &Var) -> Result<Var> {
        let b = x.shape()[0];
        let n = self.spec.image_numel();
        if self.spec.flat_images && x.shape() != [b, n] {
            Ok(x.reshape(&[b, n])?)
        } else {
            Ok(x.clone())
        }
    }

    /// One D update and one G update on `real` (B images in [−1, 1]); every
    /// random draw (z, dropout masks) comes from `rng`.
    pub fn train_step(&mut self, real: &Tensor, rng: &mut StdRng) -> Result<StepStats> {
        let b = real.shape()[0];
        let z = sample_z(self.spec.z, b, self.spec.latent, rng)?;
        let fake = self.g.forward(&Var::constant(z), &mut Fwd::new(rng))?;
        let fake = self.d_input(&fake)?;
        let real = self.d_input(&Var::constant(real.clone()))?;

        // Discriminator: real → label_smooth, detached fake → 0.
        let d_real = self.d.forward(&real, &mut Fwd::new(rng))?;
        let d_fake = self.d.forward(&fake.detach(), &mut Fwd::new(rng))?;
        let (t_real, t_zeros, t_ones) = {
            let t = self.targets(b)?;
            (t.real.clone(), t.zeros.clone(), t.ones.clone())
        };
        let d_loss = self
            .criterion(&d_real, &t_real)?
            .add(&self.criterion(&d_fake, &t_zeros)?)?;
        self.opt_d.zero_grad();
        d_loss.backward()?;
        self.opt_d.step()?;

        // Generator: fake through the updated D, target 1. D's own gradients
        // here would be discarded by its next zero_grad, so D runs frozen.
        let d_out = self.d.forward(&fake, &mut Fwd::frozen(rng))?;
        let g_loss = self.criterion(&d_out, &t_ones)?;
        self.opt_g.zero_grad();
        g_loss.backward()?;
        self.opt_g.step()?;

        Ok(StepStats {
            d_loss: d_loss.item()? as f32,
            g_loss: g_loss.item()? as f32,
            d_x: self.mean_prob(&d_real)?,
            d_gz: self.mean_prob(&d_fake)?,
        })
    }

    /// G's images for `z` in eval mode (dropout off), without a graph.
    pub fn generate(&mut self, z: &Tensor, rng: &mut StdRng) -> Result<Tensor> {
        let was = self.g.training();
        self.g.set_training(false);
        let out = no_grad(|| {
            self.g
                .forward(&Var::constant(z.clone()), &mut Fwd::new(rng))
        });
        self.g.set_training(was);
        Ok(out?.data().clone())
    }
}
