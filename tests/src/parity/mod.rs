//! PyTorch parity: every fixture of `PARITY_FIXTURES` (default
//! `../shared/reference/fixtures`) is run through the engine and its `out`, every
//! `grad_*` and any post-state (`running_mean`, `running_var`, `param_after`) are
//! compared at 1e-4 relative / 1e-5 absolute. A few runner files hold the
//! code that runs an op (a runner returns `None` for ops it does not handle);
//! `families` groups the ops into the families the tests report on.
//!
//! The second-order fixtures of `GRADGRAD_FIXTURES` (default
//! `../shared/reference/fixtures-gradgrad`) go through the same runners:
//! [`Fixture::run_autograd`] sees their `gg_*` tensors and takes the first-order
//! gradients with `create_graph`, then differentiates Σₖ⟨uₖ, gₖ⟩ again; the
//! whole penalties have a runner of their own (`penalty`).

mod conv;
mod core;
pub mod families;
mod optim;
pub mod penalty;

use autograd::{grad, GradOptions, Var};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use tensor::Tensor;

pub const RTOL: f64 = 1e-4;
pub const ATOL: f64 = 1e-5;

/// Single elements whose PyTorch value cannot be reproduced from the fixture's
/// stored inputs: the fixtures were computed in f64 and stored as f32, and
/// bce_0's `x[23]` = 1 − 1e-9 rounds to exactly 1.0 in f32. PyTorch itself, given
/// the stored input (in f32 or f64), returns −0.0 there, as we do; the f64 value
/// 1.149e-2 depends on the lost digits. Every other element is compared.
pub const UNRECOVERABLE: &[(&str, &str, usize)] = &[("bce_0", "grad_x", 23)];

/// Tensors a fixture holds as results to check (everything else is an input).
fn is_result_key(k: &str) -> bool {
    k == "out"
        || k.starts_with("grad_") && k != "grad_out"
        || k.starts_with("gg_")
        || matches!(
            k,
            "running_mean" | "running_var" | "param_after" | "penalty"
        )
}

pub struct Fixture {
    pub name: String,
    pub op: String,
    pub params: serde_json::Value,
    pub tensors: HashMap<String, Tensor>,
}

pub type RunResult = std::result::Result<HashMap<String, Tensor>, String>;

impl Fixture {
    pub fn load(path: &Path) -> std::result::Result<Fixture, String> {
        let name = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("?")
            .to_string();
        let bytes = std::fs::read(path)
            .map_err(|e| format!("{name}: cannot read {}: {e}", path.display()))?;
        let (_, meta) = safetensors::SafeTensors::read_metadata(&bytes)
            .map_err(|e| format!("{name}: bad header: {e}"))?;
        let md = meta.metadata().clone().unwrap_or_default();
        let op = md
            .get("op")
            .cloned()
            .ok_or_else(|| format!("{name}: metadata has no 'op'"))?;
        let params = serde_json::from_str(md.get("params").map(String::as_str).unwrap_or("{}"))
            .map_err(|e| format!("{name}: params are not JSON: {e}"))?;
        let st =
            safetensors::SafeTensors::deserialize(&bytes).map_err(|e| format!("{name}: {e}"))?;
        let mut tensors = HashMap::new();
        for (key, view) in st.tensors() {
            if view.dtype() != safetensors::Dtype::F32 {
                return Err(format!(
                    "{name}: tensor {key} is {:?}, expected F32",
                    view.dtype()
                ));
            }
            let data: Vec<f32> = view
                .data()
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect();
            tensors.insert(
                key.clone(),
                Tensor::from_vec(data, view.shape()).map_err(|e| format!("{name}: {key}: {e}"))?,
            );
        }
        Ok(Fixture {
            name,
            op,
            params,
            tensors,
        })
    }

    pub fn get(&self, key: &str) -> std::result::Result<Tensor, String> {
        self.tensors
            .get(key)
            .cloned()
            .ok_or_else(|| format!("{}: fixture has no tensor '{key}'", self.name))
    }
    pub fn has(&self, key: &str) -> bool {
        self.tensors.contains_key(key)
    }
    pub fn param_f64(&self, key: &str, default: f64) -> f64 {
        self.params
            .get(key)
            .and_then(|v| v.as_f64().or_else(|| v.as_bool().map(|b| b as u8 as f64)))
            .unwrap_or(default)
    }
    pub fn param_bool(&self, key: &str, default: bool) -> bool {
        self.params
            .get(key)
            .and_then(|v| v.as_bool())
            .unwrap_or(default)
    }

    /// Whether this is a second-order fixture (`make_gradgrad_fixtures.py`).
    pub fn is_second_order(&self) -> bool {
        self.has("gg_grad_out")
    }

    /// Leaf vars for the named inputs (those the fixture has a `grad_` for
    /// require grad), the output of `f`, backpropagated with `grad_out`, and the
    /// results keyed as the fixture names them; for a second-order fixture,
    /// the second-order results too ([`Fixture::run_second_order`]).
    pub fn run_autograd(
        &self,
        inputs: &[&str],
        f: impl FnOnce(&[Var]) -> tensor::Result<Var>,
    ) -> RunResult {
        if self.is_second_order() {
            return self.run_second_order(inputs, f);
        }
        let vars: Vec<Var> = inputs
            .iter()
            .map(|k| {
                let t = self.get(k)?;
                Ok(if self.has(&format!("grad_{k}")) {
                    Var::param(t)
                } else {
                    Var::constant(t)
                })
            })
            .collect::<std::result::Result<_, String>>()?;
        let out = f(&vars).map_err(|e| format!("{}: forward: {e}", self.name))?;
        let mut res = HashMap::new();
        res.insert("out".to_string(), out.data().clone());
        if out.requires_grad() {
            out.backward_with(self.get("grad_out")?)
                .map_err(|e| format!("{}: backward: {e}", self.name))?;
        }
        for (k, v) in inputs.iter().zip(&vars) {
            if let Some(g) = v.grad() {
                res.insert(format!("grad_{k}"), g);
            }
        }
        Ok(res)
    }
}

impl Fixture {
    /// As PyTorch made the fixture: the first-order gradients gₖ of ⟨out, v⟩
    /// (v = `grad_out`, itself a leaf) with `create_graph`, then the gradients
    /// of s = Σₖ⟨uₖ, gₖ⟩ with respect to every input and v (`gg_*`; zeros where
    /// s does not depend on one).
    pub fn run_second_order(
        &self,
        inputs: &[&str],
        f: impl FnOnce(&[Var]) -> tensor::Result<Var>,
    ) -> RunResult {
        let err = |what: &str, e: tensor::Error| format!("{}: {what}: {e}", self.name);
        let mut names = Vec::new();
        let mut vars = Vec::new();
        for k in inputs {
            let t = self.get(k)?;
            if self.has(&format!("grad_{k}")) {
                names.push(*k);
                vars.push(Var::param(t));
            } else {
                vars.push(Var::constant(t));
            }
        }
        let out = f(&vars).map_err(|e| err("forward", e))?;
        let mut res = HashMap::new();
        res.insert("out".to_string(), out.data().clone());
        let wrt: Vec<Var> = vars.iter().filter(|v| v.requires_grad()).cloned().collect();
        let v = Var::param(self.get("grad_out")?);
        let first = GradOptions::new().create_graph(true).allow_unused(true);
        let grads = grad(&[out], &wrt, &[Some(v.clone())], first)
            .map_err(|e| err("first-order grad", e))?;
        let mut s: Option<Var> = None;
        for (k, g) in names.iter().zip(&grads) {
            let Some(g) = g else { continue };
            res.insert(format!("grad_{k}"), g.data().clone());
            let u = Var::constant(self.get(&format!("u_{k}"))?);
            let term = g.mul(&u).and_then(|p| p.sum_all());
            let term = term.map_err(|e| err("s", e))?;
            s = Some(match s {
                Some(acc) => acc.add(&term).map_err(|e| err("s", e))?,
                None => term,
            });
        }
        let mut targets = wrt;
        targets.push(v);
        names.push("grad_out");
        let second = match s {
            Some(s) if s.requires_grad() => {
                grad(&[s], &targets, &[], GradOptions::new().allow_unused(true))
                    .map_err(|e| err("second-order grad", e))?
            }
            _ => vec![None; targets.len()],
        };
        for ((k, t), g2) in names.iter().zip(&targets).zip(second) {
            let g2 = match g2 {
                Some(g) => g,
                None => t.zeros_like().map_err(|e| err("zeros", e))?,
            };
            res.insert(format!("gg_{k}"), g2.data().clone());
        }
        Ok(res)
    }
}

/// Within tolerance; NaN on either side is never close.
fn close(got: f64, expected: f64) -> bool {
    (got - expected).abs() <= ATOL + RTOL * expected.abs()
}

/// This repository's own fixtures (`tools/make_extra_fixtures.py`): the ops
/// that the shared set does not cover, in the same format.
pub fn own_fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

pub fn fixtures_dir() -> PathBuf {
    match std::env::var_os("PARITY_FIXTURES") {
        Some(d) => PathBuf::from(d),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/reference/fixtures"),
    }
}

/// The second-order fixtures: `GRADGRAD_FIXTURES`, default
/// `../shared/reference/fixtures-gradgrad`.
pub fn gradgrad_fixtures_dir() -> PathBuf {
    match std::env::var_os("GRADGRAD_FIXTURES") {
        Some(d) => PathBuf::from(d),
        None => {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/reference/fixtures-gradgrad")
        }
    }
}

/// Run one fixture through whichever runner handles its op.
pub fn run(fx: &Fixture) -> Option<RunResult> {
    core::run(fx)
        .or_else(|| conv::run(fx))
        .or_else(|| optim::run(fx))
        .or_else(|| penalty::run(fx))
}

/// Compare computed results with the fixture's; every result key it holds must
/// have been computed.
pub fn compare(fx: &Fixture, got: &HashMap<String, Tensor>) -> Vec<String> {
    let mut errs = Vec::new();
    let mut keys: Vec<&String> = fx.tensors.keys().filter(|k| is_result_key(k)).collect();
    keys.sort();
    for k in keys {
        let expected = &fx.tensors[k];
        let Some(g) = got.get(k) else {
            errs.push(format!("{}: '{k}' was not computed", fx.name));
            continue;
        };
        if g.shape() != expected.shape() {
            errs.push(format!(
                "{}: '{k}' has shape {:?}, expected {:?}",
                fx.name,
                g.shape(),
                expected.shape()
            ));
            continue;
        }
        let (gv, ev) = (
            g.to_vec::<f64>().unwrap(),
            expected.to_vec::<f64>().unwrap(),
        );
        let worst = gv
            .iter()
            .zip(&ev)
            .enumerate()
            .filter(|(i, _)| !UNRECOVERABLE.contains(&(fx.name.as_str(), k.as_str(), *i)))
            .filter(|(_, (a, b))| !close(**a, **b))
            .max_by(|x, y| (x.1 .0 - x.1 .1).abs().total_cmp(&(y.1 .0 - y.1 .1).abs()));
        if let Some((i, (a, b))) = worst {
            errs.push(format!(
                "{}: '{k}' differs at element {i}: got {a:.7e}, PyTorch {b:.7e}",
                fx.name
            ));
        }
    }
    errs
}
