//! `kernels::adam_step` / `kernels::sgd_step` (the fused updates the CUDA
//! backend mirrors) against PyTorch's adam and sgd fixtures, on the CPU.
//! `cuda_parity.rs` runs the same fixtures on a GPU.

use tensor::Device;
use tests::gpu::{check_close, optim_fixtures, run_optim_fixture};

#[test]
fn fused_updates_match_pytorch_on_cpu() {
    let fxs = optim_fixtures();
    assert!(fxs.len() >= 5, "expected the adam and sgd fixtures");
    for fx in &fxs {
        let got = run_optim_fixture(fx, Device::Cpu);
        check_close(
            &fx.name,
            &got,
            &fx.get("param_after").unwrap().to_vec_f32().unwrap(),
        );
    }
}
