//! The conv family's cases: conv2d and conv_transpose2d in the DCGAN settings
//! (k4 s2 p1 / p2, k4 s1 p0 from 1×1), output_padding, biases, non-square
//! inputs and kernels, batches large enough for the engine's multi-image
//! GEMMs, strided input views; batch norm in both modes; max pooling with
//! overlapping windows; and the DCGAN blocks a gradient penalty goes through.

use super::{case, Case};
use crate::gradcheck::{randn64, uniform64};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use tensor::Tensor;

pub fn conv2d() -> Vec<Case> {
    let x = randn64(&[2, 3, 5, 5], 1);
    let w3 = randn64(&[4, 3, 3, 3], 2);
    let b4 = randn64(&[4], 3);
    let x6 = randn64(&[2, 2, 6, 6], 4);
    let w4 = randn64(&[3, 2, 4, 4], 5);
    let x7 = randn64(&[2, 2, 7, 7], 6);
    let rect = randn64(&[1, 2, 9, 6], 7);
    let wr = randn64(&[3, 2, 3, 2], 8);
    let many = randn64(&[9, 2, 4, 4], 9);
    let wd = randn64(&[2, 3, 4, 4], 10);
    let xd = randn64(&[3, 3, 4, 4], 11);
    vec![
        case("conv2d k3 s1 p1 bias", &[x, w3, b4], |v| {
            v[0].conv2d(&v[1], Some(&v[2]), 1, 1)
        }),
        case("conv2d k4 s2 p1", &[x6.clone(), w4.clone()], |v| {
            v[0].conv2d(&v[1], None, 2, 1)
        }),
        case("conv2d k4 s2 p2", &[x7, w4.clone()], |v| {
            v[0].conv2d(&v[1], None, 2, 2)
        }),
        case("conv2d non-square input and kernel", &[rect, wr], |v| {
            v[0].conv2d(&v[1], None, 2, 1)
        }),
        // 9 images of 2×2 outputs: several images per GEMM, image-innermost unfolding
        case("conv2d batched tiny outputs", &[many, w4.clone()], |v| {
            v[0].conv2d(&v[1], None, 2, 1)
        }),
        // 40 images: more batches than rayon fold states, so per-state weight
        // gradients accumulate over several batches
        case(
            "conv2d many batches",
            &[randn64(&[40, 2, 8, 8], 13), randn64(&[3, 2, 3, 3], 14)],
            |v| v[0].conv2d(&v[1], None, 1, 1),
        ),
        // the filter covers the whole image: the dense (single GEMM) path
        case(
            "conv2d dense k4 s1 p0 bias",
            &[xd, wd, randn64(&[2], 12)],
            |v| v[0].conv2d(&v[1], Some(&v[2]), 1, 0),
        ),
        // a transposed (non-contiguous) view of the input
        case("conv2d strided input", &[x6, w4], |v| {
            v[0].transpose(2, 3)?.conv2d(&v[1], None, 2, 1)
        }),
    ]
}

pub fn conv_transpose2d() -> Vec<Case> {
    let w = randn64(&[3, 2, 4, 4], 21);
    vec![
        // the DCGAN generator's first layer: 1×1 → 4×4
        case(
            "convT k4 s1 p0 from 1x1",
            &[randn64(&[2, 3, 1, 1], 22), w.clone()],
            |v| v[0].conv_transpose2d(&v[1], None, 1, 0, 0),
        ),
        case(
            "convT k4 s2 p1",
            &[randn64(&[2, 3, 3, 3], 23), w.clone()],
            |v| v[0].conv_transpose2d(&v[1], None, 2, 1, 0),
        ),
        case(
            "convT k4 s2 p2",
            &[randn64(&[2, 3, 4, 4], 24), w.clone()],
            |v| v[0].conv_transpose2d(&v[1], None, 2, 2, 0),
        ),
        case(
            "convT k3 s2 p1 output_padding 1 bias",
            &[
                randn64(&[2, 2, 3, 3], 25),
                randn64(&[2, 3, 3, 3], 26),
                randn64(&[3], 27),
            ],
            |v| v[0].conv_transpose2d(&v[1], Some(&v[2]), 2, 1, 1),
        ),
        case(
            "convT non-square k4 s2 p1",
            &[randn64(&[1, 3, 2, 3], 28), w.clone()],
            |v| v[0].conv_transpose2d(&v[1], None, 2, 1, 0),
        ),
        // 9 images of 2×2 inputs: several images per GEMM
        case("convT batched", &[randn64(&[9, 3, 2, 2], 29), w], |v| {
            v[0].conv_transpose2d(&v[1], None, 2, 1, 0)
        }),
    ]
}

/// Affine parameters near 1 and 0, and running statistics away from the batch's.
pub fn bn_params(c: usize, seed: u64) -> (Tensor, Tensor, Tensor, Tensor) {
    let w = uniform64(&[c], 0.5, 1.5, seed);
    let b = randn64(&[c], seed + 1);
    let rm = randn64(&[c], seed + 2);
    let rv = uniform64(&[c], 0.5, 2.0, seed + 3);
    (w, b, rm, rv)
}

/// Batch norm over [N, C] and [N, C, H, W] in both modes. The running
/// statistics each case updates are its own (a training forward changes them).
pub fn batch_norm() -> Vec<Case> {
    let (w3, b3, _, _) = bn_params(3, 31);
    let (w2, b2, _, _) = bn_params(2, 41);
    let x2d = randn64(&[6, 3], 35);
    let x4d = randn64(&[3, 2, 3, 3], 45);
    let bn = |name: &str,
              x: &Tensor,
              w: &Tensor,
              b: &Tensor,
              seed: u64,
              training: bool,
              strided: bool| {
        let (_, _, rm, rv) = bn_params(w.numel(), seed);
        case(name, &[x.clone(), w.clone(), b.clone()], move |v| {
            let x = if strided {
                v[0].transpose(2, 3)?
            } else {
                v[0].clone()
            };
            x.batch_norm(&v[1], &v[2], &rm, &rv, training, 0.1, 1e-5)
        })
    };
    vec![
        bn("batch_norm train [N, C]", &x2d, &w3, &b3, 31, true, false),
        bn(
            "batch_norm train [N, C, H, W]",
            &x4d,
            &w2,
            &b2,
            41,
            true,
            false,
        ),
        bn(
            "batch_norm eval [N, C, H, W]",
            &x4d,
            &w2,
            &b2,
            41,
            false,
            false,
        ),
        bn("batch_norm eval [N, C]", &x2d, &w3, &b3, 31, false, false),
        // normalising a strided view: channels taken from a permuted buffer
        bn("batch_norm train strided", &x4d, &w2, &b2, 41, true, true),
    ]
}

/// Distinct values 0.1 apart in random order, so that every window's maximum
/// stays the maximum under the ±1e-6 probes.
pub fn distinct(shape: &[usize], seed: u64) -> Tensor {
    let n: usize = shape.iter().product();
    let mut v: Vec<f64> = (0..n).map(|i| i as f64 * 0.1 - n as f64 * 0.05).collect();
    v.shuffle(&mut StdRng::seed_from_u64(seed));
    Tensor::from_vec(v, shape).unwrap()
}

pub fn max_pool2d() -> Vec<Case> {
    vec![
        case("max_pool2d k2 s2", &[distinct(&[2, 3, 6, 6], 51)], |v| {
            v[0].max_pool2d(2, 2)
        }),
        // overlapping windows share maxima: their gradients add up
        case("max_pool2d k3 s1", &[distinct(&[1, 2, 5, 6], 52)], |v| {
            v[0].max_pool2d(3, 1)
        }),
        case(
            "max_pool2d k2 s2 odd size",
            &[distinct(&[2, 1, 7, 5], 53)],
            |v| v[0].max_pool2d(2, 2),
        ),
        // squared after pooling: the scatter's gradient meets one that depends on x
        case(
            "max_pool2d k3 s1 squared",
            &[distinct(&[1, 2, 5, 6], 54)],
            |v| v[0].max_pool2d(3, 1)?.square(),
        ),
    ]
}

/// The layers composed as in a DCGAN discriminator and generator block.
pub fn dcgan_blocks() -> Vec<Case> {
    let (w, b, rm, rv) = bn_params(4, 61);
    let (rm2, rv2) = (rm.clone(), rv.clone());
    vec![
        case(
            "conv → batch_norm → leaky_relu",
            &[
                randn64(&[3, 2, 8, 8], 62),
                randn64(&[4, 2, 4, 4], 63),
                w.clone(),
                b.clone(),
            ],
            move |v| {
                v[0].conv2d(&v[1], None, 2, 1)?
                    .batch_norm(&v[2], &v[3], &rm, &rv, true, 0.1, 1e-5)?
                    .leaky_relu(0.2)
            },
        ),
        case(
            "convT → batch_norm → relu",
            &[randn64(&[3, 5, 2, 2], 64), randn64(&[5, 4, 4, 4], 65), w, b],
            move |v| {
                v[0].conv_transpose2d(&v[1], None, 2, 1, 0)?
                    .batch_norm(&v[2], &v[3], &rm2, &rv2, true, 0.1, 1e-5)?
                    .relu()
            },
        ),
    ]
}
