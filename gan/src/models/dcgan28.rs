//! `dcgan28`: `_dcgan28` of models.py, the book chapter's DCGAN for 28×28
//! Kuzushiji-MNIST, channels 28·4, 28·2, 28, no biases, DCGAN initialisation.
//! models.py's `_dcgan28` is grey only; `nc` channels replace its 1 in the
//! first and last layers, as `_dcgan64(nc)` does (1 gives models.py's network).

use super::dcgan::{bn, conv, conv_biased, conv_t, dcgan_sequential, Layer};
use crate::nn::{Activation, Sequential};
use rand::Rng;
use tensor::Result;

/// Latent size: z is (B, 100, 1, 1).
pub const NZ: usize = 100;
const S: usize = 28;
/// Channels of D's features before its last conv (28·4).
pub const FEATURES: usize = S * 4;

/// z (B, 100, 1, 1) → 4×4 → 8×8 → 14×14 (padding 2) → (B, nc, 28, 28), tanh.
pub fn generator<R: Rng + ?Sized>(nc: usize, rng: &mut R) -> Result<Sequential> {
    generator_with_inputs(nc, NZ, rng)
}

/// `generator` taking `inputs` channels at 1×1 (z joined with a class
/// embedding, for the conditional model).
pub fn generator_with_inputs<R: Rng + ?Sized>(
    nc: usize,
    inputs: usize,
    rng: &mut R,
) -> Result<Sequential> {
    use Activation::{Relu, Tanh};
    let layers = vec![
        conv_t(inputs, S * 4, 4, 1, 0, rng)?,
        bn(S * 4)?,
        Layer::Act(Relu),
        conv_t(S * 4, S * 2, 4, 2, 1, rng)?,
        bn(S * 2)?,
        Layer::Act(Relu),
        conv_t(S * 2, S, 4, 2, 2, rng)?,
        bn(S)?,
        Layer::Act(Relu),
        conv_t(S, nc, 4, 2, 1, rng)?,
        Layer::Act(Tanh),
    ];
    dcgan_sequential(layers, rng)
}

/// x (B, nc, 28, 28) → 14×14 → 7×7 → 3×3 → (B, 1, 1, 1), sigmoid. The first
/// block has no batch norm.
pub fn discriminator<R: Rng + ?Sized>(nc: usize, rng: &mut R) -> Result<Sequential> {
    use Activation::{LeakyRelu, Sigmoid};
    let layers = vec![
        conv(nc, S, 4, 2, 1, rng)?,
        Layer::Act(LeakyRelu(0.2)),
        conv(S, S * 2, 4, 2, 1, rng)?,
        bn(S * 2)?,
        Layer::Act(LeakyRelu(0.2)),
        conv(S * 2, S * 4, 4, 2, 1, rng)?,
        bn(S * 4)?,
        Layer::Act(LeakyRelu(0.2)),
        conv(S * 4, 1, 4, 2, 1, rng)?,
        Layer::Act(Sigmoid),
    ];
    dcgan_sequential(layers, rng)
}

/// `dcgan28-nobn`'s D: `discriminator` without its two batch norms, each
/// convolution with a bias instead (nothing after it absorbs one), as the
/// WGAN-GP paper's critics: a gradient penalty is per sample, and batch norm
/// makes each sample's score depend on the rest of its batch. The same stream
/// as `discriminator` draws the weights (N(0, 0.02), biases PyTorch's
/// default). In PyTorch (state_dict keys 0, 2, 4, 6):
///
/// ```text
/// nn.Sequential(nn.Conv2d(nc, 28, 4, 2, 1), nn.LeakyReLU(0.2),
///               nn.Conv2d(28, 56, 4, 2, 1), nn.LeakyReLU(0.2),
///               nn.Conv2d(56, 112, 4, 2, 1), nn.LeakyReLU(0.2),
///               nn.Conv2d(112, 1, 4, 2, 1), nn.Sigmoid()).apply(dcgan_init)
/// ```
pub fn critic_without_batch_norm<R: Rng + ?Sized>(nc: usize, rng: &mut R) -> Result<Sequential> {
    use Activation::{LeakyRelu, Sigmoid};
    let layers = vec![
        conv_biased(nc, S, 4, 2, 1, rng)?,
        Layer::Act(LeakyRelu(0.2)),
        conv_biased(S, S * 2, 4, 2, 1, rng)?,
        Layer::Act(LeakyRelu(0.2)),
        conv_biased(S * 2, S * 4, 4, 2, 1, rng)?,
        Layer::Act(LeakyRelu(0.2)),
        conv_biased(S * 4, 1, 4, 2, 1, rng)?,
        Layer::Act(Sigmoid),
    ];
    dcgan_sequential(layers, rng)
}
