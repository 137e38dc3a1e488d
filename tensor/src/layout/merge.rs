//! Dimension merging: the one routine that the CPU strided engine and the
//! CUDA launcher both use to shrink the index arithmetic of a strided walk.

use super::Layout;

/// A shape walked by several operands at once, after [`Layout::merge_dims`]:
/// `strides[k]` are operand `k`'s element strides, of the same rank as `shape`.
/// The rank is at least 1 (a scalar becomes shape `[1]`, strides `[0]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MergedDims {
    /// The merged shape, in row-major order; its product is the element count.
    pub shape: Vec<usize>,
    /// One stride list per operand, each as long as `shape`.
    pub strides: Vec<Vec<usize>>,
}

impl Layout {
    /// Merge the dimensions of `shape` as walked by several operands, operand
    /// `k` having element strides `strides[k]` (each as long as `shape`):
    /// size-1 dims are dropped and neighbours merge when every operand is
    /// dense across them (outer stride = inner stride · inner size).
    ///
    /// Why: a dense operand becomes rank 1 and `[B, F] + [F]` becomes one run
    /// per row, so that the CPU's inner loops are long and the GPU's index
    /// loop does few or no divisions. The row-major order of elements, and so
    /// every result, is unchanged.
    pub fn merge_dims(shape: &[usize], strides: &[&[usize]]) -> MergedDims {
        debug_assert!(strides.iter().all(|s| s.len() == shape.len()));
        let operands = strides.len();
        let mut merged_shape: Vec<usize> = Vec::with_capacity(shape.len());
        let mut merged: Vec<Vec<usize>> = vec![Vec::with_capacity(shape.len()); operands];
        for (d, &size) in shape.iter().enumerate() {
            if size == 1 {
                continue;
            }
            let mergeable = !merged_shape.is_empty()
                && (0..operands).all(|k| merged[k].last() == Some(&(strides[k][d] * size)));
            if let (true, Some(last)) = (mergeable, merged_shape.last_mut()) {
                *last *= size;
                for (m, s) in merged.iter_mut().zip(strides) {
                    if let Some(inner) = m.last_mut() {
                        *inner = s[d];
                    }
                }
            } else {
                merged_shape.push(size);
                for (m, s) in merged.iter_mut().zip(strides) {
                    m.push(s[d]);
                }
            }
        }
        if merged_shape.is_empty() {
            merged_shape.push(1);
            for m in merged.iter_mut() {
                m.push(0);
            }
        }
        MergedDims {
            shape: merged_shape,
            strides: merged,
        }
    }

    /// [`Layout::merge_dims`] of layouts that all have the same shape (already
    /// broadcast to the output's shape).
    pub fn merge_layouts(layouts: &[&Layout]) -> MergedDims {
        let shape = layouts.first().map_or(&[][..], |l| l.shape());
        debug_assert!(layouts.iter().all(|l| l.shape() == shape));
        let strides: Vec<&[usize]> = layouts.iter().map(|l| l.strides()).collect();
        Layout::merge_dims(shape, &strides)
    }
}
