//! Central-difference gradient checks (f64) of conv2d, conv_transpose2d,
//! batch_norm and max_pool2d, including the DCGAN settings (k4 s2 p1 / p2, k4 s1
//! p0 from 1×1), output_padding, biases, non-square inputs and kernels, batches
//! large enough for the engine's multi-image GEMMs, and strided input views.

use autograd::Var;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use tensor::Tensor;
use tests::gradcheck::{assert_all, gradcheck, randn64, uniform64};

#[test]
fn conv2d() {
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
    assert_all(vec![
        gradcheck(
            "conv2d k3 s1 p1 bias",
            &[x.clone(), w3.clone(), b4.clone()],
            |v| v[0].conv2d(&v[1], Some(&v[2]), 1, 1),
        ),
        gradcheck("conv2d k4 s2 p1", &[x6.clone(), w4.clone()], |v| {
            v[0].conv2d(&v[1], None, 2, 1)
        }),
        gradcheck("conv2d k4 s2 p2", &[x7.clone(), w4.clone()], |v| {
            v[0].conv2d(&v[1], None, 2, 2)
        }),
        gradcheck("conv2d non-square input and kernel", &[rect, wr], |v| {
            v[0].conv2d(&v[1], None, 2, 1)
        }),
        // 9 images of 2×2 outputs: several images per GEMM, image-innermost unfolding
        gradcheck("conv2d batched tiny outputs", &[many, w4.clone()], |v| {
            v[0].conv2d(&v[1], None, 2, 1)
        }),
        // 40 images: more batches than rayon fold states, so per-state weight
        // gradients accumulate over several batches
        gradcheck(
            "conv2d many batches",
            &[randn64(&[40, 2, 8, 8], 13), randn64(&[3, 2, 3, 3], 14)],
            |v| v[0].conv2d(&v[1], None, 1, 1),
        ),
        // the filter covers the whole image: the dense (single GEMM) path
        gradcheck(
            "conv2d dense k4 s1 p0 bias",
            &[xd, wd, randn64(&[2], 12)],
            |v| v[0].conv2d(&v[1], Some(&v[2]), 1, 0),
        ),
        // a transposed (non-contiguous) view of the input
        gradcheck("conv2d strided input", &[x6, w4], |v| {
            v[0].transpose(2, 3)?.conv2d(&v[1], None, 2, 1)
        }),
    ]);
}

#[test]
fn conv_transpose2d() {
    let w = randn64(&[3, 2, 4, 4], 21);
    assert_all(vec![
        // the DCGAN generator's first layer: 1×1 → 4×4
        gradcheck(
            "convT k4 s1 p0 from 1x1",
            &[randn64(&[2, 3, 1, 1], 22), w.clone()],
            |v| v[0].conv_transpose2d(&v[1], None, 1, 0, 0),
        ),
        gradcheck(
            "convT k4 s2 p1",
            &[randn64(&[2, 3, 3, 3], 23), w.clone()],
            |v| v[0].conv_transpose2d(&v[1], None, 2, 1, 0),
        ),
        gradcheck(
            "convT k4 s2 p2",
            &[randn64(&[2, 3, 4, 4], 24), w.clone()],
            |v| v[0].conv_transpose2d(&v[1], None, 2, 2, 0),
        ),
        gradcheck(
            "convT k3 s2 p1 output_padding 1 bias",
            &[
                randn64(&[2, 2, 3, 3], 25),
                randn64(&[2, 3, 3, 3], 26),
                randn64(&[3], 27),
            ],
            |v| v[0].conv_transpose2d(&v[1], Some(&v[2]), 2, 1, 1),
        ),
        gradcheck(
            "convT non-square k4 s2 p1",
            &[randn64(&[1, 3, 2, 3], 28), w.clone()],
            |v| v[0].conv_transpose2d(&v[1], None, 2, 1, 0),
        ),
        // 9 images of 2×2 inputs: several images per GEMM
        gradcheck("convT batched", &[randn64(&[9, 3, 2, 2], 29), w], |v| {
            v[0].conv_transpose2d(&v[1], None, 2, 1, 0)
        }),
    ]);
}

/// Affine parameters near 1 and 0, and running statistics away from the batch's.
fn bn_params(c: usize, seed: u64) -> (Tensor, Tensor, Tensor, Tensor) {
    let w = uniform64(&[c], 0.5, 1.5, seed);
    let b = randn64(&[c], seed + 1);
    let rm = randn64(&[c], seed + 2);
    let rv = uniform64(&[c], 0.5, 2.0, seed + 3);
    (w, b, rm, rv)
}

#[test]
fn batch_norm() {
    let (w3, b3, rm3, rv3) = bn_params(3, 31);
    let (w2, b2, rm2, rv2) = bn_params(2, 41);
    let x2d = randn64(&[6, 3], 35);
    let x4d = randn64(&[3, 2, 3, 3], 45);
    assert_all(vec![
        gradcheck(
            "batch_norm train [N, C]",
            &[x2d.clone(), w3.clone(), b3.clone()],
            |v| v[0].batch_norm(&v[1], &v[2], &rm3, &rv3, true, 0.1, 1e-5),
        ),
        gradcheck(
            "batch_norm train [N, C, H, W]",
            &[x4d.clone(), w2.clone(), b2.clone()],
            |v| v[0].batch_norm(&v[1], &v[2], &rm2, &rv2, true, 0.1, 1e-5),
        ),
        gradcheck(
            "batch_norm eval [N, C, H, W]",
            &[x4d.clone(), w2.clone(), b2.clone()],
            |v| v[0].batch_norm(&v[1], &v[2], &rm2, &rv2, false, 0.1, 1e-5),
        ),
        gradcheck("batch_norm eval [N, C]", &[x2d, w3, b3], |v| {
            v[0].batch_norm(&v[1], &v[2], &rm3, &rv3, false, 0.1, 1e-5)
        }),
        // normalising a strided view: channels taken from a permuted buffer
        gradcheck("batch_norm train strided", &[x4d, w2, b2], |v| {
            v[0].transpose(2, 3)?
                .batch_norm(&v[1], &v[2], &rm2, &rv2, true, 0.1, 1e-5)
        }),
    ]);
}

/// Distinct values 0.1 apart in random order, so that every window's maximum
/// stays the maximum under the ±1e-6 probes.
fn distinct(shape: &[usize], seed: u64) -> Tensor {
    let n: usize = shape.iter().product();
    let mut v: Vec<f64> = (0..n).map(|i| i as f64 * 0.1 - n as f64 * 0.05).collect();
    v.shuffle(&mut StdRng::seed_from_u64(seed));
    Tensor::from_vec(v, shape).unwrap()
}

#[test]
fn max_pool2d() {
    assert_all(vec![
        gradcheck("max_pool2d k2 s2", &[distinct(&[2, 3, 6, 6], 51)], |v| {
            v[0].max_pool2d(2, 2)
        }),
        // overlapping windows share maxima: their gradients add up
        gradcheck("max_pool2d k3 s1", &[distinct(&[1, 2, 5, 6], 52)], |v| {
            v[0].max_pool2d(3, 1)
        }),
        gradcheck(
            "max_pool2d k2 s2 odd size",
            &[distinct(&[2, 1, 7, 5], 53)],
            |v| v[0].max_pool2d(2, 2),
        ),
    ]);
}

/// The layers composed as in a DCGAN discriminator and generator block.
#[test]
fn dcgan_blocks() {
    let (w, b, rm, rv) = bn_params(4, 61);
    assert_all(vec![
        gradcheck(
            "conv → batch_norm → leaky_relu",
            &[
                randn64(&[3, 2, 8, 8], 62),
                randn64(&[4, 2, 4, 4], 63),
                w.clone(),
                b.clone(),
            ],
            |v| {
                v[0].conv2d(&v[1], None, 2, 1)?
                    .batch_norm(&v[2], &v[3], &rm, &rv, true, 0.1, 1e-5)?
                    .leaky_relu(0.2)
            },
        ),
        gradcheck(
            "convT → batch_norm → relu",
            &[randn64(&[3, 5, 2, 2], 64), randn64(&[5, 4, 4, 4], 65), w, b],
            |v| {
                v[0].conv_transpose2d(&v[1], None, 2, 1, 0)?
                    .batch_norm(&v[2], &v[3], &rm, &rv, true, 0.1, 1e-5)?
                    .relu()
            },
        ),
    ]);
}

/// Bad shapes and arguments come back as errors naming the op, never panics.
#[test]
fn bad_input_is_an_error() {
    let x = Var::param(randn64(&[2, 3, 5, 5], 71));
    let w = Var::param(randn64(&[4, 2, 3, 3], 72));
    let e = x.conv2d(&w, None, 1, 0).unwrap_err().to_string();
    assert!(e.contains("conv2d") && e.contains("[2, 3, 5, 5]"), "{e}");
    let big = Var::param(randn64(&[4, 3, 9, 9], 73));
    assert!(x.conv2d(&big, None, 1, 1).is_err());
    let wt = Var::param(randn64(&[3, 2, 4, 4], 74));
    assert!(x.conv_transpose2d(&wt, None, 0, 0, 0).is_err());
    assert!(x.conv_transpose2d(&wt, None, 2, 1, 2).is_err());
    assert!(x.max_pool2d(6, 1).is_err());
    let (rm, rv) = (randn64(&[2], 75), randn64(&[2], 76));
    let p = Var::param(randn64(&[3], 77));
    let e = x
        .batch_norm(&p, &p, &rm, &rv, true, 0.1, 1e-5)
        .unwrap_err()
        .to_string();
    assert!(e.contains("batch_norm"), "{e}");
}
