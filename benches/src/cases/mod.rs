//! Each case of cases.json as a closure doing forward + backward, with the same
//! shapes and semantics as bench_torch.py's `op_case`: linear, matmul, the
//! activations and the losses here; convolutions and batch norm in `conv`, the
//! whole GAN step in `train_step`, a gradient penalty's double backward in
//! `penalty`.
//!
//! On a GPU every tensor is drawn on the CPU from the same seeded stream, then
//! moved, so both devices time the same values. Every op of the cases has a
//! CUDA kernel.

mod conv;
mod penalty;
mod train_step;

use autograd::Var;
use rand::rngs::StdRng;
use rand::SeedableRng;
use serde_json::Value;
use tensor::{DType, Device, Error, Result, Tensor};

pub type Step = Box<dyn FnMut() -> Result<()>>;

fn dims(c: &Value, key: &str) -> Result<Vec<usize>> {
    c.get(key)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_u64)
                .map(|v| v as usize)
                .collect()
        })
        .ok_or_else(|| Error::invalid("bench", format!("case has no '{key}' shape")))
}

fn num(c: &Value, key: &str) -> Result<usize> {
    c.get(key)
        .and_then(Value::as_u64)
        .map(|v| v as usize)
        .ok_or_else(|| Error::invalid("bench", format!("case has no '{key}'")))
}

/// PyTorch's default nn.Linear / nn.Conv init bound: U(±1/√fan_in).
fn uniform_param(shape: &[usize], fan_in: usize, rng: &mut StdRng, dev: Device) -> Result<Var> {
    let b = 1.0 / (fan_in as f32).sqrt();
    Ok(Var::param(
        Tensor::rand_uniform(shape, -b, b, rng)?.to_device(dev)?,
    ))
}

/// x ~ N(0, 1) drawn on the CPU, moved to `dev`, requiring grad.
fn randn_param(shape: &[usize], rng: &mut StdRng, dev: Device) -> Result<Var> {
    Ok(Var::param(
        Tensor::randn(shape, 0.0, 1.0, rng)?.to_device(dev)?,
    ))
}

/// Build the closure for a case; `Ok(None)` when the engine lacks the op.
pub fn build(c: &Value, device: Device) -> Result<Option<Step>> {
    let mut rng = StdRng::seed_from_u64(0);
    let op = c.get("op").and_then(Value::as_str).unwrap_or("");
    let dev = device;
    let step: Step = match op {
        "linear" => {
            let x = dims(c, "x")?;
            let (b, i, o) = (x[0], x[1], num(c, "out_features")?);
            let w = uniform_param(&[o, i], i, &mut rng, dev)?;
            let bias = uniform_param(&[o], i, &mut rng, dev)?;
            let x = randn_param(&[b, i], &mut rng, dev)?;
            Box::new(move || x.linear(&w, Some(&bias))?.sum_all()?.backward())
        }
        "matmul" => {
            let a = randn_param(&dims(c, "a")?, &mut rng, dev)?;
            let b = randn_param(&dims(c, "b")?, &mut rng, dev)?;
            Box::new(move || a.matmul(&b)?.sum_all()?.backward())
        }
        "leaky_relu" | "relu" | "tanh" | "sigmoid" => {
            let x = randn_param(&dims(c, "x")?, &mut rng, dev)?;
            let op = op.to_string();
            Box::new(move || {
                let y = match op.as_str() {
                    "leaky_relu" => x.leaky_relu(0.2)?,
                    "relu" => x.relu()?,
                    "tanh" => x.tanh()?,
                    _ => x.sigmoid()?,
                };
                y.sum_all()?.backward()
            })
        }
        "bce" => {
            let shape = dims(c, "x")?;
            let p = Tensor::rand_uniform(&shape, 0.0, 1.0, &mut rng)?;
            let p = kernels::unary(&p, kernels::UnaryOp::Clamp(1e-3, 1.0 - 1e-3))?;
            let p = Var::param(p.to_device(dev)?);
            let y = Tensor::ones(&shape, DType::F32, Device::Cpu)?.to_device(dev)?;
            Box::new(move || p.bce(&y)?.backward())
        }
        "bce_with_logits" => {
            let shape = dims(c, "x")?;
            let x = randn_param(&shape, &mut rng, dev)?;
            let y = Tensor::ones(&shape, DType::F32, Device::Cpu)?.to_device(dev)?;
            Box::new(move || x.bce_with_logits(&y)?.backward())
        }
        "conv2d" => conv::conv2d(c, &mut rng, dev)?,
        "conv_transpose2d" => conv::conv_transpose2d(c, &mut rng, dev)?,
        "batchnorm2d" => conv::batchnorm2d(c, &mut rng, dev)?,
        "train_step" => {
            let model = c.get("model").and_then(Value::as_str).unwrap_or("");
            return train_step::train_step(model, device);
        }
        "penalty" => {
            let model = c.get("model").and_then(Value::as_str).unwrap_or("");
            let kind = c.get("kind").and_then(Value::as_str).unwrap_or("");
            return penalty::penalty(model, kind, device);
        }
        _ => return Ok(None),
    };
    Ok(Some(step))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn cpu_builds_and_runs_a_case() {
        let c = json!({ "op": "linear", "x": [4, 3], "out_features": 2 });
        let mut step = build(&c, Device::Cpu).unwrap().expect("linear exists");
        step().unwrap();
    }
}
