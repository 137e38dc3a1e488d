//! The fused and multi-tensor kernels that cut a training step's launches,
//! on each CUDA device of the tests, against the unfused ops they replace:
//! Adam and SGD over many tensors in one launch (more tensors than one
//! launch takes, sizes across the chunk boundaries, an empty one) against one
//! update per tensor; the means of a step's figures in one launch; dropout
//! drawn and applied in one launch; a loss's mean in one launch.

use kernels::{AdamHyper, AdamTensors, SgdHyper, SgdTensors};
use rand::rngs::StdRng;
use rand::SeedableRng;
use tensor::{Device, Tensor};
use tests::gpu::{assert_close, check_close, for_each_cuda_device};

fn randn(shape: &[usize], seed: u64) -> Tensor {
    Tensor::randn(shape, 0.0, 1.0, &mut StdRng::seed_from_u64(seed)).unwrap()
}

fn on(t: &Tensor, dev: Device) -> Tensor {
    t.clone().to_device(dev).unwrap()
}

fn v(t: &Tensor) -> Vec<f32> {
    t.to_vec_f32().unwrap()
}

/// Sizes across MT_CHUNK (4096) and more tensors than MT_MAX (24).
fn sizes() -> Vec<usize> {
    let mut s = vec![4095, 4096, 4097, 0, 1, 10_000, 33];
    s.extend((0..23).map(|i| 100 + 37 * i));
    s
}

/// Four fresh buffers of `n` values per tensor: parameter, gradient, two states.
fn buffers(dev: Device, seed: u64) -> Vec<[Tensor; 4]> {
    sizes()
        .iter()
        .enumerate()
        .map(|(i, &n)| {
            let s = seed + 10 * i as u64;
            let v2 = kernels::unary(&randn(&[n], s + 3), kernels::UnaryOp::Abs).unwrap();
            [randn(&[n], s), randn(&[n], s + 1), randn(&[n], s + 2), v2].map(|t| on(&t, dev))
        })
        .collect()
}

#[test]
fn adam_over_many_tensors_in_one_launch_matches_one_per_tensor() {
    for_each_cuda_device(|dev| {
        let h = AdamHyper {
            lr: 1e-3,
            beta1: 0.5,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay: 0.01,
        };
        let (many, single, cpu) = (buffers(dev, 1), buffers(dev, 1), buffers(Device::Cpu, 1));
        for step in 1..=3 {
            let list: Vec<AdamTensors<'_>> = many
                .iter()
                .map(|[p, g, m, v2]| AdamTensors {
                    param: p,
                    grad: g,
                    exp_avg: m,
                    exp_avg_sq: v2,
                })
                .collect();
            kernels::adam_step_many(&list, step, &h).unwrap();
            for [p, g, m, v2] in single.iter().chain(&cpu) {
                kernels::adam_step(p, g, m, v2, step, &h).unwrap();
            }
        }
        for (i, ((a, b), c)) in many.iter().zip(&single).zip(&cpu).enumerate() {
            for k in [0, 2, 3] {
                assert_eq!(
                    v(&a[k]),
                    v(&b[k]),
                    "tensor {i} buffer {k}: multi vs single on {dev:?}"
                );
                check_close(
                    &format!("tensor {i} buffer {k} vs CPU"),
                    &v(&a[k]),
                    &v(&c[k]),
                );
            }
        }
    });
}

#[test]
fn sgd_over_many_tensors_in_one_launch_matches_one_per_tensor() {
    for_each_cuda_device(|dev| {
        for momentum in [0.0, 0.9] {
            let h = SgdHyper {
                lr: 0.03,
                momentum,
                weight_decay: 1e-4,
                ..SgdHyper::default()
            };
            let (many, single) = (buffers(dev, 7), buffers(dev, 7));
            for first in [true, false] {
                let list: Vec<SgdTensors<'_>> = many
                    .iter()
                    .map(|[p, g, b, _]| SgdTensors {
                        param: p,
                        grad: g,
                        momentum_buf: Some(b),
                        first,
                    })
                    .collect();
                kernels::sgd_step_many(&list, &h).unwrap();
                for [p, g, b, _] in &single {
                    kernels::sgd_step(p, g, Some(b), first, &h).unwrap();
                }
            }
            for (i, (a, b)) in many.iter().zip(&single).enumerate() {
                assert_eq!(v(&a[0]), v(&b[0]), "momentum {momentum}: tensor {i}");
                assert_eq!(v(&a[2]), v(&b[2]), "momentum {momentum}: buffer {i}");
            }
        }
    });
}

#[test]
fn a_steps_figures_in_one_launch() {
    for_each_cuda_device(|dev| {
        let parts = [
            randn(&[], 1),
            randn(&[1], 2),
            randn(&[128, 1], 3),
            randn(&[64, 1], 4),
            randn(&[3000], 5),
        ];
        for sigmoid in [false, true] {
            let flags = [false, false, sigmoid, sigmoid, sigmoid];
            let cpu: Vec<(&Tensor, bool)> = parts.iter().zip(flags).collect();
            let gpu_parts: Vec<Tensor> = parts.iter().map(|t| on(t, dev)).collect();
            let gpu: Vec<(&Tensor, bool)> = gpu_parts.iter().zip(flags).collect();
            let (want, got) = (
                kernels::mean_each(&cpu).unwrap(),
                kernels::mean_each(&gpu).unwrap(),
            );
            assert_eq!(got.device(), dev);
            assert_close("mean_each", &v(&got), &v(&want), 1e-6, 1e-7);
        }
        let nine: Vec<(&Tensor, bool)> = (0..9).map(|_| (&parts[0], false)).collect();
        assert!(
            kernels::mean_each(&nine).is_err(),
            "more than 8 parts is an error"
        );
    });
}

#[test]
fn dropout_draws_and_applies_its_mask_in_one_launch() {
    for_each_cuda_device(|dev| {
        let x = randn(&[37, 29], 11);
        for p in [0.0, 0.3, 1.0] {
            let (y, mask) = kernels::random::dropout(&on(&x, dev), p, 42, 5).unwrap();
            let want_mask =
                kernels::random::dropout_mask(x.shape(), p, 42, 5, Device::Cpu).unwrap();
            assert_eq!(v(&mask), v(&want_mask), "p {p}: the CPU stream's mask");
            let want_y = kernels::binary(&x, &want_mask, kernels::BinaryOp::Mul).unwrap();
            assert_eq!(v(&y), v(&want_y), "p {p}: x · mask");
        }
        // a transposed view is applied as the tensor it shows
        let xt = on(&x, dev).t().unwrap();
        let (y, mask) = kernels::random::dropout(&xt, 0.5, 9, 0).unwrap();
        let want = kernels::binary(
            &x.t().unwrap(),
            &on(&mask, Device::Cpu),
            kernels::BinaryOp::Mul,
        )
        .unwrap();
        assert_eq!(v(&y), v(&want));
    });
}

#[test]
fn a_losss_mean_in_one_launch_and_in_two() {
    for_each_cuda_device(|dev| {
        // 128 values: one block, one launch; 5,000: partial sums then the mean
        for n in [128, 5000] {
            let p = kernels::unary(
                &Tensor::rand_uniform(&[n, 1], 0.02, 0.98, &mut StdRng::seed_from_u64(n as u64))
                    .unwrap(),
                kernels::UnaryOp::Abs,
            )
            .unwrap();
            let y = Tensor::rand_uniform(&[n, 1], 0.0, 1.0, &mut StdRng::seed_from_u64(1)).unwrap();
            let want = kernels::bce(&p, &y).unwrap();
            let got = kernels::bce(&on(&p, dev), &on(&y, dev)).unwrap();
            assert_close(&format!("bce of {n}"), &v(&got), &v(&want), 1e-5, 1e-6);
        }
    });
}
