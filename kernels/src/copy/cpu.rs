//! The CPU strided copy: runs of the strided engine's plan over both views.

use crate::elementwise::strided::Plan;
use tensor::{Element, Layout};

/// `d` (view `ld`) = `s` (view `ls`, already broadcast to `ld`'s shape).
pub(super) fn strided_copy<T: Element>(d: &mut [T], ld: &Layout, s: &[T], ls: &Layout) {
    let plan = Plan::new(ld.shape(), [ld, ls]);
    plan.for_runs(0, plan.numel(), |_, n, [od, os], [sd, ss]| {
        for i in 0..n {
            d[od + i * sd] = s[os + i * ss];
        }
    });
}
