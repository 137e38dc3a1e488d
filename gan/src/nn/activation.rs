//! Parameter-free layers: activations and dropout.

use super::module::{Fwd, Module};
use autograd::Var;
use tensor::Result;

/// `nn.ReLU`, `nn.LeakyReLU(slope)`, `nn.Tanh`, `nn.Sigmoid`.
#[derive(Clone, Copy, Debug)]
pub enum Activation {
    /// max(0, x).
    Relu,
    /// x for x ≥ 0, else slope·x.
    LeakyRelu(f64),
    /// tanh(x).
    Tanh,
    /// 1 / (1 + e^−x).
    Sigmoid,
}

impl Activation {
    /// The activation of `x`.
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
    /// A sigmoid's input (the logit); any other activation as `forward`.
    fn forward_raw(&self, x: &Var, _f: &mut Fwd) -> Result<Var> {
        match self {
            Activation::Sigmoid => Ok(x.clone()),
            a => a.apply(x),
        }
    }
    fn named_parameters(&self) -> Vec<(String, Var)> {
        Vec::new()
    }
}

/// `nn.Dropout(p)`: active in train mode only.
pub struct Dropout {
    /// The probability of zeroing an element.
    pub p: f64,
    /// Whether masks are drawn (train mode).
    pub training: bool,
}

impl Dropout {
    /// Dropout with probability `p`, in train mode.
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
