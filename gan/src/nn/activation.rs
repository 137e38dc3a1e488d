//! Parameter-free layers: activations and dropout.

use super::module::{Fwd, Module};
use autograd::Var;
use tensor::Result;

/// `nn.ReLU`, `nn.LeakyReLU(slope)`, `nn.Tanh`, `nn.Sigmoid`.
#[derive(Clone, Copy, Debug)]
pub enum Activation {
    Relu,
    LeakyRelu(f64),
    Tanh,
    Sigmoid,
}

impl Activation {
    pub fn apply(self, x: &Var) -> Result<Var> {
        match self {
            Activation::Relu => x.relu(),
            Activation::LeakyRelu(s) => x.leaky_relu(s),
            Activation::Tanh => x.tanh(),
            Activation::Sigmoid => x.sigmoid(),
        }
    }
}

impl Module for Activation {
    fn forward(&self, x: &Var, _f: &mut Fwd) -> Result<Var> {
        self.apply(x)
    }
    fn named_parameters(&self) -> Vec<(String, Var)> {
        Vec::new()
    }
}

/// `nn.Dropout(p)`: active in train mode only.
pub struct Dropout {
    pub p: f64,
    pub training: bool,
}

impl Dropout {
    pub fn new(p: f64) -> Self {
        Dropout { p, training: true }
    }
}

impl Module for Dropout {
    fn forward(&self, x: &Var, f: &mut Fwd) -> Result<Var> {
        x.dropout(self.p, self.training, f.rng)
    }
    fn named_parameters(&self) -> Vec<(String, Var)> {
        Vec::new()
    }
    fn set_training(&mut self, train: bool) {
        self.training = train;
    }
    fn training(&self) -> bool {
        self.training
    }
}
