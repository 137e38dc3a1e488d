//! Every op with a CUDA kernel against the CPU result, on larger random
//! shapes and on strided, transposed and broadcast views, on each CUDA
//! device of the tests (the GPU, or the simulator's two; see tests::gpu).
//! Asking for CUDA without a GPU is checked in no_gpu.rs.

use kernels::{BinaryOp as B, UnaryOp as U};
use rand::rngs::StdRng;
use rand::SeedableRng;
use tensor::{DType, Device, Tensor};
use tests::gpu::{assert_close, for_each_cuda_device, for_each_cuda_device_alone};

fn randn(shape: &[usize], seed: u64) -> Tensor {
    Tensor::randn(shape, 0.0, 1.0, &mut StdRng::seed_from_u64(seed)).unwrap()
}

fn on(t: &Tensor, dev: Device) -> Tensor {
    t.clone().to_device(dev).unwrap()
}

fn v(t: &Tensor) -> Vec<f32> {
    t.to_vec_f32().unwrap()
}

/// The same view of a CPU tensor and of its device copy.
type View = fn(&Tensor) -> Tensor;
const VIEWS: [View; 4] = [
    |t| t.clone(),
    |t| t.transpose(0, 1).unwrap(),
    |t| t.narrow(1, 3, 40).unwrap(),
    |t| t.narrow(0, 1, 30).unwrap().transpose(0, 1).unwrap(),
];

/// Every row of an op table (`kernels::elementwise`'s) is among the ops a
/// test runs on CUDA against the CPU: a new op must be added to the lists.
fn assert_covers_table<Op: Copy>(tested: &[Op], table: &[Op], name: fn(Op) -> &'static str) {
    let tested: Vec<&str> = tested.iter().map(|&op| name(op)).collect();
    for &op in table {
        assert!(
            tested.contains(&name(op)),
            "{} is not run on CUDA by this test",
            name(op)
        );
    }
}

#[test]
fn unary_ops_match_cpu_on_strided_views() {
    for_each_cuda_device(|dev| {
        let x = randn(&[37, 53], 1);
        let pos = kernels::unary(&kernels::unary(&x, U::Abs).unwrap(), U::AddScalar(0.1)).unwrap();
        let any_sign = [
            U::Neg,
            U::Exp,
            U::Abs,
            U::Square,
            U::Recip,
            U::Relu,
            U::Tanh,
            U::Sigmoid,
            U::LeakyRelu(0.2),
            U::AddScalar(1.5),
            U::MulScalar(-3.0),
            U::Clamp(-0.5, 0.25),
            U::Positive,
        ];
        let positive_only = [U::Log, U::Sqrt, U::PowScalar(1.7)];
        let tested: Vec<U> = any_sign.iter().chain(&positive_only).copied().collect();
        assert_covers_table(&tested, &U::variants(), U::name);
        for (input, ops) in [
            (&x, &any_sign[..]),
            (&pos, &any_sign[..]),
            (&pos, &positive_only[..]),
        ] {
            let g = on(input, dev);
            for view in VIEWS {
                for &op in ops {
                    let want = v(&kernels::unary(&view(input), op).unwrap());
                    let got = kernels::unary(&view(&g), op).unwrap();
                    assert_eq!(got.device(), dev);
                    assert_close(&format!("{op:?}"), &v(&got), &want, 2e-6, 1e-6);
                }
            }
        }
    });
}

#[test]
fn binary_ops_broadcast_like_cpu() {
    for_each_cuda_device(|dev| {
        let a = randn(&[37, 53], 2);
        let col = kernels::unary(&randn(&[37, 1], 3), U::AddScalar(3.0)).unwrap();
        let row = randn(&[53], 4);
        let ops = [
            B::Add,
            B::Sub,
            B::Mul,
            B::Div,
            B::Maximum,
            B::Minimum,
            B::ReluBackward,
            B::LeakyReluBackward(0.2),
            B::TanhBackward,
            B::SigmoidBackward,
            B::ClampBackward(-0.5, 0.5),
            B::AbsBackward,
            B::PowBackward(2.0),
        ];
        assert_covers_table(&ops, &B::variants(), B::name);
        let (ga, gc, gr) = (on(&a, dev), on(&col, dev), on(&row, dev));
        // Full with column, row with column (both broadcast), transposed with row.
        let cases: [(Tensor, Tensor, Tensor, Tensor); 3] = [
            (a.clone(), col.clone(), ga.clone(), gc.clone()),
            (row.clone(), col.clone(), gr.clone(), gc.clone()),
            (
                a.t().unwrap(),
                row.narrow(0, 0, 37).unwrap(),
                ga.t().unwrap(),
                gr.narrow(0, 0, 37).unwrap(),
            ),
        ];
        for (x, y, gx, gy) in &cases {
            for op in ops {
                let want = v(&kernels::binary(x, y, op).unwrap());
                let got = kernels::binary(gx, gy, op).unwrap();
                assert_eq!(got.device(), dev);
                assert_close(&format!("{op:?}"), &v(&got), &want, 2e-6, 1e-6);
            }
        }
        let e = kernels::binary(&ga, &row, B::Add).unwrap_err();
        assert!(e.to_string().contains("different devices"), "{e}");
    });
}

#[test]
fn reductions_match_cpu() {
    for_each_cuda_device(|dev| {
        let x = randn(&[7, 300, 33], 5);
        let g = on(&x, dev);
        let axes: [&[isize]; 6] = [&[0], &[1], &[2], &[0, 2], &[-1, 0, 1], &[1, 2]];
        for ax in axes {
            for keep in [false, true] {
                let want = kernels::sum_axes(&x, ax, keep).unwrap();
                let got = kernels::sum_axes(&g, ax, keep).unwrap();
                assert_eq!(got.shape(), want.shape());
                assert_close(&format!("sum {ax:?}"), &v(&got), &v(&want), 1e-5, 1e-4);
            }
        }
        // Long rows split across blocks, and many short ones.
        for shape in [[1usize, 1 << 20], [3, 70_001], [20_000, 5]] {
            let x = randn(&shape, 6);
            let want = kernels::sum_axes(&x, &[1], false).unwrap();
            let got = kernels::sum_axes(&on(&x, dev), &[1], false).unwrap();
            assert_close(&format!("sum {shape:?}"), &v(&got), &v(&want), 1e-4, 1e-2);
        }
        // Max with ties and NaN: same values and the same (first) argmax.
        let mut data = v(&randn(&[9, 65], 7));
        data[3] = f32::NAN;
        data[65 + 10] = 9.0;
        data[65 + 40] = 9.0;
        let m = Tensor::from_vec(data, &[9, 65]).unwrap();
        for dim in [0isize, 1] {
            let (wv, wi) = kernels::max_dim(&m, dim, false).unwrap();
            let (gv, gi) = kernels::max_dim(&on(&m, dev), dim, false).unwrap();
            assert_close("max", &v(&gv), &v(&wv), 0.0, 0.0);
            assert_eq!(gi, wi);
            let gs = on(
                &Tensor::ones(gv.shape(), DType::F32, Device::Cpu).unwrap(),
                dev,
            );
            let back = kernels::scatter_to_dim(&gs, &gi, m.shape(), dim).unwrap();
            let want = kernels::scatter_to_dim(
                &Tensor::ones(wv.shape(), DType::F32, Device::Cpu).unwrap(),
                &wi,
                m.shape(),
                dim,
            )
            .unwrap();
            assert_close("max backward", &v(&back), &v(&want), 0.0, 0.0);
        }
    });
}

#[test]
fn losses_forward_and_backward_match_cpu() {
    for_each_cuda_device(|dev| {
        let x = randn(&[128, 10], 8);
        let p = kernels::unary(&x, U::Sigmoid).unwrap();
        let y = kernels::unary(&randn(&[128, 10], 9), U::Positive).unwrap();
        let g = Tensor::full(0.7, &[], DType::F32, Device::Cpu).unwrap();
        let (gx, gp, gy, gg) = (on(&x, dev), on(&p, dev), on(&y, dev), on(&g, dev));
        let close =
            |what: &str, a: &Tensor, b: &Tensor| assert_close(what, &v(a), &v(b), 1e-5, 1e-6);
        close(
            "bce",
            &kernels::bce(&gp, &gy).unwrap(),
            &kernels::bce(&p, &y).unwrap(),
        );
        close(
            "bce'",
            &kernels::bce_backward(&gp, &gy, &gg).unwrap(),
            &kernels::bce_backward(&p, &y, &g).unwrap(),
        );
        close(
            "bcel",
            &kernels::bce_with_logits(&gx, &gy).unwrap(),
            &kernels::bce_with_logits(&x, &y).unwrap(),
        );
        close(
            "bcel'",
            &kernels::bce_with_logits_backward(&gx, &gy, &gg).unwrap(),
            &kernels::bce_with_logits_backward(&x, &y, &g).unwrap(),
        );
        close(
            "mse",
            &kernels::mse(&gx, &gp).unwrap(),
            &kernels::mse(&x, &p).unwrap(),
        );
        close(
            "mse'",
            &kernels::mse_backward(&gx, &gp, &gg).unwrap(),
            &kernels::mse_backward(&x, &p, &g).unwrap(),
        );
        let labels: Vec<usize> = (0..128).map(|i| (i * 7) % 10).collect();
        close(
            "ce",
            &kernels::cross_entropy(&gx, &labels).unwrap(),
            &kernels::cross_entropy(&x, &labels).unwrap(),
        );
        close(
            "ce'",
            &kernels::cross_entropy_backward(&gx, &labels, &gg).unwrap(),
            &kernels::cross_entropy_backward(&x, &labels, &g).unwrap(),
        );
        assert!(kernels::cross_entropy(&gx, &[11; 128]).is_err());
    });
}

#[test]
fn copies_cat_and_views() {
    for_each_cuda_device(|dev| {
        let x = randn(&[6, 5, 4], 10);
        let g = on(&x, dev);
        let p = g.permute(&[2, 0, 1]).unwrap();
        assert_eq!(
            v(&kernels::contiguous(&p).unwrap()),
            v(&kernels::contiguous(&x.permute(&[2, 0, 1]).unwrap()).unwrap())
        );
        assert_eq!(
            v(&p),
            v(&x.permute(&[2, 0, 1]).unwrap()),
            "to_vec of a strided device view"
        );
        let c = kernels::cat(&[g.clone(), g.narrow(1, 1, 2).unwrap()], 1).unwrap();
        assert_eq!(
            v(&c),
            v(&kernels::cat(&[x.clone(), x.narrow(1, 1, 2).unwrap()], 1).unwrap())
        );
        let r = kernels::reshape(&g.transpose(0, 2).unwrap(), &[20, 6]).unwrap();
        let want = kernels::reshape(&x.transpose(0, 2).unwrap(), &[20, 6]).unwrap();
        assert_eq!(v(&r), v(&want));
        let back = on(&g, Device::Cpu);
        assert_eq!((back.device(), v(&back)), (Device::Cpu, v(&x)));
        // CUDA holds f32 only: a typed error, no panic.
        let f64t = kernels::to_dtype(&x, DType::F64).unwrap();
        assert!(f64t.to_device(dev).is_err());
        // A conv with a CPU weight and a device image: a device mismatch.
        let img = on(&randn(&[1, 1, 5, 5], 11), dev);
        let w = randn(&[1, 1, 3, 3], 12);
        let e = kernels::conv2d(&img, &w, None, 1, 0).unwrap_err();
        assert!(e.to_string().contains("conv2d"), "{e}");
    });
}

#[test]
fn device_random_matches_the_cpu_stream() {
    for_each_cuda_device(|dev| {
        let kat = [([0u32; 4], [0u32; 2]), ([u32::MAX; 4], [u32::MAX; 2])];
        let words = kernels::random::cuda::philox_words(0, &kat).unwrap();
        for ((c, k), w) in kat.iter().zip(&words) {
            assert_eq!(*w, kernels::random::philox4x32_10(*c, *k));
        }
        let shape = [1001, 3];
        let r = &kernels::random::uniform;
        assert_eq!(
            v(&r(&shape, -1.0, 1.0, 5, 9, dev).unwrap()),
            v(&r(&shape, -1.0, 1.0, 5, 9, Device::Cpu).unwrap())
        );
        let m = &kernels::random::dropout_mask;
        assert_eq!(
            v(&m(&shape, 0.3, 5, 9, dev).unwrap()),
            v(&m(&shape, 0.3, 5, 9, Device::Cpu).unwrap())
        );
        let n = &kernels::random::normal;
        assert_close(
            "normal",
            &v(&n(&shape, 0.5, 2.0, 5, 9, dev).unwrap()),
            &v(&n(&shape, 0.5, 2.0, 5, 9, Device::Cpu).unwrap()),
            1e-5,
            1e-5,
        );
    });
}

#[test]
fn allocator_reaches_a_steady_state() {
    // Alone: other tests allocating on the same device would move its counters.
    for_each_cuda_device_alone(|dev| {
        let Device::Cuda(ordinal) = dev else {
            unreachable!()
        };
        let d = kernels::cuda::device(ordinal).unwrap();
        let w = on(&randn(&[256, 784], 13), dev);
        let step = || {
            let x = on(&randn(&[64, 784], 14), dev);
            let y = kernels::linear(&x, &w, None).unwrap();
            let y = kernels::unary(&y, U::Relu).unwrap();
            kernels::sum_axes(&y, &[0, 1], false).unwrap()
        };
        for _ in 0..3 {
            step();
        }
        let before = kernels::cuda::stats(&d).driver_allocs;
        for _ in 0..50 {
            step();
        }
        assert_eq!(
            kernels::cuda::stats(&d).driver_allocs,
            before,
            "no driver allocation per step"
        );
    });
}
