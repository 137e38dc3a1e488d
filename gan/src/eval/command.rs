//! `gan eval --samples FILE`: the metrics of an IDX file of samples, as text
//! or JSON.

use super::Evaluator;
use crate::error::Result;
use std::path::PathBuf;

/// What `gan eval` needs (the CLI's arguments, without clap).
#[derive(Clone, Debug)]
pub struct EvalOptions {
    /// IDX file of u8 samples.
    pub samples: PathBuf,
    /// The data set they imitate (its classifier and test set are used).
    pub dataset: datasets::DatasetKind,
    /// Where that data set's IDX files are.
    pub data_dir: Option<PathBuf>,
    /// Where the classifiers are cached [default: the data cache].
    pub cache_dir: Option<PathBuf>,
    /// Print the figures as JSON.
    pub json: bool,
    /// No progress messages on stderr.
    pub quiet: bool,
}

/// Measure the samples and print the figures.
pub fn run(o: &EvalOptions) -> Result<()> {
    let set = super::read_samples(&o.samples)?;
    let source = datasets::DataSource::new().with_data_dir(o.data_dir.clone());
    let cache = o
        .cache_dir
        .clone()
        .unwrap_or_else(Evaluator::default_cache_dir);
    let ev = Evaluator::load_or_train(o.dataset, &source, &cache, !o.quiet)?;
    let m = ev.metrics(set.pixels(), set.len(), set.height(), set.width())?;
    if o.json {
        let mut v = m.to_json();
        v["file"] = o.samples.display().to_string().into();
        v["dataset"] = o.dataset.name().into();
        v["classifier_test_accuracy"] = ev.test_accuracy().into();
        println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
    } else {
        println!(
            "{} against the {} test set (classifier test accuracy {:.2}%):",
            o.samples.display(),
            o.dataset.name(),
            100.0 * ev.test_accuracy()
        );
        println!("{m}");
        if set.len() < 10_000 {
            println!(
                "note: {} samples; the Fréchet distance is biased upwards below the usual 10,000",
                set.len()
            );
        }
    }
    Ok(())
}
