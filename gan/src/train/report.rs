//! What the observers show and log: the figures of a step as text, their
//! means over an interval, the CSV row of an interval, and the data waits.

use super::state::{LogAcc, Position};
use super::StepStats;
use crate::io::csv::Row;

/// A step's figures as the console shows them.
pub fn describe(s: &StepStats) -> String {
    format!(
        "d_loss {:.4} g_loss {:.4} D(x) {:.3} D(G(z)) {:.3}",
        s.d_loss, s.g_loss, s.d_x, s.d_gz
    )
}

/// The means of an interval's figures.
pub fn mean_stats(a: &LogAcc) -> StepStats {
    let n = a.n.max(1) as f64;
    StepStats {
        d_loss: (a.d_loss / n) as f32,
        g_loss: (a.g_loss / n) as f32,
        d_x: (a.d_x / n) as f32,
        d_gz: (a.d_gz / n) as f32,
    }
}

/// The log row of an interval ending at `pos`, in epochs of `nb` batches.
pub fn row(pos: &Position, nb: usize, acc: &LogAcc) -> Row {
    let m = mean_stats(acc);
    Row {
        epoch: pos.epoch + 1,
        batch: pos.batch,
        global_step: pos.global_step,
        epoch_progress: pos.epoch as f64 + pos.batch as f64 / nb.max(1) as f64,
        d_loss: m.d_loss as f64,
        g_loss: m.g_loss as f64,
        d_x: m.d_x as f64,
        d_gz: m.d_gz as f64,
    }
}

/// How long the loop waited for its batches in one epoch: the first (the
/// loader starting up) apart from the rest, which show whether the loader
/// keeps the step fed.
#[derive(Default)]
pub struct DataWait {
    first: Option<f64>,
    rest: f64,
    n_rest: usize,
}

impl DataWait {
    /// One batch's wait.
    pub fn add(&mut self, secs: f64) {
        if self.first.is_none() {
            self.first = Some(secs);
        } else {
            self.rest += secs;
            self.n_rest += 1;
        }
    }

    /// The epoch's waits as one line.
    pub fn describe(&self) -> String {
        format!(
            "waiting for data: {:.1} ms for the first batch, then {:.2} ms per step on average",
            self.first.unwrap_or(0.0) * 1e3,
            self.rest * 1e3 / self.n_rest.max(1) as f64
        )
    }
}
