//! Second-order central-difference checks (f64, the idea of
//! `torch.autograd.gradgradcheck`) of every op outside the conv family, on
//! the shapes of the first-order checks (broadcasting, non-contiguous views),
//! with points near the kinks of relu, leaky ReLU, abs and clamp (closer
//! than the first-order suite's, yet beyond the ±ε probes); and third-order
//! checks of the ops whose rules differentiate again non-trivially.

// `&[x.clone()]` keeps every row of these tables the same shape.
#![allow(clippy::cloned_ref_to_slice_refs)]

use autograd::Var;
use rand::rngs::StdRng;
use rand::SeedableRng;
use tensor::Tensor;
use tests::gradcheck::{assert_all, gradgradcheck, higher_order_check, randn64, uniform64};

/// Normal values plus points 10⁻³ and 10⁻² either side of 0 and of the clamp
/// bounds used below (−0.55, 0.65): near the kinks, but 1,000× further than ε.
fn near_kinks() -> Tensor {
    let mut v = randn64(&[3, 5], 1).to_vec::<f64>().unwrap();
    let near = [-1e-3, 1e-3, -1e-2, 1e-2, -0.551, -0.549, 0.649, 0.651];
    v[..near.len()].copy_from_slice(&near);
    Tensor::from_vec(v, &[3, 5]).unwrap()
}

#[test]
fn elementwise_unary() {
    let x = near_kinks();
    let pos = uniform64(&[3, 5], 0.2, 2.0, 2);
    assert_all(vec![
        gradgradcheck("neg", &[x.clone()], |v| v[0].neg()),
        gradgradcheck("exp", &[x.clone()], |v| v[0].exp()),
        gradgradcheck("log", &[pos.clone()], |v| v[0].log()),
        gradgradcheck("sqrt", &[pos.clone()], |v| v[0].sqrt()),
        gradgradcheck("pow 2.5", &[pos.clone()], |v| v[0].pow_scalar(2.5)),
        gradgradcheck("pow -0.5", &[pos.clone()], |v| v[0].pow_scalar(-0.5)),
        gradgradcheck("pow 1", &[x.clone()], |v| v[0].pow_scalar(1.0)),
        gradgradcheck("pow 3", &[x.clone()], |v| v[0].pow_scalar(3.0)),
        gradgradcheck("square", &[x.clone()], |v| v[0].square()),
        gradgradcheck("abs", &[x.clone()], |v| v[0].abs()),
        gradgradcheck("clamp", &[x.clone()], |v| v[0].clamp(-0.55, 0.65)),
        gradgradcheck("relu", &[x.clone()], |v| v[0].relu()),
        gradgradcheck("leaky_relu", &[x.clone()], |v| v[0].leaky_relu(0.2)),
        gradgradcheck("tanh", &[x.clone()], |v| v[0].tanh()),
        gradgradcheck("sigmoid", &[x.clone()], |v| v[0].sigmoid()),
        gradgradcheck("add_scalar", &[x.clone()], |v| v[0].add_scalar(3.0)),
        gradgradcheck("mul_scalar", &[x.clone()], |v| v[0].mul_scalar(-1.5)),
        gradgradcheck("tanh_transposed", &[x.clone()], |v| v[0].t()?.tanh()),
        // the activations feeding a product, so that their second
        // derivatives meet a gradient that depends on x
        gradgradcheck("relu·x", &[x.clone()], |v| v[0].relu()?.mul(&v[0])),
        gradgradcheck("leaky_relu²", &[x.clone()], |v| {
            v[0].leaky_relu(0.2)?.square()
        }),
        gradgradcheck("abs·x", &[x.clone()], |v| v[0].abs()?.mul(&v[0])),
        gradgradcheck("clamp·x", &[x.clone()], |v| {
            v[0].clamp(-0.55, 0.65)?.mul(&v[0])
        }),
    ]);
}

#[test]
fn elementwise_binary_with_broadcasting() {
    let a = randn64(&[4, 1, 5], 3);
    let b = randn64(&[3, 1], 4);
    let c = uniform64(&[3, 5], 0.5, 2.0, 5);
    let m = randn64(&[5, 3], 6);
    assert_all(vec![
        gradgradcheck("add", &[a.clone(), b.clone()], |v| v[0].add(&v[1])),
        gradgradcheck("sub", &[a.clone(), b.clone()], |v| v[0].sub(&v[1])),
        gradgradcheck("mul", &[a.clone(), b.clone()], |v| v[0].mul(&v[1])),
        gradgradcheck("div", &[a.clone(), c.clone()], |v| v[0].div(&v[1])),
        gradgradcheck("mul_transposed", &[m.clone(), c.clone()], |v| {
            v[0].t()?.mul(&v[1])
        }),
        gradgradcheck("add_narrowed", &[m.clone(), randn64(&[3], 7)], |v| {
            v[0].narrow(0, 1, 3)?.add(&v[1])
        }),
        gradgradcheck("reuse", &[c.clone()], |v| v[0].mul(&v[0])?.add(&v[0])),
    ]);
}

#[test]
fn matmul_and_linear() {
    let a = randn64(&[4, 6], 10);
    let b = randn64(&[6, 3], 11);
    let batched = randn64(&[2, 4, 6], 13);
    let w = randn64(&[5, 6], 14);
    let bias = randn64(&[5], 15);
    assert_all(vec![
        gradgradcheck("matmul", &[a.clone(), b.clone()], |v| v[0].matmul(&v[1])),
        gradgradcheck("matmul_bt", &[a.clone(), randn64(&[3, 6], 12)], |v| {
            v[0].matmul(&v[1].t()?)
        }),
        gradgradcheck(
            "matmul_batched_broadcast",
            &[batched.clone(), b.clone()],
            |v| v[0].matmul(&v[1]),
        ),
        gradgradcheck("matmul_vec", &[randn64(&[6], 17), b.clone()], |v| {
            v[0].matmul(&v[1])
        }),
        gradgradcheck(
            "matmul_vec_vec",
            &[randn64(&[6], 18), randn64(&[6], 19)],
            |v| v[0].matmul(&v[1]),
        ),
        gradgradcheck("linear", &[a.clone(), w.clone(), bias.clone()], |v| {
            v[0].linear(&v[1], Some(&v[2]))
        }),
        gradgradcheck("linear_nobias", &[a.clone(), w.clone()], |v| {
            v[0].linear(&v[1], None)
        }),
        gradgradcheck(
            "linear_3d",
            &[batched.clone(), w.clone(), bias.clone()],
            |v| v[0].linear(&v[1], Some(&v[2])),
        ),
        // a nonlinearity between two layers: the shape of a penalised MLP critic
        gradgradcheck("mlp", &[a.clone(), w.clone(), randn64(&[1, 5], 16)], |v| {
            v[0].linear(&v[1], None)?.tanh()?.linear(&v[2], None)
        }),
    ]);
}

#[test]
fn reductions() {
    let x = randn64(&[3, 4, 5], 20);
    assert_all(vec![
        gradgradcheck("sum_all", &[x.clone()], |v| v[0].sum_all()),
        gradgradcheck("sum_dim1", &[x.clone()], |v| v[0].sum(&[1], false)),
        gradgradcheck("sum_dims02_keep", &[x.clone()], |v| v[0].sum(&[0, 2], true)),
        gradgradcheck("mean_dim0", &[x.clone()], |v| v[0].mean(&[0], true)),
        gradgradcheck("mean_all", &[x.clone()], |v| v[0].mean_all()),
        gradgradcheck("max_dim1", &[x.clone()], |v| v[0].max(1, false)),
        gradgradcheck("max_dim2_keep", &[x.clone()], |v| v[0].max(-1, true)),
        // the max feeding a square: the scatter's gradient meets one that depends on x
        gradgradcheck("max²", &[x.clone()], |v| v[0].max(1, false)?.square()),
        gradgradcheck("sum²", &[x.clone()], |v| v[0].sum(&[2], false)?.square()),
    ]);
}

#[test]
fn shape_ops() {
    let x = randn64(&[2, 3, 4], 30);
    let y = randn64(&[2, 2, 4], 31);
    assert_all(vec![
        gradgradcheck("reshape", &[x.clone()], |v| v[0].reshape(&[6, 4])?.tanh()),
        gradgradcheck("reshape_copy", &[x.clone()], |v| {
            v[0].transpose(0, 2)?.reshape(&[24])?.tanh()
        }),
        gradgradcheck("permute", &[x.clone()], |v| {
            v[0].permute(&[1, 2, 0])?.sigmoid()
        }),
        gradgradcheck("transpose", &[x.clone()], |v| v[0].transpose(0, 1)?.exp()),
        gradgradcheck("narrow", &[x.clone()], |v| v[0].narrow(2, 1, 2)?.exp()),
        gradgradcheck("cat", &[x.clone(), y.clone()], |v| {
            Var::cat(&[v[0].clone(), v[1].clone()], 1)?.tanh()
        }),
        gradgradcheck("stack", &[x.clone(), x.clone()], |v| {
            Var::stack(&[v[0].clone(), v[1].tanh()?], 0)?.square()
        }),
        gradgradcheck("unsqueeze_squeeze", &[x.clone()], |v| {
            v[0].unsqueeze(1)?.exp()?.squeeze(1)
        }),
        gradgradcheck("broadcast_to", &[randn64(&[3, 1], 32)], |v| {
            v[0].broadcast_to(&[2, 3, 4])?.tanh()
        }),
        gradgradcheck("sum_to_shape", &[x.clone()], |v| {
            v[0].sum_to_shape(&[3, 1])?.square()
        }),
        gradgradcheck("narrow_backward", &[y.clone()], |v| {
            v[0].narrow_backward(&[2, 5, 4], 1, 2)?.square()
        }),
    ]);
}

#[test]
fn losses_and_dropout() {
    let p = uniform64(&[6, 1], 0.05, 0.95, 40);
    let soft = uniform64(&[6, 1], 0.0, 1.0, 41);
    let logits = randn64(&[6, 1], 42);
    let x = randn64(&[4, 3], 43);
    let t = randn64(&[4, 3], 44);
    let labels = [2usize, 0, 9, 4];
    let dx = randn64(&[3, 7], 45);
    assert_all(vec![
        gradgradcheck("bce", &[p.clone()], |v| v[0].bce(&soft)),
        gradgradcheck("bce_with_logits", &[logits.clone()], |v| {
            v[0].bce_with_logits(&soft)
        }),
        gradgradcheck("mse", &[x.clone()], |v| v[0].mse(&t)),
        gradgradcheck("cross_entropy", &[randn64(&[4, 10], 46)], |v| {
            v[0].cross_entropy(&labels)
        }),
        gradgradcheck("dropout", &[dx.clone()], |v| {
            v[0].dropout(0.3, true, &mut StdRng::seed_from_u64(7))?
                .tanh()
        }),
        gradgradcheck("dropout_eval", &[dx.clone()], |v| {
            v[0].dropout(0.3, false, &mut StdRng::seed_from_u64(7))?
                .tanh()
        }),
        // the tutorial D's head: sigmoid into BCE
        gradgradcheck("sigmoid_bce", &[logits.clone()], |v| {
            v[0].sigmoid()?.bce(&soft)
        }),
    ]);
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
