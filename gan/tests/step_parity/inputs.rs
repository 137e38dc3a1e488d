//! The inputs of the step-parity test, from the formula shared with
//! tools/make_step_fixtures.py (see step_parity.rs), and the check that ours
//! are the fixture's.

use super::fixture::Fixture;
use autograd::Var;
use gan::io::checkpoint::copy_values;
use gan::nn::Module;
use gan::optim::Optimizer;
use std::collections::{BTreeMap, HashMap};
use tensor::Tensor;

pub(crate) fn fnv1a(s: &str) -> u32 {
    s.bytes().fold(0x811c_9dc5u32, |h, b| {
        (h ^ b as u32).wrapping_mul(0x0100_0193)
    })
}

/// lowbias32 (Chris Wellons).
pub(crate) fn mix32(mut x: u32) -> u32 {
    x ^= x >> 16;
    x = x.wrapping_mul(0x7feb_352d);
    x ^= x >> 15;
    x = x.wrapping_mul(0x846c_a68b);
    x ^ (x >> 16)
}

/// k / 2^24 in [0, 1) for flattened index `i` of stream `name`.
pub(crate) fn units(name: &str, n: usize) -> Vec<f64> {
    let key = mix32(fnv1a(name));
    (0..n)
        .map(|i| (mix32(key ^ i as u32) >> 8) as f64 / 16_777_216.0)
        .collect()
}

pub(crate) fn uniform(name: &str, shape: &[usize], centre: f64, bound: f64) -> Tensor {
    let n = shape.iter().product();
    let v = units(name, n)
        .into_iter()
        .map(|u| (centre + bound * (2.0 * u - 1.0)) as f32)
        .collect();
    Tensor::from_vec::<f32>(v, shape).unwrap()
}

/// u / ‖u‖ for u = uniform(name, [n], 0, 1): the f32 values summed in order
/// in f64, the root and divisions in f64, one rounding to f32 (as
/// step_formula.py's `unit_vector`).
pub(crate) fn unit_vector(name: &str, n: usize) -> Tensor {
    let u: Vec<f64> = uniform(name, &[n], 0.0, 1.0)
        .to_vec_f32()
        .unwrap()
        .into_iter()
        .map(f64::from)
        .collect();
    let norm = u.iter().fold(0.0, |s, x| s + x * x).sqrt();
    Tensor::from_vec::<f32>(u.iter().map(|x| (x / norm) as f32).collect(), &[n]).unwrap()
}

/// `n` class labels: ⌊unit(name, i) · classes⌋ (step_formula.py's `labels`).
pub(crate) fn labels(name: &str, n: usize, classes: usize) -> Vec<u32> {
    units(name, n)
        .into_iter()
        .map(|u| (u * classes as f64) as u32)
        .collect()
}

pub(crate) fn normal(name: &str, shape: &[usize]) -> Tensor {
    let n = shape.iter().product();
    let u: Vec<Vec<f64>> = (0..4).map(|j| units(&format!("{name}#{j}"), n)).collect();
    let v = (0..n)
        .map(|i| ((u[0][i] + u[1][i] + u[2][i] + u[3][i] - 2.0) * 3f64.sqrt()) as f32)
        .collect();
    Tensor::from_vec::<f32>(v, shape).unwrap()
}

/// Overwrite every parameter and buffer of `m` (network `net`, names under `root`) by
/// the formula; the layer kind follows from its keys (a linear layer has a
/// 2-D weight, a convolution a 4-D one, a batchnorm running statistics).
///
/// Under spectral norm (step_formula.py's `spectral_norm_by_formula`) the
/// original weight is drawn as the plain weight was ("<layer>.weight"), and
/// u and v are `unit_vector`s of their own keys.
pub(crate) fn init_weights(root: &str, net: &str, m: &dyn Module) {
    const ORIGINAL: &str = ".parametrizations.weight.original";
    let sd: BTreeMap<String, Tensor> = m
        .state_dict()
        .into_iter()
        .map(|(k, t)| (k.replace(ORIGINAL, ".weight"), t))
        .collect();
    let dcgan = 0.02 * 3f64.sqrt();
    for (key, t) in &sd {
        // The conditional models' class embeddings (step_formula.py's rule).
        if key == "label_emb.weight" {
            copy_values(t, &normal(&format!("{root}/{net}/{key}"), t.shape())).unwrap();
            continue;
        }
        if key == "embed.weight" {
            let bound = (6.0 / t.shape().iter().sum::<usize>() as f64).sqrt();
            let name = format!("{root}/{net}/{key}");
            copy_values(t, &uniform(&name, t.shape(), 0.0, bound)).unwrap();
            continue;
        }
        if key.ends_with("._u") || key.ends_with("._v") {
            let name = format!("{root}/{net}/{key}");
            copy_values(t, &unit_vector(&name, t.numel())).unwrap();
            continue;
        }
        let (layer, what) = key.rsplit_once('.').expect("keys are <layer>.<tensor>");
        let name = format!("{root}/{net}/{key}");
        let weight_rank = sd.get(&format!("{layer}.weight")).map(|w| w.shape().len());
        let is_bn = sd.contains_key(&format!("{layer}.running_mean"));
        let value = match (what, weight_rank, is_bn) {
            ("running_mean", _, true) => Tensor::from_vec::<f32>(vec![0.0; t.numel()], t.shape()),
            ("running_var", _, true) => Tensor::from_vec::<f32>(vec![1.0; t.numel()], t.shape()),
            ("weight", _, true) => Ok(uniform(&name, t.shape(), 1.0, dcgan)),
            ("bias", _, true) => Ok(uniform(&name, t.shape(), 0.0, dcgan)),
            ("weight" | "bias", Some(2), false) => {
                let fan_in = sd[&format!("{layer}.weight")].shape()[1] as f64;
                Ok(uniform(&name, t.shape(), 0.0, 1.0 / fan_in.sqrt()))
            }
            ("weight", Some(4), false) => Ok(uniform(&name, t.shape(), 0.0, dcgan)),
            _ => panic!(
                "{root} {net}: no initialisation rule for '{key}' {:?}",
                t.shape()
            ),
        };
        copy_values(t, &value.unwrap()).unwrap();
    }
    for (_, c) in m.named_counts() {
        c.set(0);
    }
}

// ---------------------------------------------------------------- the fixture

/// Our inputs must be the fixture's, bit for bit: its first values and sums.
pub(crate) fn check_input(fx: &Fixture, key: &str, ours: &Tensor) {
    let v = ours.to_vec_f32().unwrap();
    let head = fx.get(&format!("{key}.head"));
    for (i, (&a, &b)) in v.iter().zip(&head.data).enumerate() {
        assert!(
            a as f64 == b,
            "{}: input '{key}' element {i}: the formula gives {a:e}, the fixture {b:e}: \
             this test and tools/make_step_fixtures.py disagree on the inputs",
            fx.model
        );
    }
    let sums = fx.get(&format!("{key}.sums"));
    let d: Vec<f64> = v.iter().map(|&x| x as f64).collect();
    let (s, q) = (d.iter().sum::<f64>(), d.iter().map(|x| x * x).sum::<f64>());
    // float64 sums of the same f32 values in another order: equal to ~1e-12.
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * (1.0 + b.abs());
    assert!(
        head.data.len() == v.len().min(64) && close(s, sums.data[0]) && close(q, sums.data[1]),
        "{}: input '{key}' ({} values): sum {s:e}, sum of squares {q:e}; the fixture's {:e}, {:e}: \
         this test and tools/make_step_fixtures.py disagree on the inputs",
        fx.model,
        v.len(),
        sums.data[0],
        sums.data[1]
    );
}

// ---------------------------------------------------------------- the test

/// Adam as if it had taken `steps` steps: exp_avg uniform within ±`m`,
/// exp_avg_sq uniform in [v/2, 3v/2] (the formula's "<root>/opt_<net>/<param>").
#[derive(Clone, Copy)]
pub(crate) struct Warm {
    pub(crate) steps: u64,
    pub(crate) m: f64,
    pub(crate) v: f64,
}

pub(crate) fn warm_start(
    root: &str,
    net: &str,
    params: &[(String, Var)],
    opt: &mut dyn Optimizer,
    w: Warm,
) {
    let mut state = HashMap::new();
    for (pname, p) in params {
        let name = format!("{root}/opt_{net}/{pname}");
        let m = uniform(&format!("{name}.exp_avg"), p.shape(), 0.0, w.m);
        let v = uniform(&format!("{name}.exp_avg_sq"), p.shape(), w.v, w.v / 2.0);
        state.insert(format!("{pname}.exp_avg"), m);
        state.insert(format!("{pname}.exp_avg_sq"), v);
    }
    opt.load_state(w.steps, &state).unwrap();
}
