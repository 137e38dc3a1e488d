//! `GAN_RS_CUDA_COUNTS=1` with `--device cuda` on the CUDA simulator: after
//! every epoch, what a training step asked of the CUDA driver on average
//! (kernel launches, host synchronisations, device allocations and frees,
//! copies and their bytes), from the simulator's counts. They are our calls
//! into the driver, not GPU time; on a real GPU use `nsys`.

use super::Observer;
use crate::error::Result;
use crate::train::trainer::{Report, Trainer};
use tensor::cuda::sim_counts::{self, CountEntry, DriverCounts};

/// The variable that asks for the counts (in `gan train` and `benches`).
pub const COUNTS_ENV: &str = "GAN_RS_CUDA_COUNTS";

/// Sums the simulator's counts over the steps of each epoch.
pub struct DriverCalls {
    steps: u64,
    sums: DriverCounts,
}

impl DriverCalls {
    /// An observer when the counts are asked for and the CUDA path runs on
    /// the simulator; `None` otherwise.
    pub fn wanted(t: &Trainer) -> Option<DriverCalls> {
        let on = std::env::var_os(COUNTS_ENV).is_some_and(|v| v != "0");
        (on && t.device().is_cuda() && tensor::cuda::simulator::active()).then(|| DriverCalls {
            steps: 0,
            sums: DriverCounts::default(),
        })
    }

    fn absorb(&mut self) {
        if let Some(c) = sim_counts::read() {
            for e in c.entries {
                match self.sums.entries.iter_mut().find(|s| same(s, &e)) {
                    Some(s) => {
                        s.calls += e.calls;
                        s.bytes += e.bytes;
                    }
                    None => self.sums.entries.push(e),
                }
            }
        }
        sim_counts::reset();
    }
}

fn same(a: &CountEntry, b: &CountEntry) -> bool {
    (a.device, &a.queue, &a.kind, &a.name) == (b.device, &b.queue, &b.kind, &b.name)
}

impl Observer for DriverCalls {
    fn epoch_start(&mut self, _t: &Trainer, _start: usize) -> Result<()> {
        sim_counts::reset();
        (self.steps, self.sums) = (0, DriverCounts::default());
        Ok(())
    }

    /// The calls since the last report belong to this report's step (and
    /// to the reads of figures a log row made).
    fn report(&mut self, _t: &Trainer, r: &Report) -> Result<()> {
        self.steps += r.steps;
        self.absorb();
        Ok(())
    }

    fn epoch_end(&mut self, _t: &mut Trainer, notes: &mut Vec<String>) -> Result<()> {
        notes.push(format!(
            "driver calls per step (CUDA simulator, {} steps, log-row reads included): {}",
            self.steps,
            self.sums.per(self.steps)
        ));
        Ok(())
    }
}
