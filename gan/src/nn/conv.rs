//! `nn.Conv2d` (dilation 1, groups 1): weight `[out, in, kH, kW]`, bias `[out]`.

use super::init::{bias_uniform, kaiming_uniform_a_sqrt5, normal};
use super::module::{param_to_device, Fwd, Module};
use super::spectral_norm::{
    layer_buffers, layer_parameters, layer_weight, wrap_once, SpectralNorm,
};
use autograd::Var;
use rand::Rng;
use tensor::{Device, Result, Tensor};

/// `nn.Conv2d` with square kernels, one stride and one padding.
pub struct Conv2d {
    /// `[out, in, k, k]`.
    pub weight: Var,
    /// `[out]`, when the layer has one.
    pub bias: Option<Var>,
    /// The weight's spectral normalisation, once `apply_spectral_norm` ran.
    pub spectral_norm: Option<SpectralNorm>,
    /// Step between windows, both ways.
    pub stride: usize,
    /// Zeros added on each side, both ways.
    pub padding: usize,
}

impl Conv2d {
    /// PyTorch's `reset_parameters`: the weight kaiming-uniform (a = √5), then
    /// the bias, both in ±1/√fan_in with fan_in = in·kH·kW.
    pub fn new<R: Rng + ?Sized>(
        inp: usize,
        out: usize,
        kernel: usize,
        stride: usize,
        padding: usize,
        bias: bool,
        rng: &mut R,
    ) -> Result<Self> {
        let fan_in = inp * kernel * kernel;
        let weight = Var::param(kaiming_uniform_a_sqrt5(
            &[out, inp, kernel, kernel],
            fan_in,
            rng,
        )?);
        let bias = if bias {
            Some(Var::param(bias_uniform(out, fan_in, rng)?))
        } else {
            None
        };
        Ok(Conv2d {
            weight,
            bias,
            stride,
            padding,
            spectral_norm: None,
        })
    }

    /// models.py's `dcgan_init` on a convolution: the weight N(0, 0.02); a bias,
    /// if any, keeps its default initialisation (as `dcgan_init` leaves it).
    pub fn dcgan_init<R: Rng + ?Sized>(&mut self, rng: &mut R) -> Result<()> {
        self.weight = Var::param(normal(self.weight.shape(), 0.0, 0.02, rng)?);
        Ok(())
    }
}

impl Module for Conv2d {
    fn forward(&self, x: &Var, f: &mut Fwd) -> Result<Var> {
        let w = layer_weight(&self.weight, self.spectral_norm.as_ref(), f)?;
        let b = self.bias.as_ref().map(|b| f.param(b));
        x.conv2d(&w, b.as_ref(), self.stride, self.padding)
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
