//! Reductions: sum, mean, max.

use crate::Var;
use kernels::{max_dim, scatter_to_dim, sum_axes};
use tensor::{resolve_dim, Result, Tensor};

/// Shape of a reduction's output with the reduced axes kept as size 1.
fn keepdim_shape(shape: &[usize], axes: &[isize]) -> Result<Vec<usize>> {
    let mut s = shape.to_vec();
    for &a in axes {
        s[resolve_dim("sum", a, shape)?] = 1;
    }
    Ok(s)
}

/// Spread a reduction's gradient back over the input shape (a stride-0 view).
fn expand_back(g: &Tensor, keep: &[usize], input: &[usize]) -> Result<Tensor> {
    kernels::reshape(g, keep)?.broadcast_to(input)
}

impl Var {
    /// Sum over `axes` (empty = all axes).
    pub fn sum(&self, axes: &[isize], keepdim: bool) -> Result<Var> {
        let all: Vec<isize> = (0..self.shape().len() as isize).collect();
        let axes = if axes.is_empty() { all } else { axes.to_vec() };
        let y = sum_axes(self.data(), &axes, keepdim)?;
        let keep = keepdim_shape(self.shape(), &axes)?;
        let input = self.shape().to_vec();
        Ok(Var::from_op("sum", y, vec![self.clone()], move |g| {
            Ok(vec![Some(expand_back(g, &keep, &input)?)])
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
        let input = self.shape().to_vec();
        Ok(Var::from_op("max", y, vec![self.clone()], move |g| {
            Ok(vec![Some(scatter_to_dim(g, &idx, &input, dim)?)])
        }))
    }
}
