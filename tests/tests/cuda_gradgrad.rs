//! Every second-order PyTorch fixture (the double backward of each op and
//! the whole WGAN-GP and R1 penalties) on CUDA: inputs moved to the device,
//! first-order gradients with `create_graph`, differentiated again, every
//! result checked to come back on the device and against PyTorch at the
//! first-order suite's tolerance. Runs on the simulator without a GPU.

use tests::gpu::{for_each_cuda_device, run_fixtures_on};
use tests::parity::families::SECOND_ORDER;

#[test]
fn gradgrad_fixtures_on_cuda() {
    for_each_cuda_device(|dev| {
        let (ran, failures) = run_fixtures_on(dev, &(SECOND_ORDER.files)(), |_| true);
        println!("cuda gradgrad: {} fixtures: {}", ran.len(), ran.join(", "));
        assert_eq!(
            ran.len(),
            30,
            "every second-order fixture runs on CUDA: {ran:?}"
        );
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    });
}
