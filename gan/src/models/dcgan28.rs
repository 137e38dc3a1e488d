//! `dcgan28`: `_dcgan28` of models.py, the book chapter's DCGAN for 28×28
//! Kuzushiji-MNIST, channels 28·4, 28·2, 28, no biases, DCGAN initialisation.
//! models.py's `_dcgan28` is grey only; `nc` channels replace its 1 in the
//! first and last layers, as `_dcgan64(nc)` does (1 gives models.py's network).

use super::dcgan::{bn, conv, conv_t, dcgan_sequential, Layer};
use crate::nn::{Activation, Sequential};
use rand::Rng;
use tensor::Result;

/// Latent size: z is (B, 100, 1, 1).
pub const NZ: usize = 100;
const S: usize = 28;

/// z (B, 100, 1, 1) → 4×4 → 8×8 → 14×14 (padding 2) → (B, nc, 28, 28), tanh.
pub fn generator<R: Rng + ?Sized>(nc: usize, rng: &mut R) -> Result<Sequential> {
    use Activation::{Relu, Tanh};
    let layers = vec![
        conv_t(NZ, S * 4, 4, 1, 0, rng)?,
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
