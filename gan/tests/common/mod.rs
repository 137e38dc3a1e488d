//! Shared helpers of the CLI tests: a tiny IDX data set, scratch directories and
//! a way to run the built binary.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A fresh scratch directory for one test.
pub fn scratch(name: &str) -> PathBuf {
    let d =
        Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("gan-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Write a tiny MNIST-like training set (`n` images of 28×28 with labels) in `dir`.
pub fn tiny_dataset(dir: &Path, n: usize) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let mut img = vec![0u8, 0, 8, 3];
    for d in [n as u32, 28, 28] {
        img.extend(d.to_be_bytes());
    }
    let mut s = 12345u32;
    for k in 0..n {
        for i in 0..784usize {
            s = s.wrapping_mul(1_103_515_245).wrapping_add(12345);
            let (r, c) = (i / 28, i % 28);
            let on = (r as i32 - 14).abs() + (c as i32 - 14).abs() < 6 + (k % 5) as i32;
            img.push(if on {
                200 + (s >> 28) as u8
            } else {
                (s >> 29) as u8
            });
        }
    }
    std::fs::write(dir.join("train-images-idx3-ubyte"), img).unwrap();
    let mut lab = vec![0u8, 0, 8, 1];
    lab.extend((n as u32).to_be_bytes());
    lab.extend((0..n).map(|k| (k % 10) as u8));
    std::fs::write(dir.join("train-labels-idx1-ubyte"), lab).unwrap();
    dir.to_path_buf()
}

/// Run `gan` with `args`.
pub fn gan(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gan"))
        .args(args)
        .output()
        .expect("the gan binary runs")
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// The run failed cleanly: non-zero exit, an `error:` line mentioning `needle`,
/// and no panic.
pub fn assert_clean_error(o: &Output, needle: &str) {
    let err = stderr(o);
    assert!(
        !o.status.success(),
        "expected failure, got success; stderr: {err}"
    );
    assert!(!err.contains("panicked"), "panicked: {err}");
    assert!(
        err.to_lowercase().contains(&needle.to_lowercase()),
        "stderr lacks '{needle}': {err}"
    );
}

pub fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// A short training run of `model` on the tiny set in `data`, into `out`.
pub fn train_args<'a>(
    model: &'a str,
    data: &'a Path,
    out: &'a Path,
    extra: &[&'a str],
) -> Vec<&'a str> {
    let mut a = vec![
        "train",
        "--model",
        model,
        "--dataset",
        "kmnist",
        "--data-dir",
        p(data),
        "--out",
        p(out),
        "--batch-size",
        "16",
        "--quiet",
    ];
    a.extend_from_slice(extra);
    a
}
