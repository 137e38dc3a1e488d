//! Central-difference gradient checks (f64) of every foundation op, on shapes
//! that include broadcasting and non-contiguous (transposed, narrowed) inputs:
//! the tables of `tests::op_cases`, which the second-order checks
//! (`gradgradcheck.rs`) run too.

use autograd::Var;
use rand::rngs::StdRng;
use rand::SeedableRng;
use tensor::Tensor;
use tests::gradcheck::{gradcheck, randn64};
use tests::op_cases::{self as cases, check_all, Case};

fn first_order(c: &Case) -> Result<(), String> {
    gradcheck(&c.name, &c.inputs, &c.f)
}

/// Values bounded away from 0 so that kinks (relu, abs, clamp) are not straddled
/// by the ±ε probes.
fn away_from_zero(shape: &[usize], seed: u64) -> Tensor {
    let v: Vec<f64> = randn64(shape, seed)
        .to_vec::<f64>()
        .unwrap()
        .into_iter()
        .map(|x| {
            if x.abs() < 0.1 {
                x.signum() * 0.1 + x
            } else {
                x
            }
        })
        .collect();
    Tensor::from_vec(v, shape).unwrap()
}

#[test]
fn elementwise_unary() {
    check_all(
        cases::elementwise_unary(&away_from_zero(&[3, 5], 1)),
        first_order,
    );
}

#[test]
fn elementwise_binary_with_broadcasting() {
    check_all(cases::elementwise_binary(), first_order);
}

#[test]
fn matmul_and_linear() {
    check_all(cases::matmul_and_linear(), first_order);
}

#[test]
fn reductions() {
    check_all(cases::reductions(), first_order);
}

#[test]
fn shape_ops() {
    check_all(cases::shape_ops(), first_order);
}

#[test]
fn losses_and_dropout() {
    check_all(cases::losses_and_dropout(), first_order);
}

#[test]
fn dropout_statistics_and_bad_input() {
    let x =
        Var::constant(Tensor::ones(&[100_000], tensor::DType::F32, tensor::Device::Cpu).unwrap());
    let y = x
        .dropout(0.3, true, &mut StdRng::seed_from_u64(1))
        .unwrap()
        .data()
        .to_vec_f32()
        .unwrap();
    let zeros = y.iter().filter(|&&v| v == 0.0).count() as f64 / y.len() as f64;
    assert!((zeros - 0.3).abs() < 0.01, "dropped fraction {zeros}");
    let mean: f64 = y.iter().map(|&v| v as f64).sum::<f64>() / y.len() as f64;
    assert!(
        (mean - 1.0).abs() < 0.02,
        "inverted dropout must keep the mean, got {mean}"
    );
    assert!(x.dropout(1.5, true, &mut StdRng::seed_from_u64(1)).is_err());
}
