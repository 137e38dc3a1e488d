//! Counter-based random tensors: Philox4x32-10, the same bits on the CPU and
//! on a GPU (random.cu), so that noise and dropout masks can be made where
//! they are used, without a host→device copy, and checked across devices.
//!
//! Element i of a draw with (seed, offset) uses word i % 4 of
//! philox((i/4 lo, i/4 hi, offset lo, offset hi), (seed lo, seed hi)). Distinct
//! offsets (e.g. the training step) give independent streams from one seed.

pub mod cuda;
use tensor::{Device, Error, Result, Tensor};

mod cpu;

pub use cpu::philox4x32_10;

fn make(
    op: &'static str,
    shape: &[usize],
    device: Device,
    cpu: impl FnOnce(usize) -> Vec<f32>,
    gpu: impl FnOnce(usize) -> Result<Tensor>,
) -> Result<Tensor> {
    let n = shape
        .iter()
        .try_fold(1usize, |a, &d| a.checked_mul(d))
        .ok_or_else(|| Error::arg(op, shape, "element count overflows"))?;
    match device {
        Device::Cpu => Tensor::from_vec(cpu(n), shape),
        Device::Cuda(i) => {
            crate::cuda::probe(i)?;
            gpu(i)
        }
    }
}

/// Uniform samples in [lo, hi), f32.
pub fn uniform(
    shape: &[usize],
    lo: f32,
    hi: f32,
    seed: u64,
    offset: u64,
    device: Device,
) -> Result<Tensor> {
    make(
        "uniform",
        shape,
        device,
        |n| cpu::uniform(n, lo, hi, seed, offset),
        |i| cuda::generate(i, shape, cuda::Dist::Uniform { lo, hi }, seed, offset),
    )
}

/// Normal samples N(mean, std²), f32, by Box–Muller on word pairs.
pub fn normal(
    shape: &[usize],
    mean: f32,
    std: f32,
    seed: u64,
    offset: u64,
    device: Device,
) -> Result<Tensor> {
    make(
        "normal",
        shape,
        device,
        |n| cpu::normal(n, mean, std, seed, offset),
        |i| cuda::generate(i, shape, cuda::Dist::Normal { mean, std }, seed, offset),
    )
}

/// An inverted-dropout mask: 0 with probability `p`, else 1/(1−p).
pub fn dropout_mask(
    shape: &[usize],
    p: f64,
    seed: u64,
    offset: u64,
    device: Device,
) -> Result<Tensor> {
    if !(0.0..=1.0).contains(&p) {
        return Err(Error::arg(
            "dropout",
            shape,
            format!("probability {p} is outside [0, 1]"),
        ));
    }
    let scale = if p < 1.0 {
        (1.0 / (1.0 - p)) as f32
    } else {
        0.0
    };
    let pf = p as f32;
    make(
        "dropout",
        shape,
        device,
        |n| cpu::dropout_mask(n, pf, scale, seed, offset),
        |i| cuda::generate(i, shape, cuda::Dist::Dropout { p: pf, scale }, seed, offset),
    )
}

/// Inverted dropout of an f32 `x`: (x · mask, mask) with the mask of
/// [`dropout_mask`] for the same `seed` and `offset`. On a GPU one launch
/// draws the mask and applies it.
pub fn dropout(x: &Tensor, p: f64, seed: u64, offset: u64) -> Result<(Tensor, Tensor)> {
    if x.device().is_cuda() {
        if !(0.0..=1.0).contains(&p) {
            return Err(Error::arg(
                "dropout",
                x.shape(),
                format!("probability {p} is outside [0, 1]"),
            ));
        }
        let scale = if p < 1.0 {
            (1.0 / (1.0 - p)) as f32
        } else {
            0.0
        };
        return cuda::dropout(x, p as f32, scale, seed, offset);
    }
    let mask = dropout_mask(x.shape(), p, seed, offset, x.device())?;
    let y = crate::binary(x, &mask, crate::BinaryOp::Mul)?;
    Ok((y, mask))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn philox_matches_random123_known_answers() {
        assert_eq!(
            philox4x32_10([0; 4], [0; 2]),
            [0x6627_e8d5, 0xe169_c58d, 0xbc57_ac4c, 0x9b00_dbd8]
        );
        assert_eq!(
            philox4x32_10([u32::MAX; 4], [u32::MAX; 2]),
            [0x408f_276d, 0x41c8_3b0e, 0xa20b_c7c6, 0x6d54_51fd]
        );
        assert_eq!(
            philox4x32_10(
                [0x243f_6a88, 0x85a3_08d3, 0x1319_8a2e, 0x0370_7344],
                [0xa409_3822, 0x299f_31d0]
            ),
            [0xd16c_fe09, 0x94fd_cceb, 0x5001_e420, 0x2412_6ea1]
        );
    }

    #[test]
    fn draws_repeat_differ_and_have_the_right_moments() {
        let n = 200_000;
        let a = normal(&[n], 1.0, 2.0, 7, 0, Device::Cpu)
            .unwrap()
            .to_vec_f32()
            .unwrap();
        let b = normal(&[n], 1.0, 2.0, 7, 0, Device::Cpu)
            .unwrap()
            .to_vec_f32()
            .unwrap();
        let c = normal(&[n], 1.0, 2.0, 7, 1, Device::Cpu)
            .unwrap()
            .to_vec_f32()
            .unwrap();
        assert_eq!(a, b);
        assert_ne!(a[..8], c[..8]);
        let mean = a.iter().map(|&x| x as f64).sum::<f64>() / n as f64;
        let var = a.iter().map(|&x| (x as f64 - mean).powi(2)).sum::<f64>() / n as f64;
        assert!(
            (mean - 1.0).abs() < 0.02 && (var - 4.0).abs() < 0.06,
            "{mean} {var}"
        );
        let u = uniform(&[n], -1.0, 1.0, 3, 0, Device::Cpu)
            .unwrap()
            .to_vec_f32()
            .unwrap();
        assert!(u.iter().all(|x| (-1.0..1.0).contains(x)));
        assert!((u.iter().map(|&x| x as f64).sum::<f64>() / n as f64).abs() < 0.01);
        let m = dropout_mask(&[n], 0.3, 5, 0, Device::Cpu)
            .unwrap()
            .to_vec_f32()
            .unwrap();
        let kept = m.iter().filter(|&&x| x != 0.0).count() as f64 / n as f64;
        assert!((kept - 0.7).abs() < 0.01);
        assert!(m.iter().all(|&x| x == 0.0 || (x - 1.0 / 0.7).abs() < 1e-6));
        assert!(dropout_mask(&[3], 1.5, 0, 0, Device::Cpu).is_err());
    }

    #[test]
    fn odd_lengths_are_prefixes_of_the_same_stream() {
        let long = uniform(&[11], 0.0, 1.0, 9, 4, Device::Cpu)
            .unwrap()
            .to_vec_f32()
            .unwrap();
        let short = uniform(&[2, 3], 0.0, 1.0, 9, 4, Device::Cpu)
            .unwrap()
            .to_vec_f32()
            .unwrap();
        assert_eq!(long[..6], short[..]);
    }
}
