//! What the conv, batch-norm and pooling CUDA tests share: seeded inputs,
//! moves between devices, the √k tolerance, the DCGAN layer shapes of
//! `../shared/reference/cases.json`, and one forward and backward run.

use autograd::Var;
use rand::rngs::StdRng;
use rand::SeedableRng;
use std::collections::HashMap;
use tensor::{Device, Tensor};
use tests::gpu::assert_close;
use tests::parity::fixtures_dir;

/// Batch of the DCGAN shapes here (cases.json times them at 128).
pub const BATCH: usize = 4;

pub fn randn(shape: &[usize], seed: u64) -> Tensor {
    Tensor::randn(shape, 0.0, 1.0, &mut StdRng::seed_from_u64(seed)).unwrap()
}

pub fn on(t: &Tensor, dev: Device) -> Tensor {
    t.clone().to_device(dev).unwrap()
}

fn v(t: &Tensor) -> Vec<f32> {
    t.to_vec_f32().unwrap()
}

/// Sums of `k` products: the error grows like √k.
pub fn close(what: &str, got: &Tensor, want: &Tensor, k: usize) {
    assert_eq!(got.shape(), want.shape(), "{what}: shapes differ");
    assert_close(
        what,
        &v(got),
        &v(want),
        1e-4,
        2e-5 * (k.max(1) as f64).sqrt(),
    );
}

pub fn cases() -> Vec<serde_json::Value> {
    let path = fixtures_dir().join("../cases.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let doc: serde_json::Value = serde_json::from_str(&text).expect("cases.json parses");
    doc["cases"].as_array().expect("a cases array").clone()
}

/// A case's input shape, at batch `BATCH`.
pub fn shape_of(c: &serde_json::Value) -> Vec<usize> {
    let mut s: Vec<usize> = c["x"]
        .as_array()
        .expect("x shape")
        .iter()
        .map(|d| d.as_u64().unwrap() as usize)
        .collect();
    s[0] = BATCH;
    s
}

/// Forward, then backward with a fixed output gradient: the output and the
/// gradient of every input, keyed "out", "0", "1", ...
pub fn fwd_bwd(
    inputs: &[Tensor],
    dev: Device,
    g_seed: u64,
    f: impl Fn(&[Var]) -> tensor::Result<Var>,
) -> HashMap<String, Tensor> {
    let vars: Vec<Var> = inputs.iter().map(|t| Var::param(on(t, dev))).collect();
    let y = f(&vars).unwrap();
    assert_eq!(y.data().device(), dev);
    let g = on(&randn(y.shape(), g_seed), dev);
    y.backward_with(g).unwrap();
    let mut r = HashMap::new();
    r.insert("out".to_string(), on(y.data(), Device::Cpu));
    for (i, x) in vars.iter().enumerate() {
        let gr = x.grad().expect("a gradient");
        assert_eq!(gr.device(), dev);
        r.insert(i.to_string(), on(&gr, Device::Cpu));
    }
    r
}

pub fn compare_runs(
    what: &str,
    gpu: &HashMap<String, Tensor>,
    cpu: &HashMap<String, Tensor>,
    k: usize,
) {
    for (key, want) in cpu {
        close(&format!("{what} {key}"), &gpu[key], want, k);
    }
}
