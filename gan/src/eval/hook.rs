//! `gan train --eval-every N`: after every N-th epoch (and the last), the
//! metrics of 10,000 samples, always from the same latent vectors, appended to
//! the run's `eval.csv`, plotted as `frechet.png` (distance over epochs) and
//! summed up at the end of the run.

use super::{Evaluator, Metrics};
use crate::error::{Error, Result};
use crate::io::write_atomic;
use crate::train::noise::{sample_z, stream_rng};
use crate::train::Gan;
use std::path::{Path, PathBuf};

/// The evaluations' CSV file in the run folder.
pub const EVAL_CSV: &str = "eval.csv";
/// The Fréchet distance plot in the run folder (with the `plot` feature).
pub const EVAL_PLOT: &str = "frechet.png";
/// Samples measured at each evaluation.
pub const EVAL_SAMPLES: usize = 10_000;
/// The random stream of the evaluation's latent vectors.
const EVAL_NOISE: u64 = 0x45_5641_4C00_0000;
/// Images generated per forward pass.
const CHUNK: usize = 1000;

const HEADER: &str =
    "epoch,global_step,frechet_distance,coverage,kl_from_uniform,mean_confidence,class_histogram";

/// One evaluation of the run.
#[derive(Clone, Debug, PartialEq)]
pub struct EvalRow {
    /// Epochs done (1-based epoch just finished).
    pub epoch: usize,
    /// Steps done.
    pub global_step: u64,
    /// The figures.
    pub metrics: Metrics,
}

impl EvalRow {
    fn to_line(&self) -> String {
        let m = &self.metrics;
        let hist: Vec<String> = m.class_histogram.iter().map(|c| c.to_string()).collect();
        format!(
            "{},{},{:.6},{},{:.6},{:.6},{}",
            self.epoch,
            self.global_step,
            m.frechet_distance,
            m.coverage,
            m.kl_from_uniform,
            m.mean_confidence,
            hist.join(" ")
        )
    }

    fn parse(line: &str) -> Option<EvalRow> {
        let f: Vec<&str> = line.trim().split(',').collect();
        if f.len() != 7 {
            return None;
        }
        let hist: Vec<usize> = f[6]
            .split_whitespace()
            .map(|c| c.parse().ok())
            .collect::<Option<_>>()?;
        Some(EvalRow {
            epoch: f[0].parse().ok()?,
            global_step: f[1].parse().ok()?,
            metrics: Metrics {
                samples: hist.iter().sum(),
                frechet_distance: f[2].parse().ok()?,
                coverage: f[3].parse().ok()?,
                kl_from_uniform: f[4].parse().ok()?,
                mean_confidence: f[5].parse().ok()?,
                class_histogram: hist,
            },
        })
    }
}

/// The rows of the `eval.csv` at `path` (none when there is no file; lines
/// that are not rows are skipped).
pub fn read_eval_rows(path: &Path) -> Result<Vec<EvalRow>> {
    match std::fs::read_to_string(path) {
        Ok(t) => Ok(t.lines().skip(1).filter_map(EvalRow::parse).collect()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(Error::io("cannot read", path, e)),
    }
}

/// `frechet.png`: the Fréchet distance of `rows` against epochs, for the run
/// titled `title` (`MODEL on DATASET`).
#[cfg(feature = "plot")]
pub fn frechet_png(title: &str, rows: &[EvalRow]) -> Result<Vec<u8>> {
    let pts = rows
        .iter()
        .map(|r| (r.epoch as f64, r.metrics.frechet_distance))
        .collect();
    let title = format!("Frechet distance, {title}");
    crate::io::plot::render(&title, "epoch", &[("frechet distance", pts)], 900, 500)
}

/// The evaluations of a training run.
pub struct EvalLog {
    every: usize,
    seed: u64,
    evaluator: Evaluator,
    csv: PathBuf,
    // The plot is drawn with the `plot` feature only.
    #[cfg_attr(not(feature = "plot"), allow(dead_code))]
    plot: PathBuf,
    #[cfg_attr(not(feature = "plot"), allow(dead_code))]
    title: String,
    /// The evaluations so far, by epoch.
    pub rows: Vec<EvalRow>,
}

impl EvalLog {
    /// Set up evaluation every `every` epochs for a run in `dir` (its
    /// `eval.csv` kept up to `epochs_done` when resuming), loading or training
    /// the classifier of `dataset` from `data_dir` (as the run's data).
    #[allow(clippy::too_many_arguments)]
    pub fn open(
        dir: &Path,
        every: u64,
        epochs_done: usize,
        dataset: datasets::DatasetKind,
        data_dir: Option<&Path>,
        image: [usize; 3],
        seed: u64,
        title: &str,
        progress: bool,
    ) -> Result<EvalLog> {
        if image != [1, super::IMAGE_SIDE, super::IMAGE_SIDE] {
            return Err(Error::usage(format!(
                "--eval-every: the evaluation classifier takes 1×28×28 images; this model makes {image:?}"
            )));
        }
        let source = datasets::DataSource::new().with_data_dir(data_dir.map(Path::to_path_buf));
        let evaluator =
            Evaluator::load_or_train(dataset, &source, &Evaluator::default_cache_dir(), progress)?;
        let csv = dir.join(EVAL_CSV);
        let mut rows = read_eval_rows(&csv)?;
        rows.retain(|r| r.epoch <= epochs_done);
        let log = EvalLog {
            every: every.max(1) as usize,
            seed,
            evaluator,
            csv,
            plot: dir.join(EVAL_PLOT),
            title: title.to_string(),
            rows,
        };
        log.write()?;
        Ok(log)
    }

    /// The classifier and test statistics the evaluations use.
    pub fn evaluator(&self) -> &Evaluator {
        &self.evaluator
    }

    /// Whether to evaluate after `epoch` (1-based) of `epochs`.
    pub fn due(&self, epoch: usize, epochs: usize) -> bool {
        epoch.is_multiple_of(self.every) || epoch == epochs
    }

    /// Generate the samples, measure them, log and plot. Returns the metrics.
    pub fn evaluate(&mut self, gan: &mut Gan, epoch: usize, global_step: u64) -> Result<Metrics> {
        let spec = gan.spec.clone();
        let [_, h, w] = spec.image;
        let mut rng = stream_rng(self.seed, EVAL_NOISE);
        let mut values = Vec::with_capacity(EVAL_SAMPLES * h * w);
        while values.len() < EVAL_SAMPLES * h * w {
            let m = CHUNK.min(EVAL_SAMPLES - values.len() / (h * w));
            let z = sample_z(spec.z, m, spec.latent, &mut rng)?;
            values.extend(gan.generate(&z, &mut rng)?.to_vec_f32()?);
        }
        let metrics = self
            .evaluator
            .metrics_unit_range(&values, EVAL_SAMPLES, h, w)?;
        self.rows.retain(|r| r.epoch != epoch);
        self.rows.push(EvalRow {
            epoch,
            global_step,
            metrics: metrics.clone(),
        });
        self.write()?;
        Ok(metrics)
    }

    fn write(&self) -> Result<()> {
        let mut s = String::from(HEADER);
        s.push('\n');
        for r in &self.rows {
            s.push_str(&r.to_line());
            s.push('\n');
        }
        write_atomic(&self.csv, s.as_bytes())?;
        #[cfg(feature = "plot")]
        if !self.rows.is_empty() {
            write_atomic(&self.plot, &frechet_png(&self.title, &self.rows)?)?;
        }
        Ok(())
    }

    /// One line for the end of an epoch.
    pub fn describe(m: &Metrics) -> String {
        format!(
            "eval: frechet {:.2}  coverage {}/{}  KL {:.3}  confidence {:.3}",
            m.frechet_distance,
            m.coverage,
            m.class_histogram.len(),
            m.kl_from_uniform,
            m.mean_confidence
        )
    }

    /// The end-of-run summary: the last evaluation and the best distance.
    pub fn summary(&self) -> Option<String> {
        let last = self.rows.last()?;
        let best = self.rows.iter().min_by(|a, b| {
            a.metrics
                .frechet_distance
                .total_cmp(&b.metrics.frechet_distance)
        })?;
        Some(format!(
            "eval after epoch {}: frechet distance {:.2} (best {:.2} after epoch {}), coverage {}/{}, \
             KL from uniform {:.3}, mean confidence {:.3}; eval.csv and frechet.png in the run folder",
            last.epoch,
            last.metrics.frechet_distance,
            best.metrics.frechet_distance,
            best.epoch,
            last.metrics.coverage,
            last.metrics.class_histogram.len(),
            last.metrics.kl_from_uniform,
            last.metrics.mean_confidence
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_round_trip() {
        let r = EvalRow {
            epoch: 3,
            global_step: 1800,
            metrics: Metrics {
                samples: 10,
                frechet_distance: 12.5,
                coverage: 2,
                class_histogram: vec![5, 5, 0],
                kl_from_uniform: 0.405465,
                mean_confidence: 0.9,
            },
        };
        assert_eq!(EvalRow::parse(&r.to_line()), Some(r));
        assert_eq!(EvalRow::parse(HEADER), None);
    }
}
