//! The engine against direct loops (the definitions) in f64, over shapes that
//! exercise batching (many images with tiny outputs), padding wider than the
//! kernel's reach, non-square inputs and strides; plus the f32 path and errors.

use super::*;

fn seq(n: usize, seed: f64) -> Vec<f64> {
    (0..n).map(|i| ((i as f64 + seed) * 0.618).sin()).collect()
}

fn t(v: &[f64], s: &[usize]) -> Tensor {
    Tensor::from_slice(v, s).unwrap()
}

/// Direct conv2d: y[n,o,oy,ox] = Σ x[n,c,oy·s+ki−p, ox·s+kj−p] · w[o,c,ki,kj].
/// Returns y and, for upstream gradient gy, (dx, dw) by the same loops.
fn naive(
    x: &[f64],
    xs: [usize; 4],
    w: &[f64],
    ws: [usize; 4],
    s: usize,
    p: usize,
    gy: Option<&[f64]>,
) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let [n, c, h, wd] = xs;
    let [o, _, kh, kw] = ws;
    let oh = (h + 2 * p - kh) / s + 1;
    let ow = (wd + 2 * p - kw) / s + 1;
    let mut y = vec![0.0; n * o * oh * ow];
    let mut dx = vec![0.0; x.len()];
    let mut dw = vec![0.0; w.len()];
    for b in 0..n {
        for oc in 0..o {
            for oy in 0..oh {
                for ox in 0..ow {
                    let yi = ((b * o + oc) * oh + oy) * ow + ox;
                    for ic in 0..c {
                        for ki in 0..kh {
                            for kj in 0..kw {
                                let iy = (oy * s + ki) as isize - p as isize;
                                let ix = (ox * s + kj) as isize - p as isize;
                                if iy < 0 || ix < 0 || iy >= h as isize || ix >= wd as isize {
                                    continue;
                                }
                                let xi = ((b * c + ic) * h + iy as usize) * wd + ix as usize;
                                let wi = ((oc * c + ic) * kh + ki) * kw + kj;
                                y[yi] += x[xi] * w[wi];
                                if let Some(gy) = gy {
                                    dx[xi] += gy[yi] * w[wi];
                                    dw[wi] += gy[yi] * x[xi];
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    (y, dx, dw)
}

fn close(a: &[f64], b: &[f64], what: &str) {
    assert_eq!(a.len(), b.len(), "{what}: lengths");
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        assert!(
            (x - y).abs() < 1e-9 * (1.0 + y.abs()),
            "{what}[{i}]: {x} vs {y}"
        );
    }
}

const CASES: &[([usize; 4], usize, usize, usize, usize)] = &[
    // (x shape, out channels, kernel, stride, padding)
    ([2, 3, 8, 8], 4, 3, 1, 1),
    ([3, 1, 28, 28], 6, 4, 2, 1),
    ([2, 5, 7, 7], 3, 4, 2, 1),
    ([37, 4, 3, 3], 2, 4, 2, 1), // 1×1 outputs: many images per GEMM
    ([19, 3, 7, 7], 5, 4, 2, 2),
    ([1, 2, 9, 6], 3, 3, 2, 0),
    ([2, 2, 1, 1], 3, 4, 1, 3), // padding wider than the kernel's reach
    ([9, 5, 4, 4], 2, 4, 1, 0), // the filter covers the image: the dense path
    ([9, 3, 4, 4], 3, 4, 2, 1), // 2×2 outputs, batched unfolding
];

#[test]
fn conv2d_matches_direct_loops() {
    for &(xs, o, k, s, p) in CASES {
        check_conv2d(xs, o, k, s, p);
    }
}

/// With many batches per rayon fold state, the per-state dW partials must
/// accumulate over batches; run on 1 and 3 threads so that this holds whatever
/// the machine's thread count.
#[test]
fn many_batches_on_any_thread_count() {
    for threads in [1, 3] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| {
            check_conv2d([40, 2, 8, 8], 3, 3, 1, 1);
            check_conv2d([30, 3, 3, 3], 2, 4, 2, 1);
        });
    }
}

fn check_conv2d(xs: [usize; 4], o: usize, k: usize, s: usize, p: usize) {
    {
        let ws = [o, xs[1], k, k];
        let x = seq(xs.iter().product(), 0.1);
        let w = seq(ws.iter().product(), 3.7);
        let (y_ref, dx_ref, dw_ref) = {
            let probe = naive(&x, xs, &w, ws, s, p, None);
            let gy = seq(probe.0.len(), 7.3);
            let r = naive(&x, xs, &w, ws, s, p, Some(&gy));
            (r.0, r.1, r.2)
        };
        let gy = seq(y_ref.len(), 7.3);
        let (tx, tw) = (t(&x, &xs), t(&w, &ws));
        let y = conv2d(&tx, &tw, None, s, p).unwrap();
        let what = format!("{xs:?} o{o} k{k} s{s} p{p}");
        close(&y.to_vec::<f64>().unwrap(), &y_ref, &format!("y {what}"));
        let b = seq(o, 9.9);
        let yb = conv2d(&tx, &tw, Some(&t(&b, &[o])), s, p).unwrap();
        let plane = y.shape()[2] * y.shape()[3];
        let with_b: Vec<f64> = y_ref
            .iter()
            .enumerate()
            .map(|(i, v)| v + b[(i / plane) % o])
            .collect();
        close(
            &yb.to_vec::<f64>().unwrap(),
            &with_b,
            &format!("y+b {what}"),
        );
        let ty = t(&gy, y.shape());
        let (dx, dw) = conv2d_backward(&tx, &tw, &ty, s, p, true, true).unwrap();
        close(
            &dx.unwrap().to_vec::<f64>().unwrap(),
            &dx_ref,
            &format!("dx {what}"),
        );
        close(
            &dw.unwrap().to_vec::<f64>().unwrap(),
            &dw_ref,
            &format!("dw {what}"),
        );
        let dx2 = conv2d_backward_input(&ty, &tw, &xs, s, p).unwrap();
        close(
            &dx2.to_vec::<f64>().unwrap(),
            &dx_ref,
            &format!("dx2 {what}"),
        );
        let dw2 = conv2d_backward_weight(&tx, &ty, (k, k), s, p).unwrap();
        close(
            &dw2.to_vec::<f64>().unwrap(),
            &dw_ref,
            &format!("dw2 {what}"),
        );
    }
}

/// conv_transpose2d is the adjoint of conv2d: with the weight read as conv2d's
/// [O=Cin, C=Cout, k, k], convT(x) = conv2d_backward_input(x), and the gradients
/// follow from the direct conv loops with the roles of the images swapped.
#[test]
fn conv_transpose2d_is_the_adjoint_of_conv2d() {
    for &(xs, o, k, s, p) in CASES {
        // convT maps [n, o, oh, ow] → [n, c, h, w] where conv2d maps back.
        let cs = [
            xs[0],
            o,
            (xs[2] + 2 * p - k) / s + 1,
            (xs[3] + 2 * p - k) / s + 1,
        ];
        let op = (xs[2] + 2 * p - k) % s; // output_padding that recovers h
        if (xs[3] + 2 * p - k) % s != op {
            continue;
        }
        let ws = [o, xs[1], k, k];
        let xv = seq(cs.iter().product(), 1.3);
        let w = seq(ws.iter().product(), 2.1);
        let b = seq(xs[1], 5.0);
        let (tx, tw, tb) = (t(&xv, &cs), t(&w, &ws), t(&b, &[xs[1]]));
        let y = conv_transpose2d(&tx, &tw, Some(&tb), s, p, op).unwrap();
        assert_eq!(y.shape(), &xs);
        // ⟨convT(x), z⟩ = ⟨x, conv2d(z)⟩ for the bias-free part
        let z = seq(xs.iter().product(), 4.4);
        let (cz, _, _) = naive(&z, xs, &w, ws, s, p, None);
        let yv = y.to_vec::<f64>().unwrap();
        let plane = xs[2] * xs[3];
        let lhs: f64 = yv
            .iter()
            .zip(&z)
            .enumerate()
            .map(|(i, (a, zz))| (a - b[(i / plane) % xs[1]]) * zz)
            .sum();
        let rhs: f64 = xv.iter().zip(&cz).map(|(a, c)| a * c).sum();
        let what = format!("{xs:?} o{o} k{k} s{s} p{p}");
        assert!(
            (lhs - rhs).abs() < 1e-9 * (1.0 + rhs.abs()),
            "{what}: {lhs} vs {rhs}"
        );
        // backward: dx = conv2d(gy), dw[ci,co,..] = Σ x[ci] · im2col(gy)[co,..]
        let gy = seq(yv.len(), 8.8);
        let (dx_ref, _, dw_ref) = {
            // conv2d of gy with w gives dx; its weight grad with upstream x gives dw
            let r = naive(&gy, xs, &w, ws, s, p, Some(&xv));
            (r.0, r.1, r.2)
        };
        let (dx, dw) =
            conv_transpose2d_backward(&tx, &tw, &t(&gy, &xs), s, p, op, true, true).unwrap();
        close(
            &dx.unwrap().to_vec::<f64>().unwrap(),
            &dx_ref,
            &format!("convT dx {what}"),
        );
        close(
            &dw.unwrap().to_vec::<f64>().unwrap(),
            &dw_ref,
            &format!("convT dw {what}"),
        );
    }
}

/// The f32 path (the AVX2 kernel with its implicit im2col, where the CPU has
/// it) agrees with the f64 one on every case, also for a strided input view.
#[test]
fn f32_agrees_with_f64() {
    let f32t = |v: &[f64], s: &[usize]| {
        Tensor::from_vec(v.iter().map(|&x| x as f32).collect::<Vec<_>>(), s).unwrap()
    };
    let close32 = |a: &Tensor, b: &Tensor, what: &str| {
        let (a, b) = (a.to_vec::<f64>().unwrap(), b.to_vec::<f64>().unwrap());
        let scale = b.iter().fold(1.0f64, |m, v| m.max(v.abs()));
        for (i, (x, y)) in a.iter().zip(&b).enumerate() {
            assert!((x - y).abs() < 2e-5 * scale, "{what}[{i}]: {x} vs {y}");
        }
    };
    for &(xs, o, k, s, p) in CASES {
        let ws = [o, xs[1], k, k];
        let (x, w) = (seq(xs.iter().product(), 0.4), seq(ws.iter().product(), 1.9));
        let (x64, w64, x32, w32) = (t(&x, &xs), t(&w, &ws), f32t(&x, &xs), f32t(&w, &ws));
        let what = format!("{xs:?} o{o} k{k} s{s} p{p}");
        let y64 = conv2d(&x64, &w64, None, s, p).unwrap();
        close32(
            &conv2d(&x32, &w32, None, s, p).unwrap(),
            &y64,
            &format!("y {what}"),
        );
        let gy = seq(y64.numel(), 2.2);
        let (g64, g32) = (t(&gy, y64.shape()), f32t(&gy, y64.shape()));
        let (dx64, dw64) = conv2d_backward(&x64, &w64, &g64, s, p, true, true).unwrap();
        let (dx32, dw32) = conv2d_backward(&x32, &w32, &g32, s, p, true, true).unwrap();
        close32(&dx32.unwrap(), &dx64.unwrap(), &format!("dx {what}"));
        close32(&dw32.unwrap(), &dw64.unwrap(), &format!("dw {what}"));
    }
    // the input given as a transposed view of a [N, C, W, H] buffer
    let xs = [5, 3, 6, 7];
    let x = seq(xs.iter().product(), 0.5);
    let w = seq(4 * 3 * 16, 0.9);
    let y64 = conv2d(&t(&x, &xs), &t(&w, &[4, 3, 4, 4]), None, 2, 1).unwrap();
    let xt = f32t(&x, &xs).transpose(2, 3).unwrap();
    let xt = crate::contiguous(&xt).unwrap().transpose(2, 3).unwrap();
    assert!(!xt.is_contiguous());
    let y32 = conv2d(&xt, &f32t(&w, &[4, 3, 4, 4]), None, 2, 1).unwrap();
    close32(&y32, &y64, "strided view");
}

#[test]
fn bad_shapes_are_errors_naming_op_and_shapes() {
    let x = Tensor::zeros(&[2, 3, 5, 5], DType::F32, tensor::Device::Cpu).unwrap();
    let w = Tensor::zeros(&[4, 3, 3, 3], DType::F32, tensor::Device::Cpu).unwrap();
    let w2 = Tensor::zeros(&[4, 2, 3, 3], DType::F32, tensor::Device::Cpu).unwrap();
    let big = Tensor::zeros(&[4, 3, 8, 8], DType::F32, tensor::Device::Cpu).unwrap();
    let x3 = Tensor::zeros(&[3, 5, 5], DType::F32, tensor::Device::Cpu).unwrap();
    let b = Tensor::zeros(&[5], DType::F32, tensor::Device::Cpu).unwrap();
    let w64 = Tensor::zeros(&[4, 3, 3, 3], DType::F64, tensor::Device::Cpu).unwrap();
    let wt = Tensor::zeros(&[3, 4, 3, 3], DType::F32, tensor::Device::Cpu).unwrap();
    for (e, needle) in [
        (conv2d(&x, &w2, None, 1, 0).unwrap_err(), "channels"),
        (
            conv2d(&x, &big, None, 1, 1).unwrap_err(),
            "larger than the padded input",
        ),
        (conv2d(&x, &w, None, 0, 0).unwrap_err(), "stride"),
        (conv2d(&x3, &w, None, 1, 0).unwrap_err(), "4-D"),
        (conv2d(&x, &w, Some(&b), 1, 0).unwrap_err(), "bias"),
        (conv2d(&x, &w64, None, 1, 0).unwrap_err(), "dtype"),
        (
            conv_transpose2d(&x, &wt, None, 2, 1, 2).unwrap_err(),
            "output_padding",
        ),
        (
            conv_transpose2d(&x, &wt, None, 1, 9, 0).unwrap_err(),
            "no output",
        ),
        (
            conv_transpose2d(&x, &w2, None, 1, 0, 0).unwrap_err(),
            "channels",
        ),
    ] {
        let msg = e.to_string();
        assert!(msg.contains(needle), "{msg}");
        assert!(msg.contains("conv"), "{msg}");
    }
    let e = conv2d(&x, &big, None, 1, 1).unwrap_err().to_string();
    assert!(
        e.contains("[2, 3, 5, 5]") && e.contains("[4, 3, 8, 8]"),
        "{e}"
    );
}

#[test]
fn empty_batch_gives_empty_output() {
    let x = Tensor::zeros(&[0, 3, 5, 5], DType::F32, tensor::Device::Cpu).unwrap();
    let w = Tensor::zeros(&[4, 3, 3, 3], DType::F32, tensor::Device::Cpu).unwrap();
    assert_eq!(conv2d(&x, &w, None, 1, 1).unwrap().shape(), &[0, 4, 5, 5]);
    let wt = Tensor::zeros(&[3, 2, 4, 4], DType::F32, tensor::Device::Cpu).unwrap();
    assert_eq!(
        conv_transpose2d(&x, &wt, None, 2, 1, 0).unwrap().shape(),
        &[0, 2, 10, 10]
    );
}
