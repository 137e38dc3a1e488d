//! Reductions: sum, mean, max. Sum's gradient is a broadcast view of g
//! (differentiable: its gradient sums back); max's is a scatter of g to the
//! argmax positions, whose own gradient gathers from them, and the other way
//! round, so max is differentiable to any order.

use crate::Var;
use kernels::{max_dim, scatter_to_dim, sum_axes};
use std::sync::Arc;
use tensor::{resolve_dim, Result, Tensor};

/// Shape of a reduction's output with the reduced axes kept as size 1.
fn keepdim_shape(shape: &[usize], axes: &[isize]) -> Result<Vec<usize>> {
    let mut s = shape.to_vec();
    for &a in axes {
        s[resolve_dim("sum", a, shape)?] = 1;
    }
    Ok(s)
}

/// Where a `max` over `dim` found each maximum: enough to scatter an output
/// gradient to the input and to gather an input-shaped tensor back.
#[derive(Clone)]
struct ArgMax {
    idx: Arc<Vec<usize>>,
    input: Vec<usize>,
    output: Vec<usize>,
    dim: isize,
}

impl ArgMax {
    /// g (output-shaped) placed at the argmax positions of an input-shaped zero
    /// tensor; its gradient is [`ArgMax::gather`].
    fn scatter(&self, g: &Var) -> Result<Var> {
        let y = scatter_to_dim(g.data(), &self.idx, &self.input, self.dim)?;
        let me = self.clone();
        Ok(Var::from_op("max_backward", y, vec![g.clone()], move |c| {
            Ok(vec![Some(me.gather(c.grad)?)])
        }))
    }

    /// The elements of an input-shaped `x` at the argmax positions
    /// (output-shaped); its gradient is [`ArgMax::scatter`].
    fn gather(&self, x: &Var) -> Result<Var> {
        let d = resolve_dim("max", self.dim, &self.input)?;
        // A one-hot mask per reduced row, then a sum over the row.
        let ones = Tensor::ones(&self.output, x.dtype(), x.device())?;
        let mask = scatter_to_dim(&ones, &self.idx, &self.input, self.dim)?;
        let picked = kernels::binary(x.data(), &mask, kernels::BinaryOp::Mul)?;
        let y = kernels::reshape(&sum_axes(&picked, &[d as isize], false)?, &self.output)?;
        let me = self.clone();
        Ok(Var::from_op("max_gather", y, vec![x.clone()], move |c| {
            Ok(vec![Some(me.scatter(c.grad)?)])
        }))
    }
}

impl Var {
    /// Sum over `axes` (empty = all axes); gradient g broadcast back over
    /// the reduced axes (a view).
    pub fn sum(&self, axes: &[isize], keepdim: bool) -> Result<Var> {
        let all: Vec<isize> = (0..self.shape().len() as isize).collect();
        let axes = if axes.is_empty() { all } else { axes.to_vec() };
        let y = sum_axes(self.data(), &axes, keepdim)?;
        let keep = keepdim_shape(self.shape(), &axes)?;
        let input = self.shape().to_vec();
        Ok(Var::from_op("sum", y, vec![self.clone()], move |c| {
            Ok(vec![Some(c.grad.reshape(&keep)?.broadcast_to(&input)?)])
        }))
    }

    /// Sum of every element, as a 0-d var.
    pub fn sum_all(&self) -> Result<Var> {
        self.sum(&[], false)
    }

    /// Mean over `axes` (empty = all axes).
    pub fn mean(&self, axes: &[isize], keepdim: bool) -> Result<Var> {
        let all: Vec<isize> = (0..self.shape().len() as isize).collect();
        let axes = if axes.is_empty() { all } else { axes.to_vec() };
        let keep = keepdim_shape(self.shape(), &axes)?;
        let count = self.data().numel() / keep.iter().product::<usize>().max(1);
        self.sum(&axes, keepdim)?
            .mul_scalar(1.0 / count.max(1) as f64)
    }

    /// Mean of every element, as a 0-d var; gradient g / numel everywhere.
    pub fn mean_all(&self) -> Result<Var> {
        self.mean(&[], false)
    }

    /// Max along `dim`; the gradient goes to the first maximal element.
    pub fn max(&self, dim: isize, keepdim: bool) -> Result<Var> {
        let (y, idx) = max_dim(self.data(), dim, keepdim)?;
        let arg = ArgMax {
            idx: Arc::new(idx),
            input: self.shape().to_vec(),
            output: y.shape().to_vec(),
            dim,
        };
        Ok(Var::from_op("max", y, vec![self.clone()], move |c| {
            Ok(vec![Some(arg.scatter(c.grad)?)])
        }))
    }
}
