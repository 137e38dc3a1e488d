//! Loss kernels with mean reduction, forward and backward, PyTorch's semantics.
//! The upstream gradient of a loss is a one-element tensor `g`. The per-element
//! CPU expressions are in the entries below, their reductions in `cpu`; the
//! CUDA kernels are loss.cu (`cuda`, which also holds the kind table).

mod cpu;
pub(crate) mod cuda;
#[cfg(test)]
mod tests;

use crate::copy::contiguous;
use crate::elementwise::strided::map2;
use crate::fastmath::FastMath;
use cpu::{mean_of, softmax_rows};
use cuda::Kind;
use tensor::{Element, Error, Result, Tensor};

fn same_shape(op: &'static str, x: &Tensor, y: &Tensor) -> Result<()> {
    if x.shape() != y.shape() {
        return Err(Error::shape_detail(
            op,
            x.shape(),
            y.shape(),
            "input and target must have the same shape",
        ));
    }
    if x.numel() == 0 {
        return Err(Error::arg(op, x.shape(), "mean of an empty tensor"));
    }
    Ok(())
}

/// After the shape check: true when both operands are on a GPU (an error
/// when they are on different devices).
fn on_cuda(op: &'static str, x: &Tensor, y: &Tensor) -> Result<bool> {
    crate::dispatch::check_same(op, x, y)?;
    Ok(x.device().is_cuda())
}

fn upstream(g: &Tensor) -> Result<f64> {
    g.item()
}

/// mean(−[y·max(ln p, −100) + (1−y)·max(ln(1−p), −100)])
pub fn bce(p: &Tensor, y: &Tensor) -> Result<Tensor> {
    same_shape("bce", p, y)?;
    if on_cuda("bce", p, y)? {
        return cuda::mean("bce", Kind::Bce, p, y);
    }
    dispatch2!("bce", p, y, |sp, sy: T, lp, ly| {
        let lo = T::from_f64(-100.0);
        let per = map2(sp, lp, sy, ly, |p: T, y: T| {
            -(y * p.ln().max(lo) + (T::ONE - y) * (T::ONE - p).ln().max(lo))
        });
        Tensor::from_vec::<T>(vec![mean_of(per)], &[])
    })
}

/// ∂bce/∂p = g/N · (p − y) / max(p(1−p), 1e−12)   (PyTorch's EPSILON)
pub fn bce_backward(p: &Tensor, y: &Tensor, g: &Tensor) -> Result<Tensor> {
    same_shape("bce_backward", p, y)?;
    if on_cuda("bce_backward", p, y)? {
        return cuda::backward("bce_backward", Kind::Bce, p, y, g);
    }
    let scale = upstream(g)? / p.numel() as f64;
    dispatch2!("bce_backward", p, y, |sp, sy: T, lp, ly| {
        let (s, eps) = (T::from_f64(scale), T::from_f64(1e-12));
        Tensor::from_vec::<T>(
            map2(sp, lp, sy, ly, |p: T, y: T| {
                s * (p - y) / (p * (T::ONE - p)).max(eps)
            }),
            lp.shape(),
        )
    })
}

/// mean(max(x, 0) − x·y + ln(1 + e^(−|x|))): never overflows.
pub fn bce_with_logits(x: &Tensor, y: &Tensor) -> Result<Tensor> {
    same_shape("bce_with_logits", x, y)?;
    if on_cuda("bce_with_logits", x, y)? {
        return cuda::mean("bce_with_logits", Kind::BceWithLogits, x, y);
    }
    dispatch2!("bce_with_logits", x, y, |sx, sy: T, lx, ly| {
        let per = map2(sx, lx, sy, ly, |x: T, y: T| {
            x.max(T::ZERO) - x * y + (-x.abs()).exp().ln_1p()
        });
        Tensor::from_vec::<T>(vec![mean_of(per)], &[])
    })
}

/// ∂/∂x = g/N · (σ(x) − y)
pub fn bce_with_logits_backward(x: &Tensor, y: &Tensor, g: &Tensor) -> Result<Tensor> {
    same_shape("bce_with_logits_backward", x, y)?;
    if on_cuda("bce_with_logits_backward", x, y)? {
        return cuda::backward("bce_with_logits_backward", Kind::BceWithLogits, x, y, g);
    }
    let scale = upstream(g)? / x.numel() as f64;
    dispatch2!("bce_with_logits_backward", x, y, |sx, sy: T, lx, ly| {
        let s = T::from_f64(scale);
        let grad = map2(sx, lx, sy, ly, |x: T, y: T| s * (x.fast_sigmoid() - y));
        Tensor::from_vec::<T>(grad, lx.shape())
    })
}

/// mean((x − y)²)
pub fn mse(x: &Tensor, y: &Tensor) -> Result<Tensor> {
    same_shape("mse", x, y)?;
    if on_cuda("mse", x, y)? {
        return cuda::mean("mse", Kind::Mse, x, y);
    }
    dispatch2!("mse", x, y, |sx, sy: T, lx, ly| {
        let per = map2(sx, lx, sy, ly, |x: T, y: T| (x - y) * (x - y));
        Tensor::from_vec::<T>(vec![mean_of(per)], &[])
    })
}

/// ∂mse/∂x = g/N · 2(x − y); ∂/∂y is its negation.
pub fn mse_backward(x: &Tensor, y: &Tensor, g: &Tensor) -> Result<Tensor> {
    same_shape("mse_backward", x, y)?;
    if on_cuda("mse_backward", x, y)? {
        return cuda::backward("mse_backward", Kind::Mse, x, y, g);
    }
    let scale = 2.0 * upstream(g)? / x.numel() as f64;
    dispatch2!("mse_backward", x, y, |sx, sy: T, lx, ly| {
        let s = T::from_f64(scale);
        Tensor::from_vec::<T>(map2(sx, lx, sy, ly, |x: T, y: T| s * (x - y)), lx.shape())
    })
}

fn check_ce(logits: &Tensor, labels: &[usize]) -> Result<(usize, usize)> {
    let (n, c) = match logits.shape() {
        &[n, c] => (n, c),
        s => {
            return Err(Error::arg(
                "cross_entropy",
                s,
                "logits must be 2-D [batch, classes]",
            ))
        }
    };
    if labels.len() != n || n == 0 {
        return Err(Error::arg(
            "cross_entropy",
            logits.shape(),
            format!("{} labels for a batch of {n}", labels.len()),
        ));
    }
    if let Some(&bad) = labels.iter().find(|&&l| l >= c) {
        return Err(Error::arg(
            "cross_entropy",
            logits.shape(),
            format!("label {bad} is not below the {c} classes"),
        ));
    }
    Ok((n, c))
}

/// mean over rows of −log_softmax(logits)\[label\].
pub fn cross_entropy(logits: &Tensor, labels: &[usize]) -> Result<Tensor> {
    let (_, c) = check_ce(logits, labels)?;
    if logits.device().is_cuda() {
        return cuda::cross_entropy(logits, labels);
    }
    let x = contiguous(logits)?;
    dispatch1!(&x, |s: T, l| {
        let data = &s[l.offset()..l.offset() + l.numel()];
        let mut total = 0.0f64;
        for (row, &lab) in data.chunks(c).zip(labels) {
            let m = row.iter().fold(row[0], |a, &b| a.max(b));
            let lse = row.iter().map(|&v| (v - m).exp()).sum::<T>().ln() + m;
            total += (lse - row[lab]).to_f64();
        }
        Tensor::from_vec::<T>(vec![T::from_f64(total / labels.len() as f64)], &[])
    })
}

/// ∂/∂logits = g/N · (softmax − onehot(label))
pub fn cross_entropy_backward(logits: &Tensor, labels: &[usize], g: &Tensor) -> Result<Tensor> {
    let (n, c) = check_ce(logits, labels)?;
    if logits.device().is_cuda() {
        return cuda::cross_entropy_backward(logits, labels, g);
    }
    let scale = upstream(g)? / n as f64;
    let x = contiguous(logits)?;
    dispatch1!(&x, |s: T, l| {
        let mut p = softmax_rows(&s[l.offset()..l.offset() + l.numel()], c);
        let sc = T::from_f64(scale);
        for (row, &lab) in p.chunks_mut(c).zip(labels) {
            row[lab] -= T::ONE;
            for v in row.iter_mut() {
                *v *= sc;
            }
        }
        Tensor::from_vec::<T>(p, &[n, c])
    })
}
