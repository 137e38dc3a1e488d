//! `nn.ConvTranspose2d` (dilation 1, groups 1): weight `[in, out, kH, kW]` as
//! PyTorch lays it out, bias `[out]`.

use super::init::{bias_uniform, kaiming_uniform_a_sqrt5, normal};
use super::module::{param_to_device, Fwd, Module};
use autograd::Var;
use rand::Rng;
use tensor::{Device, Result};

/// `nn.ConvTranspose2d` with square kernels.
pub struct ConvTranspose2d {
    /// `[in, out, k, k]` (PyTorch's layout for a transposed convolution).
    pub weight: Var,
    /// `[out]`, when the layer has one.
    pub bias: Option<Var>,
    /// Stride of the convolution this one transposes.
    pub stride: usize,
    /// Padding of the convolution this one transposes.
    pub padding: usize,
    /// Extra rows and columns on one side of the output.
    pub output_padding: usize,
}

impl ConvTranspose2d {
    /// PyTorch's `reset_parameters`. Its fan_in is computed from the weight's
    /// dimension 1, which for a transposed convolution is the *output*
    /// channels: fan_in = out·kH·kW (PyTorch's quirk, reproduced on purpose).
    #[allow(clippy::too_many_arguments)]
    pub fn new<R: Rng + ?Sized>(
        inp: usize,
        out: usize,
        kernel: usize,
        stride: usize,
        padding: usize,
        output_padding: usize,
        bias: bool,
        rng: &mut R,
    ) -> Result<Self> {
        let fan_in = out * kernel * kernel;
        let weight = Var::param(kaiming_uniform_a_sqrt5(
            &[inp, out, kernel, kernel],
            fan_in,
            rng,
        )?);
        let bias = if bias {
            Some(Var::param(bias_uniform(out, fan_in, rng)?))
        } else {
            None
        };
        Ok(ConvTranspose2d {
            weight,
            bias,
            stride,
            padding,
            output_padding,
        })
    }

    /// models.py's `dcgan_init` ("Conv" is in "ConvTranspose2d"): the weight
    /// N(0, 0.02), a bias left as it is.
    pub fn dcgan_init<R: Rng + ?Sized>(&mut self, rng: &mut R) -> Result<()> {
        self.weight = Var::param(normal(self.weight.shape(), 0.0, 0.02, rng)?);
        Ok(())
    }
}

impl Module for ConvTranspose2d {
    fn forward(&self, x: &Var, f: &mut Fwd) -> Result<Var> {
        let w = f.param(&self.weight);
        let b = self.bias.as_ref().map(|b| f.param(b));
        x.conv_transpose2d(
            &w,
            b.as_ref(),
            self.stride,
            self.padding,
            self.output_padding,
        )
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::Conv2d;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    /// The largest |value| of a tensor (with 12,800 draws, close to the bound).
    fn max_abs(v: &Var) -> f32 {
        let d = v.data().to_vec_f32().unwrap();
        d.iter().fold(0.0, |m, x| m.max(x.abs()))
    }

    #[test]
    fn default_init_bounds_are_pytorchs() {
        let mut rng = StdRng::seed_from_u64(0);
        // PyTorch: ConvTranspose2d(100, 8, 4) draws in ±1/√(8·16), not ±1/√(100·16).
        let ct = ConvTranspose2d::new(100, 8, 4, 2, 1, 0, true, &mut rng).unwrap();
        let bound = 1.0 / 128f32.sqrt();
        assert!(max_abs(&ct.weight) <= bound && max_abs(&ct.weight) > 0.99 * bound);
        assert!(max_abs(ct.bias.as_ref().unwrap()) <= bound);
        assert_eq!(ct.weight.shape(), [100, 8, 4, 4]);
        let c = Conv2d::new(100, 8, 4, 2, 1, false, &mut rng).unwrap();
        let bound = 1.0 / 1600f32.sqrt();
        assert!(max_abs(&c.weight) <= bound && max_abs(&c.weight) > 0.99 * bound);
        assert_eq!(c.weight.shape(), [8, 100, 4, 4]);
        assert!(c.bias.is_none());
    }
}
