//! The training of one run as a value: a model pair with its optimisers, the
//! run's settings, where it stands, and the logging interval in progress.
//! Each `step` is one D and one G update; `end_epoch` closes an epoch;
//! `checkpoint` and `resume` write and read all of it, so that a resumed run
//! goes on exactly as an uninterrupted one. What a run shows and writes
//! besides the checkpoint is the observers' (`train::observe`).

use super::noise::{sample_z_on, step_rng};
use super::state::{self, LogAcc, Position, Settings};
use super::step::{PendingStats, StepInputs};
use super::{Gan, StepStats};
use crate::error::Result;
use std::path::Path;
use std::time::Instant;
use tensor::{Device, Tensor};

/// A model pair in training, with its settings and position.
pub struct Trainer {
    gan: Gan,
    settings: Settings,
    pos: Position,
    /// Sums of the figures since the last completed logging interval.
    interval: LogAcc,
    /// Figures of steps still on the GPU, in step order.
    pending: Vec<PendingStats>,
}

/// A logging interval of `Settings::log_every` steps (or the rest of an
/// epoch): the sums of its figures, and where the run stood after its last step.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Interval {
    /// The position after the interval's last step.
    pub at: Position,
    /// The sums over the interval's steps.
    pub sums: LogAcc,
}

/// What one call of `step`, `flush` or `end_epoch` made known.
#[derive(Clone, Debug, Default)]
pub struct Report {
    /// Training steps the call took (1 for a step, 0 otherwise).
    pub steps: u64,
    /// Figures read back by the call, in step order: on the CPU each step's at
    /// once; on a GPU several steps' together, when a log row or the epoch's
    /// end needs them (reading makes the host wait for the device).
    pub stats: Vec<StepStats>,
    /// Logging intervals the call completed.
    pub intervals: Vec<Interval>,
    /// Seconds the call spent computing and reading back.
    pub seconds: f64,
}

impl Trainer {
    /// A fresh run of `settings` on images of `channels` channels: models
    /// initialised from the seed (on the CPU, then moved to `device`).
    pub fn new(settings: Settings, channels: usize, device: Device) -> Result<Trainer> {
        let s = &settings;
        let gan = Gan::new_with_channels(s.model, channels, s.seed, s.lr, device)?
            .with_recipe(s.recipe, s.lr, s.seed)?;
        Ok(Self::from_gan(gan, settings))
    }

    /// A fresh run of `settings` with an already built model pair (which
    /// trains with its own recipe: see `Gan::with_recipe`).
    pub fn from_gan(gan: Gan, settings: Settings) -> Trainer {
        Self::at(gan, settings, Position::default(), LogAcc::default())
    }

    /// A run at `pos` with `interval` in progress (as `resume` reads them).
    pub fn at(gan: Gan, settings: Settings, pos: Position, interval: LogAcc) -> Trainer {
        Trainer {
            gan,
            settings,
            pos,
            interval,
            pending: Vec::new(),
        }
    }

    /// The run checkpointed in `dir`, rebuilt on `device` (whichever device
    /// wrote it).
    pub fn resume(dir: &Path, device: Device) -> Result<Trainer> {
        let r = state::load(dir, device)?;
        Ok(Self::at(r.gan, r.settings, r.pos, r.acc))
    }

    /// Write the checkpoint into `dir`: G, D and the training state (settings,
    /// position, the interval in progress, both optimisers), each atomically.
    pub fn checkpoint(&self, dir: &Path) -> Result<()> {
        state::save(dir, &self.gan, &self.settings, &self.pos, &self.interval)
    }

    /// One D and one G update on `real` (B images in [−1, 1], on any device),
    /// with z and dropout masks from the run's stream of this global step.
    pub fn step(&mut self, real: &Tensor) -> Result<Report> {
        self.step_labelled(real, None)
    }

    /// `step` with the class of each real image, which a conditional pair
    /// needs (its fakes are drawn for the same classes); `None` for the others.
    pub fn step_labelled(&mut self, real: &Tensor, labels: Option<&[u32]>) -> Result<Report> {
        let t = Instant::now();
        let spec = &self.gan.spec;
        let mut rng = step_rng(self.settings.seed, self.pos.global_step);
        let z = sample_z_on(
            spec.z,
            real.shape()[0],
            spec.latent,
            &mut rng,
            self.gan.device,
        )?;
        let inputs = StepInputs {
            labels: labels.map(<[u32]>::to_vec),
            ..StepInputs::with_z(z)
        };
        let pending = self.gan.train_step_with_inputs(real, inputs, &mut rng)?;
        self.after_step(pending, t)
    }

    /// `step` with the latent batch `z` given by the caller (the dropout masks
    /// still come from the run's stream), so that a test can feed the same
    /// batch and z as another implementation or device.
    pub fn step_with_z(&mut self, real: &Tensor, z: Tensor) -> Result<Report> {
        self.step_with_inputs(real, StepInputs::with_z(z))
    }

    /// `step` with every draw that `inputs` gives taken from it.
    pub fn step_with_inputs(&mut self, real: &Tensor, inputs: StepInputs) -> Result<Report> {
        let t = Instant::now();
        let mut rng = step_rng(self.settings.seed, self.pos.global_step);
        let pending = self.gan.train_step_with_inputs(real, inputs, &mut rng)?;
        self.after_step(pending, t)
    }

    fn after_step(&mut self, pending: PendingStats, t: Instant) -> Result<Report> {
        self.pending.push(pending);
        self.pos.batch += 1;
        self.pos.global_step += 1;
        let due = self.interval.n + self.pending.len() as u64 >= self.settings.log_every;
        let mut r = Report {
            steps: 1,
            ..Report::default()
        };
        // CPU figures are ready now; a GPU's are read only when a log row needs them.
        if !self.gan.device.is_cuda() || due {
            self.drain(&mut r)?;
        }
        r.seconds = t.elapsed().as_secs_f64();
        Ok(r)
    }

    /// Read back every step's figures still on the GPU (before a checkpoint).
    pub fn flush(&mut self) -> Result<Report> {
        let t = Instant::now();
        let mut r = Report::default();
        self.drain(&mut r)?;
        r.seconds = t.elapsed().as_secs_f64();
        Ok(r)
    }

    /// Close the epoch: read back what is pending, log the partial interval,
    /// and move to the start of the next epoch.
    pub fn end_epoch(&mut self) -> Result<Report> {
        let mut r = self.flush()?;
        if self.interval.n > 0 {
            r.intervals.push(self.close_interval());
        }
        self.pos = Position {
            epoch: self.pos.epoch + 1,
            batch: 0,
            global_step: self.pos.global_step,
        };
        Ok(r)
    }

    fn drain(&mut self, r: &mut Report) -> Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        for st in PendingStats::resolve_all(std::mem::take(&mut self.pending))? {
            self.interval.add(&st);
            r.stats.push(st);
        }
        if self.interval.n >= self.settings.log_every {
            r.intervals.push(self.close_interval());
        }
        Ok(())
    }

    fn close_interval(&mut self) -> Interval {
        Interval {
            at: self.pos,
            sums: std::mem::take(&mut self.interval),
        }
    }

    /// The model pair and its optimisers.
    pub fn gan(&self) -> &Gan {
        &self.gan
    }

    /// The model pair, mutably (e.g. to generate samples, which switches G
    /// to eval mode and back).
    pub fn gan_mut(&mut self) -> &mut Gan {
        &mut self.gan
    }

    /// The run's settings.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The run's settings, mutably (a resumed run may be given more epochs).
    pub fn settings_mut(&mut self) -> &mut Settings {
        &mut self.settings
    }

    /// Where the run stands.
    pub fn position(&self) -> Position {
        self.pos
    }

    /// Where the models live and the steps compute.
    pub fn device(&self) -> Device {
        self.gan.device
    }
}
