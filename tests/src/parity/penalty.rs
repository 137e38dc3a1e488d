//! The whole-penalty fixtures of `make_gradgrad_fixtures.py` (op "penalty"):
//! a small discriminator D built from the layer list in the metadata, the
//! gradient of ΣD(x) with respect to its input taken with `create_graph`,
//! a WGAN-GP or R1 penalty on it (`gan::train::penalty`, what training and
//! the benchmarks use), and that penalty's gradients with respect to D's
//! parameters (a second-order gradient).

use super::{Fixture, RunResult};
use autograd::{grad, GradOptions, Var};
use gan::train::penalty::Penalty;
use serde_json::Value;
use std::collections::HashMap;
use tensor::{Result, Tensor};

/// One layer of the fixture's D.
enum Layer {
    /// y = x Wᵀ + b, x flattened to (N, −1) first.
    Linear,
    /// conv2d with (stride, padding).
    Conv2d(usize, usize),
    /// Batch norm in training mode (momentum 0.1, eps 1e-5, fresh statistics).
    BatchNorm2d,
    LeakyRelu(f64),
    Sigmoid,
}

impl Layer {
    fn parse(v: &Value) -> std::result::Result<Layer, String> {
        let a = v.as_array().ok_or("a layer is not a list")?;
        let kind = a
            .first()
            .and_then(Value::as_str)
            .ok_or("a layer has no kind")?;
        let num = |i: usize| {
            a.get(i)
                .and_then(Value::as_f64)
                .ok_or(format!("{kind}: argument {i}"))
        };
        Ok(match kind {
            "linear" => Layer::Linear,
            "conv2d" => Layer::Conv2d(num(3)? as usize, num(4)? as usize),
            "batchnorm2d" => Layer::BatchNorm2d,
            "leaky_relu" => Layer::LeakyRelu(num(1)?),
            "sigmoid" => Layer::Sigmoid,
            other => return Err(format!("unknown layer '{other}'")),
        })
    }

    fn params(&self) -> usize {
        match self {
            Layer::Linear | Layer::Conv2d(..) | Layer::BatchNorm2d => 2,
            _ => 0,
        }
    }
}

/// D(x) for the layers and their parameters, in order.
fn d_forward(layers: &[Layer], params: &[Var], x: &Var) -> Result<Var> {
    let (mut x, mut i) = (x.clone(), 0);
    for layer in layers {
        x = match layer {
            Layer::Linear => x
                .flatten_batch()?
                .linear(&params[i], Some(&params[i + 1]))?,
            Layer::Conv2d(s, p) => x.conv2d(&params[i], Some(&params[i + 1]), *s, *p)?,
            Layer::BatchNorm2d => {
                let c = x.shape()[1];
                let (dt, dev) = (x.dtype(), x.device());
                let rm = Tensor::zeros(&[c], dt, dev)?;
                let rv = Tensor::ones(&[c], dt, dev)?;
                x.batch_norm(&params[i], &params[i + 1], &rm, &rv, true, 0.1, 1e-5)?
            }
            Layer::LeakyRelu(slope) => x.leaky_relu(*slope)?,
            Layer::Sigmoid => x.sigmoid()?,
        };
        i += layer.params();
    }
    Ok(x)
}

fn run_penalty(fx: &Fixture) -> RunResult {
    let err = |e: tensor::Error| format!("{}: {e}", fx.name);
    let kind = fx.params.get("kind").and_then(Value::as_str).unwrap_or("");
    if kind != "gp" && kind != "r1" {
        return Err(format!("{}: unknown penalty kind '{kind}'", fx.name));
    }
    let lambda = fx.param_f64("lambda", f64::NAN);
    let penalty = match kind {
        "gp" => Penalty::WganGp { lambda },
        _ => Penalty::R1 { gamma: lambda },
    };
    let layers: Vec<Layer> = fx
        .params
        .get("layers")
        .and_then(Value::as_array)
        .ok_or(format!("{}: no layer list", fx.name))?
        .iter()
        .map(Layer::parse)
        .collect::<std::result::Result<_, _>>()
        .map_err(|e| format!("{}: {e}", fx.name))?;
    let count: usize = layers.iter().map(Layer::params).sum();
    let params: Vec<Var> = (0..count)
        .map(|j| fx.get(&format!("p{j}")).map(Var::param))
        .collect::<std::result::Result<_, _>>()?;
    let real = Var::constant(fx.get("x_real")?);
    let x = if kind == "gp" {
        let eps = Var::constant(fx.get("eps")?);
        let fake = Var::constant(fx.get("x_fake")?);
        let one_minus = eps.neg().and_then(|e| e.add_scalar(1.0)).map_err(err)?;
        let mixed = eps.mul(&real).and_then(|a| a.add(&one_minus.mul(&fake)?));
        Var::param(mixed.map_err(err)?.data().clone())
    } else {
        Var::param(real.data().clone())
    };
    let pen = penalty
        .at(&x, |x| d_forward(&layers, &params, x))
        .map_err(err)?;
    let grads = grad(
        std::slice::from_ref(&pen),
        &params,
        &[],
        GradOptions::new().allow_unused(true),
    )
    .map_err(err)?;
    let mut res = HashMap::new();
    res.insert(
        "penalty".to_string(),
        pen.reshape(&[1]).map_err(err)?.data().clone(),
    );
    for (j, (p, g)) in params.iter().zip(grads).enumerate() {
        let g = match g {
            Some(g) => g,
            None => p.zeros_like().map_err(err)?,
        };
        res.insert(format!("grad_p{j}"), g.data().clone());
    }
    Ok(res)
}

pub fn run(fx: &Fixture) -> Option<RunResult> {
    (fx.op == "penalty").then(|| run_penalty(fx))
}
