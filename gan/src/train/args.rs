//! The settings of a run from the command line: a fresh run's from the flags
//! and the model's defaults, a resumed run's from its checkpoint, checked
//! against any flags given with `--resume`.

use super::state::Settings;
use crate::cli::TrainArgs;
use crate::data::DatasetName;
use crate::error::{Error, Result};
use crate::models::ModelKind;
use std::path::PathBuf;

/// The first `runs/<model>-N` that does not exist.
pub fn next_run_dir(model: ModelKind) -> PathBuf {
    (1..)
        .map(|i| PathBuf::from("runs").join(format!("{}-{i}", model.name())))
        .find(|p| !p.exists())
        .expect("an unused index exists")
}

pub fn fresh_settings(a: &TrainArgs) -> Settings {
    let model = a.model.unwrap_or(ModelKind::Mlp);
    let spec = model.spec();
    Settings {
        model,
        dataset: a
            .dataset
            .unwrap_or_else(|| DatasetName::from_name(spec.dataset).unwrap_or(DatasetName::Mnist)),
        data_dir: a.data_dir.clone(),
        epochs: a.epochs.map_or(spec.epochs, |e| e as usize),
        batch: a.batch_size.map_or(spec.batch, |b| b as usize),
        lr: a.lr.unwrap_or(spec.lr),
        seed: a.seed.unwrap_or(0),
        log_every: a.log_every,
        limit_batches: a.limit_batches,
    }
}

/// Flags given with --resume must agree with the run's own settings.
pub fn check_resume_flags(a: &TrainArgs, s: &mut Settings) -> Result<()> {
    let clash = |flag: &str, given: String, stored: String| {
        Error::usage(format!(
            "--resume: the run was started with {flag} {stored}, not {given}; drop {flag} (or start a new run)"
        ))
    };
    if let Some(m) = a.model.filter(|m| *m != s.model) {
        return Err(clash("--model", m.to_string(), s.model.to_string()));
    }
    if let Some(d) = a.dataset.filter(|d| *d != s.dataset) {
        return Err(clash("--dataset", d.name().into(), s.dataset.name().into()));
    }
    if let Some(b) = a.batch_size.filter(|b| *b as usize != s.batch) {
        return Err(clash("--batch-size", b.to_string(), s.batch.to_string()));
    }
    if let Some(l) = a.lr.filter(|l| *l != s.lr) {
        return Err(clash("--lr", l.to_string(), s.lr.to_string()));
    }
    if let Some(x) = a.seed.filter(|x| *x != s.seed) {
        return Err(clash("--seed", x.to_string(), s.seed.to_string()));
    }
    if a.limit_batches.is_some() && a.limit_batches != s.limit_batches {
        return Err(clash(
            "--limit-batches",
            format!("{:?}", a.limit_batches),
            format!("{:?}", s.limit_batches),
        ));
    }
    if let Some(e) = a.epochs {
        s.epochs = e as usize;
    }
    if a.data_dir.is_some() {
        s.data_dir = a.data_dir.clone();
    }
    Ok(())
}

/// `--channels` given with `--resume` must be the run's.
pub fn check_resume_channels(a: &TrainArgs, stored: usize) -> Result<()> {
    match a.channels {
        Some(c) if c as usize != stored => Err(Error::usage(format!(
            "--resume: the run was started with --channels {stored}, not {c}; drop --channels (or start a new run)"
        ))),
        _ => Ok(()),
    }
}
