//! Parity runners for the foundation ops: linear, matmul, the elementwise
//! ops, losses, broadcasting binaries, reductions and the shape ops.

use super::{Fixture, RunResult};
use std::collections::HashMap;

pub fn run(fx: &Fixture) -> Option<RunResult> {
    let r = match fx.op.as_str() {
        "linear" => {
            if fx.has("b") {
                fx.run_autograd(&["x", "w", "b"], |v| v[0].linear(&v[1], Some(&v[2])))
            } else {
                fx.run_autograd(&["x", "w"], |v| v[0].linear(&v[1], None))
            }
        }
        "matmul" => {
            let bt = fx.param_bool("b_transposed", false);
            fx.run_autograd(&["a", "b"], |v| {
                if bt {
                    v[0].matmul(&v[1].t()?)
                } else {
                    v[0].matmul(&v[1])
                }
            })
        }
        "relu" | "leaky_relu" | "tanh" | "sigmoid" | "neg" | "exp" | "log" | "sqrt" | "abs"
        | "square" | "pow" | "clamp" | "add_scalar" | "mul_scalar" => return unary(fx),
        "bce" | "bce_with_logits" | "mse" => {
            let y = match fx.get("y") {
                Ok(y) => y,
                Err(e) => return Some(Err(e)),
            };
            match fx.op.as_str() {
                "bce" => fx.run_autograd(&["x"], |v| v[0].bce(&y)),
                "bce_with_logits" => fx.run_autograd(&["x"], |v| v[0].bce_with_logits(&y)),
                _ => fx.run_autograd(&["x"], |v| v[0].mse(&y)),
            }
        }
        "cross_entropy" => {
            let labels: Vec<usize> = match fx
                .get("y")
                .and_then(|y| y.to_vec::<f64>().map_err(|e| e.to_string()))
            {
                Ok(v) => v.iter().map(|&l| l as usize).collect(),
                Err(e) => return Some(Err(e)),
            };
            fx.run_autograd(&["x"], |v| v[0].cross_entropy(&labels))
        }
        "add" => fx.run_autograd(&["a", "b"], |v| v[0].add(&v[1])),
        "sub" => fx.run_autograd(&["a", "b"], |v| v[0].sub(&v[1])),
        "mul" => fx.run_autograd(&["a", "b"], |v| v[0].mul(&v[1])),
        "div" => fx.run_autograd(&["a", "b"], |v| v[0].div(&v[1])),
        "reuse" => fx.run_autograd(&["x"], |v| v[0].mul(&v[0])?.add(&v[0])),
        "max" => {
            let dim = fx.param_f64("dim", 0.0) as isize;
            let keep = fx.param_bool("keepdim", false);
            fx.run_autograd(&["x"], |v| v[0].max(dim, keep))
        }
        "sum_all" => fx.run_autograd(&["x"], |v| v[0].sum_all()),
        "mean_all" => fx.run_autograd(&["x"], |v| v[0].mean_all()),
        "dropout" => {
            let p = fx.param_f64("p", 0.5);
            let train = fx.param_bool("training", true);
            let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(0);
            fx.run_autograd(&["x"], |v| v[0].dropout(p, train, &mut rng))
        }
        "sum" | "mean" => {
            let dim = fx.param_f64("dim", 0.0) as isize;
            let keep = fx.param_bool("keepdim", false);
            if fx.op == "sum" {
                fx.run_autograd(&["x"], |v| v[0].sum(&[dim], keep))
            } else {
                fx.run_autograd(&["x"], |v| v[0].mean(&[dim], keep))
            }
        }
        "reshape" | "permute" | "transpose" | "unsqueeze" | "squeeze" | "expand" | "narrow"
        | "cat" | "stack" => return shape_op(fx),
        _ => return None,
    };
    Some(r.map(|m: HashMap<_, _>| m))
}

/// The elementwise unary ops; `"transposed": true` feeds the op xᵀ (a
/// non-contiguous view), as the fixture's PyTorch side did.
fn unary(fx: &Fixture) -> Option<RunResult> {
    let f = |name: &str, d: f64| fx.param_f64(name, d);
    let transposed = fx.param_bool("transposed", false);
    let (lo, hi, e) = (f("min", 0.0), f("max", 0.0), f("exponent", 1.0));
    let (slope, value) = (f("negative_slope", 0.01), f("value", 0.0));
    let op = fx.op.as_str();
    Some(fx.run_autograd(&["x"], |v| {
        let x = if transposed { v[0].t()? } else { v[0].clone() };
        match op {
            "relu" => x.relu(),
            "leaky_relu" => x.leaky_relu(slope),
            "tanh" => x.tanh(),
            "sigmoid" => x.sigmoid(),
            "neg" => x.neg(),
            "exp" => x.exp(),
            "log" => x.log(),
            "sqrt" => x.sqrt(),
            "abs" => x.abs(),
            "square" => x.square(),
            "pow" => x.pow_scalar(e),
            "clamp" => x.clamp(lo, hi),
            "add_scalar" => x.add_scalar(value),
            _ => x.mul_scalar(value),
        }
    }))
}

/// A list parameter of non-negative integers (a shape, a permutation).
fn usize_list(fx: &Fixture, key: &str) -> Result<Vec<usize>, String> {
    fx.params
        .get(key)
        .and_then(|v| v.as_array())
        .and_then(|a| a.iter().map(|x| x.as_u64().map(|x| x as usize)).collect())
        .ok_or_else(|| format!("{}: parameter '{key}' must be a list of integers", fx.name))
}

/// Views and copies that change the layout: reshape, permute, transpose,
/// (un)squeeze, expand, narrow, cat, stack.
fn shape_op(fx: &Fixture) -> Option<RunResult> {
    let int = |k: &str| fx.param_f64(k, 0.0) as isize;
    let r = match fx.op.as_str() {
        "reshape" | "permute" | "expand" => {
            let key = if fx.op == "permute" { "dims" } else { "shape" };
            let list = match usize_list(fx, key) {
                Ok(l) => l,
                Err(e) => return Some(Err(e)),
            };
            match fx.op.as_str() {
                "reshape" => fx.run_autograd(&["x"], |v| v[0].reshape(&list)),
                "permute" => fx.run_autograd(&["x"], |v| v[0].permute(&list)),
                _ => fx.run_autograd(&["x"], |v| v[0].broadcast_to(&list)),
            }
        }
        "transpose" => fx.run_autograd(&["x"], |v| v[0].transpose(int("dim0"), int("dim1"))),
        "unsqueeze" => fx.run_autograd(&["x"], |v| v[0].unsqueeze(int("dim"))),
        "squeeze" => fx.run_autograd(&["x"], |v| v[0].squeeze(int("dim"))),
        "narrow" => {
            let (start, len) = (int("start") as usize, int("length") as usize);
            fx.run_autograd(&["x"], |v| v[0].narrow(int("dim"), start, len))
        }
        "cat" => fx.run_autograd(&["a", "b"], |v| autograd::Var::cat(v, int("dim"))),
        _ => fx.run_autograd(&["a", "b"], |v| autograd::Var::stack(v, int("dim"))),
    };
    Some(r)
}
