//! Shape ops: views where possible, their backward is the inverse view (or,
//! for broadcast and narrow, the op that undoes them: a sum back, a zero
//! padding), itself a differentiable op whose gradient is the view again.

use crate::Var;
use kernels::{cat, copy_into, reshape};
use tensor::{resolve_dim, Error, Result, Tensor};

impl Var {
    /// The same value as a new node of the graph (gradient g): a handle
    /// whose gradient is the partial derivative through it alone.
    pub fn identity(&self) -> Var {
        Var::from_op("identity", self.data().clone(), vec![self.clone()], |c| {
            Ok(vec![Some(c.grad.clone())])
        })
    }

    /// A new shape (a view when the layout allows, else a copy).
    pub fn reshape(&self, shape: &[usize]) -> Result<Var> {
        let y = reshape(self.data(), shape)?;
        let input = self.shape().to_vec();
        Ok(Var::from_op("reshape", y, vec![self.clone()], move |c| {
            Ok(vec![Some(c.grad.reshape(&input)?)])
        }))
    }

    /// Keep dim 0, merge the rest: [B, ...] → [B, prod].
    pub fn flatten_batch(&self) -> Result<Var> {
        let b = *self
            .shape()
            .first()
            .ok_or_else(|| Error::arg("flatten", self.shape(), "needs rank ≥ 1"))?;
        let rest = self.data().numel() / b.max(1);
        self.reshape(&[b, rest])
    }

    /// The view whose dimension `i` is this var's `dims[i]` (`x.permute`);
    /// the gradient is permuted back. An error unless `dims` is a permutation
    /// of `0..rank`.
    pub fn permute(&self, dims: &[usize]) -> Result<Var> {
        let y = self.data().permute(dims)?;
        let mut inverse = vec![0; dims.len()];
        for (i, &d) in dims.iter().enumerate() {
            inverse[d] = i;
        }
        Ok(Var::from_op("permute", y, vec![self.clone()], move |c| {
            Ok(vec![Some(c.grad.permute(&inverse)?)])
        }))
    }

    /// The view with dimensions `d0` and `d1` swapped (negative counts from
    /// the end); the gradient is swapped back.
    pub fn transpose(&self, d0: isize, d1: isize) -> Result<Var> {
        let y = self.data().transpose(d0, d1)?;
        Ok(Var::from_op("transpose", y, vec![self.clone()], move |c| {
            Ok(vec![Some(c.grad.transpose(d0, d1)?)])
        }))
    }

    /// The transpose of a 2-D var (`x.t()`); an error for any other rank.
    pub fn t(&self) -> Result<Var> {
        if self.shape().len() != 2 {
            return Err(Error::arg("t", self.shape(), "expects a 2-D tensor"));
        }
        self.transpose(0, 1)
    }

    /// The view with a new size-1 dimension at `dim` (in `-(rank+1)..=rank`).
    pub fn unsqueeze(&self, dim: isize) -> Result<Var> {
        let y = self.data().unsqueeze(dim)?;
        let input = self.shape().to_vec();
        Ok(Var::from_op("unsqueeze", y, vec![self.clone()], move |c| {
            Ok(vec![Some(c.grad.reshape(&input)?)])
        }))
    }

    /// The view without dimension `dim` when its size is 1, else the same
    /// shape (as PyTorch); an error when `dim` is out of range.
    pub fn squeeze(&self, dim: isize) -> Result<Var> {
        let y = self.data().squeeze(dim)?;
        let input = self.shape().to_vec();
        Ok(Var::from_op("squeeze", y, vec![self.clone()], move |c| {
            Ok(vec![Some(c.grad.reshape(&input)?)])
        }))
    }

    /// The view broadcast to `shape` (`x.expand`: size-1 and missing leading
    /// dimensions repeat with stride 0); the gradient is summed back to this
    /// var's shape.
    pub fn broadcast_to(&self, shape: &[usize]) -> Result<Var> {
        let y = self.data().broadcast_to(shape)?;
        let input = self.shape().to_vec();
        Ok(Var::from_op(
            "broadcast_to",
            y,
            vec![self.clone()],
            move |c| Ok(vec![Some(c.grad.sum_to_shape(&input)?)]),
        ))
    }

    /// This var summed down to `shape`, undoing a broadcast from `shape`
    /// (the gradient of [`Var::broadcast_to`] and of broadcasting binaries);
    /// itself when the shapes are equal. Its gradient is the broadcast.
    pub fn sum_to_shape(&self, shape: &[usize]) -> Result<Var> {
        if self.shape() == shape {
            return Ok(self.clone());
        }
        let y = kernels::sum_to_shape(self.data(), shape)?;
        let input = self.shape().to_vec();
        Ok(Var::from_op(
            "sum_to_shape",
            y,
            vec![self.clone()],
            move |c| Ok(vec![Some(c.grad.broadcast_to(&input)?)]),
        ))
    }

    /// Elements `start..start+len` along `dim` (a view).
    pub fn narrow(&self, dim: isize, start: usize, len: usize) -> Result<Var> {
        let y = self.data().narrow(dim, start, len)?;
        let input = self.shape().to_vec();
        Ok(Var::from_op("narrow", y, vec![self.clone()], move |c| {
            Ok(vec![Some(c.grad.narrow_backward(&input, dim, start)?)])
        }))
    }

    /// Zeros of `input` shape with this var copied in at `start` along
    /// `dim` (the gradient of [`Var::narrow`]); its gradient is the narrow.
    pub fn narrow_backward(&self, input: &[usize], dim: isize, start: usize) -> Result<Var> {
        let len = self.data().dim(dim)?;
        let full = Tensor::zeros(input, self.dtype(), self.device())?;
        copy_into(&full.narrow(dim, start, len)?, self.data())?;
        Ok(Var::from_op(
            "narrow_backward",
            full,
            vec![self.clone()],
            move |c| Ok(vec![Some(c.grad.narrow(dim, start, len)?)]),
        ))
    }

    /// Concatenate along `dim`.
    pub fn cat(xs: &[Var], dim: isize) -> Result<Var> {
        stack_or_cat(xs, dim, false)
    }

    /// Stack along a new dimension `dim`.
    pub fn stack(xs: &[Var], dim: isize) -> Result<Var> {
        stack_or_cat(xs, dim, true)
    }
}

fn stack_or_cat(xs: &[Var], dim: isize, new_dim: bool) -> Result<Var> {
    let op = if new_dim { "stack" } else { "cat" };
    let first = xs
        .first()
        .ok_or_else(|| Error::invalid(op, "needs at least one tensor"))?;
    if new_dim && xs.iter().any(|x| x.shape() != first.shape()) {
        let other = xs
            .iter()
            .find(|x| x.shape() != first.shape())
            .map(|x| x.shape().to_vec())
            .unwrap_or_default();
        return Err(Error::shape_detail(
            op,
            first.shape(),
            &other,
            "stack needs equal shapes",
        ));
    }
    let parts: Vec<Tensor> = xs
        .iter()
        .map(|x| {
            if new_dim {
                x.data().unsqueeze(dim)
            } else {
                Ok(x.data().clone())
            }
        })
        .collect::<Result<_>>()?;
    let d = resolve_dim(op, dim, parts[0].shape())?;
    let y = cat(&parts, d as isize)?;
    let sizes: Vec<usize> = parts.iter().map(|p| p.shape()[d]).collect();
    let shapes: Vec<Vec<usize>> = xs.iter().map(|x| x.shape().to_vec()).collect();
    Ok(Var::from_op(op, y, xs.to_vec(), move |c| {
        let mut start = 0;
        let mut out = Vec::with_capacity(sizes.len());
        for (k, (len, shape)) in sizes.iter().zip(&shapes).enumerate() {
            let part = c
                .need(k)
                .then(|| c.grad.narrow(d as isize, start, *len)?.reshape(shape));
            out.push(part.transpose()?);
            start += len;
        }
        Ok(out)
    }))
}
