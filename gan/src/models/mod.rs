//! The models of `models.py`, each with its tutorial's training settings
//! (`spec`). A model is a pair of modules (G, D); D returns one value per image,
//! a probability or a logit as `Spec::loss` says.

pub mod conditional;
mod dcgan;
pub mod dcgan28;
pub mod dcgan64;
mod mlp;
mod mlp_dropout;
mod mlp_small;

use crate::nn::Module;
use rand::rngs::StdRng;
use rand::SeedableRng;
use std::fmt;
use tensor::Result;

/// The five models of models.py (each one's settings: `about`, `spec`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ModelKind {
    /// The classic MNIST MLP GAN.
    Mlp,
    /// The lecture slides' GAN with one hidden layer.
    MlpSmall,
    /// The blog post's GAN with dropout.
    MlpDropout,
    /// The book chapter's DCGAN for 28×28 images.
    Dcgan28,
    /// The PyTorch tutorial's DCGAN for 64×64 images.
    Dcgan64,
    /// dcgan28 with a critic without batch norm, for gradient penalties (not
    /// in models.py: a variant, see `dcgan28::critic_without_batch_norm`).
    Dcgan28NoBn,
}

impl ModelKind {
    /// Every model, in the order of models.py.
    pub const ALL: [ModelKind; 5] = [
        ModelKind::Mlp,
        ModelKind::MlpSmall,
        ModelKind::MlpDropout,
        ModelKind::Dcgan28,
        ModelKind::Dcgan64,
    ];

    /// Every model the command line offers: models.py's five, then the
    /// variants built from them.
    pub const EVERY: [ModelKind; 6] = [
        ModelKind::Mlp,
        ModelKind::MlpSmall,
        ModelKind::MlpDropout,
        ModelKind::Dcgan28,
        ModelKind::Dcgan64,
        ModelKind::Dcgan28NoBn,
    ];

    /// The model's name on the command line and in checkpoints.
    pub fn name(self) -> &'static str {
        match self {
            ModelKind::Mlp => "mlp",
            ModelKind::MlpSmall => "mlp-small",
            ModelKind::MlpDropout => "mlp-dropout",
            ModelKind::Dcgan28 => "dcgan28",
            ModelKind::Dcgan64 => "dcgan64",
            ModelKind::Dcgan28NoBn => "dcgan28-nobn",
        }
    }

    /// The model called `s` (see `name`).
    pub fn from_name(s: &str) -> Option<ModelKind> {
        Self::EVERY.into_iter().find(|k| k.name() == s)
    }

    /// One line on the model and its tutorial's settings.
    pub fn about(self) -> &'static str {
        match self {
            ModelKind::Mlp => "Classic MNIST MLP GAN: latent 64, hidden 256, BCE, Adam 2e-4, batch 100",
            ModelKind::MlpSmall => {
                "Lecture-slides GAN: one hidden layer of 128, SGD lr 0.03, batch 64, Fashion-MNIST"
            }
            ModelKind::MlpDropout => {
                "Blog GAN: dropout 0.3, BCE-with-logits, labels smoothed to 0.9, z ~ U(−1, 1), Adam 2e-3"
            }
            ModelKind::Dcgan28 => {
                "Book-chapter DCGAN for 28×28 (Kuzushiji-MNIST): batch norm, Adam 2e-4 (β1 0.5), batch 128"
            }
            ModelKind::Dcgan64 => {
                "PyTorch-tutorial DCGAN for 64×64 (MNIST resized): batch norm, Adam 2e-4 (β1 0.5), batch 128"
            }
            ModelKind::Dcgan28NoBn => {
                "dcgan28 with a critic without batch norm (conv biases, no normalisation), for --gp as the WGAN-GP paper"
            }
        }
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
            ModelKind::Dcgan28 | ModelKind::Dcgan28NoBn => dcgan_spec([1, 28, 28], "kmnist"),
            ModelKind::Dcgan64 => dcgan_spec([1, 64, 64], "mnist"),
        }
    }

    /// Whether the model takes images of `channels` channels: the DCGANs 1
    /// or 3 (`nc`), the MLPs 1 (their layer sizes are 28·28).
    pub fn supports_channels(self, channels: usize) -> bool {
        match self {
            ModelKind::Dcgan28 | ModelKind::Dcgan64 | ModelKind::Dcgan28NoBn => {
                channels == 1 || channels == 3
            }
            _ => channels == 1,
        }
    }

    /// `spec()` for images of `channels` channels (see `supports_channels`).
    pub fn spec_with_channels(self, channels: usize) -> Spec {
        let mut s = self.spec();
        s.image[0] = channels;
        s
    }

    /// Build (G, D) with PyTorch's default initialisation, each from its own
    /// stream derived from `seed`.
    pub fn build(self, seed: u64) -> Result<(Box<dyn Module>, Box<dyn Module>)> {
        self.build_with_channels(seed, 1)
    }

    /// `build` for images of `channels` channels: `_dcgan64(nc)`, and
    /// dcgan28 with `nc` in place of its 1. The same seed and 1 channel give
    /// `build`'s very weights.
    pub fn build_with_channels(
        self,
        seed: u64,
        channels: usize,
    ) -> Result<(Box<dyn Module>, Box<dyn Module>)> {
        if !self.supports_channels(channels) {
            return Err(tensor::Error::InvalidArgument {
                op: "build",
                msg: format!("{self} takes images of 1 channel, not {channels}"),
                shape: vec![channels],
            });
        }
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
            ModelKind::Dcgan28 => (
                Box::new(dcgan28::generator(channels, &mut rg)?),
                Box::new(dcgan28::discriminator(channels, &mut rd)?),
            ),
            ModelKind::Dcgan64 => (
                Box::new(dcgan64::generator(channels, &mut rg)?),
                Box::new(dcgan64::discriminator(channels, &mut rd)?),
            ),
            ModelKind::Dcgan28NoBn => (
                Box::new(dcgan28::generator(channels, &mut rg)?),
                Box::new(dcgan28::critic_without_batch_norm(channels, &mut rd)?),
            ),
        })
    }
}

impl ModelKind {
    /// Whether `--conditional` can build this model (the Sequential ones: G
    /// takes a wider input, D's head is its last layer).
    pub fn supports_conditional(self) -> bool {
        !matches!(self, ModelKind::MlpSmall | ModelKind::MlpDropout)
    }

    /// `build_with_channels`, class-conditional over `classes` classes when
    /// given (see `conditional`): G built for latent + C inputs and given a
    /// class embedding, D given a projection, each drawn after its network
    /// from the network's stream.
    pub fn build_for(
        self,
        seed: u64,
        channels: usize,
        classes: Option<usize>,
    ) -> Result<(Box<dyn Module>, Box<dyn Module>)> {
        let Some(c) = classes else {
            return self.build_with_channels(seed, channels);
        };
        if !self.supports_conditional() || c < 2 || !self.supports_channels(channels) {
            return Err(tensor::Error::InvalidArgument {
                op: "build",
                msg: format!(
                    "{self} has no class-conditional version for {c} classes of {channels} channel(s) \
                     (--conditional takes mlp, dcgan28, dcgan28-nobn or dcgan64, and two classes or more)"
                ),
                shape: vec![c],
            });
        }
        let mut rg =
            StdRng::seed_from_u64(crate::train::noise::mix(seed, crate::train::noise::INIT_G));
        let mut rd =
            StdRng::seed_from_u64(crate::train::noise::mix(seed, crate::train::noise::INIT_D));
        let latent = self.spec().latent;
        let (g, d, features) = match self {
            ModelKind::Mlp => (
                mlp::generator_with_inputs(latent + c, &mut rg)?,
                mlp::discriminator(&mut rd)?,
                mlp::HIDDEN,
            ),
            ModelKind::Dcgan28 => (
                dcgan28::generator_with_inputs(channels, latent + c, &mut rg)?,
                dcgan28::discriminator(channels, &mut rd)?,
                dcgan28::FEATURES,
            ),
            ModelKind::Dcgan28NoBn => (
                dcgan28::generator_with_inputs(channels, latent + c, &mut rg)?,
                dcgan28::critic_without_batch_norm(channels, &mut rd)?,
                dcgan28::FEATURES,
            ),
            ModelKind::Dcgan64 => (
                dcgan64::generator_with_inputs(channels, latent + c, &mut rg)?,
                dcgan64::discriminator(channels, &mut rd)?,
                dcgan64::FEATURES,
            ),
            ModelKind::MlpSmall | ModelKind::MlpDropout => unreachable!("checked above"),
        };
        let g = conditional::ConditionalG::new(c, Box::new(g), &mut rg)?;
        let d = conditional::ConditionalD::new(c, features, d, &mut rd)?;
        Ok((Box::new(g), Box::new(d)))
    }
}

/// Both DCGANs' `spec`: z ~ N(0, 1) as (B, 100, 1, 1), BCE on D's sigmoid,
/// Adam lr 2e-4 with betas (0.5, 0.999), batch 128, images (B, 1, H, W) as
/// they are. 5 epochs: the PyTorch DCGAN tutorial's `num_epochs`. dcgan64's
/// 64×64 images are MNIST resized (`DataSource` resizes when the sizes differ).
fn dcgan_spec(image: [usize; 3], dataset: &'static str) -> Spec {
    Spec {
        latent: 100,
        batch: 128,
        image,
        loss: Loss::Bce,
        opt: OptKind::Adam {
            beta1: 0.5,
            beta2: 0.999,
        },
        lr: 2e-4,
        z: Noise::Normal4d,
        label_smooth: 1.0,
        dataset,
        epochs: 5,
        flat_images: false,
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
    /// Binary cross-entropy on D's probabilities.
    Bce,
    /// Binary cross-entropy on D's logits (the sigmoid folded in).
    BceLogits,
}

/// The optimiser of both networks.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum OptKind {
    /// Adam with these betas.
    Adam {
        /// The first moment's decay.
        beta1: f64,
        /// The second moment's decay.
        beta2: f64,
    },
    /// SGD with this momentum.
    Sgd {
        /// The momentum (0: plain SGD).
        momentum: f64,
    },
}

/// How z is drawn: N(0, 1) as (B, latent), U(−1, 1), or N(0, 1) as (B, latent, 1, 1).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Noise {
    /// N(0, 1) of shape (B, latent).
    Normal,
    /// U(−1, 1) of shape (B, latent).
    Uniform,
    /// N(0, 1) of shape (B, latent, 1, 1), as the DCGANs' G takes it.
    Normal4d,
}

/// A model's tutorial settings (`spec` in models.py) plus the default epochs.
#[derive(Clone, Debug, PartialEq)]
pub struct Spec {
    /// Size of the latent vector z.
    pub latent: usize,
    /// Images per step.
    pub batch: usize,
    /// (C, H, W) of the images.
    pub image: [usize; 3],
    /// D's loss.
    pub loss: Loss,
    /// Both networks' optimiser.
    pub opt: OptKind,
    /// Both optimisers' learning rate.
    pub lr: f64,
    /// How z is drawn.
    pub z: Noise,
    /// Target of real images in D's loss (0.9 = one-sided label smoothing).
    pub label_smooth: f32,
    /// The data set the tutorial trains on.
    pub dataset: &'static str,
    /// Passes over the data.
    pub epochs: usize,
    /// D takes images flattened to (B, C·H·W), as the MLPs do.
    pub flat_images: bool,
}

impl Spec {
    /// Values per image (C·H·W).
    pub fn image_numel(&self) -> usize {
        self.image.iter().product()
    }
}

#[cfg(test)]
mod tests;
