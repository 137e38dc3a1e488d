//! A gradient penalty's double backward releases everything it built: 1,000
//! WGAN-GP steps of a small conv critic with batch norm (forward, input
//! gradient with `create_graph`, penalty, backward into the parameters, an
//! in-place update) leave the live storages exactly where they were after
//! the first steps, and the peak resident set size where it was after 100.

use autograd::Var;
use gan::train::penalty::Penalty;
use rand::rngs::StdRng;
use rand::SeedableRng;
use tensor::{live_storage_stats, CpuStorage, DType, Device, StorageKind, Tensor};

/// p −= lr·grad; no gradient (β here: the penalty does not depend on it)
/// leaves p as it is, as PyTorch's optimisers skip a `None` grad.
fn sgd_in_place(p: &Var, lr: f32) {
    let Some(g) = p.grad() else { return };
    let g = g.to_vec_f32().unwrap();
    let mut s = p.data().storage_mut();
    if let StorageKind::Cpu(CpuStorage::F32(v)) = s.kind_mut() {
        for (w, gi) in v.iter_mut().zip(g) {
            *w -= lr * gi;
        }
    }
}

/// The process's peak resident set size in KiB (VmHWM), where Linux says it.
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[test]
fn penalty_memory_is_flat_across_1000_steps() {
    let mut rng = StdRng::seed_from_u64(0);
    let mut randn =
        |s: &[usize], std: f32| Var::param(Tensor::randn(s, 0.0, std, &mut rng).unwrap());
    let w1 = randn(&[8, 1, 4, 4], 0.2);
    let w2 = randn(&[16, 8, 4, 4], 0.1);
    let (gamma, beta) = (randn(&[16], 0.02), randn(&[16], 0.02));
    let w3 = randn(&[1, 16 * 4 * 4], 0.1);
    let params = [&w1, &w2, &gamma, &beta, &w3];
    let (rm, rv) = (
        Tensor::zeros(&[16], DType::F32, Device::Cpu).unwrap(),
        Tensor::ones(&[16], DType::F32, Device::Cpu).unwrap(),
    );
    let mut data = StdRng::seed_from_u64(1);
    let real = Tensor::rand_uniform(&[16, 1, 16, 16], -1.0, 1.0, &mut data).unwrap();
    let fake = Tensor::rand_uniform(&[16, 1, 16, 16], -1.0, 1.0, &mut data).unwrap();
    let critic = |x: &Var| {
        x.conv2d(&w1, None, 2, 1)?
            .leaky_relu(0.2)?
            .conv2d(&w2, None, 2, 1)?
            .batch_norm(&gamma, &beta, &rm, &rv, true, 0.1, 1e-5)?
            .leaky_relu(0.2)?
            .flatten_batch()?
            .linear(&w3, None)
    };
    let penalty = Penalty::WganGp { lambda: 10.0 };
    let step = |i: u64| -> f64 {
        let x = penalty
            .leaf(&real, &fake, &mut StdRng::seed_from_u64(i))
            .unwrap();
        let pen = penalty.at(&x, critic).unwrap();
        for p in params {
            p.zero_grad();
        }
        pen.backward().unwrap();
        for p in params {
            sgd_in_place(p, 1e-3);
        }
        pen.item().unwrap()
    };
    // This file holds one test, so nothing else allocates meanwhile.
    for i in 0..10 {
        step(i);
    }
    let before = live_storage_stats();
    for i in 10..100 {
        step(i);
    }
    let peak_at_100 = peak_rss_kib();
    let first = step(100);
    let mut last = first;
    for i in 101..1000 {
        last = step(i);
    }
    let after = live_storage_stats();
    let peak_at_1000 = peak_rss_kib();
    assert_eq!(
        before, after,
        "live (storages, bytes) grew from {before:?} to {after:?} over 990 penalty steps"
    );
    if let (Some(a), Some(b)) = (peak_at_100, peak_at_1000) {
        println!("peak RSS after 100 steps {a} KiB, after 1,000 steps {b} KiB");
        assert!(b <= a + 1024, "peak RSS grew from {a} KiB to {b} KiB");
    }
    assert!(last.is_finite() && first.is_finite());
}
