//! Central-difference gradient checks (f64) of conv2d, conv_transpose2d,
//! batch_norm and max_pool2d: the tables of `tests::op_cases::conv` (the DCGAN
//! settings, output_padding, biases, non-square inputs and kernels, batches
//! large enough for the engine's multi-image GEMMs, strided input views),
//! which the second-order checks run too.

use autograd::Var;
use tests::gradcheck::{gradcheck, randn64};
use tests::op_cases::{check_all, conv as cases, Case};

fn first_order(c: &Case) -> Result<(), String> {
    gradcheck(&c.name, &c.inputs, &c.f)
}

#[test]
fn conv2d() {
    check_all(cases::conv2d(), first_order);
}

#[test]
fn conv_transpose2d() {
    check_all(cases::conv_transpose2d(), first_order);
}

#[test]
fn batch_norm() {
    check_all(cases::batch_norm(), first_order);
}

#[test]
fn max_pool2d() {
    check_all(cases::max_pool2d(), first_order);
}

/// The layers composed as in a DCGAN discriminator and generator block.
#[test]
fn dcgan_blocks() {
    check_all(cases::dcgan_blocks(), first_order);
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
