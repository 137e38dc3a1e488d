//! `mlp-dropout`: `_DropG` / `_DropD` of models.py: four linear layers, each of
//! the first three followed by LeakyReLU(0.2) and Dropout(0.3); D returns logits.

use crate::nn::module::prefixed;
use crate::nn::{Dropout, Fwd, Linear, Module};
use autograd::Var;
use rand::Rng;
use tensor::{Device, Result, Tensor};

const HIDDEN: usize = 32;

struct Stack {
    fc: [Linear; 4],
    dropout: Dropout,
}

impl Stack {
    fn new<R: Rng + ?Sized>(sizes: [usize; 5], rng: &mut R) -> Result<Self> {
        Ok(Stack {
            fc: [
                Linear::new(sizes[0], sizes[1], true, rng)?,
                Linear::new(sizes[1], sizes[2], true, rng)?,
                Linear::new(sizes[2], sizes[3], true, rng)?,
                Linear::new(sizes[3], sizes[4], true, rng)?,
            ],
            dropout: Dropout::new(0.3),
        })
    }
    /// The three hidden blocks and the last linear layer (no output activation).
    fn forward(&self, x: &Var, f: &mut Fwd) -> Result<Var> {
        let mut h = x.clone();
        for fc in &self.fc[..3] {
            h = self
                .dropout
                .forward(&fc.forward(&h, f)?.leaky_relu(0.2)?, f)?;
        }
        self.fc[3].forward(&h, f)
    }
    fn named_parameters(&self) -> Vec<(String, Var)> {
        self.fc
            .iter()
            .enumerate()
            .flat_map(|(i, fc)| prefixed(&format!("fc{}", i + 1), fc.named_parameters()))
            .collect()
    }
    fn named_buffers(&self) -> Vec<(String, Tensor)> {
        self.fc
            .iter()
            .enumerate()
            .flat_map(|(i, fc)| prefixed(&format!("fc{}", i + 1), fc.named_buffers()))
            .collect()
    }
    fn set_training(&mut self, train: bool) {
        self.dropout.set_training(train);
        self.fc.iter_mut().for_each(|fc| fc.set_training(train));
    }
}

/// z (B, 100) → 32 → 64 → 128 → 784, tanh.
pub struct DropG(Stack);

impl DropG {
    pub fn new<R: Rng + ?Sized>(rng: &mut R) -> Result<Self> {
        Ok(DropG(Stack::new(
            [100, HIDDEN, HIDDEN * 2, HIDDEN * 4, 784],
            rng,
        )?))
    }
}

impl Module for DropG {
    fn forward(&self, z: &Var, f: &mut Fwd) -> Result<Var> {
        self.0.forward(z, f)?.tanh()
    }
    fn named_parameters(&self) -> Vec<(String, Var)> {
        self.0.named_parameters()
    }
    fn to_device(&mut self, device: Device) -> Result<()> {
        self.0.fc.iter_mut().try_for_each(|fc| fc.to_device(device))
    }
    fn set_training(&mut self, train: bool) {
        self.0.dropout.set_training(train);
    }
    fn training(&self) -> bool {
        self.0.dropout.training
    }
}

/// x viewed as (B, 784) → 128 → 64 → 32 → 1 logit.
pub struct DropD(Stack);

impl DropD {
    pub fn new<R: Rng + ?Sized>(rng: &mut R) -> Result<Self> {
        Ok(DropD(Stack::new(
            [784, HIDDEN * 4, HIDDEN * 2, HIDDEN, 1],
            rng,
        )?))
    }
}

impl Module for DropD {
    fn forward(&self, x: &Var, f: &mut Fwd) -> Result<Var> {
        let n = x.data().numel() / 784;
        let x = if x.shape() == [n, 784] {
            x.clone()
        } else {
            x.reshape(&[n, 784])?
        };
        self.0.forward(&x, f)
    }
    fn named_parameters(&self) -> Vec<(String, Var)> {
        self.0.named_parameters()
    }
    fn named_buffers(&self) -> Vec<(String, Tensor)> {
        self.0.named_buffers()
    }
    fn apply_spectral_norm(&mut self, rng: &mut dyn rand::RngCore) -> Result<()> {
        self.0
            .fc
            .iter_mut()
            .try_for_each(|fc| fc.apply_spectral_norm(rng))
    }
    fn to_device(&mut self, device: Device) -> Result<()> {
        self.0.fc.iter_mut().try_for_each(|fc| fc.to_device(device))
    }
    fn set_training(&mut self, train: bool) {
        self.0.set_training(train);
    }
    fn training(&self) -> bool {
        self.0.dropout.training
    }
}
