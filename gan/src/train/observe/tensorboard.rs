//! TensorBoard event files in the run folder (`tensorboard --logdir runs/`
//! shows every run, live): at every log row the means of `log.csv`'s figures
//! (`loss/d`, `loss/g`, `D(x)`, `D(G(z))`), seconds per step and histograms
//! of D's outputs on the last step's real and fake batches; after every
//! epoch the fixed-noise grid, and the evaluation's figures when there was
//! one; the run's settings as text, and the real images once. A resumed run
//! writes a new file that starts at its checkpoint's step, marked so that
//! TensorBoard drops what the earlier file logged after it.
//!
//! It reads what the other observers wrote (the grid PNGs, `eval.csv`), so
//! it comes after `Grids` and `EvalObserver` in a run's list.

use super::grids::{grid_file, REAL_FILE};
use super::Observer;
use crate::error::{Error, Result};
use crate::eval::hook::{read_eval_rows, EVAL_CSV};
use crate::io::tensorboard::EventWriter;
use crate::train::report::mean_stats;
use crate::train::trainer::{Report, Trainer};
use std::path::{Path, PathBuf};

/// Buckets of the D-output histograms.
const HISTOGRAM_BUCKETS: usize = 30;

/// Writes the run's TensorBoard event file.
pub struct TensorBoard {
    w: EventWriter,
    dir: PathBuf,
    /// Steps and seconds since the last log row.
    steps: u64,
    seconds: f64,
    /// Epochs whose evaluation is in the event files already.
    evaluated: usize,
}

impl TensorBoard {
    /// A new event file in `dir` (the run's folder, after `Grids` opened):
    /// the settings and, for a fresh run, the real images; for a resumed run,
    /// the mark at its step.
    pub fn open(dir: &Path, fresh: bool, t: &Trainer) -> Result<TensorBoard> {
        let mut w = EventWriter::create(dir)?;
        let step = t.position().global_step;
        if !fresh {
            // what the earlier file logged after the checkpoint is gone
            w.purge_from(step + 1)?;
        }
        w.text("settings", step, &settings_markdown(t))?;
        if fresh {
            let real = dir.join(REAL_FILE);
            if real.exists() {
                add_png(&mut w, "real_images", 0, &real)?;
            }
        }
        let evaluated = read_eval_rows(&dir.join(EVAL_CSV))?
            .iter()
            .map(|r| r.epoch)
            .max()
            .unwrap_or(0);
        w.flush()?;
        Ok(TensorBoard {
            w,
            dir: dir.to_path_buf(),
            steps: 0,
            seconds: 0.0,
            evaluated,
        })
    }

    /// The event file being written.
    pub fn path(&self) -> &Path {
        self.w.path()
    }
}

/// The PNG at `path` as an image summary.
fn add_png(w: &mut EventWriter, tag: &str, step: u64, path: &Path) -> Result<()> {
    let bytes = std::fs::read(path).map_err(|e| Error::io("cannot read", path, e))?;
    let dec = png::Decoder::new(std::io::Cursor::new(&bytes[..]));
    let info = dec
        .read_info()
        .map_err(|e| Error::Data(format!("{}: not a PNG: {e}", path.display())))?;
    let (width, height) = (info.info().width, info.info().height);
    let channels = info.info().color_type.samples() as u8;
    w.image(tag, step, bytes, (height, width, channels))
}

/// The run's settings as a Markdown table.
fn settings_markdown(t: &Trainer) -> String {
    let s = t.settings();
    let spec = &t.gan().spec;
    let rows = [
        ("model", format!("{} ({})", s.model, s.model.about())),
        ("data set", s.dataset.name().to_string()),
        ("epochs", s.epochs.to_string()),
        ("batch", s.batch.to_string()),
        ("learning rate", s.lr.to_string()),
        ("loss", format!("{:?}", spec.loss)),
        ("optimiser", format!("{:?}", spec.opt)),
        ("seed", s.seed.to_string()),
        ("log every", format!("{} steps", s.log_every)),
        (
            "batches per epoch",
            s.limit_batches
                .map_or("all".into(), |n| format!("the first {n}")),
        ),
        ("device", t.device().to_string()),
        (
            "recipe",
            s.recipe
                .describe()
                .unwrap_or_else(|| "the tutorials'".into()),
        ),
    ];
    let mut md = String::from("| setting | value |\n| --- | --- |\n");
    for (k, v) in rows {
        md.push_str(&format!("| {k} | {} |\n", v.replace('|', "\\|")));
    }
    md
}

impl Observer for TensorBoard {
    fn report(&mut self, t: &Trainer, r: &Report) -> Result<()> {
        self.steps += r.steps;
        self.seconds += r.seconds;
        for iv in &r.intervals {
            let m = mean_stats(&iv.sums);
            let mut values = vec![
                ("loss/d", m.d_loss as f64),
                ("loss/g", m.g_loss as f64),
                ("D(x)", m.d_x as f64),
                ("D(G(z))", m.d_gz as f64),
            ];
            if self.steps > 0 {
                values.push(("time/seconds_per_step", self.seconds / self.steps as f64));
                (self.steps, self.seconds) = (0, 0.0);
            }
            self.w.scalars(iv.at.global_step, &values)?;
        }
        if let Some(iv) = r.intervals.last() {
            if let Some((real, fake)) = t.gan().last_d_probabilities()? {
                let step = iv.at.global_step;
                self.w.histogram("D(x)", step, &real, HISTOGRAM_BUCKETS)?;
                self.w
                    .histogram("D(G(z))", step, &fake, HISTOGRAM_BUCKETS)?;
            }
            self.w.flush()?;
        }
        Ok(())
    }

    fn epoch_end(&mut self, t: &mut Trainer, _notes: &mut Vec<String>) -> Result<()> {
        let (epoch, step) = (t.position().epoch, t.position().global_step);
        let grid = self.dir.join(grid_file(epoch));
        if grid.exists() {
            add_png(&mut self.w, "samples", step, &grid)?;
        }
        for row in read_eval_rows(&self.dir.join(EVAL_CSV))? {
            if row.epoch <= self.evaluated {
                continue;
            }
            let m = &row.metrics;
            self.w.scalars(
                row.global_step,
                &[
                    ("eval/frechet_distance", m.frechet_distance),
                    ("eval/coverage", m.coverage as f64),
                    ("eval/kl_from_uniform", m.kl_from_uniform),
                    ("eval/mean_confidence", m.mean_confidence),
                ],
            )?;
            self.evaluated = row.epoch;
        }
        self.w.flush()
    }

    fn interrupted(&mut self, _t: &Trainer) -> Result<()> {
        self.w.flush()
    }

    fn finish(&mut self, _t: &Trainer, notes: &mut Vec<String>) -> Result<()> {
        self.w.flush()?;
        let logdir = self.dir.parent().filter(|p| !p.as_os_str().is_empty());
        notes.push(format!(
            "TensorBoard: tensorboard --logdir {} (this run's events: {})",
            logdir.unwrap_or(&self.dir).display(),
            self.path().display()
        ));
        Ok(())
    }
}
