//! `gan eval --samples FILE`: the metrics of an IDX file of samples, as text
//! or JSON.

use super::Evaluator;
use crate::error::Result;
use std::path::PathBuf;

/// What `gan eval` needs (the CLI's arguments, without clap).
#[derive(Clone, Debug)]
pub struct EvalOptions {
    pub samples: PathBuf,
    pub dataset: datasets::DatasetKind,
    pub data_dir: Option<PathBuf>,
    pub cache_dir: Option<PathBuf>,
    pub json: bool,
    pub quiet: bool,
}

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

/// `gan eval` with the CLI's arguments.
pub fn run_cli(a: &crate::cli::EvalArgs) -> Result<()> {
    run(&EvalOptions {
        samples: a.samples.clone(),
        dataset: a.dataset.kind().ok_or_else(|| {
            crate::Error::usage(
                "gan eval --dataset folder: the evaluation classifier exists for mnist, fashion-mnist and kmnist only",
            )
        })?,
        data_dir: a.data_dir.clone(),
        cache_dir: None,
        json: a.json,
        quiet: a.quiet,
    })
}
