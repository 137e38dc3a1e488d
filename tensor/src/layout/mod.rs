//! Views as pure layout math: a shape, strides in elements and an offset into the
//! storage. Every view op here returns a new `Layout` and never touches data.

mod index;
mod merge;

pub use index::StridedIndex;
pub use merge::MergedDims;

use crate::{Error, Result};

/// Where a tensor's elements sit in its storage: element `[i0, i1, ...]` is at
/// `offset + i0 * strides[0] + i1 * strides[1] + ...` (in elements, not bytes).
/// Every view (transpose, permute, narrow, broadcast, ...) is a new `Layout` over
/// the same storage; strides of 0 repeat an element (broadcasting).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    shape: Vec<usize>,
    strides: Vec<usize>,
    offset: usize,
}

/// Row-major strides of a contiguous tensor of this shape.
pub fn contiguous_strides(shape: &[usize]) -> Vec<usize> {
    let mut strides = vec![0; shape.len()];
    let mut acc = 1;
    for (s, &d) in strides.iter_mut().zip(shape).rev() {
        *s = acc;
        acc *= d;
    }
    strides
}

/// The shape two operands broadcast to, NumPy/PyTorch rules (align on the right).
pub fn broadcast_shapes(op: &'static str, a: &[usize], b: &[usize]) -> Result<Vec<usize>> {
    let rank = a.len().max(b.len());
    let mut out = vec![0; rank];
    for i in 0..rank {
        let da = if i < rank - a.len() {
            1
        } else {
            a[i - (rank - a.len())]
        };
        let db = if i < rank - b.len() {
            1
        } else {
            b[i - (rank - b.len())]
        };
        out[i] = match (da, db) {
            (x, y) if x == y => x,
            (1, y) => y,
            (x, 1) => x,
            _ => {
                return Err(Error::shape_detail(
                    op,
                    a,
                    b,
                    format!("cannot broadcast: dimension {i} is {da} vs {db}"),
                ))
            }
        };
    }
    Ok(out)
}

/// Resolve a possibly negative dimension index against a rank.
pub fn resolve_dim(op: &'static str, dim: isize, shape: &[usize]) -> Result<usize> {
    let rank = shape.len() as isize;
    let d = if dim < 0 { dim + rank } else { dim };
    if d < 0 || d >= rank {
        return Err(Error::DimOutOfRange {
            op,
            dim,
            shape: shape.to_vec(),
        });
    }
    Ok(d as usize)
}

impl Layout {
    /// The row-major (C-order) layout of `shape`, starting at element 0.
    pub fn contiguous(shape: &[usize]) -> Self {
        Layout {
            strides: contiguous_strides(shape),
            shape: shape.to_vec(),
            offset: 0,
        }
    }

    /// A layout from its parts; `shape` and `strides` have one entry per dimension.
    pub fn new(shape: Vec<usize>, strides: Vec<usize>, offset: usize) -> Self {
        debug_assert_eq!(shape.len(), strides.len());
        Layout {
            shape,
            strides,
            offset,
        }
    }

    /// The size of each dimension.
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }
    /// The step in storage elements between neighbours along each dimension.
    pub fn strides(&self) -> &[usize] {
        &self.strides
    }
    /// The storage index of the first element.
    pub fn offset(&self) -> usize {
        self.offset
    }
    /// The number of dimensions (0 for a scalar).
    pub fn rank(&self) -> usize {
        self.shape.len()
    }
    /// The number of elements (the product of the shape; 1 for a scalar).
    pub fn numel(&self) -> usize {
        self.shape.iter().product()
    }

    /// Row-major and dense (size-1 dimensions may have any stride).
    pub fn is_contiguous(&self) -> bool {
        let mut acc = 1;
        for (&d, &s) in self.shape.iter().zip(&self.strides).rev() {
            if d != 1 && s != acc {
                return false;
            }
            acc *= d;
        }
        true
    }

    /// If contiguous, the range of storage it covers.
    pub fn contiguous_range(&self) -> Option<std::ops::Range<usize>> {
        self.is_contiguous()
            .then(|| self.offset..self.offset + self.numel())
    }

    /// One past the largest storage index this layout touches (0 for empty).
    pub fn storage_extent(&self) -> usize {
        if self.numel() == 0 {
            return self.offset;
        }
        self.offset
            + self
                .shape
                .iter()
                .zip(&self.strides)
                .map(|(&d, &s)| (d - 1) * s)
                .sum::<usize>()
            + 1
    }

    /// Dimensions `d0` and `d1` swapped (negative dims count from the end), as
    /// `torch.transpose`; an error names the op and shape if a dim is out of range.
    pub fn transpose(&self, d0: isize, d1: isize) -> Result<Layout> {
        let a = resolve_dim("transpose", d0, &self.shape)?;
        let b = resolve_dim("transpose", d1, &self.shape)?;
        let mut l = self.clone();
        l.shape.swap(a, b);
        l.strides.swap(a, b);
        Ok(l)
    }

    /// Dimensions reordered so that new dimension `i` is old dimension `dims[i]`, as
    /// `torch.permute`; `dims` must name every dimension exactly once.
    pub fn permute(&self, dims: &[usize]) -> Result<Layout> {
        let mut seen = vec![false; self.rank()];
        if dims.len() != self.rank() {
            return Err(Error::arg(
                "permute",
                &self.shape,
                format!(
                    "permutation {dims:?} has {} entries, tensor has rank {}",
                    dims.len(),
                    self.rank()
                ),
            ));
        }
        for &d in dims {
            if d >= self.rank() || seen[d] {
                return Err(Error::arg(
                    "permute",
                    &self.shape,
                    format!("{dims:?} is not a permutation"),
                ));
            }
            seen[d] = true;
        }
        Ok(Layout {
            shape: dims.iter().map(|&d| self.shape[d]).collect(),
            strides: dims.iter().map(|&d| self.strides[d]).collect(),
            offset: self.offset,
        })
    }

    /// Elements `start..start+len` along `dim`.
    pub fn narrow(&self, dim: isize, start: usize, len: usize) -> Result<Layout> {
        let d = resolve_dim("narrow", dim, &self.shape)?;
        if start.checked_add(len).is_none_or(|end| end > self.shape[d]) {
            return Err(Error::arg(
                "narrow",
                &self.shape,
                format!(
                    "range {start}..{} is outside dimension {d} of size {}",
                    start + len,
                    self.shape[d]
                ),
            ));
        }
        let mut l = self.clone();
        l.offset += start * self.strides[d];
        l.shape[d] = len;
        Ok(l)
    }

    /// Broadcast to `shape` with stride-0 dimensions; no data moves.
    pub fn broadcast_to(&self, shape: &[usize]) -> Result<Layout> {
        if shape.len() < self.rank() {
            return Err(Error::shape_detail(
                "broadcast_to",
                &self.shape,
                shape,
                "target has lower rank",
            ));
        }
        let extra = shape.len() - self.rank();
        let mut strides = vec![0; shape.len()];
        for i in 0..shape.len() {
            if i < extra {
                continue;
            }
            let (d, s) = (self.shape[i - extra], self.strides[i - extra]);
            if d == shape[i] {
                strides[i] = s;
            } else if d == 1 {
                strides[i] = 0;
            } else {
                return Err(Error::shape_detail(
                    "broadcast_to",
                    &self.shape,
                    shape,
                    format!("dimension {i} of size {d} cannot expand to {}", shape[i]),
                ));
            }
        }
        Ok(Layout {
            shape: shape.to_vec(),
            strides,
            offset: self.offset,
        })
    }

    /// A new dimension of size 1 inserted at `dim` (`-1` appends), as `torch.unsqueeze`.
    pub fn unsqueeze(&self, dim: isize) -> Result<Layout> {
        let rank = self.rank() as isize;
        let d = if dim < 0 { dim + rank + 1 } else { dim };
        if d < 0 || d > rank {
            return Err(Error::DimOutOfRange {
                op: "unsqueeze",
                dim,
                shape: self.shape.clone(),
            });
        }
        let d = d as usize;
        let mut l = self.clone();
        let stride = if d < self.rank() {
            self.strides[d] * self.shape[d]
        } else {
            1
        };
        l.shape.insert(d, 1);
        l.strides.insert(d, stride);
        Ok(l)
    }

    /// Dimension `dim` removed if its size is 1, else the layout unchanged (as
    /// `torch.squeeze(dim)`).
    pub fn squeeze(&self, dim: isize) -> Result<Layout> {
        let d = resolve_dim("squeeze", dim, &self.shape)?;
        let mut l = self.clone();
        if self.shape[d] == 1 {
            l.shape.remove(d);
            l.strides.remove(d);
        }
        Ok(l)
    }

    /// A view with a new shape, when the strides allow it without a copy
    /// (the same rule as `torch.Tensor.view`). Returns `None` when a copy is needed.
    pub fn reshape(&self, shape: &[usize]) -> Result<Option<Layout>> {
        let numel: usize = shape.iter().product();
        if numel != self.numel() {
            return Err(Error::shape_detail(
                "reshape",
                &self.shape,
                shape,
                format!("{} elements cannot be viewed as {numel}", self.numel()),
            ));
        }
        if self.is_contiguous() {
            return Ok(Some(Layout {
                shape: shape.to_vec(),
                strides: contiguous_strides(shape),
                offset: self.offset,
            }));
        }
        // General case: PyTorch's computeStride. Walk the old dims from the right,
        // grouping them into chunks that are contiguous in memory, and map whole
        // groups of new dims onto each chunk.
        let (old_shape, old_strides) = (&self.shape, &self.strides);
        let mut new_strides = vec![0usize; shape.len()];
        let mut view_d = shape.len() as isize - 1;
        let mut chunk_base_stride = *old_strides.last().unwrap_or(&1);
        let mut tensor_numel = 1usize;
        let mut view_numel = 1usize;
        for tensor_d in (0..old_shape.len()).rev() {
            tensor_numel *= old_shape[tensor_d];
            let chunk_ends = tensor_d == 0
                || (old_shape[tensor_d - 1] != 1
                    && old_strides[tensor_d - 1] != tensor_numel * chunk_base_stride);
            if chunk_ends {
                while view_d >= 0 && (view_numel < tensor_numel || shape[view_d as usize] == 1) {
                    new_strides[view_d as usize] = view_numel * chunk_base_stride;
                    view_numel *= shape[view_d as usize];
                    view_d -= 1;
                }
                if view_numel != tensor_numel {
                    return Ok(None);
                }
                if tensor_d > 0 {
                    chunk_base_stride = old_strides[tensor_d - 1];
                    tensor_numel = 1;
                    view_numel = 1;
                }
            }
        }
        if view_d != -1 {
            return Ok(None);
        }
        Ok(Some(Layout {
            shape: shape.to_vec(),
            strides: new_strides,
            offset: self.offset,
        }))
    }

    /// Storage index of every element, in row-major order of the view.
    pub fn indices(&self) -> StridedIndex<'_> {
        StridedIndex::new(self)
    }
}

#[cfg(test)]
mod tests;
