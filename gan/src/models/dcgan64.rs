//! `dcgan64`: `_dcgan64` of models.py, the PyTorch DCGAN tutorial's network
//! for 64×64 images, `nc` channels as `_dcgan64(nc)` (1 for MNIST resized, 3
//! for colour image folders), ngf = ndf = 64, no biases, DCGAN initialisation.

use super::dcgan::{bn, conv, conv_t, dcgan_sequential, Layer};
use crate::nn::{Activation, Sequential};
use rand::Rng;
use tensor::Result;

/// Latent size: z is (B, 100, 1, 1).
pub const NZ: usize = 100;
const NGF: usize = 64;
const NDF: usize = 64;
/// Channels of D's features before its last conv (ndf·8).
pub const FEATURES: usize = NDF * 8;

/// z (B, 100, 1, 1) → 4×4 → 8×8 → 16×16 → 32×32 → (B, nc, 64, 64), tanh.
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
        conv_t(inputs, NGF * 8, 4, 1, 0, rng)?,
        bn(NGF * 8)?,
        Layer::Act(Relu),
        conv_t(NGF * 8, NGF * 4, 4, 2, 1, rng)?,
        bn(NGF * 4)?,
        Layer::Act(Relu),
        conv_t(NGF * 4, NGF * 2, 4, 2, 1, rng)?,
        bn(NGF * 2)?,
        Layer::Act(Relu),
        conv_t(NGF * 2, NGF, 4, 2, 1, rng)?,
        bn(NGF)?,
        Layer::Act(Relu),
        conv_t(NGF, nc, 4, 2, 1, rng)?,
        Layer::Act(Tanh),
    ];
    dcgan_sequential(layers, rng)
}

/// x (B, nc, 64, 64) → 32×32 → 16×16 → 8×8 → 4×4 → (B, 1, 1, 1), sigmoid. The
/// first block has no batch norm.
pub fn discriminator<R: Rng + ?Sized>(nc: usize, rng: &mut R) -> Result<Sequential> {
    use Activation::{LeakyRelu, Sigmoid};
    let layers = vec![
        conv(nc, NDF, 4, 2, 1, rng)?,
        Layer::Act(LeakyRelu(0.2)),
        conv(NDF, NDF * 2, 4, 2, 1, rng)?,
        bn(NDF * 2)?,
        Layer::Act(LeakyRelu(0.2)),
        conv(NDF * 2, NDF * 4, 4, 2, 1, rng)?,
        bn(NDF * 4)?,
        Layer::Act(LeakyRelu(0.2)),
        conv(NDF * 4, NDF * 8, 4, 2, 1, rng)?,
        bn(NDF * 8)?,
        Layer::Act(LeakyRelu(0.2)),
        conv(NDF * 8, 1, 4, 1, 0, rng)?,
        Layer::Act(Sigmoid),
    ];
    dcgan_sequential(layers, rng)
}
