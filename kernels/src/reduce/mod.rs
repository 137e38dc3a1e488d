//! Reductions: sum over any set of axes, the sum back to a broadcast source shape
//! (the backward of broadcasting), and max along one dimension with its argmax.

pub(crate) mod cpu;
pub(crate) mod cuda;
#[cfg(test)]
mod tests;

use crate::copy::contiguous;
use tensor::{resolve_dim, Error, Result, Tensor};

/// Sum over `axes` (negative allowed); `keepdim` keeps them as size 1.
pub fn sum_axes(x: &Tensor, axes: &[isize], keepdim: bool) -> Result<Tensor> {
    let shape = x.shape().to_vec();
    let mut reduce = vec![false; shape.len()];
    for &a in axes {
        let d = resolve_dim("sum", a, &shape)?;
        if reduce[d] {
            return Err(Error::arg(
                "sum",
                &shape,
                format!("axis {a} listed twice in {axes:?}"),
            ));
        }
        reduce[d] = true;
    }
    let out_shape: Vec<usize> = shape
        .iter()
        .zip(&reduce)
        .filter_map(|(&d, &r)| match (r, keepdim) {
            (false, _) => Some(d),
            (true, true) => Some(1),
            (true, false) => None,
        })
        .collect();
    // Group the dims into alternating kept/reduced blocks. One reduced block with
    // kept blocks around it is summed in place as [outer, r, inner]; anything else
    // is permuted so that the reduced dims come last, and then summed as rows.
    let mut blocks: Vec<(usize, bool)> = Vec::new();
    for (&d, &r) in shape.iter().zip(&reduce) {
        if d == 1 {
            continue;
        }
        match blocks.last_mut() {
            Some((n, br)) if *br == r => *n *= d,
            _ => blocks.push((d, r)),
        }
    }
    let reduced_blocks = blocks.iter().filter(|b| b.1).count();
    let xc = if reduced_blocks <= 1 {
        contiguous(x)?
    } else {
        let mut perm: Vec<usize> = (0..shape.len()).filter(|&d| !reduce[d]).collect();
        perm.extend((0..shape.len()).filter(|&d| reduce[d]));
        contiguous(&x.permute(&perm)?)?
    };
    let (outer, r, inner) = if reduced_blocks <= 1 {
        let pos = blocks.iter().position(|b| b.1);
        match pos {
            None => (blocks.iter().map(|b| b.0).product(), 1, 1),
            Some(p) => (
                blocks[..p].iter().map(|b| b.0).product(),
                blocks[p].0,
                blocks[p + 1..].iter().map(|b| b.0).product(),
            ),
        }
    } else {
        let kept: usize = out_shape.iter().product();
        (kept, x.numel() / kept.max(1), 1)
    };
    if xc.device().is_cuda() {
        return cuda::sum(&xc, outer, r, inner, &out_shape);
    }
    dispatch1!(&xc, |s: T, l| {
        let data = &s[l.offset()..l.offset() + l.numel()];
        Tensor::from_vec::<T>(cpu::sum_outer_r_inner(data, outer, r, inner), &out_shape)
    })
}

/// Sum `g` down to `shape`, undoing a broadcast from `shape` to `g.shape()`.
pub fn sum_to_shape(g: &Tensor, shape: &[usize]) -> Result<Tensor> {
    if g.shape() == shape {
        return Ok(g.clone());
    }
    let gs = g.shape();
    if gs.len() < shape.len() {
        return Err(Error::shape_detail(
            "sum_to_shape",
            gs,
            shape,
            "target has higher rank",
        ));
    }
    let extra = gs.len() - shape.len();
    let mut axes: Vec<isize> = (0..extra as isize).collect();
    for (i, &d) in shape.iter().enumerate() {
        if d == 1 && gs[extra + i] != 1 {
            axes.push((extra + i) as isize);
        } else if d != gs[extra + i] {
            return Err(Error::shape_detail(
                "sum_to_shape",
                gs,
                shape,
                "not a broadcast of the target",
            ));
        }
    }
    let summed = sum_axes(g, &axes, true)?;
    summed.view(shape)
}

/// Max along `dim`: the values and, per output element, the index along `dim`
/// of the first maximum (NaN counts as the maximum, as in PyTorch).
pub fn max_dim(x: &Tensor, dim: isize, keepdim: bool) -> Result<(Tensor, Vec<usize>)> {
    let d = resolve_dim("max", dim, x.shape())?;
    if x.shape()[d] == 0 {
        return Err(Error::arg(
            "max",
            x.shape(),
            format!("cannot take the max over empty dimension {d}"),
        ));
    }
    let rank = x.rank();
    let mut perm: Vec<usize> = (0..rank).filter(|&i| i != d).collect();
    perm.push(d);
    let xc = contiguous(&x.permute(&perm)?)?;
    let len = x.shape()[d];
    let mut out_shape = x.shape().to_vec();
    if keepdim {
        out_shape[d] = 1;
    } else {
        out_shape.remove(d);
    }
    if xc.device().is_cuda() {
        return cuda::max_rows(&xc, xc.numel() / len, len, &out_shape);
    }
    dispatch1!(&xc, |s: T, l| {
        let data = &s[l.offset()..l.offset() + l.numel()];
        let (vals, idx) = cpu::row_max(data, len);
        Ok((Tensor::from_vec::<T>(vals, &out_shape)?, idx))
    })
}

/// The backward of `max_dim`: a tensor of `input_shape`, zero except `g` at the
/// argmax positions.
pub fn scatter_to_dim(
    g: &Tensor,
    indices: &[usize],
    input_shape: &[usize],
    dim: isize,
) -> Result<Tensor> {
    let d = resolve_dim("max_backward", dim, input_shape)?;
    let len = input_shape[d];
    let rows: usize = input_shape.iter().product::<usize>() / len.max(1);
    if g.numel() != rows || indices.len() != rows {
        return Err(Error::shape_detail(
            "max_backward",
            g.shape(),
            input_shape,
            "gradient does not match the max",
        ));
    }
    let gc = contiguous(g)?;
    // Built in the permuted order [.., len] and permuted back as a view.
    let mut pshape: Vec<usize> = (0..input_shape.len())
        .filter(|&i| i != d)
        .map(|i| input_shape[i])
        .collect();
    pshape.push(len);
    let mut inverse = vec![0; input_shape.len()];
    let mut perm: Vec<usize> = (0..input_shape.len()).filter(|&i| i != d).collect();
    perm.push(d);
    for (i, &p) in perm.iter().enumerate() {
        inverse[p] = i;
    }
    if gc.device().is_cuda() {
        return cuda::scatter_rows(&gc, indices, rows, len, &pshape)?.permute(&inverse);
    }
    dispatch1!(&gc, |s: T, l| {
        let gv = &s[l.offset()..l.offset() + l.numel()];
        let mut out = vec![<T as tensor::Element>::ZERO; rows * len];
        for (r, (&gi, &ix)) in gv.iter().zip(indices).enumerate() {
            out[r * len + ix] = gi;
        }
        Tensor::from_vec::<T>(out, &pshape)?.permute(&inverse)
    })
}

/// The means of `parts` as one \[k\] tensor on their device: each part's
/// elements, through σ first where its flag says, summed in f64 and divided
/// by their count. On a GPU one launch for up to 8 parts (a training step's
/// logged figures); an error for parts on different devices or more than 8.
pub fn mean_each(parts: &[(&Tensor, bool)]) -> Result<Tensor> {
    let op = "mean_each";
    let Some((first, _)) = parts.first() else {
        return Err(Error::invalid(op, "needs at least one tensor"));
    };
    if parts.len() > cuda::MEANS_MAX {
        return Err(Error::invalid(
            op,
            format!("{} tensors, at most {}", parts.len(), cuda::MEANS_MAX),
        ));
    }
    for (t, _) in parts {
        crate::dispatch::check_same(op, first, t)?;
    }
    if first.device().is_cuda() {
        return cuda::mean_each(parts);
    }
    let means: Vec<f64> = parts
        .iter()
        .map(|(t, sigmoid)| -> Result<f64> {
            let v = t.to_vec::<f64>()?;
            let s: f64 = v
                .iter()
                .map(|&x| {
                    if *sigmoid {
                        1.0 / (1.0 + (-x).exp())
                    } else {
                        x
                    }
                })
                .sum();
            Ok(s / v.len().max(1) as f64)
        })
        .collect::<Result<_>>()?;
    let t = Tensor::from_vec(means, &[parts.len()])?;
    crate::copy::to_dtype(&t, first.dtype())
}
