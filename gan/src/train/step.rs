//! One training step, exactly as bench_torch.py's `step()`: one discriminator
//! update on real images and detached fakes, then one generator update with the
//! non-saturating loss (target 1) through the updated discriminator.
//!
//! On a GPU the same step only queues kernels: the batch and any host-made
//! tensors are uploaded asynchronously, the noise is drawn on the device, and
//! the figures stay there (`PendingStats`) until the loop logs them.

use super::noise::sample_z_on;
use super::recipe::Recipe;
use crate::error::{Error, Result};
use crate::models::{Loss, ModelKind, Spec};
use crate::nn::{Fwd, Module};
use crate::optim::{self, Optimizer};
use autograd::Var;
use rand::rngs::StdRng;
use tensor::{DType, Device, Tensor};

#[path = "step_io.rs"]
mod step_io;
pub use step_io::{PendingStats, StepInputs, StepStats};

/// Targets for one batch size: smoothed real labels, zeros, ones.
pub(super) struct Targets {
    batch: usize,
    pub(super) real: Tensor,
    pub(super) zeros: Tensor,
    pub(super) ones: Tensor,
}

/// A model pair with its optimisers.
pub struct Gan {
    /// The model.
    pub kind: ModelKind,
    /// Its settings (for the images it was built for).
    pub spec: Spec,
    /// The generator.
    pub g: Box<dyn Module>,
    /// The discriminator.
    pub d: Box<dyn Module>,
    /// G's optimiser.
    pub opt_g: Box<dyn Optimizer>,
    /// D's optimiser.
    pub opt_d: Box<dyn Optimizer>,
    /// Where the parameters live and the step computes.
    pub device: Device,
    targets: Option<Targets>,
    /// D's outputs on the last step's real and fake batches (as D returned
    /// them, on the device), for histograms.
    pub(super) last_d: Option<(Tensor, Tensor)>,
    /// How the step trains (`Recipe::default()`: the tutorials' step).
    pub recipe: Recipe,
    /// The average of G's weights, when the recipe keeps one (see `ema`).
    pub g_ema: Option<Box<dyn Module>>,
}

impl Gan {
    /// Fresh models initialised from `seed`, optimisers as the spec says at `lr`.
    pub fn new(kind: ModelKind, seed: u64, lr: f64) -> Result<Gan> {
        Self::new_on(kind, seed, lr, Device::Cpu)
    }

    /// As `new`, on `device`: the weights are drawn on the CPU from the seeded
    /// streams (so every device starts from the same values), then moved.
    pub fn new_on(kind: ModelKind, seed: u64, lr: f64, device: Device) -> Result<Gan> {
        Self::new_with_channels(kind, 1, seed, lr, device)
    }

    /// As `new_on`, for images of `channels` channels (the DCGANs' `nc`).
    pub fn new_with_channels(
        kind: ModelKind,
        channels: usize,
        seed: u64,
        lr: f64,
        device: Device,
    ) -> Result<Gan> {
        let (g, d) = kind.build_with_channels(seed, channels)?;
        Self::assemble_with_channels(kind, channels, g, d, lr, device)
    }

    /// Move `g` and `d` to `device`, then build the optimisers over the moved
    /// parameters (moving makes new leaves, so the order matters).
    pub fn assemble(
        kind: ModelKind,
        g: Box<dyn Module>,
        d: Box<dyn Module>,
        lr: f64,
        device: Device,
    ) -> Result<Gan> {
        Self::assemble_with_channels(kind, 1, g, d, lr, device)
    }

    /// `assemble` for models built for images of `channels` channels.
    pub fn assemble_with_channels(
        kind: ModelKind,
        channels: usize,
        mut g: Box<dyn Module>,
        mut d: Box<dyn Module>,
        lr: f64,
        device: Device,
    ) -> Result<Gan> {
        for (net, m) in [("G", &mut g), ("D", &mut d)] {
            m.to_device(device)?;
            check_on(kind, net, m.as_ref(), device)?;
        }
        let spec = kind.spec_with_channels(channels);
        let opt_g = optim::build(spec.opt, lr, g.named_parameters());
        let opt_d = optim::build(spec.opt, lr, d.named_parameters());
        Ok(Gan {
            kind,
            spec,
            g,
            d,
            opt_g,
            opt_d,
            device,
            targets: None,
            last_d: None,
            recipe: Recipe::default(),
            g_ema: None,
        })
    }

    /// This pair trained with `recipe` by a run of learning rate `lr`: its
    /// optimisers rebuilt with the recipe's learning rates and betas (before
    /// any step; the tutorials' recipe keeps them as they are).
    pub fn with_recipe(mut self, recipe: Recipe, lr: f64, seed: u64) -> Result<Gan> {
        recipe.check(self.kind)?;
        if let Some(c) = recipe.classes {
            self.make_conditional(c, seed)?;
        }
        if recipe.spectral_norm {
            self.apply_spectral_norm(seed)?;
        }
        if recipe.lr_g.is_some()
            || recipe.lr_d.is_some()
            || recipe.betas.is_some()
            || recipe.spectral_norm
            || recipe.classes.is_some()
        {
            let kind = match (self.spec.opt, recipe.betas) {
                (crate::models::OptKind::Adam { .. }, Some((beta1, beta2))) => {
                    crate::models::OptKind::Adam { beta1, beta2 }
                }
                (k, _) => k,
            };
            let (lr_g, lr_d) = recipe.learning_rates(lr);
            self.opt_g = optim::build(kind, lr_g, self.g.named_parameters());
            self.opt_d = optim::build(kind, lr_d, self.d.named_parameters());
        }
        self.recipe = recipe;
        self.g_ema = match recipe.ema {
            Some(_) => Some(self.fresh_average()?),
            None => None,
        };
        Ok(self)
    }

    pub(super) fn targets(&mut self, b: usize) -> Result<&Targets> {
        if self.targets.as_ref().is_none_or(|t| t.batch != b) {
            let full = |v: f64| Tensor::full(v, &[b, 1], DType::F32, self.device);
            self.targets = Some(Targets {
                batch: b,
                real: full(self.spec.label_smooth as f64)?,
                zeros: full(0.0)?,
                ones: full(1.0)?,
            });
        }
        Ok(self.targets.as_ref().expect("set above"))
    }

    pub(super) fn criterion(&self, out: &Var, target: &Tensor) -> Result<Var> {
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
    pub(super) fn mean_prob(&self, out: &Var) -> Result<f32> {
        let v = out.data().to_vec_f32()?;
        let s: f64 = match self.spec.loss {
            Loss::Bce => v.iter().map(|&x| x as f64).sum(),
            Loss::BceLogits => v.iter().map(|&x| 1.0 / (1.0 + (-x as f64).exp())).sum(),
        };
        Ok((s / v.len().max(1) as f64) as f32)
    }

    /// D's probabilities on the last step's real and fake batches (the
    /// sigmoid of its logits for a BCE-with-logits model), read back to the
    /// host: what D(x) and D(G(z)) average. `None` before the first step.
    pub fn last_d_probabilities(&self) -> Result<Option<(Vec<f32>, Vec<f32>)>> {
        let Some((real, fake)) = &self.last_d else {
            return Ok(None);
        };
        let prob = |t: &Tensor| -> Result<Vec<f32>> {
            let v = t.to_vec_f32()?;
            Ok(match self.spec.loss {
                Loss::Bce => v,
                Loss::BceLogits => v.iter().map(|&x| 1.0 / (1.0 + (-x).exp())).collect(),
            })
        };
        Ok(Some((prob(real)?, prob(fake)?)))
    }

    /// Images as D takes them: (B, C·H·W) for the MLPs, else as they are.
    pub(super) fn d_input(&self, x: &Var) -> Result<Var> {
        let b = x.shape()[0];
        let n = self.spec.image_numel();
        if self.spec.flat_images && x.shape() != [b, n] {
            Ok(x.reshape(&[b, n])?)
        } else {
            Ok(x.clone())
        }
    }

    /// One D update and one G update on `real` (B images in [−1, 1], on any
    /// device); every random draw (z, dropout masks) comes from `rng`. Returns
    /// the figures read back (on a GPU the host waits for the step here).
    pub fn train_step(&mut self, real: &Tensor, rng: &mut StdRng) -> Result<StepStats> {
        self.train_step_deferred(real, rng)?.resolve()
    }

    /// `train_step` without reading anything back.
    pub fn train_step_deferred(&mut self, real: &Tensor, rng: &mut StdRng) -> Result<PendingStats> {
        let b = real.shape()[0];
        let z = sample_z_on(self.spec.z, b, self.spec.latent, rng, self.device)?;
        self.train_step_with_z(real, z, rng)
    }

    /// The step with its latent batch given, so that tests can feed the same
    /// z to two devices; `rng` still drives the dropout masks.
    pub fn train_step_with_z(
        &mut self,
        real: &Tensor,
        z: Tensor,
        rng: &mut StdRng,
    ) -> Result<PendingStats> {
        self.train_step_with_inputs(real, StepInputs::with_z(z), rng)
    }

    /// The step with every draw that `inputs` gives taken from it (z, and
    /// WGAN-GP's ε when given), so that a test can feed the numbers of
    /// another implementation; `rng` draws the rest.
    pub fn train_step_with_inputs(
        &mut self,
        real: &Tensor,
        inputs: StepInputs,
        rng: &mut StdRng,
    ) -> Result<PendingStats> {
        let StepInputs { z, gp_eps, labels } = inputs;
        if !self.recipe.is_tutorial() {
            return self.recipe_step(real, z, gp_eps, labels.as_deref(), rng);
        }
        // Uploads (a no-op on the CPU) go through pinned staging on the copy
        // stream: the host does not wait, and the copy overlaps queued kernels.
        let b = real.shape()[0];
        let z = z.to_device(self.device)?;
        let real = real.clone().to_device(self.device)?;
        let fake = self.g.forward(&Var::constant(z), &mut Fwd::new(rng))?;
        let fake = self.d_input(&fake)?;
        let real = self.d_input(&Var::constant(real))?;

        // Discriminator: real → label_smooth, detached fake → 0.
        let d_real = self.d.forward(&real, &mut Fwd::new(rng))?;
        let d_fake = self.d.forward(&fake.detach(), &mut Fwd::new(rng))?;
        let (t_real, t_zeros, t_ones) = {
            let t = self.targets(b)?;
            (t.real.clone(), t.zeros.clone(), t.ones.clone())
        };
        self.last_d = Some((d_real.data().clone(), d_fake.data().clone()));
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

        if self.device.is_cuda() {
            // The four figures in one launch, read back when a log row needs them.
            let logits = matches!(self.spec.loss, Loss::BceLogits);
            let parts = [
                (d_loss.data(), false),
                (g_loss.data(), false),
                (d_real.data(), logits),
                (d_fake.data(), logits),
            ];
            return Ok(PendingStats::Device(kernels::mean_each(&parts)?));
        }
        Ok(PendingStats::Ready(StepStats {
            d_loss: d_loss.item()? as f32,
            g_loss: g_loss.item()? as f32,
            d_x: self.mean_prob(&d_real)?,
            d_gz: self.mean_prob(&d_fake)?,
        }))
    }
}

/// After a move, every parameter and buffer of `m` (network `net` of `kind`)
/// must be on `device`: a layer without its own `to_device` would stay behind
/// and fail later, with a device mismatch far from the cause.
pub fn check_on(kind: ModelKind, net: &str, m: &dyn Module, device: Device) -> Result<()> {
    let params = m
        .named_parameters()
        .into_iter()
        .map(|(n, p)| (n, p.data().clone()));
    for (name, t) in params.chain(m.named_buffers()) {
        if t.device() != device {
            return Err(Error::Unsupported(format!(
                "{kind} {net}: '{name}' cannot move to {device} yet (it stayed on {}); use --device cpu",
                t.device()
            )));
        }
    }
    Ok(())
}
