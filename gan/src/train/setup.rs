//! Everything a run checks and opens before its first step: the device, the
//! settings (a fresh run's, or a resumed run's from its checkpoint), the run
//! folder, the data, and a model pair that fits the data.

use super::options::{Start, TrainOptions};
use super::recipe::Recipe;
use super::run_dir::{check_fresh, next_run_dir};
use super::state::Settings;
use super::trainer::Trainer;
use crate::data::{DataOptions, DataSource};
use crate::error::{Error, Result};
use std::path::PathBuf;
use tensor::Device;

/// A run about to train, before its data is open.
pub struct Opening {
    /// The run folder.
    pub dir: PathBuf,
    /// The resumed run, or `None` for a fresh one (whose settings are `settings`).
    pub resumed: Option<Trainer>,
    /// The run's settings.
    pub settings: Settings,
}

impl Opening {
    /// Whether this is a new run (not a resumed one).
    pub fn is_fresh(&self) -> bool {
        self.resumed.is_none()
    }

    /// The settings and folder `o` asks for: a fresh run's (its folder checked
    /// to hold no other run), or a resumed run's, read from its checkpoint,
    /// with the flags given again checked against them.
    pub fn new(o: &TrainOptions) -> Result<Opening> {
        check_device(o.device)?;
        let opening = match &o.start {
            Start::Fresh {
                settings,
                out,
                overwrite,
            } => {
                settings.recipe.check(settings.model)?;
                let dir = out.clone().unwrap_or_else(|| next_run_dir(settings.model));
                check_fresh(&dir, *overwrite)?;
                Opening {
                    dir,
                    resumed: None,
                    settings: settings.clone(),
                }
            }
            Start::Resume { dir, flags } => {
                let mut t = Trainer::resume(dir, o.device)?;
                flags.apply(t.settings_mut())?;
                let stored = t.gan().spec.image[0];
                if let Some(c) = o.channels.filter(|c| *c != stored) {
                    return Err(Error::usage(format!(
                        "--resume: the run was started with --channels {stored}, not {c}; drop --channels (or start a new run)"
                    )));
                }
                Opening {
                    dir: dir.clone(),
                    settings: t.settings().clone(),
                    resumed: Some(t),
                }
            }
        };
        if o.eval_every.is_some() && opening.settings.dataset.kind().is_none() {
            return Err(super::observe::eval::needs_idx());
        }
        Ok(opening)
    }

    /// Open the run's training data.
    pub fn open_data(&self, o: &TrainOptions) -> Result<DataSource> {
        let s = &self.settings;
        let channels = match &self.resumed {
            Some(t) => Some(t.gan().spec.image[0]),
            None => o.channels,
        };
        DataSource::open(
            s.dataset,
            &DataOptions {
                dir: s.data_dir.as_deref(),
                batch: s.batch,
                seed: s.seed,
                image: s.model.spec().image,
                channels,
                cache_limit: o.cache_limit,
                progress: !o.quiet,
            },
        )
    }

    /// The trainer, fresh (built for the data's channels) or resumed, once
    /// the data is known to fit it.
    pub fn trainer(self, data: &DataSource, device: Device) -> Result<Trainer> {
        let s = self.settings;
        let data_channels = data.image_shape()[0];
        if !s.model.supports_channels(data_channels) {
            return Err(Error::usage(format!(
                "{} takes 1-channel (grey) images and the folder's are in colour: pass --channels 1 \
                 to convert them to grey, or train dcgan64 or dcgan28",
                s.model
            )));
        }
        let mut s = s;
        if s.recipe.classes == Some(Recipe::CLASSES_FROM_DATA) {
            // --conditional: the data set's classes, checked before any step.
            if data.classes < 2 {
                return Err(Error::usage(format!(
                    "--conditional needs labelled images: {} has {} class{} (a folder's classes \
                     are its subfolders; images in the root are unlabelled)",
                    s.dataset.name(),
                    data.classes,
                    if data.classes == 1 { "" } else { "es" }
                )));
            }
            s.recipe.classes = Some(data.classes as u32);
        }
        let t = match self.resumed {
            Some(t) => t,
            None => Trainer::new(s.clone(), data_channels, device)?,
        };
        let image = t.gan().spec.image;
        if data.image_shape() != image {
            return Err(Error::Data(format!(
                "{} has images of {:?}, but {} needs {:?}",
                s.dataset.name(),
                data.image_shape(),
                s.model,
                image
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
        Ok(t)
    }
}

/// Batches of each epoch a run takes: all of the data's, or the first
/// `limit_batches`.
pub fn batches_per_epoch(s: &Settings, data: &DataSource) -> usize {
    let all = data.batches_per_epoch();
    s.limit_batches.map_or(all, |l| all.min(l as usize))
}

/// Refuse a device this machine cannot use before any work starts, with a
/// message naming what is missing: the driver (libcuda.so), a GPU, or NVRTC.
/// The probe never panics, so a machine without CUDA gets an error and exit 1.
///
/// With `GAN_RS_CUDASIM` set (a developer's choice, never a default), CUDA
/// runs on the simulator of tests/cudasim instead, and says so.
pub fn check_device(d: Device) -> Result<()> {
    let unsupported = |e: tensor::Error| Error::Unsupported(format!("--device {d}: {e}"));
    match d {
        Device::Cpu => Ok(()),
        Device::Cuda(i) => {
            if let Some(sim) = kernels::cuda::simulator_from_env().map_err(unsupported)? {
                eprintln!(
                    "note: --device {d} runs on the CUDA simulator ({sim}) because \
                     GAN_RS_CUDASIM is set: every kernel runs on the CPU, slowly"
                );
            }
            kernels::cuda::available(i).map_err(unsupported)
        }
    }
}
