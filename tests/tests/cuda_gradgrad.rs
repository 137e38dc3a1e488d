//! Every second-order PyTorch fixture (the double backward of each op and
//! the whole WGAN-GP and R1 penalties) on CUDA: inputs moved to the device,
//! first-order gradients with `create_graph`, differentiated again, every
//! result checked to come back on the device and against PyTorch at the
//! first-order suite's tolerance. Runs on the simulator without a GPU.

use tensor::Device;
use tests::gpu::for_each_cuda_device;
use tests::parity::families::SECOND_ORDER;
use tests::parity::{compare, run, Fixture};

fn to_device(mut fx: Fixture, device: Device) -> Fixture {
    for t in fx.tensors.values_mut() {
        *t = t
            .clone()
            .to_device(device)
            .expect("upload a fixture tensor");
    }
    fx
}

#[test]
fn gradgrad_fixtures_on_cuda() {
    for_each_cuda_device(|dev| {
        let (mut ran, mut failures) = (Vec::new(), Vec::new());
        for p in (SECOND_ORDER.files)() {
            let fx = to_device(Fixture::load(&p).expect("load fixture"), dev);
            match run(&fx) {
                Some(Ok(got)) => {
                    for (k, t) in &got {
                        if t.device() != dev {
                            failures.push(format!(
                                "{}: '{k}' came back on {}",
                                fx.name,
                                t.device()
                            ));
                        }
                    }
                    failures.extend(compare(&fx, &got));
                    ran.push(fx.name.clone());
                }
                Some(Err(e)) => failures.push(e),
                None => failures.push(format!("{}: no runner", fx.name)),
            }
        }
        println!("cuda gradgrad: {} fixtures: {}", ran.len(), ran.join(", "));
        assert_eq!(
            ran.len(),
            30,
            "every second-order fixture runs on CUDA: {ran:?}"
        );
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    });
}
