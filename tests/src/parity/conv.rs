//! Parity runners for conv2d, conv_transpose2d, batchnorm1d/2d and max_pool2d.

use super::{Fixture, RunResult};
use tensor::Tensor;

fn usize_param(fx: &Fixture, key: &str, default: usize) -> usize {
    fx.param_f64(key, default as f64) as usize
}

/// A fresh copy of a fixture tensor, on the fixture tensor's device (running
/// statistics are updated in place, and the fixture's own tensors must stay as
/// loaded).
fn fresh(fx: &Fixture, key: &str) -> Result<Tensor, String> {
    let t = fx.get(key)?;
    Tensor::from_vec(t.to_vec::<f32>().map_err(|e| e.to_string())?, t.shape())
        .and_then(|c| c.to_device(t.device()))
        .map_err(|e| format!("{}: {key}: {e}", fx.name))
}

fn batchnorm(fx: &Fixture) -> RunResult {
    let training = fx.param_bool("training", true);
    let momentum = fx.param_f64("momentum", 0.1);
    let eps = fx.param_f64("eps", 1e-5);
    let (rm, rv) = (fresh(fx, "running_mean_in")?, fresh(fx, "running_var_in")?);
    let mut res = fx.run_autograd(&["x", "w", "b"], |v| {
        v[0].batch_norm(&v[1], &v[2], &rm, &rv, training, momentum, eps)
    })?;
    res.insert("running_mean".into(), rm);
    res.insert("running_var".into(), rv);
    Ok(res)
}

pub fn run(fx: &Fixture) -> Option<RunResult> {
    let stride = usize_param(fx, "stride", 1);
    let padding = usize_param(fx, "padding", 0);
    let r = match fx.op.as_str() {
        "conv2d" => {
            if fx.has("b") {
                fx.run_autograd(&["x", "w", "b"], |v| {
                    v[0].conv2d(&v[1], Some(&v[2]), stride, padding)
                })
            } else {
                fx.run_autograd(&["x", "w"], |v| v[0].conv2d(&v[1], None, stride, padding))
            }
        }
        "conv_transpose2d" => {
            let op = usize_param(fx, "output_padding", 0);
            if fx.has("b") {
                fx.run_autograd(&["x", "w", "b"], |v| {
                    v[0].conv_transpose2d(&v[1], Some(&v[2]), stride, padding, op)
                })
            } else {
                fx.run_autograd(&["x", "w"], |v| {
                    v[0].conv_transpose2d(&v[1], None, stride, padding, op)
                })
            }
        }
        "batchnorm1d" | "batchnorm2d" => batchnorm(fx),
        "max_pool2d" => {
            let k = usize_param(fx, "kernel", 2);
            let s = usize_param(fx, "stride", k);
            fx.run_autograd(&["x"], |v| v[0].max_pool2d(k, s))
        }
        _ => return None,
    };
    Some(r)
}
