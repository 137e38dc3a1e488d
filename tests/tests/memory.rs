//! The graph is released after backward: 1,000 training steps of a small MLP
//! leave the number of live storages and their bytes exactly where they were
//! after the first steps.

use autograd::Var;
use rand::rngs::StdRng;
use rand::SeedableRng;
use tensor::{live_storage_stats, CpuStorage, StorageKind, Tensor};

fn sgd_in_place(p: &Var, lr: f32) {
    let g = p
        .grad()
        .expect("gradient after backward")
        .to_vec_f32()
        .unwrap();
    let mut s = p.data().storage_mut();
    if let StorageKind::Cpu(CpuStorage::F32(v)) = s.kind_mut() {
        for (w, gi) in v.iter_mut().zip(g) {
            *w -= lr * gi;
        }
    }
}

#[test]
fn memory_is_flat_across_1000_steps() {
    let mut rng = StdRng::seed_from_u64(0);
    let w1 = Var::param(Tensor::randn(&[32, 16], 0.0, 0.25, &mut rng).unwrap());
    let b1 = Var::param(Tensor::randn(&[32], 0.0, 0.1, &mut rng).unwrap());
    let w2 = Var::param(Tensor::randn(&[1, 32], 0.0, 0.25, &mut rng).unwrap());
    let b2 = Var::param(Tensor::randn(&[1], 0.0, 0.1, &mut rng).unwrap());
    let params = [&w1, &b1, &w2, &b2];
    let x = Tensor::randn(&[64, 16], 0.0, 1.0, &mut rng).unwrap();
    let y = Tensor::full(1.0, &[64, 1], tensor::DType::F32, tensor::Device::Cpu).unwrap();
    let step = |i: usize| -> f64 {
        let h = Var::constant(x.clone())
            .linear(&w1, Some(&b1))
            .unwrap()
            .leaky_relu(0.2)
            .unwrap();
        let h = h
            .dropout(0.3, true, &mut StdRng::seed_from_u64(i as u64))
            .unwrap();
        let loss = h
            .linear(&w2, Some(&b2))
            .unwrap()
            .sigmoid()
            .unwrap()
            .bce(&y)
            .unwrap();
        for p in params {
            p.zero_grad();
        }
        loss.backward().unwrap();
        for p in params {
            sgd_in_place(p, 0.01);
        }
        loss.item().unwrap()
    };
    // Other tests in this binary may allocate concurrently; this file holds one test.
    for i in 0..10 {
        step(i);
    }
    let before = live_storage_stats();
    let first = step(10);
    let mut last = first;
    for i in 11..1000 {
        last = step(i);
    }
    let after = live_storage_stats();
    assert_eq!(
        before, after,
        "live (storages, bytes) grew from {before:?} to {after:?} over 990 steps"
    );
    assert!(last < first, "the loss should fall: {first} → {last}");
}
