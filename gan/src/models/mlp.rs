//! `mlp`: two `nn.Sequential`s, latent 64 → 256 → 256 → 784 and back to 1.

use crate::nn::{Activation, Linear, Module, Sequential};
use rand::Rng;
use tensor::Result;

const LATENT: usize = 64;
/// Hidden width (D's features before its last layer).
pub const HIDDEN: usize = 256;
const IMAGE: usize = 784;

/// Linear, ReLU, Linear, ReLU, Linear, Tanh: output (B, 784).
pub fn generator<R: Rng + ?Sized>(rng: &mut R) -> Result<Sequential> {
    generator_with_inputs(LATENT, rng)
}

/// `generator` taking `inputs` values per sample (z joined with a class
/// embedding, for the conditional model).
pub fn generator_with_inputs<R: Rng + ?Sized>(inputs: usize, rng: &mut R) -> Result<Sequential> {
    let layers: Vec<Box<dyn Module>> = vec![
        Box::new(Linear::new(inputs, HIDDEN, true, rng)?),
        Box::new(Activation::Relu),
        Box::new(Linear::new(HIDDEN, HIDDEN, true, rng)?),
        Box::new(Activation::Relu),
        Box::new(Linear::new(HIDDEN, IMAGE, true, rng)?),
        Box::new(Activation::Tanh),
    ];
    Ok(Sequential::new(layers))
}

/// Linear, LeakyReLU(0.2), Linear, LeakyReLU(0.2), Linear, Sigmoid on (B, 784).
pub fn discriminator<R: Rng + ?Sized>(rng: &mut R) -> Result<Sequential> {
    let layers: Vec<Box<dyn Module>> = vec![
        Box::new(Linear::new(IMAGE, HIDDEN, true, rng)?),
        Box::new(Activation::LeakyRelu(0.2)),
        Box::new(Linear::new(HIDDEN, HIDDEN, true, rng)?),
        Box::new(Activation::LeakyRelu(0.2)),
        Box::new(Linear::new(HIDDEN, 1, true, rng)?),
        Box::new(Activation::Sigmoid),
    ];
    Ok(Sequential::new(layers))
}
