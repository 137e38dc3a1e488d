//! Storage offsets of a strided layout, in row-major order of the view.

use super::Layout;

/// Iterates storage offsets of a strided layout in row-major order.
pub struct StridedIndex<'a> {
    layout: &'a Layout,
    counter: Vec<usize>,
    next: Option<usize>,
}

impl<'a> StridedIndex<'a> {
    pub(super) fn new(layout: &'a Layout) -> Self {
        StridedIndex {
            counter: vec![0; layout.rank()],
            next: (layout.numel() > 0).then_some(layout.offset),
            layout,
        }
    }
}

impl Iterator for StridedIndex<'_> {
    type Item = usize;
    #[inline]
    fn next(&mut self) -> Option<usize> {
        let cur = self.next?;
        let mut idx = cur;
        let mut d = self.layout.rank();
        loop {
            if d == 0 {
                self.next = None;
                break;
            }
            d -= 1;
            self.counter[d] += 1;
            idx += self.layout.strides[d];
            if self.counter[d] < self.layout.shape[d] {
                self.next = Some(idx);
                break;
            }
            idx -= self.counter[d] * self.layout.strides[d];
            self.counter[d] = 0;
        }
        Some(cur)
    }
}
