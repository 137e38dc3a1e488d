//! What one training step asks of the driver, counted on the CUDA simulator
//! after warm-up steps: no host synchronisation, no device allocation,
//! host→device copies only for the batch, and kernel launches within each
//! model's budget (README, "What a step asks of the driver"). The same for a
//! gradient-penalty step. The counts are our calls into the driver, not GPU
//! time; they are the same on both simulated devices (only which SGEMM tile
//! runs differs), so they are taken on the first.

use gan::models::ModelKind;
use gan::nn::Fwd;
use gan::train::noise::{sample_z_on, step_rng};
use gan::train::penalty::Penalty;
use gan::train::Gan;
use tensor::cuda::sim_counts::{self, DriverCounts};
use tensor::{Device, Tensor};
use tests::gpu::{for_each_cuda_device_alone, on_simulator};

/// Steps run before counting: the caching allocator and the module cache
/// fill during the first ones.
const WARM_UP: u64 = 2;

/// The launch budget of one training step (one D and one G update) of each
/// model, from its op count (README: launches per model, by kernel).
fn budget(kind: ModelKind) -> u64 {
    match kind {
        ModelKind::Mlp => 80,
        ModelKind::MlpSmall => 56,
        ModelKind::MlpDropout => 122,
        ModelKind::Dcgan28 => 201,
        ModelKind::Dcgan64 => 258,
        // Not in ModelKind::ALL (the counts cover models.py's five); its
        // step is dcgan28's less the batch norms.
        ModelKind::Dcgan28NoBn => 201,
    }
}

/// The launch budget of one WGAN-GP step of mlp's D.
const PENALTY_BUDGET: u64 = 60;

/// The batch of `kind` on the simulator: the tutorial's, except the
/// DCGANs' (16: their launches do not depend on the batch, as dcgan28's 201
/// at 16 and at 128 showed, but their simulated time does).
fn batch(kind: ModelKind) -> usize {
    match kind {
        ModelKind::Dcgan64 | ModelKind::Dcgan28 => 16,
        k => k.spec().batch,
    }
}

/// The counts of one training step of `kind` on `dev` after `WARM_UP`
/// steps; the batch comes from host memory each step, as the data loader's.
fn step_counts(kind: ModelKind, dev: Device) -> (DriverCounts, usize) {
    let spec = kind.spec();
    let mut gan = Gan::new_on(kind, 0, spec.lr, dev).unwrap();
    let b = batch(kind);
    let mut shape = vec![b];
    shape.extend(spec.image);
    let real = Tensor::rand_uniform(&shape, -1.0, 1.0, &mut step_rng(1, 0)).unwrap();
    let mut step = |i: u64| {
        let mut rng = step_rng(0, i);
        let z = sample_z_on(spec.z, b, spec.latent, &mut rng, dev).unwrap();
        gan.train_step_with_z(&real, z, &mut rng).unwrap();
    };
    for i in 0..WARM_UP {
        step(i);
    }
    dev_sync(dev);
    sim_counts::reset();
    step(WARM_UP);
    let c = sim_counts::read().expect("the simulator is loaded");
    dev_sync(dev);
    (c, real.numel() * 4)
}

fn dev_sync(dev: Device) {
    if let Device::Cuda(i) = dev {
        tensor::cuda::device(i).unwrap().synchronize().unwrap();
    }
}

#[test]
fn a_training_step_never_waits_never_allocates_and_launches_within_budget() {
    for_each_cuda_device_alone(|dev| {
        if !on_simulator() {
            println!("the counts need the simulator; on a GPU see nsys");
            return;
        }
        if dev != Device::Cuda(0) {
            return;
        }
        let mut failures = Vec::new();
        for kind in ModelKind::ALL {
            let (c, batch_bytes) = step_counts(kind, dev);
            println!("{}: {}", kind.name(), c.per(1));
            println!("  launches by kernel: {:?}", c.by_name("launch"));
            let name = kind.name();
            if c.syncs() != 0 {
                failures.push(format!("{name}: host syncs {:?}", c.by_name("sync")));
            }
            if c.device_allocs() != 0 || c.calls("free") != 0 {
                failures.push(format!(
                    "{name}: allocations {:?} frees {:?}",
                    c.by_name("alloc"),
                    c.by_name("free")
                ));
            }
            if c.calls("htod") != 1 || c.bytes("htod") != batch_bytes as u64 {
                failures.push(format!(
                    "{name}: host→device {} copies of {} B, the batch is {batch_bytes} B",
                    c.calls("htod"),
                    c.bytes("htod")
                ));
            }
            if c.calls("dtoh") != 0 {
                failures.push(format!("{name}: {} device→host copies", c.calls("dtoh")));
            }
            if c.launches() > budget(kind) {
                failures.push(format!(
                    "{name}: {} launches over the budget of {}",
                    c.launches(),
                    budget(kind)
                ));
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    });
}

#[test]
fn a_penalty_step_never_waits_never_allocates() {
    for_each_cuda_device_alone(|dev| {
        if !on_simulator() || dev != Device::Cuda(0) {
            return;
        }
        let kind = ModelKind::Mlp;
        let spec = kind.spec();
        let gan = Gan::new_on(kind, 0, spec.lr, dev).unwrap();
        let d = gan.d;
        let real = Tensor::rand_uniform(&[spec.batch, 784], -1.0, 1.0, &mut step_rng(1, 0))
            .unwrap()
            .to_device(dev)
            .unwrap();
        let fake = Tensor::rand_uniform(&[spec.batch, 784], -1.0, 1.0, &mut step_rng(2, 0))
            .unwrap()
            .to_device(dev)
            .unwrap();
        let penalty = Penalty::WganGp { lambda: 10.0 };
        let step = |i: u64| {
            let mut rng = step_rng(0, i);
            let x = penalty.leaf(&real, &fake, &mut rng).unwrap();
            let pen = penalty
                .at(&x, |x| {
                    d.forward(x, &mut Fwd::new(&mut rng))
                        .map_err(|e| tensor::Error::invalid("D", e.to_string()))
                })
                .unwrap();
            d.zero_grad();
            pen.backward().unwrap();
        };
        for i in 0..WARM_UP {
            step(i);
        }
        dev_sync(dev);
        sim_counts::reset();
        step(WARM_UP);
        let c = sim_counts::read().unwrap();
        println!("penalty/gp/mlp: {}", c.per(1));
        println!("  launches by kernel: {:?}", c.by_name("launch"));
        assert_eq!(c.syncs(), 0, "host syncs {:?}", c.by_name("sync"));
        assert_eq!(c.device_allocs(), 0, "allocations {:?}", c.by_name("alloc"));
        assert_eq!(c.calls("htod") + c.calls("dtoh"), 0, "copies");
        assert!(c.launches() <= PENALTY_BUDGET, "{} launches", c.launches());
    });
}
