//! `train`: a run as the command makes it, composed of the `Trainer` and the
//! observers that write its folder and print its progress; `drive`, the epoch
//! loop that feeds the trainer its batches and tells the observers.

use super::observe::{self, interrupt, Observer};
use super::options::{Start, TrainOptions};
use super::run_dir::prepare_fresh;
use super::setup::{batches_per_epoch, Opening};
use super::trainer::Trainer;
use super::StepStats;
use crate::data::DataSource;
use crate::error::Result;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// What a finished call of `train` did.
#[derive(Debug)]
pub struct Outcome {
    /// The run folder.
    pub dir: PathBuf,
    /// Training steps this call took.
    pub steps: u64,
    /// Mean milliseconds per step (computing and reading back).
    pub ms_per_step: f64,
    /// The figures of the last step.
    pub last: Option<StepStats>,
}

/// Train as `o` says: a new run, or the continuation of a run folder. The
/// folder gets log.csv, real_images.png, a sample grid per epoch, losses.png
/// (with the `plot` feature), eval.csv and frechet.png (with `eval_every`), a
/// TensorBoard event file (with `tensorboard`) and the checkpoint after every
/// epoch and on Ctrl-C (`Error::Interrupted`).
pub fn train(o: &TrainOptions) -> Result<Outcome> {
    let opening = Opening::new(o)?;
    let data = opening.open_data(o)?;
    observe::console::print_data_summary(&data);
    let (dir, fresh) = (opening.dir.clone(), opening.is_fresh());
    let mut t = opening.trainer(&data, o.device)?;
    let nb = batches_per_epoch(t.settings(), &data);
    if let Start::Fresh { overwrite, .. } = o.start {
        prepare_fresh(&dir, overwrite)?;
    }
    let mut obs: Vec<Box<dyn Observer>> = Vec::new();
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    if let Some(d) = observe::driver_calls::DriverCalls::wanted(&t) {
        // first: the counts of a step are taken before another observer works
        obs.push(Box::new(d));
    }
    obs.extend::<[Box<dyn Observer>; 2]>([
        Box::new(observe::CsvObserver::open(&dir, fresh, &t, nb)?),
        Box::new(observe::Grids::open(&dir, fresh, &data, &t)?),
    ]);
    #[cfg(feature = "plot")]
    {
        let title = format!("{} on {}", t.settings().model, t.settings().dataset.name());
        obs.push(Box::new(observe::LossPlot::open(
            &dir, &title, fresh, &t, nb,
        )?));
    }
    if let Some(every) = o.eval_every {
        obs.push(Box::new(observe::EvalObserver::open(
            &dir, every, &t, !o.quiet,
        )?));
    }
    // After the grids and the evaluation, whose files it reads.
    if o.tensorboard {
        obs.push(Box::new(observe::TensorBoard::open(&dir, fresh, &t)?));
    }
    obs.push(Box::new(observe::Checkpoints::new(&dir)));
    obs.push(Box::new(observe::Interrupt::new(o.interrupt_after)));
    if !o.quiet {
        obs.push(Box::new(observe::Progress::new(nb)));
    }
    obs.push(Box::new(observe::Console::open(&dir, fresh, &data, &t, nb)));
    drive(&mut t, &data, nb, &dir, &mut obs)
}

/// Train `t` on `data`, `nb` batches an epoch, up to its settings' epochs,
/// telling `obs` (in order) what happens. Stops early, with a checkpoint and
/// `Error::Interrupted`, when an observer asks.
pub fn drive(
    t: &mut Trainer,
    data: &DataSource,
    nb: usize,
    dir: &Path,
    obs: &mut [Box<dyn Observer>],
) -> Result<Outcome> {
    let first = t.position();
    let (mut steps, mut busy, mut last) = (0u64, 0.0f64, None);
    for epoch in first.epoch..t.settings().epochs {
        let start = if epoch == first.epoch {
            first.batch.min(nb)
        } else {
            0
        };
        obs.iter_mut().try_for_each(|o| o.epoch_start(t, start))?;
        let mut batches = data.epoch_labelled(epoch, start, nb);
        let conditional = t.gan().classes().is_some();
        for _ in start..nb {
            let waited = Instant::now();
            let Some(batch) = batches.next() else { break };
            let secs = waited.elapsed().as_secs_f64();
            obs.iter_mut().for_each(|o| o.waited(secs));
            let (real, labels) = batch?;
            let r = t.step_labelled(&real, conditional.then_some(&labels[..]))?;
            (steps, busy, last) = (
                steps + 1,
                busy + r.seconds,
                r.stats.last().copied().or(last),
            );
            obs.iter_mut().try_for_each(|o| o.report(t, &r))?;
            if obs.iter_mut().any(|o| o.stop_requested()) {
                let r = t.flush()?;
                obs.iter_mut().try_for_each(|o| o.report(t, &r))?;
                obs.iter_mut().try_for_each(|o| o.interrupted(t))?;
                return Err(interrupt::stopped(t, dir, nb));
            }
        }
        drop(batches);
        let r = t.end_epoch()?;
        last = r.stats.last().copied().or(last);
        obs.iter_mut().try_for_each(|o| o.report(t, &r))?;
        let mut notes = Vec::new();
        obs.iter_mut()
            .try_for_each(|o| o.epoch_end(t, &mut notes))?;
    }
    let mut notes = Vec::new();
    obs.iter_mut().try_for_each(|o| o.finish(t, &mut notes))?;
    Ok(Outcome {
        dir: dir.to_path_buf(),
        steps,
        ms_per_step: busy * 1e3 / steps.max(1) as f64,
        last,
    })
}
