//! Parity runners for the optimisers (adam, sgd).

use super::{Fixture, RunResult};

pub fn run(_fx: &Fixture) -> Option<RunResult> {
    None
}
