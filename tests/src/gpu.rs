//! Helpers of the CUDA tests: choosing the GPU or the CUDA simulator,
//! comparing device results with CPU ones, and the optimiser fixtures.

use crate::parity::{compare, fixtures_dir, run, Fixture, ATOL, RTOL};
use kernels::{adam_step, sgd_step, AdamHyper, SgdHyper};
use std::io::Write as _;
use std::path::PathBuf;
use std::sync::{OnceLock, RwLock};
use tensor::{DType, Device, Tensor};

/// What the CUDA tests run on, chosen once per test binary.
struct Backend {
    devices: Vec<Device>,
    description: String,
}

/// The variable that steers the CUDA tests: `skip` (they pass without
/// running, saying so), `gpu` (a real GPU or fail), `sim` (the simulator even
/// where a GPU is present). Unset: the GPU when one is usable, else the
/// simulator, else the tests fail.
pub const CUDA_TESTS_ENV: &str = "GAN_RS_CUDA_TESTS";

/// The simulator's machine for the tests, unless CUDASIM_* variables say
/// otherwise: cuda:0 runs threads in forward order on 132 SMs, cuda:1 in
/// reverse order on 8 SMs, so every test runs in two thread orders and on
/// both sides of the SM-count-dependent choices (grid caps, SGEMM tiles,
/// reduction strategies).
pub const SIMULATOR_SPEC: &str = "devices=2 sms=132,8 order=forward,reverse";

fn choose() -> Result<Backend, String> {
    let want = std::env::var(CUDA_TESTS_ENV).unwrap_or_default();
    if want == "skip" {
        return Ok(Backend {
            devices: vec![],
            description: format!("nothing ({CUDA_TESTS_ENV}=skip): the CUDA tests are skipped"),
        });
    }
    use tensor::cuda::simulator;
    if want != "sim" && simulator::real_gpu_present() {
        kernels::cuda::available(0).map_err(|e| format!("a GPU is present but unusable: {e}"))?;
        let d = kernels::cuda::device(0).map_err(|e| e.to_string())?;
        let name = d.context().name().unwrap_or_else(|_| "?".into());
        return Ok(Backend {
            devices: vec![Device::Cuda(0)],
            description: format!(
                "GPU cuda:0 ({name}, {:?}, {} SMs)",
                d.compute_capability(),
                d.sm_count()
            ),
        });
    }
    if want == "gpu" {
        return Err(format!("{CUDA_TESTS_ENV}=gpu but no real GPU is usable"));
    }
    let dir = simulator::find(None).map_err(|e| e.to_string())?;
    let user_spec =
        std::env::vars().any(|(k, _)| k.starts_with("CUDASIM_") && k != "CUDASIM_CACHE");
    simulator::load(&dir, (!user_spec).then_some(SIMULATOR_SPEC)).map_err(|e| e.to_string())?;
    kernels::cuda::available(0).map_err(|e| format!("the simulator does not work: {e}"))?;
    let n = simulator::device_count();
    let names: Vec<String> = (0..n).filter_map(simulator::describe).collect();
    Ok(Backend {
        devices: (0..n).map(Device::Cuda).collect(),
        description: names.join("; "),
    })
}

fn backend() -> &'static Backend {
    static B: OnceLock<Backend> = OnceLock::new();
    B.get_or_init(|| {
        let b = choose().unwrap_or_else(|e| {
            panic!(
                "no CUDA device for the CUDA tests: {e}. Set {CUDA_TESTS_ENV}=skip to skip them \
                 on purpose (they then pass without running)."
            )
        });
        // Written past the test harness's capture, once per test binary.
        let _ = writeln!(std::io::stderr(), "CUDA tests run on: {}", b.description);
        b
    })
}

/// The CUDA devices every CUDA test runs on (empty only when skipped on
/// purpose). Must be the first CUDA call of a test binary: it decides
/// whether cudarc gets the real driver or the simulator.
pub fn cuda_devices() -> Vec<Device> {
    backend().devices.clone()
}

/// Held (shared) by every CUDA test body, and alone by the ones that read
/// device-wide counters, which concurrent tests of the same binary would move.
static DEVICE_USE: RwLock<()> = RwLock::new(());

/// Run `body` on each CUDA device of the tests, saying which.
pub fn for_each_cuda_device(body: impl FnMut(Device)) {
    let _shared = DEVICE_USE.read().unwrap_or_else(|e| e.into_inner());
    each_device(body)
}

/// As `for_each_cuda_device`, with no other CUDA test of this binary
/// running meanwhile: for checks of the device's allocator counters.
pub fn for_each_cuda_device_alone(body: impl FnMut(Device)) {
    let _alone = DEVICE_USE.write().unwrap_or_else(|e| e.into_inner());
    each_device(body)
}

fn each_device(mut body: impl FnMut(Device)) {
    let b = backend();
    if b.devices.is_empty() {
        println!("skipping: {}", b.description);
    }
    for &dev in &b.devices {
        println!("on {dev:?}: {}", b.description);
        body(dev);
    }
}

/// Whether the tests run on the simulator (to shrink the largest cases).
pub fn on_simulator() -> bool {
    backend();
    tensor::cuda::simulator::active()
}

/// |got − want| ≤ atol + rtol·|want| everywhere (NaN must match NaN).
pub fn assert_close(what: &str, got: &[f32], want: &[f32], rtol: f64, atol: f64) {
    assert_eq!(got.len(), want.len(), "{what}: lengths differ");
    for (i, (&a, &b)) in got.iter().zip(want).enumerate() {
        if a.is_nan() && b.is_nan() {
            continue;
        }
        let (a, b) = (a as f64, b as f64);
        assert!(
            (a - b).abs() <= atol + rtol * b.abs(),
            "{what}: element {i}: got {a:e}, expected {b:e}"
        );
    }
}

/// Parameters after a few optimiser steps on a GPU against the CPU's: equal
/// to rounding, except that Adam's first steps move a weight by about ±lr
/// whatever its gradient's size, so a gradient within rounding of zero may go
/// either way: a few such elements (|diff| ≤ 2·lr, at most one in 10,000
/// plus one) are allowed.
pub fn params_close(what: &str, got: &[f32], want: &[f32], lr: f64) {
    assert_eq!(got.len(), want.len(), "{what}");
    let mut flips = 0;
    for (i, (&a, &b)) in got.iter().zip(want).enumerate() {
        let d = (a as f64 - b as f64).abs();
        if d <= 1e-5 + 1e-4 * (b as f64).abs() {
            continue;
        }
        assert!(d <= 2.05 * lr + 1e-5, "{what}[{i}]: got {a:e}, CPU {b:e}");
        flips += 1;
    }
    assert!(
        flips <= 1 + got.len() / 10_000,
        "{what}: {flips} elements differ by about lr"
    );
}

/// A step's four figures as one vector: [d_loss, g_loss, D(x), D(G(z))].
pub fn stats_vec(s: &gan::train::StepStats) -> Vec<f32> {
    vec![s.d_loss, s.g_loss, s.d_x, s.d_gz]
}

/// At the parity suite's tolerances.
pub fn check_close(name: &str, got: &[f32], want: &[f32]) {
    assert_close(name, got, want, RTOL, ATOL)
}

/// Step the fixture's parameter once per stacked gradient on `device`; the
/// parameter afterwards, on the CPU.
pub fn run_optim_fixture(fx: &Fixture, device: Device) -> Vec<f32> {
    let on = |t: Tensor| kernels::contiguous(&t).unwrap().to_device(device).unwrap();
    let p = on(fx.get("param").unwrap());
    let grads = fx.get("grads").unwrap();
    let zeros = || Tensor::zeros(p.shape(), DType::F32, device).unwrap();
    let (m, v) = (zeros(), zeros());
    for k in 0..grads.shape()[0] {
        let g = on(kernels::reshape(&grads.narrow(0, k, 1).unwrap(), p.shape()).unwrap());
        let step = k as u64 + 1;
        match fx.op.as_str() {
            "adam" => {
                let h = AdamHyper {
                    lr: fx.param_f64("lr", 1e-3),
                    beta1: fx.param_f64("beta1", 0.9),
                    beta2: fx.param_f64("beta2", 0.999),
                    eps: fx.param_f64("eps", 1e-8),
                    weight_decay: fx.param_f64("weight_decay", 0.0),
                };
                adam_step(&p, &g, &m, &v, step, &h).unwrap();
            }
            _ => {
                let h = SgdHyper {
                    lr: fx.param_f64("lr", 1e-3),
                    momentum: fx.param_f64("momentum", 0.0),
                    weight_decay: fx.param_f64("weight_decay", 0.0),
                    ..SgdHyper::default()
                };
                sgd_step(&p, &g, Some(&m), k == 0, &h).unwrap();
            }
        }
    }
    p.to_vec_f32().unwrap()
}

pub fn optim_fixtures() -> Vec<Fixture> {
    let mut paths: Vec<_> = std::fs::read_dir(fixtures_dir())
        .expect("fixtures directory (set PARITY_FIXTURES)")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let n = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            (n.starts_with("adam_") || n.starts_with("sgd_")) && n.ends_with(".safetensors")
        })
        .collect();
    paths.sort();
    paths.iter().map(|p| Fixture::load(p).unwrap()).collect()
}

/// The fixture's tensors moved to `device`.
pub fn fixture_on(mut fx: Fixture, device: Device) -> Fixture {
    for t in fx.tensors.values_mut() {
        *t = t
            .clone()
            .to_device(device)
            .expect("upload a fixture tensor");
    }
    fx
}

/// Run each fixture of `paths` that `keep` selects with its tensors on `dev`:
/// the names of those that ran, and every failure (a result off PyTorch's,
/// a result that came back on another device, no runner).
pub fn run_fixtures_on(
    dev: Device,
    paths: &[PathBuf],
    keep: impl Fn(&Fixture) -> bool,
) -> (Vec<String>, Vec<String>) {
    let (mut ran, mut failures) = (Vec::new(), Vec::new());
    for p in paths {
        let fx = Fixture::load(p).expect("load fixture");
        if !keep(&fx) {
            continue;
        }
        let fx = fixture_on(fx, dev);
        match run(&fx) {
            Some(Ok(got)) => {
                for (k, t) in &got {
                    if t.device() != dev {
                        failures.push(format!("{}: '{k}' came back on {}", fx.name, t.device()));
                    }
                }
                failures.extend(compare(&fx, &got));
                ran.push(fx.name.clone());
            }
            Some(Err(e)) => failures.push(e),
            None => failures.push(format!("{}: no runner", fx.name)),
        }
    }
    (ran, failures)
}
