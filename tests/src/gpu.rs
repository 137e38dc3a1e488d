//! Helpers of the CUDA tests: finding a GPU (or saying why there is none),
//! comparing device results with CPU ones, and the optimiser fixtures.

use crate::parity::{fixtures_dir, Fixture, ATOL, RTOL};
use kernels::{adam_step, sgd_step, AdamHyper, SgdHyper};
use tensor::{DType, Device, Tensor};

/// `cuda:0` when a driver, a GPU and NVRTC are all there; otherwise prints
/// why the calling test skips and returns None.
pub fn gpu_or_skip() -> Option<Device> {
    match kernels::cuda::available(0) {
        Ok(()) => Some(Device::Cuda(0)),
        Err(e) => {
            println!("skipping CUDA tests: {e}");
            None
        }
    }
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
