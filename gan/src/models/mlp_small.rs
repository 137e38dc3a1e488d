//! `mlp-small`: `_SmallG` / `_SmallD` of models.py, one hidden layer of 128.

use crate::nn::module::prefixed;
use crate::nn::{Fwd, Linear, Module};
use autograd::Var;
use rand::Rng;
use tensor::{Device, Result, Tensor};

/// z (B, 100) → fc1 → LeakyReLU(0.2) → fc2 → tanh, viewed as (B, 1, 28, 28).
pub struct SmallG {
    fc1: Linear,
    fc2: Linear,
}

impl SmallG {
    pub fn new<R: Rng + ?Sized>(rng: &mut R) -> Result<Self> {
        Ok(SmallG {
            fc1: Linear::new(100, 128, true, rng)?,
            fc2: Linear::new(128, 784, true, rng)?,
        })
    }
}

impl Module for SmallG {
    fn forward(&self, z: &Var, f: &mut Fwd) -> Result<Var> {
        let h = self.fc1.forward(z, f)?.leaky_relu(0.2)?;
        let out = self.fc2.forward(&h, f)?.tanh()?;
        let b = out.shape()[0];
        out.reshape(&[b, 1, 28, 28])
    }
    fn named_parameters(&self) -> Vec<(String, Var)> {
        let mut v = prefixed("fc1", self.fc1.named_parameters());
        v.extend(prefixed("fc2", self.fc2.named_parameters()));
        v
    }
    fn to_device(&mut self, device: Device) -> Result<()> {
        self.fc1.to_device(device)?;
        self.fc2.to_device(device)
    }
}

/// x viewed as (B, 784) → fc1 → LeakyReLU(0.2) → fc2 → sigmoid.
pub struct SmallD {
    fc1: Linear,
    fc2: Linear,
}

impl SmallD {
    pub fn new<R: Rng + ?Sized>(rng: &mut R) -> Result<Self> {
        Ok(SmallD {
            fc1: Linear::new(784, 128, true, rng)?,
            fc2: Linear::new(128, 1, true, rng)?,
        })
    }
}

impl Module for SmallD {
    fn forward(&self, x: &Var, f: &mut Fwd) -> Result<Var> {
        self.forward_raw(x, f)?.sigmoid()
    }
    fn forward_raw(&self, x: &Var, f: &mut Fwd) -> Result<Var> {
        let b = x.shape().first().copied().unwrap_or(0);
        let x = if x.shape() == [b, 784] {
            x.clone()
        } else {
            x.reshape(&[b, 784])?
        };
        let h = self.fc1.forward(&x, f)?.leaky_relu(0.2)?;
        self.fc2.forward(&h, f)
    }
    fn named_parameters(&self) -> Vec<(String, Var)> {
        let mut v = prefixed("fc1", self.fc1.named_parameters());
        v.extend(prefixed("fc2", self.fc2.named_parameters()));
        v
    }
    fn named_buffers(&self) -> Vec<(String, Tensor)> {
        let mut v = prefixed("fc1", self.fc1.named_buffers());
        v.extend(prefixed("fc2", self.fc2.named_buffers()));
        v
    }
    fn to_device(&mut self, device: Device) -> Result<()> {
        self.fc1.to_device(device)?;
        self.fc2.to_device(device)
    }
    fn apply_spectral_norm(&mut self, rng: &mut dyn rand::RngCore) -> Result<()> {
        self.fc1.apply_spectral_norm(rng)?;
        self.fc2.apply_spectral_norm(rng)
    }
    fn set_training(&mut self, train: bool) {
        self.fc1.set_training(train);
        self.fc2.set_training(train);
    }
    fn training(&self) -> bool {
        self.fc1.training()
    }
}
