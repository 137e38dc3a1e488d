//! Reading the step-parity fixtures and holding ours to them.

use super::TOL;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use tensor::Tensor;

/// One stored tensor (f32 or f64), as f64.
pub(crate) struct Stored {
    pub(crate) shape: Vec<usize>,
    pub(crate) data: Vec<f64>,
}

pub(crate) struct Fixture {
    pub(crate) model: String,
    pub(crate) params: serde_json::Value,
    pub(crate) tensors: BTreeMap<String, Stored>,
}

/// `tests/fixtures/step_<model>.safetensors`, or in `STEP_PARITY_FIXTURES`
/// (to try fixtures written with `--out DIR`, `--salt N`).
pub(crate) fn fixture_path(model: &str) -> PathBuf {
    let dir = match std::env::var_os("STEP_PARITY_FIXTURES") {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures"),
    };
    dir.join(format!("step_{model}.safetensors"))
}

impl Fixture {
    pub(crate) fn load(model: &str) -> Fixture {
        let path = fixture_path(model);
        let bytes = std::fs::read(&path).unwrap_or_else(|e| {
            panic!(
                "{}: {e} (written by tools/make_step_fixtures.py)",
                path.display()
            )
        });
        let (_, header) = safetensors::SafeTensors::read_metadata(&bytes).unwrap();
        let md = header.metadata().clone().unwrap_or_default();
        assert_eq!(md.get("op").map(String::as_str), Some("train_step"));
        let params: serde_json::Value = serde_json::from_str(&md["params"]).unwrap();
        // A recipe case names itself; a tutorial one by its model.
        let case = params.get("case").unwrap_or(&params["model"]);
        assert_eq!(case, model, "{}: the fixture's case", path.display());
        let st = safetensors::SafeTensors::deserialize(&bytes).unwrap();
        let mut tensors = BTreeMap::new();
        for (key, view) in st.tensors() {
            let data = match view.dtype() {
                safetensors::Dtype::F32 => view
                    .data()
                    .chunks_exact(4)
                    .map(|b| f32::from_le_bytes(b.try_into().unwrap()) as f64)
                    .collect(),
                safetensors::Dtype::F64 => view
                    .data()
                    .chunks_exact(8)
                    .map(|b| f64::from_le_bytes(b.try_into().unwrap()))
                    .collect(),
                d => panic!("{model}: fixture tensor '{key}' is {d:?}"),
            };
            let shape = view.shape().to_vec();
            tensors.insert(key, Stored { shape, data });
        }
        Fixture {
            model: model.to_string(),
            params,
            tensors,
        }
    }

    pub(crate) fn get(&self, key: &str) -> &Stored {
        self.tensors
            .get(key)
            .unwrap_or_else(|| panic!("{}: fixture has no tensor '{key}'", self.model))
    }

    /// The metadata of step `s` (1-based).
    pub(crate) fn step_meta(&self, s: usize) -> &serde_json::Value {
        let m = &self.params["steps"][s - 1];
        assert_eq!(m["step"], s as u64, "{}: metadata of step {s}", self.model);
        m
    }
}

// ---------------------------------------------------------------- comparison

/// Where a tensor stands against its tolerance: the worst value by
/// |diff| / tolerance, how many values are outside it, and the largest
/// |diff| of an element (sums left out).
#[derive(Default)]
pub(crate) struct Worst {
    pub(crate) ratio: f64,
    pub(crate) abs: f64,
    pub(crate) outside: usize,
    pub(crate) seen: usize,
    pub(crate) what: String,
}

impl Worst {
    pub(crate) fn see(
        &mut self,
        ours: f64,
        torch: f64,
        tol: f64,
        element: bool,
        what: impl FnOnce() -> String,
    ) {
        let d = (ours - torch).abs();
        let r = if d.is_nan() { f64::INFINITY } else { d / tol };
        if element {
            self.abs = self.abs.max(if d.is_nan() { f64::INFINITY } else { d });
        }
        self.seen += 1;
        self.outside += (r > 1.0) as usize;
        if r > self.ratio || self.what.is_empty() {
            self.ratio = r;
            self.what = format!(
                "{}: ours {ours:.8e}, PyTorch {torch:.8e}, |diff| {d:.2e}, tolerance {tol:.2e}",
                what()
            );
        }
    }
}

/// The checks of one step: every failure, and the worst deviation seen.
pub(crate) struct Report {
    pub(crate) label: String,
    pub(crate) failures: Vec<String>,
    pub(crate) checked: BTreeSet<String>,
    pub(crate) worst_ratio: (f64, String),
    pub(crate) worst_abs: (f64, String),
}

impl Report {
    pub(crate) fn new(label: String) -> Report {
        Report {
            label,
            failures: Vec::new(),
            checked: BTreeSet::new(),
            worst_ratio: (0.0, String::new()),
            worst_abs: (0.0, String::new()),
        }
    }

    pub(crate) fn record(&mut self, name: &str, w: Worst) {
        if w.ratio > 1.0 {
            self.failures.push(format!(
                "{}: {name} {} ({} of {} compared values outside)",
                self.label, w.what, w.outside, w.seen
            ));
        }
        if w.ratio >= self.worst_ratio.0 {
            self.worst_ratio = (w.ratio, format!("{name} {}", w.what));
        }
        if w.abs >= self.worst_abs.0 {
            self.worst_abs = (w.abs, name.to_string());
        }
    }

    /// Compare our tensor `name` with the fixture's `key` (whole, or sampled
    /// with sums). `floor` as the module doc says; `None`: the tensor's scale.
    pub(crate) fn tensor(
        &mut self,
        fx: &Fixture,
        key: &str,
        name: &str,
        ours: &Tensor,
        floor: Option<f64>,
    ) {
        let v: Vec<f64> = ours
            .to_vec_f32()
            .unwrap()
            .into_iter()
            .map(f64::from)
            .collect();
        let n = v.len();
        if let Some(t) = fx.tensors.get(key) {
            self.checked.insert(key.to_string());
            if t.shape != ours.shape() {
                self.failures.push(format!(
                    "{}: {name} has shape {:?}, PyTorch {:?}",
                    self.label,
                    ours.shape(),
                    t.shape
                ));
                return;
            }
            let floor = floor.unwrap_or_else(|| scale(&t.data));
            let mut w = Worst::default();
            for (i, (&a, &b)) in v.iter().zip(&t.data).enumerate() {
                w.see(a, b, TOL * floor.max(b.abs()), true, || {
                    format!("element {i} of {n}")
                });
            }
            self.record(name, w);
            return;
        }
        let (sk, sumk) = (format!("{key}.every97"), format!("{key}.sums"));
        let (samples, sums) = (fx.get(&sk), fx.get(&sumk));
        self.checked.insert(sk);
        self.checked.insert(sumk);
        let expect_len = n.div_ceil(97);
        if samples.data.len() != expect_len {
            self.failures.push(format!(
                "{}: {name} has {n} elements, PyTorch's every-97th sample {} (expected {expect_len})",
                self.label,
                samples.data.len()
            ));
            return;
        }
        let floor = floor.unwrap_or_else(|| scale(&samples.data));
        let mut w = Worst::default();
        for (j, &b) in samples.data.iter().enumerate() {
            let i = 97 * j;
            w.see(v[i], b, TOL * floor.max(b.abs()), true, || {
                format!("element {i} of {n} (flattened)")
            });
        }
        let (sum, sumsq) = (v.iter().sum::<f64>(), v.iter().map(|x| x * x).sum::<f64>());
        let (tsum, tsumsq) = (sums.data[0], sums.data[1]);
        w.see(
            sum,
            tsum,
            TOL * floor.max((n as f64 * tsumsq).sqrt()),
            false,
            || "sum of all elements".to_string(),
        );
        w.see(
            sumsq,
            tsumsq,
            TOL * (floor * floor).max(tsumsq),
            false,
            || "sum of squares".to_string(),
        );
        self.record(name, w);
    }

    pub(crate) fn integer(&mut self, name: &str, ours: i64, torch: &serde_json::Value) {
        if torch.as_i64() != Some(ours) {
            self.failures.push(format!(
                "{}: {name}: ours {ours}, PyTorch {torch}",
                self.label
            ));
        }
    }
}

/// The largest |value| of a fixture tensor's stored values (at least the
/// smallest normal f32, so that an all-zero tensor still has a tolerance).
pub(crate) fn scale(v: &[f64]) -> f64 {
    v.iter()
        .fold(f32::MIN_POSITIVE as f64, |m, x| m.max(x.abs()))
}
