//! Second-order central-difference checks (f64, the idea of
//! `torch.autograd.gradgradcheck`) of every op outside the conv family: the
//! tables of `tests::op_cases` that the first-order checks run (broadcasting,
//! non-contiguous views),
//! with points near the kinks of relu, leaky ReLU, abs and clamp (closer
//! than the first-order suite's, yet beyond the ±ε probes); and third-order
//! checks of the ops whose rules differentiate again non-trivially.

// `&[x.clone()]` keeps every row of these tables the same shape.
#![allow(clippy::cloned_ref_to_slice_refs)]

use autograd::Var;
use tensor::Tensor;
use tests::gradcheck::{assert_all, gradgradcheck, higher_order_check, randn64, uniform64};
use tests::op_cases::{self as cases, case, check_all, Case};

/// Normal values plus points 10⁻³ and 10⁻² either side of 0 and of the clamp
/// bounds used below (−0.55, 0.65): near the kinks, but 1,000× further than ε.
fn near_kinks() -> Tensor {
    let mut v = randn64(&[3, 5], 1).to_vec::<f64>().unwrap();
    let near = [-1e-3, 1e-3, -1e-2, 1e-2, -0.551, -0.549, 0.649, 0.651];
    v[..near.len()].copy_from_slice(&near);
    Tensor::from_vec(v, &[3, 5]).unwrap()
}

fn second_order(c: &Case) -> Result<(), String> {
    gradgradcheck(&c.name, &c.inputs, &c.f)
}

#[test]
fn elementwise_unary() {
    let x = near_kinks();
    let mut all = cases::elementwise_unary(&x);
    // the activations feeding a product, so that their second derivatives
    // meet a gradient that depends on x
    all.extend([
        case("relu·x", &[x.clone()], |v| v[0].relu()?.mul(&v[0])),
        case("leaky_relu²", &[x.clone()], |v| {
            v[0].leaky_relu(0.2)?.square()
        }),
        case("abs·x", &[x.clone()], |v| v[0].abs()?.mul(&v[0])),
        case("clamp·x", &[x.clone()], |v| {
            v[0].clamp(-0.55, 0.65)?.mul(&v[0])
        }),
    ]);
    check_all(all, second_order);
}

#[test]
fn elementwise_binary_with_broadcasting() {
    check_all(cases::elementwise_binary(), second_order);
}

#[test]
fn matmul_and_linear() {
    check_all(cases::matmul_and_linear(), second_order);
}

#[test]
fn reductions() {
    check_all(cases::reductions(), second_order);
}

#[test]
fn shape_ops() {
    check_all(cases::shape_ops(), second_order);
}

#[test]
fn losses_and_dropout() {
    check_all(cases::losses_and_dropout(), second_order);
}

/// Third derivatives: the rules of the fused backward ops, differentiated
/// once more.
#[test]
fn third_order() {
    let x = near_kinks();
    let pos = uniform64(&[3, 5], 0.2, 2.0, 2);
    let p = uniform64(&[6, 1], 0.05, 0.95, 40);
    let soft = uniform64(&[6, 1], 0.0, 1.0, 41);
    let a = randn64(&[4, 6], 10);
    let w = randn64(&[5, 6], 14);
    let labels = [2usize, 0, 9, 4];
    let third = |name, inputs: &[Tensor], f: &dyn Fn(&[Var]) -> tensor::Result<Var>| {
        higher_order_check(name, 3, inputs, f)
    };
    assert_all(vec![
        third("tanh", &[x.clone()], &|v| v[0].tanh()),
        third("sigmoid", &[x.clone()], &|v| v[0].sigmoid()),
        third("exp", &[x.clone()], &|v| v[0].exp()),
        third("log", &[pos.clone()], &|v| v[0].log()),
        third("sqrt", &[pos.clone()], &|v| v[0].sqrt()),
        third("pow 3.5", &[pos.clone()], &|v| v[0].pow_scalar(3.5)),
        third("leaky_relu²", &[x.clone()], &|v| {
            v[0].leaky_relu(0.2)?.square()
        }),
        third("div", &[x.clone(), pos.clone()], &|v| v[0].div(&v[1])),
        third("mlp", &[a.clone(), w.clone()], &|v| {
            v[0].linear(&v[1], None)?.tanh()?.sum(&[1], false)
        }),
        third("bce", &[p.clone()], &|v| v[0].bce(&soft)),
        third("bce_with_logits", &[p.clone()], &|v| {
            v[0].bce_with_logits(&soft)
        }),
        third("mse", &[p.clone()], &|v| v[0].mse(&soft)),
        third("cross_entropy", &[randn64(&[4, 10], 46)], &|v| {
            v[0].cross_entropy(&labels)
        }),
        third("max²", &[randn64(&[3, 4], 20)], &|v| {
            v[0].max(1, false)?.square()
        }),
    ]);
}
