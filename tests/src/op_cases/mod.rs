//! The op cases the finite-difference checks run, written once: the
//! first-order checks (`gradcheck*.rs`) and the second- and third-order ones
//! (`gradgradcheck*.rs`) take the same tables, so that an op added to one is
//! checked at every order. Shapes include broadcasting, non-contiguous
//! (transposed, narrowed) inputs and the DCGAN settings; the conv family is
//! in `conv`.

// `&[x.clone()]` keeps every row of these tables the same shape.
#![allow(clippy::cloned_ref_to_slice_refs)]

pub mod conv;

use crate::gradcheck::{randn64, uniform64};
use autograd::Var;
use rand::rngs::StdRng;
use rand::SeedableRng;
use tensor::{Result, Tensor};

/// The function of a case: its output for the given input vars.
pub type OpFn = Box<dyn Fn(&[Var]) -> Result<Var>>;

/// One checked function: a name for the report, its inputs (contiguous f64)
/// and the function.
pub struct Case {
    pub name: String,
    pub inputs: Vec<Tensor>,
    pub f: OpFn,
}

/// A case.
pub fn case(name: &str, inputs: &[Tensor], f: impl Fn(&[Var]) -> Result<Var> + 'static) -> Case {
    Case {
        name: name.to_string(),
        inputs: inputs.to_vec(),
        f: Box::new(f),
    }
}

/// Run `check` on every case and fail once, listing every failing one.
pub fn check_all(cases: Vec<Case>, check: impl Fn(&Case) -> std::result::Result<(), String>) {
    crate::gradcheck::assert_all(cases.iter().map(check).collect());
}

/// The unary ops at `x` (any sign) and, for those defined only there, at
/// positive values; the clamp bounds are −0.55 and 0.65.
pub fn elementwise_unary(x: &Tensor) -> Vec<Case> {
    let pos = uniform64(&[3, 5], 0.2, 2.0, 2);
    vec![
        case("neg", &[x.clone()], |v| v[0].neg()),
        case("exp", &[x.clone()], |v| v[0].exp()),
        case("log", &[pos.clone()], |v| v[0].log()),
        case("sqrt", &[pos.clone()], |v| v[0].sqrt()),
        case("pow 2.5", &[pos.clone()], |v| v[0].pow_scalar(2.5)),
        case("pow -0.5", &[pos.clone()], |v| v[0].pow_scalar(-0.5)),
        case("pow 1", &[x.clone()], |v| v[0].pow_scalar(1.0)),
        case("pow 3", &[x.clone()], |v| v[0].pow_scalar(3.0)),
        case("square", &[x.clone()], |v| v[0].square()),
        case("abs", &[x.clone()], |v| v[0].abs()),
        case("clamp", &[x.clone()], |v| v[0].clamp(-0.55, 0.65)),
        case("relu", &[x.clone()], |v| v[0].relu()),
        case("leaky_relu", &[x.clone()], |v| v[0].leaky_relu(0.2)),
        case("tanh", &[x.clone()], |v| v[0].tanh()),
        case("sigmoid", &[x.clone()], |v| v[0].sigmoid()),
        case("add_scalar", &[x.clone()], |v| v[0].add_scalar(3.0)),
        case("mul_scalar", &[x.clone()], |v| v[0].mul_scalar(-1.5)),
        // a transposed (non-contiguous) input through a unary op
        case("tanh_transposed", &[x.clone()], |v| v[0].t()?.tanh()),
    ]
}

pub fn elementwise_binary() -> Vec<Case> {
    let a = randn64(&[4, 1, 5], 3);
    let b = randn64(&[3, 1], 4);
    let c = uniform64(&[3, 5], 0.5, 2.0, 5);
    let m = randn64(&[5, 3], 6);
    vec![
        case("add", &[a.clone(), b.clone()], |v| v[0].add(&v[1])),
        case("sub", &[a.clone(), b.clone()], |v| v[0].sub(&v[1])),
        case("mul", &[a.clone(), b.clone()], |v| v[0].mul(&v[1])),
        case("div", &[a.clone(), c.clone()], |v| v[0].div(&v[1])),
        // a transposed operand against a contiguous one
        case("mul_transposed", &[m.clone(), c.clone()], |v| {
            v[0].t()?.mul(&v[1])
        }),
        // a narrowed operand broadcast against a row
        case("add_narrowed", &[m.clone(), randn64(&[3], 7)], |v| {
            v[0].narrow(0, 1, 3)?.add(&v[1])
        }),
        // the same var used twice: gradients must accumulate
        case("reuse", &[c.clone()], |v| v[0].mul(&v[0])?.add(&v[0])),
    ]
}

pub fn matmul_and_linear() -> Vec<Case> {
    let a = randn64(&[4, 6], 10);
    let b = randn64(&[6, 3], 11);
    let bt = randn64(&[3, 6], 12);
    let batched = randn64(&[2, 4, 6], 13);
    let w = randn64(&[5, 6], 14);
    let bias = randn64(&[5], 15);
    let xt = randn64(&[6, 4], 16);
    vec![
        case("matmul", &[a.clone(), b.clone()], |v| v[0].matmul(&v[1])),
        case("matmul_bt", &[a.clone(), bt.clone()], |v| {
            v[0].matmul(&v[1].t()?)
        }),
        case(
            "matmul_batched_broadcast",
            &[batched.clone(), b.clone()],
            |v| v[0].matmul(&v[1]),
        ),
        case("matmul_vec", &[randn64(&[6], 17), b.clone()], |v| {
            v[0].matmul(&v[1])
        }),
        case(
            "matmul_vec_vec",
            &[randn64(&[6], 18), randn64(&[6], 19)],
            |v| v[0].matmul(&v[1]),
        ),
        case("linear", &[a.clone(), w.clone(), bias.clone()], |v| {
            v[0].linear(&v[1], Some(&v[2]))
        }),
        case("linear_nobias", &[a.clone(), w.clone()], |v| {
            v[0].linear(&v[1], None)
        }),
        case(
            "linear_transposed_x",
            &[xt.clone(), w.clone(), bias.clone()],
            |v| v[0].t()?.linear(&v[1], Some(&v[2])),
        ),
        case(
            "linear_3d",
            &[batched.clone(), w.clone(), bias.clone()],
            |v| v[0].linear(&v[1], Some(&v[2])),
        ),
        // a nonlinearity between two layers: the shape of a penalised MLP critic
        case("mlp", &[a.clone(), w.clone(), randn64(&[1, 5], 16)], |v| {
            v[0].linear(&v[1], None)?.tanh()?.linear(&v[2], None)
        }),
    ]
}

pub fn reductions() -> Vec<Case> {
    let x = randn64(&[3, 4, 5], 20);
    vec![
        case("sum_all", &[x.clone()], |v| v[0].sum_all()),
        case("sum_dim1", &[x.clone()], |v| v[0].sum(&[1], false)),
        case("sum_dims02_keep", &[x.clone()], |v| v[0].sum(&[0, 2], true)),
        case("sum_last", &[x.clone()], |v| v[0].sum(&[-1], false)),
        case("mean_dim0", &[x.clone()], |v| v[0].mean(&[0], true)),
        case("mean_all", &[x.clone()], |v| v[0].mean_all()),
        case("sum_of_permuted", &[x.clone()], |v| {
            v[0].permute(&[2, 0, 1])?.sum(&[1], false)
        }),
        // randn values are distinct with probability 1, so argmax is stable under ±ε
        case("max_dim1", &[x.clone()], |v| v[0].max(1, false)),
        case("max_dim2_keep", &[x.clone()], |v| v[0].max(-1, true)),
        // squared after the reduction: the gradient meets one that depends on x
        case("max²", &[x.clone()], |v| v[0].max(1, false)?.square()),
        case("sum²", &[x.clone()], |v| v[0].sum(&[2], false)?.square()),
    ]
}

pub fn shape_ops() -> Vec<Case> {
    let x = randn64(&[2, 3, 4], 30);
    let y = randn64(&[2, 2, 4], 31);
    vec![
        case("reshape", &[x.clone()], |v| v[0].reshape(&[6, 4])?.tanh()),
        case("reshape_copy", &[x.clone()], |v| {
            v[0].transpose(0, 2)?.reshape(&[24])?.tanh()
        }),
        case("permute", &[x.clone()], |v| {
            v[0].permute(&[1, 2, 0])?.sigmoid()
        }),
        case("transpose", &[x.clone()], |v| v[0].transpose(0, 1)?.exp()),
        case("narrow", &[x.clone()], |v| v[0].narrow(2, 1, 2)?.exp()),
        case("cat", &[x.clone(), y.clone()], |v| {
            Var::cat(&[v[0].clone(), v[1].clone()], 1)?.tanh()
        }),
        case("stack", &[x.clone(), x.clone()], |v| {
            Var::stack(&[v[0].clone(), v[1].tanh()?], 0)?.square()
        }),
        case("unsqueeze_squeeze", &[x.clone()], |v| {
            v[0].unsqueeze(1)?.exp()?.squeeze(1)
        }),
        case("broadcast_to", &[randn64(&[3, 1], 32)], |v| {
            v[0].broadcast_to(&[2, 3, 4])?.tanh()
        }),
        case("sum_to_shape", &[x.clone()], |v| {
            v[0].sum_to_shape(&[3, 1])?.square()
        }),
        case("narrow_backward", &[y.clone()], |v| {
            v[0].narrow_backward(&[2, 5, 4], 1, 2)?.square()
        }),
        case("identity", &[x.clone()], |v| v[0].identity().square()),
    ]
}

pub fn losses_and_dropout() -> Vec<Case> {
    let p = uniform64(&[6, 1], 0.05, 0.95, 40);
    let soft = uniform64(&[6, 1], 0.0, 1.0, 41);
    let logits = randn64(&[6, 1], 42);
    let x = randn64(&[4, 3], 43);
    let t = randn64(&[4, 3], 44);
    let labels = [2usize, 0, 9, 4];
    let dx = randn64(&[3, 7], 45);
    let (s1, s2, s3) = (soft.clone(), soft.clone(), soft.clone());
    vec![
        case("bce", &[p.clone()], move |v| v[0].bce(&s1)),
        case("bce_with_logits", &[logits.clone()], move |v| {
            v[0].bce_with_logits(&s2)
        }),
        case("mse", &[x.clone()], move |v| v[0].mse(&t)),
        case("cross_entropy", &[randn64(&[4, 10], 46)], move |v| {
            v[0].cross_entropy(&labels)
        }),
        // the same seed gives the same mask in every evaluation
        case("dropout", &[dx.clone()], |v| {
            v[0].dropout(0.3, true, &mut StdRng::seed_from_u64(7))?
                .tanh()
        }),
        case("dropout_eval", &[dx.clone()], |v| {
            v[0].dropout(0.3, false, &mut StdRng::seed_from_u64(7))?
                .tanh()
        }),
        // the tutorial D's head: sigmoid into BCE
        case("sigmoid_bce", &[logits.clone()], move |v| {
            v[0].sigmoid()?.bce(&s3)
        }),
    ]
}
