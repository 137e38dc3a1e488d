//! The PyTorch parity fixtures of every op with a CUDA kernel, run on a GPU
//! (inputs moved to cuda:0, forward and backward through autograd) and held
//! to the same tolerances as on the CPU. Skips, saying why, without a GPU.

use tensor::Device;
use tests::gpu::{
    check_close, for_each_cuda_device, optim_fixtures, run_fixtures_on, run_optim_fixture,
};
use tests::parity::fixtures_dir;

/// Ops whose fixtures run on CUDA.
const CUDA_OPS: &[&str] = &[
    "conv2d",
    "conv_transpose2d",
    "batchnorm1d",
    "batchnorm2d",
    "max_pool2d",
    "linear",
    "matmul",
    "relu",
    "leaky_relu",
    "tanh",
    "sigmoid",
    "bce",
    "bce_with_logits",
    "mse",
    "cross_entropy",
    "add",
    "mul",
    "sum",
    "mean",
];

#[test]
fn parity_fixtures_on_cuda() {
    for_each_cuda_device(|dev| {
        let mut paths: Vec<_> = std::fs::read_dir(fixtures_dir())
            .expect("fixtures directory (set PARITY_FIXTURES)")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "safetensors"))
            .collect();
        paths.sort();
        let (ran, failures) = run_fixtures_on(dev, &paths, |fx| CUDA_OPS.contains(&fx.op.as_str()));
        println!("cuda parity: {} fixtures: {}", ran.len(), ran.join(", "));
        assert!(ran.len() >= 14, "expected the core fixtures, ran {ran:?}");
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    });
}

#[test]
fn optimiser_fixtures_on_cuda() {
    for_each_cuda_device(|dev| {
        for fx in &optim_fixtures() {
            let want = fx.get("param_after").unwrap().to_vec_f32().unwrap();
            let got = run_optim_fixture(fx, dev);
            check_close(&fx.name, &got, &want);
            // The same f32 operations in the same order as the CPU loop.
            let cpu = run_optim_fixture(fx, Device::Cpu);
            check_close(&format!("{} vs cpu", fx.name), &got, &cpu);
        }
    });
}
