//! Helpers shared by the integration tests: synthetic IDX data and temp folders.
#![allow(dead_code)]

use datasets::idx::{encode_idx, gzip_bytes, IdxArray, IdxData, IdxType};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::path::{Path, PathBuf};

/// A fresh, empty folder under the system temp dir, unique per test and process.
pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("datasets-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create temp dir");
    dir
}

/// A random array of `ty` with the given dims, deterministic for `seed`.
pub fn random_array(ty: IdxType, dims: &[usize], seed: u64) -> IdxArray {
    let mut rng = StdRng::seed_from_u64(seed);
    let n: usize = dims.iter().product();
    let data = match ty {
        IdxType::U8 => IdxData::U8((0..n).map(|_| rng.random()).collect()),
        IdxType::I8 => IdxData::I8((0..n).map(|_| rng.random()).collect()),
        IdxType::I16 => IdxData::I16((0..n).map(|_| rng.random()).collect()),
        IdxType::I32 => IdxData::I32((0..n).map(|_| rng.random()).collect()),
        IdxType::F32 => IdxData::F32((0..n).map(|_| rng.random_range(-1e6f32..1e6)).collect()),
        IdxType::F64 => IdxData::F64((0..n).map(|_| rng.random_range(-1e12f64..1e12)).collect()),
    };
    IdxArray::new(dims.to_vec(), data).expect("valid array")
}

/// A small MNIST-like split: `n` images of h×w and labels below 10.
pub fn synthetic_split(n: usize, h: usize, w: usize, seed: u64) -> (IdxArray, IdxArray) {
    let mut rng = StdRng::seed_from_u64(seed);
    let pixels = (0..n * h * w).map(|_| rng.random()).collect();
    let labels = (0..n).map(|_| rng.random_range(0..10u8)).collect();
    (
        IdxArray::new(vec![n, h, w], IdxData::U8(pixels)).expect("images"),
        IdxArray::new(vec![n], IdxData::U8(labels)).expect("labels"),
    )
}

/// Writes the four files of a synthetic data set into `dir`, gzipped or not;
/// returns the encoded (uncompressed or gzipped, as written) bytes by file name.
pub fn write_dataset(dir: &Path, gzip: bool, seed: u64) -> Vec<(String, Vec<u8>)> {
    let (tr_i, tr_l) = synthetic_split(50, 28, 28, seed);
    let (te_i, te_l) = synthetic_split(20, 28, 28, seed + 1);
    let files = [
        ("train-images-idx3-ubyte", tr_i),
        ("train-labels-idx1-ubyte", tr_l),
        ("t10k-images-idx3-ubyte", te_i),
        ("t10k-labels-idx1-ubyte", te_l),
    ];
    let mut out = Vec::new();
    for (name, arr) in files {
        let raw = encode_idx(&arr);
        let (name, bytes) = if gzip {
            (format!("{name}.gz"), gzip_bytes(&raw))
        } else {
            (name.to_string(), raw)
        };
        std::fs::write(dir.join(&name), &bytes).expect("write");
        out.push((name, bytes));
    }
    out
}

/// md5 of bytes, lower-case hex.
pub fn md5_hex(bytes: &[u8]) -> String {
    use md5::{Digest, Md5};
    Md5::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
