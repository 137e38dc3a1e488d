//! Random streams derived from counters, so that any point of a run can be
//! replayed without saving a generator's internals: step `k` of a run seeded `s`
//! always draws from `StdRng::seed_from_u64(mix(s, k))`. The step's z and
//! dropout masks are Philox draws (`kernels::random`) seeded from that
//! generator, so that they are the same on every device.

use crate::models::Noise;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tensor::{Device, Result, Tensor};

/// Stream id of the fixed noise batch behind the per-epoch sample grids.
pub const FIXED_NOISE: u64 = 0xF1_8ED0_0000_0000;
/// Stream ids of the initial weights of G and D.
pub const INIT_G: u64 = 0x494E_4954_5F47_0000;
/// (See `INIT_G`.)
pub const INIT_D: u64 = 0x494E_4954_5F44_0000;
/// Stream id of the spectral norm's starting u and v (`--spectral-norm`).
pub const INIT_SPECTRAL_NORM: u64 = 0x494E_4954_5F53_4E00;
/// Stream id of `gan sample`.
pub const SAMPLE: u64 = 0x5A_4D50_0000_0000;

/// SplitMix64 of `seed` combined with `stream`: well-spread seeds for nearby inputs.
pub fn mix(seed: u64, stream: u64) -> u64 {
    let mut z = seed
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .wrapping_add(stream)
        .wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The generator of global training step `step` (z and dropout masks).
pub fn step_rng(seed: u64, step: u64) -> StdRng {
    StdRng::seed_from_u64(mix(seed, step))
}

/// The generator of a named stream (`FIXED_NOISE`, `SAMPLE`, ...).
pub fn stream_rng(seed: u64, stream: u64) -> StdRng {
    StdRng::seed_from_u64(mix(mix(seed, stream), u64::MAX))
}

/// A batch of `n` latent vectors as the model's spec draws them.
pub fn sample_z(kind: Noise, n: usize, latent: usize, rng: &mut StdRng) -> Result<Tensor> {
    match kind {
        Noise::Normal => Tensor::randn(&[n, latent], 0.0, 1.0, rng),
        Noise::Uniform => Tensor::rand_uniform(&[n, latent], -1.0, 1.0, rng),
        Noise::Normal4d => Tensor::randn(&[n, latent, 1, 1], 0.0, 1.0, rng),
    }
}

/// The training step's batch of latent vectors, made on `device` by Philox
/// (`kernels::random`) from a seed that is one draw of `rng`: the same bits on
/// the CPU and on a GPU (normals may differ in the last ulps there, where
/// CUDA's logf, sinf, cosf are not the host libm's), so a GPU run can be
/// checked step by step against the CPU run of the same seed, and a GPU step
/// needs no host→device copy for its noise. `sample_z` (the rand_distr
/// stream) stays for the fixed-noise grid, evaluation and `gan sample`.
pub fn sample_z_on(
    kind: Noise,
    n: usize,
    latent: usize,
    rng: &mut StdRng,
    device: Device,
) -> Result<Tensor> {
    let seed = rng.random::<u64>();
    match kind {
        Noise::Normal => kernels::random::normal(&[n, latent], 0.0, 1.0, seed, 0, device),
        Noise::Uniform => kernels::random::uniform(&[n, latent], -1.0, 1.0, seed, 0, device),
        Noise::Normal4d => kernels::random::normal(&[n, latent, 1, 1], 0.0, 1.0, seed, 0, device),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_differ_and_repeat() {
        assert_ne!(mix(0, 0), mix(0, 1));
        assert_ne!(mix(0, 1), mix(1, 0));
        assert_eq!(mix(7, 9), mix(7, 9));
        let mut a = step_rng(3, 10);
        let mut b = step_rng(3, 10);
        let za = sample_z(Noise::Uniform, 4, 5, &mut a)
            .unwrap()
            .to_vec_f32()
            .unwrap();
        let zb = sample_z(Noise::Uniform, 4, 5, &mut b)
            .unwrap()
            .to_vec_f32()
            .unwrap();
        assert_eq!(za, zb);
        assert!(za.iter().all(|v| (-1.0..1.0).contains(v)));
    }

    #[test]
    fn training_noise_is_philox_seeded_by_the_step_stream() {
        let z = |kind, step| {
            sample_z_on(kind, 4, 5, &mut step_rng(3, step), Device::Cpu)
                .unwrap()
                .to_vec_f32()
                .unwrap()
        };
        assert_eq!(z(Noise::Normal, 10), z(Noise::Normal, 10));
        assert_ne!(z(Noise::Normal, 10), z(Noise::Normal, 11));
        let seed = step_rng(3, 10).random::<u64>();
        let want = kernels::random::uniform(&[4, 5], -1.0, 1.0, seed, 0, Device::Cpu)
            .unwrap()
            .to_vec_f32()
            .unwrap();
        assert_eq!(z(Noise::Uniform, 10), want);
        let shape = sample_z_on(Noise::Normal4d, 2, 3, &mut step_rng(0, 0), Device::Cpu)
            .unwrap()
            .shape()
            .to_vec();
        assert_eq!(shape, [2, 3, 1, 1]);
    }
}
