//! `nn.Linear`: y = x·Wᵀ + b, W [out, in].

use super::init::{bias_uniform, kaiming_uniform_a_sqrt5};
use super::module::{param_to_device, Fwd, Module};
use autograd::Var;
use rand::Rng;
use tensor::{Device, Result};

/// `nn.Linear`: x·Wᵀ + b.
pub struct Linear {
    /// `[out, in]`.
    pub weight: Var,
    /// `[out]`, when the layer has one.
    pub bias: Option<Var>,
}

impl Linear {
    /// PyTorch's default initialisation: the weight first, then the bias, both
    /// uniform in ±1/√in.
    pub fn new<R: Rng + ?Sized>(inp: usize, out: usize, bias: bool, rng: &mut R) -> Result<Self> {
        let weight = Var::param(kaiming_uniform_a_sqrt5(&[out, inp], inp, rng)?);
        let bias = if bias {
            Some(Var::param(bias_uniform(out, inp, rng)?))
        } else {
            None
        };
        Ok(Linear { weight, bias })
    }
    /// Input size.
    pub fn in_features(&self) -> usize {
        self.weight.shape()[1]
    }
    /// Output size.
    pub fn out_features(&self) -> usize {
        self.weight.shape()[0]
    }
}

impl Module for Linear {
    fn forward(&self, x: &Var, f: &mut Fwd) -> Result<Var> {
        let w = f.param(&self.weight);
        let b = self.bias.as_ref().map(|b| f.param(b));
        x.linear(&w, b.as_ref())
    }
    fn named_parameters(&self) -> Vec<(String, Var)> {
        let mut v = vec![("weight".to_string(), self.weight.clone())];
        if let Some(b) = &self.bias {
            v.push(("bias".to_string(), b.clone()));
        }
        v
    }
    fn to_device(&mut self, device: Device) -> Result<()> {
        param_to_device(&mut self.weight, device)?;
        if let Some(b) = &mut self.bias {
            param_to_device(b, device)?;
        }
        Ok(())
    }
}
