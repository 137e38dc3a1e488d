//! The epoch loop and everything it leaves in the run directory: the progress
//! bar, log.csv, real_images.png, a sample grid per epoch, losses.png and the
//! checkpoint after every epoch (and on Ctrl-C).

use super::args::{check_resume_channels, check_resume_flags, fresh_settings, next_run_dir};
use super::noise::{sample_z, step_rng, stream_rng, FIXED_NOISE};
use super::report::{describe, mean_stats, progress_bar, row, DataWait};
use super::state::{self, LogAcc, Position, STATE_FILE};
use super::step::PendingStats;
use super::{Gan, StepStats};
use crate::cli::{check_device, TrainArgs};
use crate::data::{DataOptions, DataSource, DatasetName};
use crate::error::{Error, Result};
use crate::eval::hook::EvalLog;
use crate::io::csv::CsvLog;
use crate::io::grid;
#[cfg(feature = "plot")]
use crate::io::plot;
use crate::models::OptKind;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

/// Set by Ctrl-C; the loop checks it after every step.
pub static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Route Ctrl-C to `INTERRUPTED`; a second Ctrl-C quits at once.
pub fn install_ctrlc_handler() {
    let _ = ctrlc::set_handler(|| {
        if INTERRUPTED.swap(true, Ordering::SeqCst) {
            eprintln!("\nsecond Ctrl-C: quitting without a checkpoint");
            std::process::exit(130);
        }
        eprintln!("\nCtrl-C: finishing this step, then writing a checkpoint (Ctrl-C again to quit at once)");
    });
}

/// Images in the fixed-noise sample grids (10 × 10).
pub const GRID_COUNT: usize = 100;
pub const CSV_FILE: &str = "log.csv";
pub const PLOT_FILE: &str = "losses.png";
pub const REAL_FILE: &str = "real_images.png";

pub fn grid_file(epoch: usize) -> String {
    format!("samples_epoch_{epoch:03}.png")
}

/// What a finished (or interrupted) call of `train` did.
#[derive(Debug)]
pub struct Outcome {
    pub dir: PathBuf,
    pub steps: u64,
    pub ms_per_step: f64,
    pub last: Option<StepStats>,
}

/// Train as `a` says: a new run, or the continuation of `--resume DIR`.
pub fn train(a: &TrainArgs) -> Result<Outcome> {
    check_device(a.device)?;
    let (mut s, mut pos, mut acc, resumed, dir, fresh) = match &a.resume {
        Some(dir) => {
            let r = state::load(dir, a.device)?;
            let mut s = r.settings;
            check_resume_flags(a, &mut s)?;
            check_resume_channels(a, r.gan.spec.image[0])?;
            (s, r.pos, r.acc, Some(r.gan), dir.clone(), false)
        }
        None => {
            let s = fresh_settings(a);
            let dir = a.out.clone().unwrap_or_else(|| next_run_dir(s.model));
            (s, Position::default(), LogAcc::default(), None, dir, true)
        }
    };
    if a.eval_every.is_some() && s.dataset.kind().is_none() {
        return Err(eval_needs_idx());
    }
    let channels = match &resumed {
        Some(g) => Some(g.spec.image[0]),
        None => a.channels.map(|c| c as usize),
    };
    let data = DataSource::open(
        s.dataset,
        &DataOptions {
            dir: s.data_dir.as_deref(),
            batch: s.batch,
            seed: s.seed,
            image: s.model.spec().image,
            channels,
            cache_limit: a
                .cache_limit
                .unwrap_or(datasets::folder::DEFAULT_CACHE_LIMIT),
            progress: !a.quiet,
        },
    )?;
    if let Some(line) = &data.summary {
        println!("{line}");
    }
    let data_channels = data.image_shape()[0];
    if !s.model.supports_channels(data_channels) {
        return Err(Error::usage(format!(
            "{} takes 1-channel (grey) images and the folder's are in colour: pass --channels 1 \
             to convert them to grey, or train dcgan64 or dcgan28",
            s.model
        )));
    }
    let mut gan = match resumed {
        Some(g) => g,
        None => Gan::new_with_channels(s.model, data_channels, s.seed, s.lr, a.device)?,
    };
    let spec = gan.spec.clone();
    if data.image_shape() != spec.image {
        return Err(Error::Data(format!(
            "{} has images of {:?}, but {} needs {:?}",
            s.dataset.name(),
            data.image_shape(),
            s.model,
            spec.image
        )));
    }
    if s.batch > data.len() {
        return Err(Error::usage(format!(
            "--batch-size {} exceeds the {} images of {}",
            s.batch,
            data.len(),
            s.dataset.name()
        )));
    }
    let nb_full = data.batches_per_epoch();
    let nb = s.limit_batches.map_or(nb_full, |l| nb_full.min(l as usize));
    let log_path = dir.join(crate::train::train_loop::CSV_FILE);
    let mut log = if fresh {
        prepare_out_dir(&dir)?;
        let log = CsvLog::create(&log_path)?;
        let real = data.first_images(GRID_COUNT)?;
        grid::save_grid_c(
            &dir.join(REAL_FILE),
            &real.to_vec_f32()?,
            real.shape()[0],
            spec.image,
            10,
        )?;
        log
    } else {
        CsvLog::resume(&log_path, pos.global_step)?
    };

    let mut eval_log = match a.eval_every {
        Some(every) => Some(EvalLog::open(
            &dir,
            every,
            pos.epoch,
            s.dataset.kind().ok_or_else(eval_needs_idx)?,
            s.data_dir.as_deref(),
            spec.image,
            s.seed,
            &format!("{} on {}", s.model, s.dataset.name()),
            !a.quiet,
        )?),
        None => None,
    };

    let opt = match spec.opt {
        OptKind::Adam { beta1, beta2 } => format!("Adam(lr {}, betas ({beta1}, {beta2}))", s.lr),
        OptKind::Sgd { momentum } => format!("SGD(lr {}, momentum {momentum})", s.lr),
    };
    if fresh {
        println!(
            "training {} on {} ({} images): {} epochs of {nb} batches of {}, {opt}, seed {} -> {}",
            s.model,
            s.dataset.name(),
            data.len(),
            s.epochs,
            s.batch,
            s.seed,
            dir.display()
        );
    } else {
        println!(
            "resuming {} at epoch {}, batch {}/{nb} (step {}), {} epochs in all",
            dir.display(),
            pos.epoch + 1,
            pos.batch,
            pos.global_step,
            s.epochs
        );
    }

    let mut fixed_rng = stream_rng(s.seed, FIXED_NOISE);
    // Drawn on the CPU on every device, so that the grids of a CPU and a GPU
    // run show the same z; uploaded once.
    let fixed_z =
        sample_z(spec.z, GRID_COUNT, spec.latent, &mut fixed_rng)?.to_device(gan.device)?;
    let (mut steps, mut busy, mut last) = (0u64, 0.0f64, None);
    #[cfg(feature = "plot")]
    let title = format!("{} on {}", s.model, s.dataset.name());
    for epoch in pos.epoch..s.epochs {
        let start = if epoch == pos.epoch {
            pos.batch.min(nb)
        } else {
            0
        };
        let pb = progress_bar(a.quiet, epoch, s.epochs, nb, start);
        let (t_epoch, mut epoch_acc, mut epoch_busy) = (Instant::now(), LogAcc::default(), 0.0f64);
        let mut pending = Vec::new();
        let mut batches = data.epoch(epoch, start, nb);
        let mut wait = DataWait::default();
        for bi in start..nb {
            let t_wait = Instant::now();
            let Some(real) = batches.next() else { break };
            wait.add(t_wait.elapsed().as_secs_f64());
            let real = real?;
            let mut rng = step_rng(s.seed, pos.global_step);
            let t = Instant::now();
            pending.push(gan.train_step_deferred(&real, &mut rng)?);
            let dt = t.elapsed().as_secs_f64();
            busy += dt;
            epoch_busy += dt;
            pos = Position {
                epoch,
                batch: bi + 1,
                global_step: pos.global_step + 1,
            };
            steps += 1;
            let stop =
                INTERRUPTED.load(Ordering::SeqCst) || a.interrupt_after.is_some_and(|n| steps >= n);
            // CPU figures are ready now. A GPU's are read (the host waiting for
            // the device) only when a log row, the epoch's end or a checkpoint
            // needs them; the wait counts as step time.
            let due = acc.n + pending.len() as u64 >= s.log_every || stop || bi + 1 == nb;
            if !gan.device.is_cuda() || due {
                let w = drain(&mut pending, [&mut acc, &mut epoch_acc], &mut last, &pb)?;
                busy += w;
                epoch_busy += w;
            }
            pb.inc(1);
            if acc.n >= s.log_every {
                log.append(row(&pos, nb, &acc))?;
                acc = LogAcc::default();
            }
            if stop {
                pb.abandon();
                state::save(&dir, &gan, &s, &pos, &acc)?;
                return Err(Error::Interrupted(format!(
                    "interrupted: checkpoint written at epoch {}, batch {}/{nb} (step {}) in {}\n\
                     resume with: gan train --resume {}",
                    epoch + 1,
                    bi + 1,
                    pos.global_step,
                    dir.display(),
                    dir.display()
                )));
            }
        }
        epoch_busy += drain(&mut pending, [&mut acc, &mut epoch_acc], &mut last, &pb)?;
        if acc.n > 0 {
            log.append(row(&pos, nb, &acc))?;
            acc = LogAcc::default();
        }
        pos = Position {
            epoch: epoch + 1,
            batch: 0,
            global_step: pos.global_step,
        };
        drop(batches);
        let imgs = gan.generate(&fixed_z, &mut fixed_rng)?;
        grid::save_grid_c(
            &dir.join(grid_file(epoch + 1)),
            &imgs.to_vec_f32()?,
            GRID_COUNT,
            spec.image,
            10,
        )?;
        #[cfg(feature = "plot")]
        {
            let (dl, gl) = log.curves();
            plot::save_loss_plot(&dir.join(PLOT_FILE), &title, dl, gl)?;
        }
        let eval_line = match eval_log.as_mut().filter(|l| l.due(epoch + 1, s.epochs)) {
            Some(l) => Some(EvalLog::describe(&l.evaluate(
                &mut gan,
                epoch + 1,
                pos.global_step,
            )?)),
            None => None,
        };
        state::save(&dir, &gan, &s, &pos, &acc)?;
        pb.finish_and_clear();
        let secs = t_epoch.elapsed().as_secs_f64();
        let n = epoch_acc.n.max(1) as f64;
        println!(
            "epoch {}/{}: {} steps in {secs:.1} s ({:.2} ms per training step)  {}",
            epoch + 1,
            s.epochs,
            epoch_acc.n,
            epoch_busy * 1e3 / n,
            describe(&mean_stats(&epoch_acc))
        );
        if s.dataset == DatasetName::Folder {
            println!("  {}", wait.describe());
        }
        if let Some(line) = eval_line {
            println!("  {line}");
        }
    }
    if pos.epoch >= s.epochs && steps == 0 {
        println!(
            "{} has already trained for {} epochs; pass --epochs N to go on",
            dir.display(),
            s.epochs
        );
    }
    println!(
        "done: {} epochs; checkpoints, grids, log.csv and losses.png in {}",
        s.epochs,
        dir.display()
    );
    if let Some(summary) = eval_log.as_ref().and_then(EvalLog::summary) {
        println!("{summary}");
    }
    s.epochs = s.epochs.max(pos.epoch);
    Ok(Outcome {
        dir,
        steps,
        ms_per_step: busy * 1e3 / steps.max(1) as f64,
        last,
    })
}

/// Read queued step figures into the accumulators, in step order; returns
/// the seconds the host waited for them.
fn drain(
    pending: &mut Vec<PendingStats>,
    accs: [&mut LogAcc; 2],
    last: &mut Option<StepStats>,
    pb: &indicatif::ProgressBar,
) -> Result<f64> {
    if pending.is_empty() {
        return Ok(0.0);
    }
    let t = Instant::now();
    let [acc, epoch_acc] = accs;
    for st in PendingStats::resolve_all(std::mem::take(pending))? {
        *last = Some(st);
        acc.add(&st);
        epoch_acc.add(&st);
        pb.set_message(describe(&st));
    }
    Ok(t.elapsed().as_secs_f64())
}

/// Create the run directory; refuse one that already holds a run.
fn prepare_out_dir(dir: &Path) -> Result<()> {
    if dir.join(STATE_FILE).exists() {
        return Err(Error::usage(format!(
            "{} already holds a run; continue it with --resume {} or choose another --out",
            dir.display(),
            dir.display()
        )));
    }
    if dir.exists() && !dir.is_dir() {
        return Err(Error::usage(format!(
            "--out {}: exists and is not a directory",
            dir.display()
        )));
    }
    std::fs::create_dir_all(dir).map_err(|e| Error::io("cannot create output directory", dir, e))
}

fn eval_needs_idx() -> Error {
    Error::usage(
        "--eval-every: the evaluation classifier exists for mnist, fashion-mnist and kmnist, not for a folder",
    )
}
