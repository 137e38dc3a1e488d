//! The average of G's weights (`Recipe::ema`): a second generator, kept on
//! G's device, that follows G after each of its updates and draws every
//! image the run shows (grids, `--eval-every`) and saves (`G_ema.safetensors`).
//!
//! As PyTorch's `AveragedModel(G, multi_avg_fn=get_ema_multi_avg_fn(decay),
//! use_buffers=False)` followed by a copy of the buffers: the parameters
//! move by `torch._foreach_lerp_(avg, G, 1 − decay)`, the batchnorm running
//! statistics and counts are G's (an average of running statistics would
//! not describe the averaged weights any better, and BigGAN copies them too).

use super::step::Gan;
use crate::error::Result;
use crate::nn::Module;
use kernels::optim::{lerp_many, LerpTensors};

/// Copy every parameter, buffer and count of `src` into `dst` (same model).
pub(crate) fn copy_module(dst: &dyn Module, src: &dyn Module) -> Result<()> {
    for ((_, d), (_, s)) in dst.state_dict().iter().zip(src.state_dict()) {
        kernels::copy_into(d, &s)?;
    }
    for ((_, d), (_, s)) in dst.named_counts().iter().zip(src.named_counts()) {
        d.set(s.get());
    }
    Ok(())
}

impl Gan {
    /// A copy of G as it is now: the average's start.
    pub(super) fn fresh_average(&self) -> Result<Box<dyn Module>> {
        let (mut avg, _) = self.kind.build_for(0, self.spec.image[0], self.classes())?;
        avg.to_device(self.device)?;
        avg.set_training(false);
        copy_module(avg.as_ref(), self.g.as_ref())?;
        Ok(avg)
    }

    /// After G's update: the average takes its step (or, through the
    /// recipe's `start`, becomes a copy of G).
    pub(super) fn update_average(&mut self) -> Result<()> {
        let (Some(e), Some(avg)) = (self.recipe.ema, self.g_ema.as_ref()) else {
            return Ok(());
        };
        if self.opt_g.steps() <= e.start {
            return copy_module(avg.as_ref(), self.g.as_ref());
        }
        let (a, g) = (avg.named_parameters(), self.g.named_parameters());
        let (a, g): (Vec<_>, Vec<_>) = (
            a.iter().map(|(_, p)| p.data().clone()).collect(),
            g.iter().map(|(_, p)| p.data().clone()).collect(),
        );
        let list: Vec<LerpTensors> = a
            .iter()
            .zip(&g)
            .map(|(avg, value)| LerpTensors { avg, value })
            .collect();
        lerp_many(&list, 1.0 - e.decay)?;
        for ((_, d), (_, s)) in avg.named_buffers().iter().zip(self.g.named_buffers()) {
            kernels::copy_into(d, &s)?;
        }
        for ((_, d), (_, s)) in avg.named_counts().iter().zip(self.g.named_counts()) {
            d.set(s.get());
        }
        Ok(())
    }

    /// The generator that draws the run's images: the average when the
    /// recipe keeps one, else G.
    pub fn sampler(&self) -> &dyn Module {
        self.g_ema.as_deref().unwrap_or(self.g.as_ref())
    }
}
