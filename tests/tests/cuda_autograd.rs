//! The hand-written SGEMM against the CPU GEMM (odd sizes, transposed views,
//! 1×N, N×1, K = 0, broadcast batches), and whole forward/backward passes
//! through autograd on a GPU against the same passes on the CPU. Skips,
//! saying why, without a GPU.

use autograd::Var;
use rand::rngs::StdRng;
use rand::SeedableRng;
use tensor::{Device, Tensor};
use tests::gpu::{assert_close, for_each_cuda_device};

fn randn(shape: &[usize], seed: u64) -> Tensor {
    Tensor::randn(shape, 0.0, 1.0, &mut StdRng::seed_from_u64(seed)).unwrap()
}

fn on(t: &Tensor, dev: Device) -> Tensor {
    t.clone().to_device(dev).unwrap()
}

fn v(t: &Tensor) -> Vec<f32> {
    t.to_vec_f32().unwrap()
}

/// Sums of k products: the error grows like √k.
fn gemm_close(what: &str, got: &Tensor, want: &Tensor, k: usize) {
    assert_eq!(got.shape(), want.shape(), "{what}");
    assert_close(
        what,
        &v(got),
        &v(want),
        1e-5,
        1e-5 * (k.max(1) as f64).sqrt(),
    );
}

#[test]
fn sgemm_odd_sizes_and_transposed_operands() {
    for_each_cuda_device(|dev| {
        let sizes = [
            (1, 1, 1),
            (1, 513, 7),
            (513, 1, 7),
            (1, 1, 1000),
            (129, 65, 257),
            (64, 784, 256),
            (300, 200, 1),
            (7, 9, 0),
            (1000, 1000, 1000),
        ];
        for (i, &(m, k, n)) in sizes.iter().enumerate() {
            let a = randn(&[m, k], 100 + i as u64);
            let b = randn(&[k, n], 200 + i as u64);
            // Transposed operands are stored transposed and viewed back.
            let at = kernels::contiguous(&a.t().unwrap()).unwrap(); // [k, m]
            let bt = kernels::contiguous(&b.t().unwrap()).unwrap(); // [n, k]
            let want = kernels::matmul(&a, &b).unwrap();
            let (ga, gb, gat, gbt) = (on(&a, dev), on(&b, dev), on(&at, dev), on(&bt, dev));
            let what = |s: &str| format!("{m}x{k}x{n} {s}");
            // GEMM: [m, k] · [k, n] → [m, n] with each operand plain or transposed
            let cases = [
                (ga.clone(), gb.clone(), "NN"),
                (gat.t().unwrap(), gb.clone(), "TN"),
                (ga.clone(), gbt.t().unwrap(), "NT"),
                (gat.t().unwrap(), gbt.t().unwrap(), "TT"),
            ];
            for (x, y, tag) in &cases {
                gemm_close(&what(tag), &kernels::matmul(x, y).unwrap(), &want, k);
            }
        }
    });
}

#[test]
fn sgemm_batched_broadcast_and_vectors() {
    for_each_cuda_device(|dev| {
        let a = randn(&[3, 1, 17, 9], 1);
        let b = randn(&[4, 9, 5], 2);
        // GEMM: [3, 1, 17, 9] · [4, 9, 5] → [3, 4, 17, 5], batch dims broadcast
        let want = kernels::matmul(&a, &b).unwrap();
        gemm_close(
            "batched",
            &kernels::matmul(&on(&a, dev), &on(&b, dev)).unwrap(),
            &want,
            9,
        );
        let x = randn(&[9], 3);
        // GEMM: [9] · [4, 9, 5] → [4, 5] and [3, 1, 17, 9] · [9] → [3, 1, 17]
        let got = kernels::matmul(&on(&x, dev), &on(&b, dev)).unwrap();
        gemm_close("vector-matrix", &got, &kernels::matmul(&x, &b).unwrap(), 9);
        let got = kernels::matmul(&on(&a, dev), &on(&x, dev)).unwrap();
        gemm_close("matrix-vector", &got, &kernels::matmul(&a, &x).unwrap(), 9);
    });
}

#[test]
fn linear_forward_and_backward() {
    for_each_cuda_device(|dev| {
        for (rows, i, o) in [(64, 784, 256), (33, 17, 5), (1, 100, 1)] {
            let (x, w, b) = (randn(&[rows, i], 4), randn(&[o, i], 5), randn(&[o], 6));
            let g = randn(&[rows, o], 7);
            let run = |dev: Device| {
                let (xv, wv, bv) = (
                    Var::param(on(&x, dev)),
                    Var::param(on(&w, dev)),
                    Var::param(on(&b, dev)),
                );
                let y = xv.linear(&wv, Some(&bv)).unwrap();
                y.backward_with(on(&g, dev)).unwrap();
                [
                    y.data().clone(),
                    xv.grad().unwrap(),
                    wv.grad().unwrap(),
                    bv.grad().unwrap(),
                ]
            };
            let (want, got) = (run(Device::Cpu), run(dev));
            for (name, (gt, wt)) in ["y", "dx", "dw", "db"].iter().zip(got.iter().zip(&want)) {
                assert_eq!(gt.device(), dev);
                gemm_close(
                    &format!("linear {rows}x{i}x{o} {name}"),
                    gt,
                    wt,
                    i.max(rows).max(o),
                );
            }
        }
    });
}

/// A GAN-like step: generator MLP, discriminator MLP, the losses of both, and
/// every parameter's gradient, on the CPU and on the GPU.
fn gan_step(dev: Device, params: &[Tensor]) -> Vec<Tensor> {
    let ps: Vec<Var> = params.iter().map(|p| Var::param(on(p, dev))).collect();
    let z = Var::constant(on(&randn(&[32, 16], 40), dev));
    let real = Var::constant(on(
        &kernels::unary(&randn(&[32, 20], 41), kernels::UnaryOp::Tanh).unwrap(),
        dev,
    ));
    let h = z
        .linear(&ps[0], Some(&ps[1]))
        .unwrap()
        .leaky_relu(0.2)
        .unwrap();
    let fake = h.linear(&ps[2], Some(&ps[3])).unwrap().tanh().unwrap();
    let disc = |x: &Var| -> Var {
        let h = x.linear(&ps[4], Some(&ps[5])).unwrap().relu().unwrap();
        h.linear(&ps[6], Some(&ps[7])).unwrap()
    };
    let ones = tensor::Tensor::ones(&[32, 1], tensor::DType::F32, dev).unwrap();
    let zeros = tensor::Tensor::zeros(&[32, 1], tensor::DType::F32, dev).unwrap();
    let d_real = disc(&real).sigmoid().unwrap().bce(&ones).unwrap();
    let d_fake = disc(&fake).bce_with_logits(&zeros).unwrap();
    let g_mse = fake.mse(real.data()).unwrap().mean_all().unwrap();
    let loss = d_real.add(&d_fake).unwrap().add(&g_mse).unwrap();
    loss.backward().unwrap();
    let mut out = vec![loss.data().clone()];
    out.extend(ps.iter().map(|p| p.grad().unwrap()));
    out
}

#[test]
fn gan_like_step_matches_cpu() {
    for_each_cuda_device(|dev| {
        let shapes: [&[usize]; 8] = [
            &[48, 16],
            &[48],
            &[20, 48],
            &[20],
            &[24, 20],
            &[24],
            &[1, 24],
            &[1],
        ];
        let params: Vec<Tensor> = shapes
            .iter()
            .enumerate()
            .map(|(i, s)| {
                kernels::unary(&randn(s, 50 + i as u64), kernels::UnaryOp::MulScalar(0.2)).unwrap()
            })
            .collect();
        let (want, got) = (gan_step(Device::Cpu, &params), gan_step(dev, &params));
        for (i, (g, w)) in got.iter().zip(&want).enumerate() {
            assert_eq!(g.device(), dev);
            assert_close(&format!("output {i}"), &v(g), &v(w), 1e-4, 1e-5);
        }
    });
}

#[test]
fn dropout_on_the_device_masks_forward_and_backward_alike() {
    for_each_cuda_device(|dev| {
        let x = Var::param(on(&randn(&[64, 128], 60), dev));
        let y = x.dropout(0.5, true, &mut StdRng::seed_from_u64(1)).unwrap();
        y.sum_all().unwrap().backward().unwrap();
        let (yv, gv, xv) = (v(y.data()), v(&x.grad().unwrap()), v(x.data()));
        let dropped = gv.iter().filter(|&&g| g == 0.0).count() as f64 / gv.len() as f64;
        assert!((dropped - 0.5).abs() < 0.05, "{dropped}");
        for ((y, g), x) in yv.iter().zip(&gv).zip(&xv) {
            assert!(
                *g == 0.0 && *y == 0.0 || (*g - 2.0).abs() < 1e-6 && (*y - 2.0 * x).abs() < 1e-5
            );
        }
    });
}
