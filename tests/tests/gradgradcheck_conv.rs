//! Second-order central-difference checks (f64) of conv2d, conv_transpose2d,
//! batch_norm (training and eval) and max_pool2d, on the settings of the
//! first-order checks (DCGAN kernels, output_padding, biases, non-square
//! inputs, batched GEMMs, strided views), the DCGAN blocks a gradient
//! penalty differentiates through, and their third derivatives.

use autograd::Var;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use tensor::Tensor;
use tests::gradcheck::{assert_all, gradgradcheck, higher_order_check, randn64, uniform64};

#[test]
fn conv2d() {
    let x = randn64(&[2, 3, 5, 5], 1);
    let w3 = randn64(&[4, 3, 3, 3], 2);
    let b4 = randn64(&[4], 3);
    let x6 = randn64(&[2, 2, 6, 6], 4);
    let w4 = randn64(&[3, 2, 4, 4], 5);
    assert_all(vec![
        gradgradcheck("conv2d k3 s1 p1 bias", &[x.clone(), w3, b4], |v| {
            v[0].conv2d(&v[1], Some(&v[2]), 1, 1)
        }),
        gradgradcheck("conv2d k4 s2 p1", &[x6.clone(), w4.clone()], |v| {
            v[0].conv2d(&v[1], None, 2, 1)
        }),
        gradgradcheck(
            "conv2d k4 s2 p2",
            &[randn64(&[2, 2, 7, 7], 6), w4.clone()],
            |v| v[0].conv2d(&v[1], None, 2, 2),
        ),
        gradgradcheck(
            "conv2d non-square",
            &[randn64(&[1, 2, 9, 6], 7), randn64(&[3, 2, 3, 2], 8)],
            |v| v[0].conv2d(&v[1], None, 2, 1),
        ),
        gradgradcheck(
            "conv2d batched tiny outputs",
            &[randn64(&[9, 2, 4, 4], 9), w4.clone()],
            |v| v[0].conv2d(&v[1], None, 2, 1),
        ),
        gradgradcheck(
            "conv2d dense k4 s1 p0 bias",
            &[
                randn64(&[3, 3, 4, 4], 11),
                randn64(&[2, 3, 4, 4], 10),
                randn64(&[2], 12),
            ],
            |v| v[0].conv2d(&v[1], Some(&v[2]), 1, 0),
        ),
        gradgradcheck("conv2d strided input", &[x6, w4], |v| {
            v[0].transpose(2, 3)?.conv2d(&v[1], None, 2, 1)
        }),
    ]);
}

#[test]
fn conv_transpose2d() {
    let w = randn64(&[3, 2, 4, 4], 21);
    assert_all(vec![
        gradgradcheck(
            "convT k4 s1 p0 from 1x1",
            &[randn64(&[2, 3, 1, 1], 22), w.clone()],
            |v| v[0].conv_transpose2d(&v[1], None, 1, 0, 0),
        ),
        gradgradcheck(
            "convT k4 s2 p1",
            &[randn64(&[2, 3, 3, 3], 23), w.clone()],
            |v| v[0].conv_transpose2d(&v[1], None, 2, 1, 0),
        ),
        gradgradcheck(
            "convT k4 s2 p2",
            &[randn64(&[2, 3, 4, 4], 24), w.clone()],
            |v| v[0].conv_transpose2d(&v[1], None, 2, 2, 0),
        ),
        gradgradcheck(
            "convT k3 s2 p1 output_padding 1 bias",
            &[
                randn64(&[2, 2, 3, 3], 25),
                randn64(&[2, 3, 3, 3], 26),
                randn64(&[3], 27),
            ],
            |v| v[0].conv_transpose2d(&v[1], Some(&v[2]), 2, 1, 1),
        ),
        gradgradcheck("convT batched", &[randn64(&[9, 3, 2, 2], 29), w], |v| {
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
        gradgradcheck(
            "batch_norm train [N, C]",
            &[x2d.clone(), w3.clone(), b3.clone()],
            |v| v[0].batch_norm(&v[1], &v[2], &rm3, &rv3, true, 0.1, 1e-5),
        ),
        gradgradcheck(
            "batch_norm train [N, C, H, W]",
            &[x4d.clone(), w2.clone(), b2.clone()],
            |v| v[0].batch_norm(&v[1], &v[2], &rm2, &rv2, true, 0.1, 1e-5),
        ),
        gradgradcheck(
            "batch_norm eval [N, C, H, W]",
            &[x4d.clone(), w2.clone(), b2.clone()],
            |v| v[0].batch_norm(&v[1], &v[2], &rm2, &rv2, false, 0.1, 1e-5),
        ),
        gradgradcheck("batch_norm eval [N, C]", &[x2d, w3, b3], |v| {
            v[0].batch_norm(&v[1], &v[2], &rm3, &rv3, false, 0.1, 1e-5)
        }),
        gradgradcheck("batch_norm train strided", &[x4d, w2, b2], |v| {
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
        gradgradcheck("max_pool2d k2 s2", &[distinct(&[2, 3, 6, 6], 51)], |v| {
            v[0].max_pool2d(2, 2)
        }),
        gradgradcheck("max_pool2d k3 s1", &[distinct(&[1, 2, 5, 6], 52)], |v| {
            v[0].max_pool2d(3, 1)
        }),
        // squared after pooling: the scatter's gradient meets one that depends on x
        gradgradcheck(
            "max_pool2d k3 s1 squared",
            &[distinct(&[1, 2, 5, 6], 53)],
            |v| v[0].max_pool2d(3, 1)?.square(),
        ),
    ]);
}

/// The DCGAN discriminator and generator blocks, and the third derivatives
/// of the conv family and batch norm.
#[test]
fn dcgan_blocks_and_third_order() {
    let (w, b, rm, rv) = bn_params(4, 61);
    let d_block = |v: &[Var]| {
        v[0].conv2d(&v[1], None, 2, 1)?
            .batch_norm(&v[2], &v[3], &rm, &rv, true, 0.1, 1e-5)?
            .leaky_relu(0.2)
    };
    let x = randn64(&[3, 2, 6, 6], 62);
    let wc = randn64(&[4, 2, 4, 4], 63);
    let small = randn64(&[2, 2, 4, 4], 66);
    let (w2, b2, rm2, rv2) = bn_params(2, 41);
    assert_all(vec![
        gradgradcheck(
            "conv → batch_norm → leaky_relu",
            &[x.clone(), wc.clone(), w.clone(), b.clone()],
            d_block,
        ),
        gradgradcheck(
            "convT → batch_norm → relu",
            &[
                randn64(&[3, 5, 2, 2], 64),
                randn64(&[5, 4, 4, 4], 65),
                w.clone(),
                b.clone(),
            ],
            |v| {
                v[0].conv_transpose2d(&v[1], None, 2, 1, 0)?
                    .batch_norm(&v[2], &v[3], &rm, &rv, true, 0.1, 1e-5)?
                    .relu()
            },
        ),
        higher_order_check(
            "conv2d",
            3,
            &[small.clone(), randn64(&[3, 2, 3, 3], 67)],
            |v| v[0].conv2d(&v[1], None, 1, 1)?.tanh(),
        ),
        higher_order_check(
            "convT",
            3,
            &[small.clone(), randn64(&[2, 3, 3, 3], 68)],
            |v| v[0].conv_transpose2d(&v[1], None, 2, 1, 1)?.tanh(),
        ),
        higher_order_check(
            "batch_norm train",
            3,
            &[small.clone(), w2.clone(), b2.clone()],
            |v| v[0].batch_norm(&v[1], &v[2], &rm2, &rv2, true, 0.1, 1e-5),
        ),
        higher_order_check("batch_norm eval", 3, &[small.clone(), w2, b2], |v| {
            v[0].batch_norm(&v[1], &v[2], &rm2, &rv2, false, 0.1, 1e-5)?
                .square()
        }),
        higher_order_check(
            "max_pool2d squared",
            3,
            &[distinct(&[1, 2, 5, 6], 54)],
            |v| v[0].max_pool2d(3, 1)?.square(),
        ),
    ]);
}
