//! The run folder: its default name, and the guard that keeps a fresh run
//! from overwriting another run's checkpoint. A fresh run into a folder that
//! holds a checkpoint is an error unless asked to `overwrite`; then the files
//! a run writes are replaced and every other file is left alone.

use super::observe::csv::CSV_FILE;
use super::observe::grids::REAL_FILE;
use super::observe::PLOT_FILE;
use super::state::{D_FILE, G_EMA_FILE, G_FILE, STATE_FILE};
use crate::error::{Error, Result};
use crate::eval::hook::{EVAL_CSV, EVAL_PLOT};
use std::path::{Path, PathBuf};

/// The first `runs/<model>-N` that does not exist.
pub fn next_run_dir(model: crate::models::ModelKind) -> PathBuf {
    (1..)
        .map(|i| PathBuf::from("runs").join(format!("{}-{i}", model.name())))
        .find(|p| !p.exists())
        .expect("an unused index exists")
}

/// Whether `name` is a file a run writes: its checkpoint, logs and pictures
/// (and their `.tmp` files, left by a write that was cut short).
pub fn is_run_file(name: &str) -> bool {
    let name = name.strip_suffix(".tmp").unwrap_or(name);
    let sample_grid = name
        .strip_prefix("samples_epoch_")
        .and_then(|n| n.strip_suffix(".png"))
        .is_some_and(|n| n.len() >= 3 && n.bytes().all(|b| b.is_ascii_digit()));
    sample_grid
        || crate::io::tensorboard::is_event_file(name)
        || [
            G_FILE, G_EMA_FILE, D_FILE, STATE_FILE, CSV_FILE, PLOT_FILE, REAL_FILE, EVAL_CSV,
            EVAL_PLOT,
        ]
        .contains(&name)
}

/// Check, before anything is written, that a fresh run may use `dir`: not a
/// file, and not a folder holding a checkpoint unless `overwrite`.
pub fn check_fresh(dir: &Path, overwrite: bool) -> Result<()> {
    if dir.exists() && !dir.is_dir() {
        return Err(Error::usage(format!(
            "--out {}: exists and is not a directory",
            dir.display()
        )));
    }
    let held: Vec<&str> = [G_FILE, D_FILE, STATE_FILE]
        .into_iter()
        .filter(|f| dir.join(f).exists())
        .collect();
    if held.is_empty() || overwrite {
        return Ok(());
    }
    Err(Error::usage(format!(
        "{} already holds a run (its checkpoint {}); continue it with --resume {}, \
         or pass --overwrite to replace that run (its checkpoint, logs and pictures; \
         other files are kept), or choose another --out",
        dir.display(),
        held.join(", "),
        dir.display()
    )))
}

/// Create the folder of a fresh run; with `overwrite`, first remove the
/// files of the run it held, so that no stale grid or log stays beside the
/// new run's. Files that are not a run's are never touched.
pub fn prepare_fresh(dir: &Path, overwrite: bool) -> Result<()> {
    std::fs::create_dir_all(dir)
        .map_err(|e| Error::io("cannot create output directory", dir, e))?;
    if !overwrite {
        return Ok(());
    }
    let entries = std::fs::read_dir(dir).map_err(|e| Error::io("cannot list", dir, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| Error::io("cannot list", dir, e))?;
        let is_file = entry.file_type().is_ok_and(|t| t.is_file());
        if is_file && entry.file_name().to_str().is_some_and(is_run_file) {
            let path = entry.path();
            std::fs::remove_file(&path).map_err(|e| Error::io("cannot remove", &path, e))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_files_are_known_by_name() {
        for f in [
            "G.safetensors",
            "G_ema.safetensors",
            "train_state.safetensors.tmp",
            "log.csv",
            "samples_epoch_007.png",
            "samples_epoch_1234.png",
            "frechet.png",
            "events.out.tfevents.1765000000.host.42",
        ] {
            assert!(is_run_file(f), "{f}");
        }
        for f in [
            "notes.txt",
            "samples_epoch_7.png",
            "samples_epoch_abc.png",
            "G.safetensors.bak",
            "my_losses.png",
        ] {
            assert!(!is_run_file(f), "{f}");
        }
    }
}
