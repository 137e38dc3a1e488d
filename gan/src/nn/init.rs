//! PyTorch's default initialisation of `nn.Linear` and the convolutions, and the DCGAN normal draws.

use rand::Rng;
use tensor::{Result, Tensor};

/// `kaiming_uniform_(w, a=√5)`: gain √(2/(1+a²)) = √(1/3), bound = gain·√(3/fan_in)
/// = 1/√fan_in, so U(−1/√fan_in, 1/√fan_in).
pub fn kaiming_uniform_a_sqrt5<R: Rng + ?Sized>(
    shape: &[usize],
    fan_in: usize,
    rng: &mut R,
) -> Result<Tensor> {
    let bound = kaiming_bound(fan_in);
    Tensor::rand_uniform(shape, -bound, bound, rng)
}

/// The bias: U(−1/√fan_in, 1/√fan_in).
pub fn bias_uniform<R: Rng + ?Sized>(len: usize, fan_in: usize, rng: &mut R) -> Result<Tensor> {
    let bound = if fan_in > 0 {
        1.0 / (fan_in as f32).sqrt()
    } else {
        0.0
    };
    Tensor::rand_uniform(&[len], -bound, bound, rng)
}

/// The weight bound of `kaiming_uniform_(a=√5)` for `fan_in`.
pub fn kaiming_bound(fan_in: usize) -> f32 {
    if fan_in == 0 {
        return 0.0;
    }
    let a2 = 5.0f64;
    let gain = (2.0 / (1.0 + a2)).sqrt();
    (gain * (3.0 / fan_in as f64).sqrt()) as f32
}

/// `nn.init.normal_(w, mean, std)`, as the DCGAN initialisation uses.
pub fn normal<R: Rng + ?Sized>(
    shape: &[usize],
    mean: f32,
    std: f32,
    rng: &mut R,
) -> Result<Tensor> {
    Tensor::randn(shape, mean, std, rng)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bound_is_one_over_sqrt_fan_in() {
        for f in [1, 64, 784] {
            let b = kaiming_bound(f);
            assert!((b - 1.0 / (f as f32).sqrt()).abs() < 1e-6);
        }
    }
}
