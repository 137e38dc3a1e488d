//! The models of `models.py`, each with its tutorial's training settings
//! (`spec`). A model is a pair of modules (G, D); D returns one value per image,
//! a probability or a logit as `Spec::loss` says.

mod mlp;
mod mlp_dropout;
mod mlp_small;

use crate::nn::Module;
use rand::rngs::StdRng;
use rand::SeedableRng;
use std::fmt;
use tensor::Result;

/// The models this build knows. The DCGANs of models.py slot in here later.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ModelKind {
    /// Classic MNIST MLP GAN: latent 64, hidden 256, BCE, Adam 2e-4, batch 100.
    Mlp,
    /// Lecture-slides GAN: one hidden layer of 128, SGD lr 0.03, batch 64, Fashion-MNIST.
    MlpSmall,
    /// Blog GAN: dropout 0.3, BCE-with-logits, labels smoothed to 0.9, z ~ U(−1, 1), Adam 2e-3.
    MlpDropout,
}

impl ModelKind {
    pub const ALL: [ModelKind; 3] = [ModelKind::Mlp, ModelKind::MlpSmall, ModelKind::MlpDropout];

    pub fn name(self) -> &'static str {
        match self {
            ModelKind::Mlp => "mlp",
            ModelKind::MlpSmall => "mlp-small",
            ModelKind::MlpDropout => "mlp-dropout",
        }
    }

    pub fn from_name(s: &str) -> Option<ModelKind> {
        Self::ALL.into_iter().find(|k| k.name() == s)
    }

    /// The tutorial's settings, as `spec` in models.py.
    pub fn spec(self) -> Spec {
        match self {
            ModelKind::Mlp => Spec {
                latent: 64,
                batch: 100,
                image: [1, 28, 28],
                loss: Loss::Bce,
                opt: OptKind::Adam {
                    beta1: 0.9,
                    beta2: 0.999,
                },
                lr: 2e-4,
                z: Noise::Normal,
                label_smooth: 1.0,
                dataset: "mnist",
                epochs: 30,
                flat_images: true,
            },
            ModelKind::MlpSmall => Spec {
                latent: 100,
                batch: 64,
                image: [1, 28, 28],
                loss: Loss::Bce,
                opt: OptKind::Sgd { momentum: 0.0 },
                lr: 0.03,
                z: Noise::Normal,
                label_smooth: 1.0,
                dataset: "fashion-mnist",
                epochs: 30,
                flat_images: true,
            },
            ModelKind::MlpDropout => Spec {
                latent: 100,
                batch: 64,
                image: [1, 28, 28],
                loss: Loss::BceLogits,
                opt: OptKind::Adam {
                    beta1: 0.9,
                    beta2: 0.999,
                },
                lr: 2e-3,
                z: Noise::Uniform,
                label_smooth: 0.9,
                dataset: "mnist",
                epochs: 30,
                flat_images: true,
            },
        }
    }

    /// Build (G, D) with PyTorch's default initialisation, each from its own
    /// stream derived from `seed`.
    pub fn build(self, seed: u64) -> Result<(Box<dyn Module>, Box<dyn Module>)> {
        let mut rg =
            StdRng::seed_from_u64(crate::train::noise::mix(seed, crate::train::noise::INIT_G));
        let mut rd =
            StdRng::seed_from_u64(crate::train::noise::mix(seed, crate::train::noise::INIT_D));
        Ok(match self {
            ModelKind::Mlp => (
                Box::new(mlp::generator(&mut rg)?),
                Box::new(mlp::discriminator(&mut rd)?),
            ),
            ModelKind::MlpSmall => (
                Box::new(mlp_small::SmallG::new(&mut rg)?),
                Box::new(mlp_small::SmallD::new(&mut rd)?),
            ),
            ModelKind::MlpDropout => (
                Box::new(mlp_dropout::DropG::new(&mut rg)?),
                Box::new(mlp_dropout::DropD::new(&mut rd)?),
            ),
        })
    }
}

impl fmt::Display for ModelKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The training loss: D outputs probabilities (BCE) or logits (BCE with logits).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Loss {
    Bce,
    BceLogits,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum OptKind {
    Adam { beta1: f64, beta2: f64 },
    Sgd { momentum: f64 },
}

/// How z is drawn: N(0, 1) as (B, latent), U(−1, 1), or N(0, 1) as (B, latent, 1, 1).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Noise {
    Normal,
    Uniform,
    Normal4d,
}

/// A model's tutorial settings (`spec` in models.py) plus the default epochs.
#[derive(Clone, Debug, PartialEq)]
pub struct Spec {
    pub latent: usize,
    pub batch: usize,
    pub image: [usize; 3],
    pub loss: Loss,
    pub opt: OptKind,
    pub lr: f64,
    pub z: Noise,
    /// Target of real images in D's loss (0.9 = one-sided label smoothing).
    pub label_smooth: f32,
    pub dataset: &'static str,
    pub epochs: usize,
    /// D takes images flattened to (B, C·H·W), as the MLPs do.
    pub flat_images: bool,
}

impl Spec {
    pub fn image_numel(&self) -> usize {
        self.image.iter().product()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameter_counts_match_pytorch() {
        let want = [
            (ModelKind::Mlp, 283_920, 267_009),
            (ModelKind::MlpSmall, 114_064, 100_609),
            (ModelKind::MlpDropout, 114_800, 110_849),
        ];
        for (k, g, d) in want {
            let (mg, md) = k.build(0).unwrap();
            assert_eq!(mg.num_parameters(), g, "{k} G");
            assert_eq!(md.num_parameters(), d, "{k} D");
        }
    }

    #[test]
    fn state_dict_names_are_pytorchs() {
        let names = |m: &dyn Module| -> Vec<String> {
            m.named_parameters().into_iter().map(|(n, _)| n).collect()
        };
        let (g, d) = ModelKind::Mlp.build(0).unwrap();
        assert_eq!(
            names(g.as_ref()),
            ["0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias"]
        );
        assert_eq!(names(d.as_ref()), names(g.as_ref()));
        let (g, d) = ModelKind::MlpSmall.build(0).unwrap();
        assert_eq!(
            names(g.as_ref()),
            ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]
        );
        assert_eq!(names(d.as_ref()), names(g.as_ref()));
        let (g, _) = ModelKind::MlpDropout.build(0).unwrap();
        assert_eq!(names(g.as_ref()).len(), 8);
        assert_eq!(names(g.as_ref())[7], "fc4.bias");
    }
}
