//! How a run trains beyond the tutorials: the GAN loss, gradient penalties,
//! critic updates per generator update, the two optimisers' learning rates
//! and betas, an average of G, spectral norm in D and class conditioning. `Recipe::default()` is the tutorials' step, bit for bit; every
//! other value is built into the step by `Gan::train_step_with_z`.
//!
//! ```
//! use gan::prelude::*;
//! use gan::train::recipe::{Ema, GanLoss, Recipe};
//! // WGAN-GP (Gulrajani et al. 2017): critic loss, λ = 10, 5 critic updates per
//! // generator update, Adam 1e-4 with betas (0.5, 0.9) for both networks; and
//! // an exponential moving average of G's weights for sampling.
//! let recipe = Recipe {
//!     loss: GanLoss::Wasserstein,
//!     gp: Some(10.0),
//!     n_critic: 5,
//!     lr_g: Some(1e-4),
//!     lr_d: Some(1e-4),
//!     betas: Some((0.5, 0.9)),
//!     ema: Some(Ema { decay: 0.999, start: 0 }),
//!     ..Recipe::default()
//! };
//! recipe.check(ModelKind::Mlp)?;
//! let mut settings = Settings::for_model(ModelKind::Mlp);
//! settings.batch = 8;
//! settings.recipe = recipe;
//! let mut trainer = Trainer::new(settings, 1, Device::Cpu)?;
//! let mut rng = step_rng(3, u64::MAX);
//! for _ in 0..5 {
//!     let real = Tensor::rand_uniform(&[8, 1, 28, 28], -1.0, 1.0, &mut rng)?;
//!     trainer.step(&real)?;
//! }
//! // five critic updates, one generator update
//! assert_eq!((trainer.gan().opt_d.steps(), trainer.gan().opt_g.steps()), (5, 1));
//! // the average that `generate`, the grids and `gan sample` draw from
//! assert!(trainer.gan().g_ema.is_some());
//! # Ok::<(), gan::Error>(())
//! ```

use crate::error::{Error, Result};
use crate::models::{ModelKind, OptKind};

/// The adversarial loss.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum GanLoss {
    /// The tutorials': binary cross-entropy on D's probability (or its logit,
    /// for mlp-dropout), real target smoothed as the model's spec says, the
    /// non-saturating generator loss.
    #[default]
    Bce,
    /// Hinge (Lim & Ye 2017; SAGAN, BigGAN) on D's raw score s:
    /// D: mean(relu(1 − s_real)) + mean(relu(1 + s_fake)); G: −mean(s_fake).
    Hinge,
    /// The WGAN critic loss on raw scores: D: mean(s_fake) − mean(s_real);
    /// G: −mean(s_fake).
    Wasserstein,
    /// Least squares (Mao et al. 2017) on raw scores, as PyTorch's MSELoss
    /// writes it: D: mean((s_real − 1)²) + mean(s_fake²); G: mean((s_fake − 1)²).
    Lsgan,
}

impl GanLoss {
    /// Every loss, in the order of `--help`.
    pub const ALL: [GanLoss; 4] = [
        GanLoss::Bce,
        GanLoss::Hinge,
        GanLoss::Wasserstein,
        GanLoss::Lsgan,
    ];

    /// Its name on the command line and in checkpoints.
    pub fn name(self) -> &'static str {
        match self {
            GanLoss::Bce => "bce",
            GanLoss::Hinge => "hinge",
            GanLoss::Wasserstein => "wasserstein",
            GanLoss::Lsgan => "lsgan",
        }
    }

    /// The loss called `s`.
    pub fn from_name(s: &str) -> Option<GanLoss> {
        Self::ALL.into_iter().find(|l| l.name() == s)
    }

    /// Whether D's raw score is used (D without its final sigmoid).
    pub fn raw_scores(self) -> bool {
        self != GanLoss::Bce
    }
}

/// R1 (Mescheder et al. 2018) on real images, lazily (StyleGAN2).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct R1 {
    /// γ: the penalty is γ/2·mean(‖∇ₓD(x)‖²).
    pub gamma: f64,
    /// Taken every `every` D updates and scaled by `every`, added to that
    /// update's D loss.
    pub every: u32,
}

/// An exponential moving average of G's weights (Karras et al. 2018,
/// Yazıcı et al. 2019), used wherever the run draws images: the grids,
/// `--eval-every` and `gan sample` (`G_ema.safetensors`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Ema {
    /// The average's decay per G update: avg ← decay·avg + (1 − decay)·G,
    /// as `torch._foreach_lerp_(avg, G, 1 − decay)` (0.999 is usual).
    pub decay: f64,
    /// G updates through which the average is a copy of G; it averages from
    /// the next one on (0: from G's first update).
    pub start: u64,
}

/// Everything a step does beyond the tutorials (see the module docs).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Recipe {
    /// The adversarial loss.
    pub loss: GanLoss,
    /// WGAN-GP's λ: λ·mean((‖∇D(x̂)‖₂ − 1)²) on interpolates x̂ of the real
    /// and (detached) fake batch, one ε ~ U(0, 1) per sample, added to D's loss.
    pub gp: Option<f64>,
    /// R1 on the real batch.
    pub r1: Option<R1>,
    /// D updates per G update: each step updates D; G is updated on every
    /// `n_critic`-th step (one batch per D update, as WGAN-GP's algorithm).
    pub n_critic: u32,
    /// G's learning rate (`None`: the run's `lr`).
    pub lr_g: Option<f64>,
    /// D's learning rate (`None`: the run's `lr`).
    pub lr_d: Option<f64>,
    /// Adam's (β1, β2) for both networks (`None`: the model's spec).
    pub betas: Option<(f64, f64)>,
    /// An average of G's weights for sampling (`None`: sample from G).
    pub ema: Option<Ema>,
    /// D's Linear and Conv2d weights spectrally normalised
    /// (`torch.nn.utils.parametrizations.spectral_norm`, one power iteration
    /// per train-mode forward; see `nn::spectral_norm`).
    pub spectral_norm: bool,
    /// Class-conditional G and D over this many classes (`--conditional`:
    /// the data set's; see `models::conditional`). The step then needs the
    /// classes of each real batch; the fakes are drawn for the same classes.
    /// `Some(Recipe::CLASSES_FROM_DATA)` before the data is opened: the
    /// training set's count, filled in when the run opens it.
    pub classes: Option<u32>,
}

impl Default for Recipe {
    /// The tutorials' step.
    fn default() -> Self {
        Recipe {
            loss: GanLoss::Bce,
            gp: None,
            r1: None,
            n_critic: 1,
            lr_g: None,
            lr_d: None,
            betas: None,
            ema: None,
            spectral_norm: false,
            classes: None,
        }
    }
}

impl Recipe {
    /// `classes` to be counted from the training set (`--conditional`).
    pub const CLASSES_FROM_DATA: u32 = 0;

    /// The recommended recipe for `model` (`--recipe best`; README:
    /// recipes, for the runs behind each choice).
    ///
    /// - mlp and mlp-dropout: WGAN-GP with λ 10, 2 critic updates per G
    ///   update, Adam 2e-4 for both with betas (0.5, 0.9). On mlp, 30 epochs
    ///   of MNIST, three seeds: Fréchet distance 68–83 (median 79) against
    ///   the tutorials' 512–594 (median 549), 10/10 classes in every seed.
    ///   (mlp-dropout: not measured.)
    /// - mlp-small (SGD, no betas): hinge with spectral norm in D (not
    ///   measured).
    /// - dcgan28: the tutorials' loss (BCE) and Adam with lazy R1, γ 4
    ///   every 16 D updates, on D's probability, and an EMA of G (0.999);
    ///   `Settings::best` adds batches of 32 instead of 128. On dcgan28, 10
    ///   epochs of MNIST: see the README's recipes table (the batches
    ///   alone: 12.0 and 15.9 against the tutorial's 17.3 and 21.5 on
    ///   seeds 0 and 1; with R1 γ 0.25, 1, 4, 16, seed 0: 8.1, 7.3, 6.3,
    ///   8.0; with γ 4 and the EMA: 3.2). Spectral norm on a D with batch
    ///   norm trains badly (seed 0: 331); an EMA of G without R1 on batches
    ///   of 128 hurt (26.3).
    /// - dcgan64: the tutorials' recipe (not measured: one run takes hours
    ///   on the CPUs at hand).
    /// - dcgan28-nobn: hinge, spectral norm in D, Adam D 4e-4 / G 1e-4 with
    ///   betas (0, 0.9) (SAGAN's), the critic without batch norm that
    ///   spectral norm is made for (seed 0, 10 epochs: 44.9).
    pub fn best(model: ModelKind) -> Recipe {
        match model {
            ModelKind::Mlp | ModelKind::MlpDropout => Recipe {
                loss: GanLoss::Wasserstein,
                gp: Some(10.0),
                n_critic: 2,
                lr_g: Some(2e-4),
                lr_d: Some(2e-4),
                betas: Some((0.5, 0.9)),
                ..Recipe::default()
            },
            ModelKind::MlpSmall => Recipe {
                loss: GanLoss::Hinge,
                spectral_norm: true,
                ..Recipe::default()
            },
            ModelKind::Dcgan28 => Recipe {
                r1: Some(R1 {
                    gamma: 4.0,
                    every: 16,
                }),
                ema: Some(Ema {
                    decay: 0.999,
                    start: 0,
                }),
                ..Recipe::default()
            },
            ModelKind::Dcgan64 => Recipe::default(),
            ModelKind::Dcgan28NoBn => Recipe {
                loss: GanLoss::Hinge,
                spectral_norm: true,
                lr_g: Some(1e-4),
                lr_d: Some(4e-4),
                betas: Some((0.0, 0.9)),
                ..Recipe::default()
            },
        }
    }

    /// Whether this is the tutorials' step (the step then runs exactly as it
    /// always has).
    pub fn is_tutorial(&self) -> bool {
        *self == Recipe::default()
    }

    /// A clear error for a value that means nothing or cannot work with
    /// `model` (before any data is read).
    pub fn check(&self, model: ModelKind) -> Result<()> {
        let positive = |flag: &str, v: f64| {
            if v.is_finite() && v > 0.0 {
                Ok(())
            } else {
                Err(Error::usage(format!(
                    "{flag} must be a positive number, not {v}"
                )))
            }
        };
        if let Some(l) = self.gp {
            positive("--gp", l)?;
        }
        if let Some(r) = self.r1 {
            positive("--r1", r.gamma)?;
            if r.every == 0 {
                return Err(Error::usage("--r1-every must be at least 1"));
            }
        }
        if self.n_critic == 0 {
            return Err(Error::usage(
                "--n-critic must be at least 1 (D updates per G update)",
            ));
        }
        for (flag, lr) in [("--lr-g", self.lr_g), ("--lr-d", self.lr_d)] {
            if let Some(l) = lr {
                positive(flag, l)?;
            }
        }
        if let Some((b1, b2)) = self.betas {
            if !(0.0..1.0).contains(&b1) || !(0.0..1.0).contains(&b2) {
                return Err(Error::usage(format!(
                    "--betas {b1},{b2}: each must be in [0, 1)"
                )));
            }
            if let OptKind::Sgd { .. } = model.spec().opt {
                return Err(Error::usage(format!(
                    "--betas: {} trains with SGD, which has no betas",
                    model.name()
                )));
            }
        }
        if let Some(c) = self.classes {
            if !model.supports_conditional() {
                return Err(Error::usage(format!(
                    "--conditional: {model} has no conditional version (mlp, dcgan28, dcgan28-nobn \
                     and dcgan64 have)"
                )));
            }
            if c < 2 && c != Self::CLASSES_FROM_DATA {
                return Err(Error::usage(format!(
                    "--conditional needs images of two classes or more, not {c}"
                )));
            }
        }
        if let Some(e) = self.ema {
            if !(e.decay > 0.0 && e.decay < 1.0) {
                return Err(Error::usage(format!(
                    "--ema {}: the decay must be in (0, 1) (0.999 is usual)",
                    e.decay
                )));
            }
        }
        Ok(())
    }

    /// What a user should know about this recipe on `model` that is not an
    /// error: a gradient penalty through batch norm.
    pub fn note_for(&self, model: ModelKind) -> Option<String> {
        let penalty = self.gp.is_some() || self.r1.is_some();
        let batch_norm_critic = matches!(model, ModelKind::Dcgan28 | ModelKind::Dcgan64);
        (penalty && batch_norm_critic).then(|| {
            format!(
                "{model}'s D has batch norm, so each image's penalty depends on the rest of its \
                 batch (the WGAN-GP paper drops it from the critic); dcgan28-nobn is dcgan28 \
                 with such a critic"
            )
        })
    }

    /// The learning rates of G and D for a run whose `lr` is `lr`.
    pub fn learning_rates(&self, lr: f64) -> (f64, f64) {
        (self.lr_g.unwrap_or(lr), self.lr_d.unwrap_or(lr))
    }

    /// One line for the run's first output (`None` for the tutorials' step).
    pub fn describe(&self) -> Option<String> {
        if self.is_tutorial() {
            return None;
        }
        let mut parts = vec![format!("loss {}", self.loss.name())];
        if let Some(l) = self.gp {
            parts.push(format!("WGAN-GP λ {l}"));
        }
        if let Some(r) = self.r1 {
            parts.push(format!("R1 γ {} every {} steps", r.gamma, r.every));
        }
        if self.n_critic != 1 {
            parts.push(format!("{} D updates per G update", self.n_critic));
        }
        if let Some(l) = self.lr_g {
            parts.push(format!("lr G {l}"));
        }
        if let Some(l) = self.lr_d {
            parts.push(format!("lr D {l}"));
        }
        if let Some((a, b)) = self.betas {
            parts.push(format!("betas ({a}, {b})"));
        }
        if let Some(e) = self.ema {
            let from = match e.start {
                0 => String::new(),
                n => format!(" after G update {n}"),
            };
            parts.push(format!("EMA of G (decay {}{from})", e.decay));
        }
        if self.spectral_norm {
            parts.push("spectral norm in D".to_string());
        }
        match self.classes {
            Some(Self::CLASSES_FROM_DATA) => parts.push("class-conditional".to_string()),
            Some(c) => parts.push(format!("conditional on {c} classes (projection D)")),
            None => {}
        }
        Some(format!("recipe: {}", parts.join(", ")))
    }
}

#[path = "recipe_json.rs"]
mod json;

#[cfg(test)]
#[path = "recipe_tests.rs"]
mod tests;
