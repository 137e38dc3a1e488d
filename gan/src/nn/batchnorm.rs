//! `nn.BatchNorm1d` / `nn.BatchNorm2d` (affine, tracking running statistics,
//! momentum 0.1, eps 1e-5). In train mode a forward normalises with the batch
//! statistics, updates `running_mean` / `running_var` in place and counts the
//! batch in `num_batches_tracked`, as PyTorch does on every training-mode
//! call; in eval mode it normalises with the running statistics.

use super::init::normal;
use super::module::{param_to_device, Count, Fwd, Module};
use autograd::Var;
use rand::Rng;
use tensor::{DType, Device, Error, Result, Tensor};

/// Batch norm over the channels of [N, C] / [N, C, L] (`D` = 1) or [N, C, H, W]
/// (`D` = 2) inputs.
pub struct BatchNorm<const D: usize> {
    /// γ, per channel.
    pub weight: Var,
    /// β, per channel.
    pub bias: Var,
    /// The running mean used in eval mode.
    pub running_mean: Tensor,
    /// The running (unbiased) variance used in eval mode.
    pub running_var: Tensor,
    /// Batches seen in train mode.
    pub num_batches_tracked: Count,
    /// Weight of a new batch in the running statistics.
    pub momentum: f64,
    /// Added to the variance before its square root.
    pub eps: f64,
    training: bool,
}

/// `nn.BatchNorm1d`.
pub type BatchNorm1d = BatchNorm<1>;
/// `nn.BatchNorm2d`.
pub type BatchNorm2d = BatchNorm<2>;

impl<const D: usize> BatchNorm<D> {
    /// PyTorch's defaults: weight 1, bias 0, running mean 0 and variance 1, no
    /// batches counted, train mode. Draws nothing from a random stream.
    pub fn new(channels: usize) -> Result<Self> {
        let full = |v: f64| Tensor::full(v, &[channels], DType::F32, Device::Cpu);
        Ok(BatchNorm {
            weight: Var::param(full(1.0)?),
            bias: Var::param(full(0.0)?),
            running_mean: full(0.0)?,
            running_var: full(1.0)?,
            num_batches_tracked: Count::default(),
            momentum: 0.1,
            eps: 1e-5,
            training: true,
        })
    }

    /// Number of channels.
    pub fn num_features(&self) -> usize {
        self.weight.shape()[0]
    }

    /// models.py's `dcgan_init` on a batch norm: weight N(1, 0.02), bias 0.
    pub fn dcgan_init<R: Rng + ?Sized>(&mut self, rng: &mut R) -> Result<()> {
        let c = self.num_features();
        self.weight = Var::param(normal(&[c], 1.0, 0.02, rng)?);
        self.bias = Var::param(Tensor::zeros(&[c], DType::F32, Device::Cpu)?);
        Ok(())
    }

    /// PyTorch's `_check_input_dim`: a model wired wrongly fails here with the
    /// layer's name rather than deep in the kernel.
    fn check_input(&self, x: &Var) -> Result<()> {
        let (name, ok) = match D {
            1 => ("BatchNorm1d", matches!(x.shape().len(), 2 | 3)),
            _ => ("BatchNorm2d", x.shape().len() == 4),
        };
        if !ok {
            let want = if D == 1 { "2-D or 3-D" } else { "4-D" };
            return Err(Error::arg(
                name,
                x.shape(),
                format!("expected {want} input"),
            ));
        }
        Ok(())
    }
}

impl<const D: usize> Module for BatchNorm<D> {
    fn forward(&self, x: &Var, f: &mut Fwd) -> Result<Var> {
        self.check_input(x)?;
        let (w, b) = (f.param(&self.weight), f.param(&self.bias));
        let y = x.batch_norm(
            &w,
            &b,
            &self.running_mean,
            &self.running_var,
            self.training,
            self.momentum,
            self.eps,
        )?;
        if self.training {
            self.num_batches_tracked.incr();
        }
        Ok(y)
    }
    fn named_parameters(&self) -> Vec<(String, Var)> {
        vec![
            ("weight".to_string(), self.weight.clone()),
            ("bias".to_string(), self.bias.clone()),
        ]
    }
    fn named_buffers(&self) -> Vec<(String, Tensor)> {
        vec![
            ("running_mean".to_string(), self.running_mean.clone()),
            ("running_var".to_string(), self.running_var.clone()),
        ]
    }
    fn named_counts(&self) -> Vec<(String, Count)> {
        vec![(
            "num_batches_tracked".to_string(),
            self.num_batches_tracked.clone(),
        )]
    }
    fn to_device(&mut self, device: Device) -> Result<()> {
        param_to_device(&mut self.weight, device)?;
        param_to_device(&mut self.bias, device)?;
        for t in [&mut self.running_mean, &mut self.running_var] {
            if t.device() != device {
                *t = t.clone().to_device(device)?;
            }
        }
        Ok(())
    }
    fn set_training(&mut self, train: bool) {
        self.training = train;
    }
    fn training(&self) -> bool {
        self.training
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    #[test]
    fn train_counts_and_updates_eval_uses_running_stats() {
        let mut rng = StdRng::seed_from_u64(0);
        let mut bn = BatchNorm1d::new(2).unwrap();
        // Channel 0 holds 1, 3 (mean 2, unbiased variance 2), channel 1 holds 0, 0.
        let x = Var::constant(Tensor::from_vec(vec![1.0f32, 0.0, 3.0, 0.0], &[2, 2]).unwrap());
        let y = bn.forward(&x, &mut Fwd::new(&mut rng)).unwrap();
        let y = y.data().to_vec_f32().unwrap();
        assert!(
            (y[0] + 1.0).abs() < 1e-4 && (y[2] - 1.0).abs() < 1e-4,
            "{y:?}"
        );
        assert_eq!(bn.num_batches_tracked.get(), 1);
        // momentum 0.1: 0.9·0 + 0.1·2 and 0.9·1 + 0.1·2.
        let rm = bn.running_mean.to_vec_f32().unwrap();
        let rv = bn.running_var.to_vec_f32().unwrap();
        assert!((rm[0] - 0.2).abs() < 1e-6 && (rv[0] - 1.1).abs() < 1e-6);
        assert!((rv[1] - 0.9).abs() < 1e-6);

        bn.set_training(false);
        let y = bn.forward(&x, &mut Fwd::new(&mut rng)).unwrap();
        let want = (1.0 - 0.2) / (1.1f32 + 1e-5).sqrt();
        assert!((y.data().to_vec_f32().unwrap()[0] - want).abs() < 1e-5);
        assert_eq!(bn.num_batches_tracked.get(), 1, "eval mode counts nothing");
    }

    #[test]
    fn wrong_rank_is_an_error_naming_the_layer() {
        let mut rng = StdRng::seed_from_u64(0);
        let x = Var::constant(Tensor::zeros(&[2, 3, 4, 4], DType::F32, Device::Cpu).unwrap());
        let e = BatchNorm1d::new(3)
            .unwrap()
            .forward(&x, &mut Fwd::new(&mut rng))
            .unwrap_err();
        assert!(e.to_string().contains("BatchNorm1d"), "{e}");
        let x = Var::constant(Tensor::zeros(&[2, 3], DType::F32, Device::Cpu).unwrap());
        let e = BatchNorm2d::new(3)
            .unwrap()
            .forward(&x, &mut Fwd::new(&mut rng))
            .unwrap_err();
        assert!(e.to_string().contains("expected 4-D input"), "{e}");
    }
}
