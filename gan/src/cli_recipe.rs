//! The recipe flags of `gan train` (`Recipe`, beyond the tutorials), flattened
//! into `TrainArgs`.

use super::cli_values::parse_lr;
use crate::models::ModelKind;
use crate::train::recipe::{Ema, GanLoss, Recipe, R1};
use clap::{value_parser, Args};

fn parse_positive(s: &str) -> Result<f64, String> {
    let v: f64 = s.parse().map_err(|_| format!("'{s}' is not a number"))?;
    if v.is_finite() && v > 0.0 {
        Ok(v)
    } else {
        Err(format!("{s} must be a positive number"))
    }
}

fn parse_decay(s: &str) -> Result<f64, String> {
    let v: f64 = s.parse().map_err(|_| format!("'{s}' is not a number"))?;
    if v > 0.0 && v < 1.0 {
        Ok(v)
    } else {
        Err(format!("the decay {s} must be in (0, 1) (0.999 is usual)"))
    }
}

fn parse_betas(s: &str) -> Result<(f64, f64), String> {
    let parts: Vec<&str> = s.split(',').collect();
    let [a, b] = parts[..] else {
        return Err(format!("'{s}' is not two numbers B1,B2 (e.g. 0.5,0.9)"));
    };
    let num = |x: &str| -> Result<f64, String> {
        let v: f64 = x
            .trim()
            .parse()
            .map_err(|_| format!("'{x}' is not a number"))?;
        if (0.0..1.0).contains(&v) {
            Ok(v)
        } else {
            Err(format!("beta {x} must be in [0, 1)"))
        }
    };
    Ok((num(a)?, num(b)?))
}

/// The recipe flags: each one field of `Recipe`.
#[derive(Args, Debug, Clone, Default)]
pub struct RecipeArgs {
    /// Start from a recipe: `tutorial` (the default: the tutorials' step) or
    /// `best`, the recommended one for the model, measured on MNIST (README:
    /// recipes): mlp and mlp-dropout: WGAN-GP, --loss wasserstein --gp 10
    /// --n-critic 2 --lr-g 2e-4 --lr-d 2e-4 --betas 0.5,0.9; mlp-small:
    /// --loss hinge --spectral-norm; dcgan28: --r1 4 --r1-every 16 --ema
    /// 0.999 --batch-size 32; dcgan64: the tutorials'; dcgan28-nobn: --loss hinge
    /// --spectral-norm --lr-d 4e-4 --lr-g 1e-4 --betas 0,0.9. The flags below
    /// change it
    #[arg(long, value_name = "NAME", value_parser = ["tutorial", "best"], help_heading = "Recipe (beyond the tutorials)")]
    pub recipe: Option<String>,

    /// The adversarial loss. The losses on D's raw score use D without its
    /// final sigmoid (the checkpoint is the same model) [default: bce, the
    /// tutorials']
    #[arg(long, value_enum, help_heading = "Recipe (beyond the tutorials)")]
    pub loss: Option<GanLoss>,

    /// WGAN-GP: add LAMBDA·mean((‖∇D(x̂)‖₂ − 1)²) on interpolates x̂ of the real
    /// and fake batch (one ε per image) to D's loss; on D's raw score, or on
    /// its probability with --loss bce (allowed, rarely useful). 10 in the paper
    #[arg(long, value_name = "LAMBDA", allow_negative_numbers = true, value_parser = parse_positive, help_heading = "Recipe (beyond the tutorials)")]
    pub gp: Option<f64>,

    /// R1: add GAMMA/2·mean(‖∇D(x)‖²) on the real batch to D's loss, lazily
    /// (every --r1-every D updates, scaled by it, as StyleGAN2)
    #[arg(long, value_name = "GAMMA", allow_negative_numbers = true, value_parser = parse_positive, help_heading = "Recipe (beyond the tutorials)")]
    pub r1: Option<f64>,

    /// D updates between two R1 penalties [default: 16, with --r1]
    #[arg(long, value_name = "K", requires = "r1", allow_negative_numbers = true, value_parser = value_parser!(u32).range(1..), help_heading = "Recipe (beyond the tutorials)")]
    pub r1_every: Option<u32>,

    /// D updates per G update (one batch each: G is updated on every N-th
    /// step) [default: 1]
    #[arg(long, value_name = "N", allow_negative_numbers = true, value_parser = value_parser!(u32).range(1..=1000), help_heading = "Recipe (beyond the tutorials)")]
    pub n_critic: Option<u32>,

    /// G's learning rate (two time-scale updates) [default: --lr]
    #[arg(long, value_name = "LR", allow_negative_numbers = true, value_parser = parse_lr, help_heading = "Recipe (beyond the tutorials)")]
    pub lr_g: Option<f64>,

    /// D's learning rate [default: --lr]
    #[arg(long, value_name = "LR", allow_negative_numbers = true, value_parser = parse_lr, help_heading = "Recipe (beyond the tutorials)")]
    pub lr_d: Option<f64>,

    /// Adam's betas of both optimisers, as B1,B2 (e.g. 0.5,0.9; Adam models
    /// only) [default: the model's]
    #[arg(long, value_name = "B1,B2", allow_negative_numbers = true, value_parser = parse_betas, help_heading = "Recipe (beyond the tutorials)")]
    pub betas: Option<(f64, f64)>,

    /// Keep an exponential moving average of G's weights (decay per G update,
    /// e.g. 0.999) and draw the grids, --eval-every and `gan sample` from it;
    /// saved as G_ema.safetensors beside G (the same keys: it loads into G)
    #[arg(long, value_name = "DECAY", allow_negative_numbers = true, value_parser = parse_decay, help_heading = "Recipe (beyond the tutorials)")]
    pub ema: Option<f64>,

    /// G updates through which the average is a copy of G; it averages from
    /// the next one on [default: 0, with --ema]
    #[arg(
        long,
        value_name = "N",
        requires = "ema",
        help_heading = "Recipe (beyond the tutorials)"
    )]
    pub ema_start: Option<u64>,

    /// Class-conditional G and D on the data set's labels (the MNIST family's
    /// label files; a folder's class folders): G takes z joined with a class
    /// embedding, D scores by projection (Miyato & Koyama 2018). Grids get one
    /// row per class; `gan sample --class K` picks one. mlp, dcgan28,
    /// dcgan28-nobn and dcgan64
    #[arg(long, help_heading = "Recipe (beyond the tutorials)")]
    pub conditional: bool,

    /// Spectral normalisation of D's linear and conv weights (Miyato et al.
    /// 2018), as PyTorch's parametrizations.spectral_norm: one power
    /// iteration per training forward; u and v saved with D
    #[arg(long, help_heading = "Recipe (beyond the tutorials)")]
    pub spectral_norm: bool,
}

impl RecipeArgs {
    /// The recipe the flags ask for for `model` (`--recipe best` depends on
    /// it; `None`: mlp, the default), when any recipe flag was given.
    pub fn recipe(&self, model: Option<ModelKind>) -> Option<Recipe> {
        let any = self.recipe.is_some()
            || self.loss.is_some()
            || self.gp.is_some()
            || self.r1.is_some()
            || self.n_critic.is_some()
            || self.lr_g.is_some()
            || self.lr_d.is_some()
            || self.betas.is_some()
            || self.ema.is_some()
            || self.spectral_norm
            || self.conditional;
        if !any {
            return None;
        }
        let base = match self.recipe.as_deref() {
            Some("best") => Recipe::best(model.unwrap_or(ModelKind::Mlp)),
            _ => Recipe::default(),
        };
        Some(Recipe {
            loss: self.loss.unwrap_or(base.loss),
            gp: self.gp.or(base.gp),
            r1: self
                .r1
                .map(|gamma| R1 {
                    gamma,
                    every: self.r1_every.unwrap_or(16),
                })
                .or(base.r1),
            n_critic: self.n_critic.unwrap_or(base.n_critic),
            lr_g: self.lr_g.or(base.lr_g),
            lr_d: self.lr_d.or(base.lr_d),
            betas: self.betas.or(base.betas),
            ema: self
                .ema
                .map(|decay| Ema {
                    decay,
                    start: self.ema_start.unwrap_or(0),
                })
                .or(base.ema),
            spectral_norm: self.spectral_norm || base.spectral_norm,
            classes: self.conditional.then_some(Recipe::CLASSES_FROM_DATA),
        })
    }
}
