//! conv2d, conv_transpose2d and batchnorm2d cases, as bench_torch.py builds
//! them: a default-initialised layer applied to x ~ N(0, 1) that requires grad,
//! then `.sum().backward()` (batchnorm: `.square().sum().backward()`, since the
//! sum of a batch-normalised tensor has a zero gradient). On a GPU every
//! tensor is drawn on the CPU from the same stream, then moved.

use super::{dims, num, uniform_param, Step};
use autograd::Var;
use rand::rngs::StdRng;
use serde_json::Value;
use tensor::{DType, Device, Result, Tensor};

/// The layer's geometry: (x shape, out channels, kernel, stride, padding, bias).
struct Geom {
    x: Vec<usize>,
    out: usize,
    k: usize,
    stride: usize,
    pad: usize,
    bias: bool,
}

fn geom(c: &Value) -> Result<Geom> {
    Ok(Geom {
        x: dims(c, "x")?,
        out: num(c, "out_channels")?,
        k: num(c, "kernel")?,
        stride: num(c, "stride")?,
        pad: num(c, "padding")?,
        bias: c.get("bias").and_then(Value::as_bool).unwrap_or(false),
    })
}

/// nn.Conv2d(C, O, k, s, p): w [O, C, k, k], fan_in = C·k·k.
pub fn conv2d(c: &Value, rng: &mut StdRng, dev: Device) -> Result<Step> {
    let g = geom(c)?;
    let cin = g.x[1];
    let fan_in = cin * g.k * g.k;
    let w = uniform_param(&[g.out, cin, g.k, g.k], fan_in, rng, dev)?;
    let b = g
        .bias
        .then(|| uniform_param(&[g.out], fan_in, rng, dev))
        .transpose()?;
    let x = Var::param(Tensor::randn(&g.x, 0.0, 1.0, rng)?.to_device(dev)?);
    let (s, p) = (g.stride, g.pad);
    Ok(Box::new(move || {
        x.conv2d(&w, b.as_ref(), s, p)?.sum_all()?.backward()
    }))
}

/// nn.ConvTranspose2d(C, O, k, s, p): w [C, O, k, k]; PyTorch takes fan_in
/// from dim 1, so the bound is 1/√(O·k·k).
pub fn conv_transpose2d(c: &Value, rng: &mut StdRng, dev: Device) -> Result<Step> {
    let g = geom(c)?;
    let cin = g.x[1];
    let fan_in = g.out * g.k * g.k;
    let w = uniform_param(&[cin, g.out, g.k, g.k], fan_in, rng, dev)?;
    let b = g
        .bias
        .then(|| uniform_param(&[g.out], fan_in, rng, dev))
        .transpose()?;
    let x = Var::param(Tensor::randn(&g.x, 0.0, 1.0, rng)?.to_device(dev)?);
    let (s, p) = (g.stride, g.pad);
    Ok(Box::new(move || {
        x.conv_transpose2d(&w, b.as_ref(), s, p, 0)?
            .sum_all()?
            .backward()
    }))
}

/// nn.BatchNorm2d(C) in training mode: weight 1, bias 0, running stats
/// (0, 1) updated on every call, momentum 0.1, eps 1e-5.
pub fn batchnorm2d(c: &Value, rng: &mut StdRng, dev: Device) -> Result<Step> {
    let shape = dims(c, "x")?;
    let ch = shape[1];
    let w = Var::param(Tensor::ones(&[ch], DType::F32, dev)?);
    let b = Var::param(Tensor::zeros(&[ch], DType::F32, dev)?);
    let mean = Tensor::zeros(&[ch], DType::F32, dev)?;
    let var = Tensor::ones(&[ch], DType::F32, dev)?;
    let x = Var::param(Tensor::randn(&shape, 0.0, 1.0, rng)?.to_device(dev)?);
    Ok(Box::new(move || {
        x.batch_norm(&w, &b, &mean, &var, true, 0.1, 1e-5)?
            .square()?
            .sum_all()?
            .backward()
    }))
}
