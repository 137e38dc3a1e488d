//! Second-order central-difference checks (f64) of conv2d, conv_transpose2d,
//! batch_norm (training and eval) and max_pool2d: the tables of
//! `tests::op_cases::conv` that the first-order checks run (DCGAN kernels,
//! output_padding, biases, non-square inputs, batched GEMMs, strided views),
//! the DCGAN blocks a gradient penalty differentiates through, and their
//! third derivatives.

use autograd::Var;
use tests::gradcheck::{assert_all, gradgradcheck, higher_order_check, randn64};
use tests::op_cases::conv::{self as cases, bn_params, distinct};
use tests::op_cases::{check_all, Case};

fn second_order(c: &Case) -> Result<(), String> {
    gradgradcheck(&c.name, &c.inputs, &c.f)
}

#[test]
fn conv2d() {
    check_all(cases::conv2d(), second_order);
}

#[test]
fn conv_transpose2d() {
    check_all(cases::conv_transpose2d(), second_order);
}

#[test]
fn batch_norm() {
    check_all(cases::batch_norm(), second_order);
}

#[test]
fn max_pool2d() {
    check_all(cases::max_pool2d(), second_order);
}

/// The DCGAN discriminator and generator blocks a penalty differentiates
/// through.
#[test]
fn dcgan_blocks() {
    check_all(cases::dcgan_blocks(), second_order);
}

/// Third derivatives of the conv family, batch norm (whose second-order rule
/// is a kernel, and whose third differentiates a composite) and max pooling.
#[test]
fn third_order() {
    let small = randn64(&[2, 2, 4, 4], 66);
    let (w2, b2, rm, rv) = bn_params(2, 41);
    let (w, b) = (w2.clone(), b2.clone());
    let bn = move |v: &[Var], training: bool| {
        v[0].batch_norm(&v[1], &v[2], &rm, &rv, training, 0.1, 1e-5)
    };
    assert_all(vec![
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
            &[small.clone(), w.clone(), b.clone()],
            |v| bn(v, true),
        ),
        // squared: the upstream gradient of batch norm's backward depends on x
        higher_order_check(
            "batch_norm train squared",
            3,
            &[small.clone(), w.clone(), b.clone()],
            |v| bn(v, true)?.square(),
        ),
        higher_order_check("batch_norm eval squared", 3, &[small.clone(), w, b], |v| {
            bn(v, false)?.square()
        }),
        higher_order_check(
            "max_pool2d squared",
            3,
            &[distinct(&[1, 2, 5, 6], 54)],
            |v| v[0].max_pool2d(3, 1)?.square(),
        ),
    ]);
}
