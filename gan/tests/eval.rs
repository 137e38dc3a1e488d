//! The evaluation metrics: the Fréchet distance on synthetic Gaussians, then
//! the sanity checks of the issue with the real MNIST and the engine-trained
//! classifier (trained once into the target folder's cache, then loaded).

use datasets::{DataSource, DatasetKind, Split};
use gan::eval::{frechet_distance, Evaluator, FeatureStats};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::path::PathBuf;

fn gaussian(rng: &mut StdRng) -> f64 {
    // Box–Muller.
    let u1: f64 = rng.random::<f64>().max(1e-300);
    let u2: f64 = rng.random();
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}

/// `n` samples of N(mean, A·Aᵀ) in `dim` dimensions, for a fixed mixing A.
fn samples(n: usize, dim: usize, mean: &[f64], seed: u64) -> Vec<f32> {
    let mut arng = StdRng::seed_from_u64(1234);
    let a: Vec<f64> = (0..dim * dim).map(|_| gaussian(&mut arng) * 0.5).collect();
    let mut rng = StdRng::seed_from_u64(seed);
    let mut out = Vec::with_capacity(n * dim);
    for _ in 0..n {
        let z: Vec<f64> = (0..dim).map(|_| gaussian(&mut rng)).collect();
        for i in 0..dim {
            let v: f64 = (0..dim).map(|j| a[i * dim + j] * z[j]).sum();
            out.push((v + mean[i]) as f32);
        }
    }
    out
}

#[test]
fn frechet_of_a_set_with_itself_is_zero() {
    let dim = 128;
    let x = samples(2000, dim, &vec![0.3; dim], 1);
    let s = FeatureStats::from_features(&x, 2000, dim).unwrap();
    let fd = frechet_distance(&s, &s).unwrap();
    assert!(fd <= 1e-6 * s.trace(), "FD {fd}, trace {}", s.trace());
}

#[test]
fn frechet_of_gaussians_small_then_mean_shift() {
    let (n, dim) = (20_000, 8);
    let zero = vec![0.0; dim];
    let a = FeatureStats::from_features(&samples(n, dim, &zero, 2), n, dim).unwrap();
    let b = FeatureStats::from_features(&samples(n, dim, &zero, 3), n, dim).unwrap();
    let same = frechet_distance(&a, &b).unwrap();
    assert!(same < 0.01 * a.trace(), "FD {same}, trace {}", a.trace());
    let shift: Vec<f64> = (0..dim)
        .map(|i| if i % 2 == 0 { 1.0 } else { -0.5 })
        .collect();
    let d2: f64 = shift.iter().map(|v| v * v).sum();
    let c = FeatureStats::from_features(&samples(n, dim, &shift, 3), n, dim).unwrap();
    let shifted = frechet_distance(&a, &c).unwrap();
    assert!(
        (shifted - d2).abs() < 0.05 * d2,
        "FD {shifted} for |Δμ|² = {d2}"
    );
    // b and c share their noise: only the mean differs, so FD = |Δμ|² exactly
    // up to rounding.
    let exact = frechet_distance(&b, &c).unwrap();
    assert!((exact - d2).abs() < 1e-6 * d2, "FD {exact} vs {d2}");
}

fn cache_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("eval-cache")
}

fn mnist_evaluator() -> Evaluator {
    let source = DataSource::new().offline();
    Evaluator::load_or_train(DatasetKind::Mnist, &source, &cache_dir(), true).unwrap()
}

#[test]
fn mnist_classifier_accuracy_and_real_images_score_near_zero() {
    let ev = mnist_evaluator();
    let acc = ev.test_accuracy();
    eprintln!("MNIST test accuracy {:.2}%", 100.0 * acc);
    assert!(acc >= 0.985, "test accuracy {acc}");
    let train = datasets::load(
        DatasetKind::Mnist,
        Split::Train,
        &DataSource::new().offline(),
    )
    .unwrap();
    let n = 10_000;
    let px = &train.images.pixels()[..n * 784];
    let m = ev.metrics(px, n, 28, 28).unwrap();
    eprintln!("train 10k vs test: {m}");
    assert!(m.frechet_distance < 10.0, "{m}");
    assert_eq!(m.coverage, 10);
    assert!(m.kl_from_uniform < 0.01, "{m}");
    assert!(m.mean_confidence > 0.95, "{m}");
}

#[test]
fn uniform_noise_scores_far_above_100() {
    let ev = mnist_evaluator();
    let n = 10_000;
    let mut rng = StdRng::seed_from_u64(7);
    let px: Vec<u8> = (0..n * 784).map(|_| rng.random()).collect();
    let m = ev.metrics(&px, n, 28, 28).unwrap();
    eprintln!("uniform noise: {m}");
    assert!(m.frechet_distance > 100.0, "{m}");
}

#[test]
fn copies_of_one_digit_cover_one_class() {
    let ev = mnist_evaluator();
    let test = datasets::load(
        DatasetKind::Mnist,
        Split::Test,
        &DataSource::new().offline(),
    )
    .unwrap();
    let img = test.images.image(0).unwrap();
    let px: Vec<u8> = img.iter().copied().cycle().take(1000 * 784).collect();
    let m = ev.metrics(&px, 1000, 28, 28).unwrap();
    eprintln!("1000 copies of a {}: {m}", test.labels[0]);
    assert_eq!(m.coverage, 1, "{m}");
    assert_eq!(m.class_histogram[test.labels[0] as usize], 1000);
    assert!((m.kl_from_uniform - 10f64.ln()).abs() < 1e-9);
    // Identical images: a zero covariance, and a large distance.
    assert!(m.frechet_distance > 100.0, "{m}");
}

#[test]
fn cached_classifier_loads_and_bad_files_are_refused() {
    let ev = mnist_evaluator();
    let path = ev.path().to_path_buf();
    let c = Evaluator::load_cached(&path, DatasetKind::Mnist)
        .unwrap()
        .expect("the cache file was written");
    // The cached weights reproduce the evaluator's predictions.
    let test = datasets::load(
        DatasetKind::Mnist,
        Split::Test,
        &DataSource::new().offline(),
    )
    .unwrap();
    let (_, logits) = c.run(&test.images).unwrap();
    let acc = gan::eval::classifier::accuracy(&logits, &test.labels);
    assert!((acc - ev.test_accuracy()).abs() < 1e-12);
    // Of another data set: refused.
    assert!(Evaluator::load_cached(&path, DatasetKind::Kmnist).is_err());

    let dir = tempdir("bad-cache");
    let missing = dir.join("classifier-mnist.safetensors");
    assert!(Evaluator::load_cached(&missing, DatasetKind::Mnist)
        .unwrap()
        .is_none());
    std::fs::write(&missing, b"not a safetensors file").unwrap();
    let e = Evaluator::load_cached(&missing, DatasetKind::Mnist)
        .err()
        .expect("garbage refused");
    assert!(
        e.to_string().contains("classifier-mnist.safetensors"),
        "{e}"
    );
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&missing, &bytes[..bytes.len() / 2]).unwrap();
    assert!(Evaluator::load_cached(&missing, DatasetKind::Mnist).is_err());
}

fn tempdir(name: &str) -> PathBuf {
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("eval-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn bad_inputs_are_errors_not_panics() {
    let ev = mnist_evaluator();
    // Wrong image size, wrong byte count, too few images.
    assert!(ev.metrics(&[0u8; 2 * 32 * 32], 2, 32, 32).is_err());
    assert!(ev.metrics(&[0u8; 100], 2, 28, 28).is_err());
    assert!(ev.metrics(&[0u8; 784], 1, 28, 28).is_err());
    assert!(ev.metrics(&[], 0, 28, 28).is_err());

    let dir = tempdir("bad-idx");
    let empty = dir.join("empty.idx");
    std::fs::write(&empty, b"").unwrap();
    let e = ev.metrics_idx_file(&empty).unwrap_err().to_string();
    assert!(e.contains("empty.idx"), "{e}");

    let wrong = dir.join("wrong.idx");
    let mut b = vec![0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 32, 0, 0, 0, 32];
    b.extend(vec![0u8; 2 * 32 * 32]);
    std::fs::write(&wrong, &b).unwrap();
    let e = ev.metrics_idx_file(&wrong).unwrap_err().to_string();
    assert!(e.contains("wrong.idx") && e.contains("32×32"), "{e}");

    let short = dir.join("short.idx");
    std::fs::write(&short, &b[..100]).unwrap();
    let e = ev.metrics_idx_file(&short).unwrap_err().to_string();
    assert!(e.contains("short.idx"), "{e}");

    let missing = dir.join("missing.idx");
    let e = ev.metrics_idx_file(&missing).unwrap_err().to_string();
    assert!(e.contains("missing.idx"), "{e}");

    // Values in [−1, 1] are quantised like `gan sample --out`.
    let vals = vec![-1.0f32; 2 * 784];
    let m = ev.metrics_unit_range(&vals, 2, 28, 28).unwrap();
    assert_eq!(m.samples, 2);
    let _ = std::fs::remove_dir_all(&dir);
}

#[cfg(feature = "cli")]
fn run_gan(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_gan"))
        .args(args)
        .env("GAN_CACHE_DIR", cache_dir())
        .env_remove("GAN_DATA_DIR")
        .output()
        .expect("the gan binary runs")
}

#[test]
#[cfg(feature = "cli")]
fn cli_eval_prints_text_and_json() {
    // The classifier is trained (and cached) in-process first, so the binary loads it.
    let ev = mnist_evaluator();
    let test = datasets::load(
        DatasetKind::Mnist,
        Split::Test,
        &DataSource::new().offline(),
    )
    .unwrap();
    let n = 2000;
    let dir = tempdir("cli");
    let file = dir.join("samples.idx");
    let mut b = vec![0u8, 0, 8, 3];
    for d in [n as u32, 28, 28] {
        b.extend(d.to_be_bytes());
    }
    b.extend(&test.images.pixels()[..n * 784]);
    std::fs::write(&file, &b).unwrap();
    let want = ev
        .metrics(&test.images.pixels()[..n * 784], n, 28, 28)
        .unwrap();

    let o = run_gan(&[
        "eval",
        "--samples",
        file.to_str().unwrap(),
        "--json",
        "--quiet",
    ]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "{out} {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["samples"], n);
    assert_eq!(v["coverage"], 10);
    assert_eq!(v["dataset"], "mnist");
    let fd = v["frechet_distance"].as_f64().unwrap();
    assert!((fd - want.frechet_distance).abs() < 1e-6 * want.frechet_distance.max(1.0));
    assert_eq!(v["class_histogram"].as_array().unwrap().len(), 10);

    let o = run_gan(&["eval", "--samples", file.to_str().unwrap(), "--quiet"]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success());
    assert!(
        out.contains("frechet distance") && out.contains("coverage:"),
        "{out}"
    );

    let bad = dir.join("labels.idx");
    std::fs::write(&bad, [0u8, 0, 8, 1, 0, 0, 0, 2, 1, 2]).unwrap();
    let o = run_gan(&["eval", "--samples", bad.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("labels.idx") && !err.contains("panicked"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
#[cfg(feature = "cli")]
fn cli_train_eval_every_writes_csv_plot_and_summary() {
    let _ = mnist_evaluator();
    let dir = tempdir("train");
    let out = dir.join("run");
    let o = run_gan(&[
        "train",
        "--epochs",
        "2",
        "--limit-batches",
        "3",
        "--eval-every",
        "1",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "{text} {}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(text.contains("eval: frechet"), "{text}");
    assert!(
        text.contains("eval after epoch 2: frechet distance"),
        "{text}"
    );
    let csv = std::fs::read_to_string(out.join("eval.csv")).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 3, "{csv}");
    assert!(lines[0].starts_with("epoch,global_step,frechet_distance,coverage"));
    assert!(lines[2].starts_with("2,6,"), "{csv}");
    assert!(out.join("frechet.png").is_file());
    let _ = std::fs::remove_dir_all(&dir);
}
