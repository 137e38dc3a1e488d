//! Parity runners for the foundation ops: linear, matmul, activations, losses,
//! broadcasting binaries and reductions.

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
        "relu" => fx.run_autograd(&["x"], |v| v[0].relu()),
        "leaky_relu" => {
            let s = fx.param_f64("negative_slope", 0.01);
            fx.run_autograd(&["x"], |v| v[0].leaky_relu(s))
        }
        "tanh" => fx.run_autograd(&["x"], |v| v[0].tanh()),
        "sigmoid" => fx.run_autograd(&["x"], |v| v[0].sigmoid()),
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
        "mul" => fx.run_autograd(&["a", "b"], |v| v[0].mul(&v[1])),
        "sum" | "mean" => {
            let dim = fx.param_f64("dim", 0.0) as isize;
            let keep = fx.param_bool("keepdim", false);
            if fx.op == "sum" {
                fx.run_autograd(&["x"], |v| v[0].sum(&[dim], keep))
            } else {
                fx.run_autograd(&["x"], |v| v[0].mean(&[dim], keep))
            }
        }
        _ => return None,
    };
    Some(r.map(|m: HashMap<_, _>| m))
}
