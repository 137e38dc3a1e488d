//! Sample quality, measured with a classifier trained by this engine:
//!
//! * the Fréchet distance between the 128-d penultimate features of the
//!   samples and of the test split (an FID with a small data-set-specific CNN in
//!   place of Inception, so only comparable between runs on the same data set);
//! * class coverage: how many classes receive at least 2 % of the predictions;
//! * the KL divergence of the predicted-class histogram from uniform (nats);
//! * the mean confidence (softmax probability of the predicted class).
//!
//! The classifier ([`classifier`]) is trained once per data set and cached as
//! `<cache>/classifier-<dataset>.safetensors` (the data cache: `GAN_CACHE_DIR`,
//! else `$XDG_CACHE_HOME/gan-rs`, else `~/.cache/gan-rs`). The test split's
//! features are computed once per process.
//!
//! ```no_run
//! use gan::eval::Evaluator;
//! let ev = Evaluator::load_or_train(
//!     datasets::DatasetKind::Mnist,
//!     &datasets::DataSource::new(),
//!     &Evaluator::default_cache_dir(),
//!     true,
//! )?;
//! let m = ev.metrics_idx_file(std::path::Path::new("samples.idx"))?;
//! println!("{m}");
//! # Ok::<(), gan::Error>(())
//! ```

pub mod classifier;
pub mod command;
pub mod frechet;
pub mod hook;
pub mod metrics;

pub use classifier::{Classifier, IMAGE_SIDE};
pub use frechet::{frechet_distance, FeatureStats};

use crate::error::{Error, Result};
use crate::io::checkpoint;
use classifier::{FEATURE_DIM, NUM_CLASSES};
use datasets::{DataSource, DatasetKind, ImageSet, Split};
use metrics::Predictions;
use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// Identifies a cached classifier file written by this code.
const FORMAT: &str = "gan-eval-classifier-v1";

/// The figures of one set of samples.
#[derive(Clone, Debug, PartialEq)]
pub struct Metrics {
    /// Number of samples measured.
    pub samples: usize,
    /// Fréchet distance to the test split's features.
    pub frechet_distance: f64,
    /// Classes with at least 2 % of the predictions.
    pub coverage: usize,
    /// Predictions per class.
    pub class_histogram: Vec<usize>,
    /// KL(predicted-class histogram ‖ uniform), in nats (0 … ln 10).
    pub kl_from_uniform: f64,
    /// Mean softmax probability of the predicted class.
    pub mean_confidence: f64,
}

impl Metrics {
    /// The figures as a JSON object (`gan eval --json`).
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "samples": self.samples,
            "frechet_distance": self.frechet_distance,
            "coverage": self.coverage,
            "class_histogram": self.class_histogram,
            "kl_from_uniform": self.kl_from_uniform,
            "mean_confidence": self.mean_confidence,
        })
    }
}

impl fmt::Display for Metrics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "samples:          {}", self.samples)?;
        writeln!(f, "frechet distance: {:.3}", self.frechet_distance)?;
        writeln!(
            f,
            "coverage:         {}/{} classes (≥ {}% of samples each)",
            self.coverage,
            self.class_histogram.len(),
            metrics::COVERAGE_THRESHOLD * 100.0
        )?;
        writeln!(f, "class histogram:  {:?}", self.class_histogram)?;
        writeln!(f, "KL from uniform:  {:.4} nats", self.kl_from_uniform)?;
        write!(f, "mean confidence:  {:.4}", self.mean_confidence)
    }
}

struct Inner {
    dataset: DatasetKind,
    classifier: Classifier,
    path: PathBuf,
    test_stats: FeatureStats,
    test_accuracy: f64,
    trained_now: Option<classifier::TrainReport>,
}

/// A trained classifier and the test split's feature statistics. Cheap to clone.
#[derive(Clone)]
pub struct Evaluator {
    inner: Arc<Inner>,
}

/// Evaluators already built in this process, by (data set, cache folder).
type Memo = Vec<((DatasetKind, PathBuf), Evaluator)>;
static MEMO: Mutex<Memo> = Mutex::new(Vec::new());

impl Evaluator {
    /// The data cache folder (`GAN_CACHE_DIR`, else `$XDG_CACHE_HOME/gan-rs`,
    /// else `~/.cache/gan-rs`), where the classifiers are cached.
    pub fn default_cache_dir() -> PathBuf {
        datasets::source::default_cache_dir()
    }

    /// The cached classifier file of `dataset` in `cache_dir`.
    pub fn classifier_path(dataset: DatasetKind, cache_dir: &Path) -> PathBuf {
        cache_dir.join(format!("classifier-{}.safetensors", dataset.name()))
    }

    /// The evaluator of `dataset`: its classifier loaded from `cache_dir` or, when
    /// missing or unusable (with a warning), trained on the training split and
    /// saved there; then the test split's features. Data come from `source`.
    /// Built once per process for each (data set, cache folder).
    pub fn load_or_train(
        dataset: DatasetKind,
        source: &DataSource,
        cache_dir: &Path,
        progress: bool,
    ) -> Result<Evaluator> {
        // Held throughout, so that concurrent callers train at most once.
        let mut memo = MEMO.lock().unwrap_or_else(|e| e.into_inner());
        let key = (dataset, cache_dir.to_path_buf());
        if let Some((_, ev)) = memo.iter().find(|(k, _)| *k == key) {
            return Ok(ev.clone());
        }
        let ev = Self::build(dataset, source, cache_dir, progress)?;
        memo.push((key, ev.clone()));
        Ok(ev)
    }

    fn build(
        dataset: DatasetKind,
        source: &DataSource,
        cache_dir: &Path,
        progress: bool,
    ) -> Result<Evaluator> {
        let path = Self::classifier_path(dataset, cache_dir);
        let (classifier, trained_now) = match Self::load_cached(&path, dataset) {
            Ok(Some(c)) => (c, None),
            res => {
                if let Err(e) = res {
                    eprintln!("warning: {e}; training the classifier again");
                }
                if progress {
                    eprintln!(
                        "training the evaluation classifier for {dataset} (once; cached in {})",
                        path.display()
                    );
                }
                let train = datasets::load(dataset, Split::Train, source)?;
                let (c, report) = classifier::train(train, progress)?;
                (c, Some(report))
            }
        };
        let test = datasets::load(dataset, Split::Test, source)?;
        let (feats, logits) = classifier.run(&test.images)?;
        let test_accuracy = classifier::accuracy(&logits, &test.labels);
        let test_stats = FeatureStats::from_features(&feats, test.len(), FEATURE_DIM)?;
        if trained_now.is_some() {
            std::fs::create_dir_all(cache_dir)
                .map_err(|e| Error::io("cannot create cache folder", cache_dir, e))?;
            let meta = HashMap::from([
                ("format".to_string(), FORMAT.to_string()),
                ("dataset".to_string(), dataset.name().to_string()),
                ("test_accuracy".to_string(), format!("{test_accuracy:.4}")),
            ]);
            checkpoint::save_module(&path, &classifier, meta)?;
        }
        if progress {
            let how = match &trained_now {
                Some(r) => format!("trained in {:.0} s", r.seconds),
                None => "cached".to_string(),
            };
            eprintln!(
                "evaluation classifier ({dataset}, {how}): test accuracy {:.2}%",
                100.0 * test_accuracy
            );
        }
        Ok(Evaluator {
            inner: Arc::new(Inner {
                dataset,
                classifier,
                path,
                test_stats,
                test_accuracy,
                trained_now,
            }),
        })
    }

    /// The cached classifier at `path`: `Ok(None)` when there is none, an error
    /// when there is one that cannot be used.
    pub fn load_cached(path: &Path, dataset: DatasetKind) -> Result<Option<Classifier>> {
        if !path.exists() {
            return Ok(None);
        }
        let loaded = checkpoint::read(path)?;
        let format = checkpoint::meta_get(path, &loaded, "format")?;
        let ds = checkpoint::meta_get(path, &loaded, "dataset")?;
        if format != FORMAT || ds != dataset.name() {
            return Err(Error::checkpoint(
                path,
                format!(
                    "is a '{format}' classifier of '{ds}'; expected '{FORMAT}' of '{}'",
                    dataset.name()
                ),
            ));
        }
        let c = Classifier::new(0)?;
        checkpoint::load_into(path, &c, &loaded)?;
        if !classifier::all_finite(&c)? {
            return Err(Error::checkpoint(path, "holds non-finite weights"));
        }
        Ok(Some(c))
    }

    /// The data set the classifier was trained on.
    pub fn dataset(&self) -> DatasetKind {
        self.inner.dataset
    }
    /// Where the classifier is cached.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }
    /// Accuracy of the classifier on the test split.
    pub fn test_accuracy(&self) -> f64 {
        self.inner.test_accuracy
    }
    /// The training of this process, if the classifier was not loaded from the cache.
    pub fn training_report(&self) -> Option<&classifier::TrainReport> {
        self.inner.trained_now.as_ref()
    }
    /// The classifier.
    pub fn classifier(&self) -> &Classifier {
        &self.inner.classifier
    }
    /// Feature statistics of the test split.
    pub fn test_stats(&self) -> &FeatureStats {
        &self.inner.test_stats
    }

    /// Features (`n × 128`) and predictions of `n` images of `h × w` bytes.
    pub fn features(
        &self,
        images: &[u8],
        n: usize,
        h: usize,
        w: usize,
    ) -> Result<(Vec<f32>, Predictions)> {
        let set = image_set(images, n, h, w)?;
        let (feats, logits) = self.inner.classifier.run(&set)?;
        Ok((feats, Predictions::from_logits(&logits, NUM_CLASSES)))
    }

    /// The metrics of `n` images of `h × w` bytes (0 = black, 255 = white, as
    /// MNIST), image after image. Needs 28×28 images and at least 2 of them.
    pub fn metrics(&self, images: &[u8], n: usize, h: usize, w: usize) -> Result<Metrics> {
        let (feats, preds) = self.features(images, n, h, w)?;
        let stats = FeatureStats::from_features(&feats, n, FEATURE_DIM)?;
        let fd = frechet_distance(&stats, &self.inner.test_stats)?;
        let hist = metrics::class_histogram(&preds.classes, NUM_CLASSES);
        Ok(Metrics {
            samples: n,
            frechet_distance: fd,
            coverage: metrics::coverage(&hist),
            kl_from_uniform: metrics::kl_from_uniform(&hist),
            mean_confidence: metrics::mean_confidence(&preds.confidences),
            class_histogram: hist,
        })
    }

    /// The metrics of generator outputs in [−1, 1] (`n × h × w` values),
    /// quantised to bytes exactly as `gan sample --out` writes them, so that
    /// training-time figures equal those of `gan eval` on the written file.
    pub fn metrics_unit_range(
        &self,
        values: &[f32],
        n: usize,
        h: usize,
        w: usize,
    ) -> Result<Metrics> {
        let bytes: Vec<u8> = values.iter().map(|&v| crate::io::to_u8(v)).collect();
        self.metrics(&bytes, n, h, w)
    }

    /// The metrics of an IDX file of u8 images (N × 28 × 28, gzipped or not).
    pub fn metrics_idx_file(&self, path: &Path) -> Result<Metrics> {
        let set = read_samples(path)?;
        self.metrics(set.pixels(), set.len(), set.height(), set.width())
    }
}

/// Read an IDX file of u8 samples: rank 3, 28×28, at least 2 images.
pub fn read_samples(path: &Path) -> Result<ImageSet> {
    let set = datasets::read_images(path, None)?;
    if set.height() != IMAGE_SIDE || set.width() != IMAGE_SIDE {
        return Err(Error::Data(format!(
            "{}: images are {}×{}; the evaluation classifier takes {IMAGE_SIDE}×{IMAGE_SIDE}",
            path.display(),
            set.height(),
            set.width()
        )));
    }
    if set.len() < 2 {
        return Err(Error::Data(format!(
            "{}: {} image; the Fréchet distance needs at least 2 (10,000 is usual)",
            path.display(),
            set.len()
        )));
    }
    Ok(set)
}

fn image_set(images: &[u8], n: usize, h: usize, w: usize) -> Result<ImageSet> {
    if h != IMAGE_SIDE || w != IMAGE_SIDE {
        return Err(Error::usage(format!(
            "evaluation: images are {h}×{w}; the classifier takes {IMAGE_SIDE}×{IMAGE_SIDE}"
        )));
    }
    if n < 2 {
        return Err(Error::usage(format!(
            "evaluation: {n} images; the Fréchet distance needs at least 2"
        )));
    }
    if n.checked_mul(h * w) != Some(images.len()) {
        return Err(Error::usage(format!(
            "evaluation: {} bytes for {n} images of {h}×{w}",
            images.len()
        )));
    }
    Ok(ImageSet::new(n, h, w, images.to_vec())?)
}
