//! `nn.Linear`: y = x·Wᵀ + b, W [out, in].

use super::init::{bias_uniform, kaiming_uniform_a_sqrt5};
use super::module::{param_to_device, Fwd, Module};
use super::spectral_norm::{
    layer_buffers, layer_parameters, layer_weight, wrap_once, SpectralNorm,
};
use autograd::Var;
use rand::Rng;
use tensor::{Device, Result, Tensor};

/// `nn.Linear`: x·Wᵀ + b.
pub struct Linear {
    /// `[out, in]`.
    pub weight: Var,
    /// `[out]`, when the layer has one.
    pub bias: Option<Var>,
    /// The weight's spectral normalisation, once `apply_spectral_norm` ran.
    pub spectral_norm: Option<SpectralNorm>,
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
        Ok(Linear {
            weight,
            bias,
            spectral_norm: None,
        })
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
        let w = layer_weight(&self.weight, self.spectral_norm.as_ref(), f)?;
        let b = self.bias.as_ref().map(|b| f.param(b));
        x.linear(&w, b.as_ref())
    }
    fn named_parameters(&self) -> Vec<(String, Var)> {
        layer_parameters(
            &self.weight,
            self.bias.as_ref(),
            self.spectral_norm.as_ref(),
        )
    }
    fn named_buffers(&self) -> Vec<(String, Tensor)> {
        layer_buffers(self.spectral_norm.as_ref())
    }
    fn apply_spectral_norm(&mut self, rng: &mut dyn rand::RngCore) -> Result<()> {
        wrap_once(&mut self.spectral_norm, &self.weight, rng)
    }
    fn set_training(&mut self, train: bool) {
        if let Some(sn) = &mut self.spectral_norm {
            sn.training = train;
        }
    }
    fn training(&self) -> bool {
        self.spectral_norm.as_ref().is_none_or(|sn| sn.training)
    }
    fn to_device(&mut self, device: Device) -> Result<()> {
        param_to_device(&mut self.weight, device)?;
        if let Some(b) = &mut self.bias {
            param_to_device(b, device)?;
        }
        if let Some(sn) = &mut self.spectral_norm {
            sn.to_device(device)?;
        }
        Ok(())
    }
}
