//! Central-difference gradient checks (f64) of every foundation op, on shapes
//! that include broadcasting and non-contiguous (transposed, narrowed) inputs.

// `&[x.clone()]` keeps every row of these tables the same shape.
#![allow(clippy::cloned_ref_to_slice_refs)]

use autograd::Var;
use rand::rngs::StdRng;
use rand::SeedableRng;
use tensor::Tensor;
use tests::gradcheck::{assert_all, gradcheck, randn64, uniform64};

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
    let x = away_from_zero(&[3, 5], 1);
    let pos = uniform64(&[3, 5], 0.2, 2.0, 2);
    assert_all(vec![
        gradcheck("neg", &[x.clone()], |v| v[0].neg()),
        gradcheck("exp", &[x.clone()], |v| v[0].exp()),
        gradcheck("log", &[pos.clone()], |v| v[0].log()),
        gradcheck("sqrt", &[pos.clone()], |v| v[0].sqrt()),
        gradcheck("pow", &[pos.clone()], |v| v[0].pow_scalar(2.5)),
        gradcheck("square", &[x.clone()], |v| v[0].square()),
        gradcheck("abs", &[x.clone()], |v| v[0].abs()),
        gradcheck("clamp", &[x.clone()], |v| v[0].clamp(-0.55, 0.65)),
        gradcheck("relu", &[x.clone()], |v| v[0].relu()),
        gradcheck("leaky_relu", &[x.clone()], |v| v[0].leaky_relu(0.2)),
        gradcheck("tanh", &[x.clone()], |v| v[0].tanh()),
        gradcheck("sigmoid", &[x.clone()], |v| v[0].sigmoid()),
        gradcheck("add_scalar", &[x.clone()], |v| v[0].add_scalar(3.0)),
        gradcheck("mul_scalar", &[x.clone()], |v| v[0].mul_scalar(-1.5)),
        // a transposed (non-contiguous) input through a unary op
        gradcheck("tanh_transposed", &[x.clone()], |v| v[0].t()?.tanh()),
    ]);
}

#[test]
fn elementwise_binary_with_broadcasting() {
    let a = randn64(&[4, 1, 5], 3);
    let b = randn64(&[3, 1], 4);
    let c = uniform64(&[3, 5], 0.5, 2.0, 5);
    let m = randn64(&[5, 3], 6);
    assert_all(vec![
        gradcheck("add", &[a.clone(), b.clone()], |v| v[0].add(&v[1])),
        gradcheck("sub", &[a.clone(), b.clone()], |v| v[0].sub(&v[1])),
        gradcheck("mul", &[a.clone(), b.clone()], |v| v[0].mul(&v[1])),
        gradcheck("div", &[a.clone(), c.clone()], |v| v[0].div(&v[1])),
        // a transposed operand against a contiguous one
        gradcheck("mul_transposed", &[m.clone(), c.clone()], |v| {
            v[0].t()?.mul(&v[1])
        }),
        // a narrowed operand broadcast against a row
        gradcheck("add_narrowed", &[m.clone(), randn64(&[3], 7)], |v| {
            v[0].narrow(0, 1, 3)?.add(&v[1])
        }),
        // the same var used twice: gradients must accumulate
        gradcheck("reuse", &[c.clone()], |v| v[0].mul(&v[0])?.add(&v[0])),
    ]);
}

#[test]
fn matmul_and_linear() {
    let a = randn64(&[4, 6], 10);
    let b = randn64(&[6, 3], 11);
    let bt = randn64(&[3, 6], 12);
    let batched = randn64(&[2, 4, 6], 13);
    let w = randn64(&[5, 6], 14);
    let bias = randn64(&[5], 15);
    let xt = randn64(&[6, 4], 16);
    assert_all(vec![
        gradcheck("matmul", &[a.clone(), b.clone()], |v| v[0].matmul(&v[1])),
        gradcheck("matmul_bt", &[a.clone(), bt.clone()], |v| {
            v[0].matmul(&v[1].t()?)
        }),
        gradcheck(
            "matmul_batched_broadcast",
            &[batched.clone(), b.clone()],
            |v| v[0].matmul(&v[1]),
        ),
        gradcheck("matmul_vec", &[randn64(&[6], 17), b.clone()], |v| {
            v[0].matmul(&v[1])
        }),
        gradcheck(
            "matmul_vec_vec",
            &[randn64(&[6], 18), randn64(&[6], 19)],
            |v| v[0].matmul(&v[1]),
        ),
        gradcheck("linear", &[a.clone(), w.clone(), bias.clone()], |v| {
            v[0].linear(&v[1], Some(&v[2]))
        }),
        gradcheck("linear_nobias", &[a.clone(), w.clone()], |v| {
            v[0].linear(&v[1], None)
        }),
        gradcheck(
            "linear_transposed_x",
            &[xt.clone(), w.clone(), bias.clone()],
            |v| v[0].t()?.linear(&v[1], Some(&v[2])),
        ),
        gradcheck(
            "linear_3d",
            &[batched.clone(), w.clone(), bias.clone()],
            |v| v[0].linear(&v[1], Some(&v[2])),
        ),
    ]);
}

#[test]
fn reductions() {
    let x = randn64(&[3, 4, 5], 20);
    assert_all(vec![
        gradcheck("sum_all", &[x.clone()], |v| v[0].sum_all()),
        gradcheck("sum_dim1", &[x.clone()], |v| v[0].sum(&[1], false)),
        gradcheck("sum_dims02_keep", &[x.clone()], |v| v[0].sum(&[0, 2], true)),
        gradcheck("sum_last", &[x.clone()], |v| v[0].sum(&[-1], false)),
        gradcheck("mean_dim0", &[x.clone()], |v| v[0].mean(&[0], true)),
        gradcheck("mean_all", &[x.clone()], |v| v[0].mean_all()),
        gradcheck("sum_of_permuted", &[x.clone()], |v| {
            v[0].permute(&[2, 0, 1])?.sum(&[1], false)
        }),
        // randn values are distinct with probability 1, so argmax is stable under ±ε
        gradcheck("max_dim1", &[x.clone()], |v| v[0].max(1, false)),
        gradcheck("max_dim2_keep", &[x.clone()], |v| v[0].max(-1, true)),
    ]);
}

#[test]
fn shape_ops() {
    let x = randn64(&[2, 3, 4], 30);
    let y = randn64(&[2, 2, 4], 31);
    assert_all(vec![
        gradcheck("reshape", &[x.clone()], |v| v[0].reshape(&[6, 4])?.tanh()),
        gradcheck("reshape_copy", &[x.clone()], |v| {
            v[0].transpose(0, 2)?.reshape(&[24])?.tanh()
        }),
        gradcheck("permute", &[x.clone()], |v| {
            v[0].permute(&[1, 2, 0])?.sigmoid()
        }),
        gradcheck("transpose", &[x.clone()], |v| v[0].transpose(0, 1)?.exp()),
        gradcheck("narrow", &[x.clone()], |v| v[0].narrow(2, 1, 2)?.exp()),
        gradcheck("cat", &[x.clone(), y.clone()], |v| {
            Var::cat(&[v[0].clone(), v[1].clone()], 1)?.tanh()
        }),
        gradcheck("stack", &[x.clone(), x.clone()], |v| {
            Var::stack(&[v[0].clone(), v[1].tanh()?], 0)
        }),
        gradcheck("unsqueeze_squeeze", &[x.clone()], |v| {
            v[0].unsqueeze(1)?.exp()?.squeeze(1)
        }),
        gradcheck("broadcast_to", &[randn64(&[3, 1], 32)], |v| {
            v[0].broadcast_to(&[2, 3, 4])?.tanh()
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
        gradcheck("bce", &[p.clone()], |v| v[0].bce(&soft)),
        gradcheck("bce_with_logits", &[logits.clone()], |v| {
            v[0].bce_with_logits(&soft)
        }),
        gradcheck("mse", &[x.clone()], |v| v[0].mse(&t)),
        gradcheck("cross_entropy", &[randn64(&[4, 10], 46)], |v| {
            v[0].cross_entropy(&labels)
        }),
        // the same seed gives the same mask in every evaluation
        gradcheck("dropout", &[dx.clone()], |v| {
            v[0].dropout(0.3, true, &mut StdRng::seed_from_u64(7))
        }),
        gradcheck("dropout_eval", &[dx.clone()], |v| {
            v[0].dropout(0.3, false, &mut StdRng::seed_from_u64(7))
        }),
    ]);
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
