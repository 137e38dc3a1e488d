//! Batch norm (both modes, running statistics included) and max_pool2d
//! (overlapping windows and ties, and its gather) on the GPU against the CPU.

use crate::common::{cases, close, compare_runs, fwd_bwd, on, randn, shape_of};
use autograd::Var;
use tensor::Device;
use tests::gpu::for_each_cuda_device;

/// Batch norm in both modes on `shape`, running statistics included.
fn batchnorm_matches(dev: Device, shape: &[usize], seed: u64) {
    let c = shape[1];
    let m = shape.iter().product::<usize>() / c;
    for training in [true, false] {
        // Shifted and scaled, so that the statistics are not trivial.
        let x = kernels::unary(&randn(shape, seed), kernels::UnaryOp::MulScalar(3.0)).unwrap();
        let x = kernels::unary(&x, kernels::UnaryOp::AddScalar(5.0)).unwrap();
        let inputs = [x, randn(&[c], seed + 1), randn(&[c], seed + 2)];
        let rm0 = randn(&[c], seed + 3);
        let rv0 = kernels::unary(&randn(&[c], seed + 4), kernels::UnaryOp::Abs).unwrap();
        let mut stats = Vec::new();
        let mut runs = Vec::new();
        for d in [dev, Device::Cpu] {
            let (rm, rv) = (on(&rm0, d), on(&rv0, d));
            let f = |v: &[Var]| v[0].batch_norm(&v[1], &v[2], &rm, &rv, training, 0.1, 1e-5);
            runs.push(fwd_bwd(&inputs, d, seed + 5, f));
            stats.push((on(&rm, Device::Cpu), on(&rv, Device::Cpu)));
        }
        let what = format!("batch_norm {shape:?} training={training}");
        compare_runs(&what, &runs[0], &runs[1], m);
        close(&format!("{what} running_mean"), &stats[0].0, &stats[1].0, 1);
        close(&format!("{what} running_var"), &stats[0].1, &stats[1].1, 1);
    }
}

#[test]
fn batchnorm_dcgan_shapes_match_cpu() {
    for_each_cuda_device(|dev| {
        let bn: Vec<Vec<usize>> = cases()
            .iter()
            .filter(|c| c["op"] == "batchnorm2d")
            .map(shape_of)
            .collect();
        assert!(bn.len() >= 4, "expected the batchnorm2d cases");
        for (i, s) in bn.iter().enumerate() {
            batchnorm_matches(dev, s, 1000 + 10 * i as u64);
        }
        // (N, C) as in BatchNorm1d, and a long channel (M = 128·64·64).
        batchnorm_matches(dev, &[64, 256], 2000);
        batchnorm_matches(dev, &[2, 3], 2010);
        batchnorm_matches(dev, &[128, 2, 64, 64], 2020);
    });
}

#[test]
fn max_pool2d_matches_cpu_with_overlaps_and_ties() {
    for_each_cuda_device(|dev| {
        // (x, k, s): non-overlapping, overlapping, stride past the kernel, odd sizes.
        let shapes: [(&[usize], usize, usize); 4] = [
            (&[4, 28, 14, 14], 2, 2),
            (&[2, 3, 9, 11], 3, 1),
            (&[2, 5, 13, 13], 3, 2),
            (&[1, 2, 7, 5], 2, 3),
        ];
        for (i, &(x, k, s)) in shapes.iter().enumerate() {
            let seed = 3000 + 10 * i as u64;
            let f = |v: &[Var]| v[0].max_pool2d(k, s);
            let what = format!("max_pool2d {x:?} k{k} s{s}");
            let inputs = [randn(x, seed)];
            compare_runs(
                &what,
                &fwd_bwd(&inputs, dev, seed + 1, f),
                &fwd_bwd(&inputs, Device::Cpu, seed + 1, f),
                1,
            );
            // Rounded to a few values: ties, where the first maximum must win.
            let r = kernels::unary(&inputs[0], kernels::UnaryOp::Clamp(-0.5, 0.5)).unwrap();
            let tied = [r];
            compare_runs(
                &format!("{what} ties"),
                &fwd_bwd(&tied, dev, seed + 1, f),
                &fwd_bwd(&tied, Device::Cpu, seed + 1, f),
                1,
            );
            // The gather (the scatter's gradient, for second order) reads the
            // same positions on both devices: equal bit for bit.
            let u = randn(x, seed + 2);
            let gathered: Vec<Vec<f32>> = [dev, Device::Cpu]
                .iter()
                .map(|&d| {
                    let (_, idx) = kernels::max_pool2d(&on(&tied[0], d), k, s).unwrap();
                    let g = kernels::max_pool2d_gather(&on(&u, d), &idx).unwrap();
                    assert_eq!(g.device(), d, "{what}: gather result's device");
                    on(&g, Device::Cpu).to_vec_f32().unwrap()
                })
                .collect();
            assert_eq!(gathered[0], gathered[1], "{what}: gather");
        }
    });
}
