//! Parity runners for conv2d, conv_transpose2d, batchnorm1d/2d and max_pool2d.

use super::{Fixture, RunResult};

pub fn run(_fx: &Fixture) -> Option<RunResult> {
    None
}
