//! conv2d, conv_transpose2d, batch norm and max_pool2d on a GPU against the
//! same forward and backward on the CPU: on every parity fixture of those ops
//! and on the DCGAN layer shapes of `../shared/reference/cases.json` (at a
//! small batch, to stay quick). Each test skips, saying why, without a GPU.

use autograd::Var;
use rand::rngs::StdRng;
use rand::SeedableRng;
use std::collections::HashMap;
use tensor::{Device, Tensor};
use tests::gpu::{assert_close, for_each_cuda_device, on_simulator};
use tests::parity::{compare, fixtures_dir, run, Fixture};

/// Batch of the DCGAN shapes here (cases.json times them at 128).
const BATCH: usize = 4;

fn randn(shape: &[usize], seed: u64) -> Tensor {
    Tensor::randn(shape, 0.0, 1.0, &mut StdRng::seed_from_u64(seed)).unwrap()
}

fn on(t: &Tensor, dev: Device) -> Tensor {
    t.clone().to_device(dev).unwrap()
}

fn v(t: &Tensor) -> Vec<f32> {
    t.to_vec_f32().unwrap()
}

/// Sums of `k` products: the error grows like √k.
fn close(what: &str, got: &Tensor, want: &Tensor, k: usize) {
    assert_eq!(got.shape(), want.shape(), "{what}: shapes differ");
    assert_close(
        what,
        &v(got),
        &v(want),
        1e-4,
        2e-5 * (k.max(1) as f64).sqrt(),
    );
}

const FAMILIES: [&str; 5] = [
    "conv2d",
    "conv_transpose2d",
    "batchnorm1d",
    "batchnorm2d",
    "max_pool2d",
];

/// The fixtures of those ops, each loaded twice: one stays on the CPU, the
/// other's tensors move to `dev`.
fn fixtures(dev: Device) -> Vec<(Fixture, Fixture)> {
    let mut paths: Vec<_> = std::fs::read_dir(fixtures_dir())
        .expect("fixtures directory (set PARITY_FIXTURES)")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "safetensors"))
        .collect();
    paths.sort();
    let mut out = Vec::new();
    for p in &paths {
        let fx = Fixture::load(p).expect("load fixture");
        if !FAMILIES.contains(&fx.op.as_str()) {
            continue;
        }
        let mut g = Fixture::load(p).expect("load fixture");
        for t in g.tensors.values_mut() {
            *t = on(t, dev);
        }
        out.push((fx, g));
    }
    out
}

#[test]
fn parity_fixtures_match_cpu_on_cuda() {
    for_each_cuda_device(|dev| {
        let all = fixtures(dev);
        assert!(all.len() >= 15, "expected the conv/bn/pool fixtures");
        let mut failures = Vec::new();
        for (fx, gpu_fx) in &all {
            let cpu = run(fx).expect("a runner").expect("CPU run");
            let gpu = match run(gpu_fx).expect("a runner") {
                Ok(r) => r,
                Err(e) => {
                    failures.push(e);
                    continue;
                }
            };
            failures.extend(compare(gpu_fx, &gpu));
            for (k, want) in &cpu {
                let got = gpu
                    .get(k)
                    .unwrap_or_else(|| panic!("{}: no {k} on cuda", fx.name));
                assert_eq!(got.device(), dev, "{}: {k} left the GPU", fx.name);
                close(&format!("{} {k}", fx.name), got, want, 256);
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    });
}

/// One layer of a cases.json conv case, at batch `BATCH`.
struct ConvCase {
    name: String,
    transpose: bool,
    x: Vec<usize>,
    out_channels: usize,
    kernel: usize,
    stride: usize,
    padding: usize,
}

fn cases() -> Vec<serde_json::Value> {
    let path = fixtures_dir().join("../cases.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let doc: serde_json::Value = serde_json::from_str(&text).expect("cases.json parses");
    doc["cases"].as_array().expect("a cases array").clone()
}

fn shape_of(c: &serde_json::Value) -> Vec<usize> {
    let mut s: Vec<usize> = c["x"]
        .as_array()
        .expect("x shape")
        .iter()
        .map(|d| d.as_u64().unwrap() as usize)
        .collect();
    s[0] = BATCH;
    s
}

fn conv_cases() -> Vec<ConvCase> {
    let us = |c: &serde_json::Value, k: &str| c[k].as_u64().unwrap() as usize;
    cases()
        .iter()
        .filter(|c| c["op"] == "conv2d" || c["op"] == "conv_transpose2d")
        .map(|c| ConvCase {
            name: c["name"].as_str().unwrap().to_string(),
            transpose: c["op"] == "conv_transpose2d",
            x: shape_of(c),
            out_channels: us(c, "out_channels"),
            kernel: us(c, "kernel"),
            stride: us(c, "stride"),
            padding: us(c, "padding"),
        })
        .collect()
}

/// Forward, then backward with a fixed output gradient: the output and the
/// gradient of every input, keyed "out", "0", "1", ...
fn fwd_bwd(
    inputs: &[Tensor],
    dev: Device,
    g_seed: u64,
    f: impl Fn(&[Var]) -> tensor::Result<Var>,
) -> HashMap<String, Tensor> {
    let vars: Vec<Var> = inputs.iter().map(|t| Var::param(on(t, dev))).collect();
    let y = f(&vars).unwrap();
    assert_eq!(y.data().device(), dev);
    let g = on(&randn(y.shape(), g_seed), dev);
    y.backward_with(g).unwrap();
    let mut r = HashMap::new();
    r.insert("out".to_string(), on(y.data(), Device::Cpu));
    for (i, x) in vars.iter().enumerate() {
        let gr = x.grad().expect("a gradient");
        assert_eq!(gr.device(), dev);
        r.insert(i.to_string(), on(&gr, Device::Cpu));
    }
    r
}

fn compare_runs(
    what: &str,
    gpu: &HashMap<String, Tensor>,
    cpu: &HashMap<String, Tensor>,
    k: usize,
) {
    for (key, want) in cpu {
        close(&format!("{what} {key}"), &gpu[key], want, k);
    }
}

/// Runs everywhere: the shapes the GPU tests use are found and parsed.
#[test]
fn dcgan_cases_are_read() {
    let cs = conv_cases();
    assert_eq!(
        cs.iter().filter(|c| c.transpose).count(),
        9,
        "conv_transpose2d cases"
    );
    assert_eq!(
        cs.iter().filter(|c| !c.transpose).count(),
        9,
        "conv2d cases"
    );
    assert!(cs
        .iter()
        .all(|c| c.x.len() == 4 && c.x[0] == BATCH && c.kernel > 0));
    assert!(cases().iter().filter(|c| c["op"] == "batchnorm2d").count() >= 4);
    assert!(
        fixtures(Device::Cpu).len() >= 15,
        "the conv/bn/pool fixtures"
    );
}

#[test]
fn dcgan_conv_layers_match_cpu() {
    for_each_cuda_device(|dev| {
        let cs = conv_cases();
        assert!(cs.len() >= 18, "expected the DCGAN conv cases");
        for (i, c) in cs.iter().enumerate() {
            let cin = c.x[1];
            let (k, s, p) = (c.kernel, c.stride, c.padding);
            let wshape = if c.transpose {
                [cin, c.out_channels, k, k]
            } else {
                [c.out_channels, cin, k, k]
            };
            let seed = 10 * i as u64;
            // With and without a bias: the DCGANs have none, the fixtures some.
            for bias in [false, true] {
                let mut inputs = vec![randn(&c.x, seed), randn(&wshape, seed + 1)];
                if bias {
                    inputs.push(randn(&[c.out_channels], seed + 2));
                }
                let f = |v: &[Var]| {
                    let b = v.get(2);
                    if c.transpose {
                        v[0].conv_transpose2d(&v[1], b, s, p, 0)
                    } else {
                        v[0].conv2d(&v[1], b, s, p)
                    }
                };
                let cpu = fwd_bwd(&inputs, Device::Cpu, seed + 3, f);
                let gpu = fwd_bwd(&inputs, dev, seed + 3, f);
                // Longest sum: the weight gradient's N·OH·OW or the forward's C·k².
                let reach = BATCH * 64 * 64 + cin * k * k;
                compare_runs(&format!("{} bias={bias}", c.name), &gpu, &cpu, reach);
            }
        }
    });
}

#[test]
fn conv_chunks_strides_and_odd_shapes_match_cpu() {
    for_each_cuda_device(|dev| {
        // (x, o, k, s, p): rectangular kernels' images, stride 3, 1×1, a kernel
        // covering the whole padded image, and a batch large enough for chunking.
        let shapes: [(&[usize], usize, usize, usize, usize); 5] = [
            (&[3, 5, 11, 7], 6, 3, 3, 1),
            (&[2, 4, 9, 9], 8, 1, 1, 0),
            (&[2, 3, 5, 5], 4, 7, 1, 1),
            (&[1, 1, 1, 1], 3, 1, 1, 0),
            (&[300, 64, 16, 16], 64, 4, 2, 1),
        ];
        for (i, &(x, o, k, s, p)) in shapes.iter().enumerate() {
            let seed = 500 + 10 * i as u64;
            let inputs = [
                randn(x, seed),
                randn(&[o, x[1], k, k], seed + 1),
                randn(&[o], seed + 2),
            ];
            let f = |v: &[Var]| v[0].conv2d(&v[1], Some(&v[2]), s, p);
            let reach = x[0] * x[2] * x[3] + x[1] * k * k;
            compare_runs(
                &format!("conv2d {x:?} o{o} k{k} s{s} p{p}"),
                &fwd_bwd(&inputs, dev, seed + 3, f),
                &fwd_bwd(&inputs, Device::Cpu, seed + 3, f),
                reach,
            );
            let tin = [
                randn(x, seed),
                randn(&[x[1], o, k, k], seed + 4),
                randn(&[o], seed + 5),
            ];
            let op = usize::from(s > 1);
            let ft = |v: &[Var]| v[0].conv_transpose2d(&v[1], Some(&v[2]), s, p, op);
            compare_runs(
                &format!("conv_transpose2d {x:?} o{o} k{k} s{s} p{p} op{op}"),
                &fwd_bwd(&tin, dev, seed + 6, ft),
                &fwd_bwd(&tin, Device::Cpu, seed + 6, ft),
                reach * s * s + o * k * k,
            );
        }
    });
}

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
        }
    });
}

/// Every parameter and buffer of G and D, read back to the host.
fn gan_tensors(gan: &gan::train::Gan) -> Vec<(String, Vec<f32>)> {
    let mut out = Vec::new();
    for (net, m) in [("G", &gan.g), ("D", &gan.d)] {
        let params = m
            .named_parameters()
            .into_iter()
            .map(|(n, p)| (n, p.data().clone()));
        for (n, t) in params.chain(m.named_buffers()) {
            out.push((format!("{net}.{n}"), t.to_vec_f32().unwrap()));
        }
    }
    out
}

/// The DCGANs train on the GPU: one step from the same weights, batch and
/// noise as on the CPU (losses close; parameters within Adam's ±lr of each
/// other), and a checkpoint written on the GPU loads on the CPU and back, bit
/// for bit (running statistics included).
#[test]
fn dcgan_steps_and_checkpoints_on_cuda() {
    use gan::data::DatasetName;
    use gan::models::ModelKind;
    use gan::train::noise::{sample_z, step_rng, stream_rng};
    use gan::train::state::{self, LogAcc, Position, Settings};
    use gan::train::Gan;
    for_each_cuda_device(|dev| {
        for kind in [ModelKind::Dcgan28, ModelKind::Dcgan64] {
            let s = kind.spec();
            // A dcgan64 step at batch 128 takes 70-110 s on the simulator: it
            // runs at batch 16 there (the real GPU runs the tutorial's 128).
            let batch = if on_simulator() && kind == ModelKind::Dcgan64 {
                16
            } else {
                s.batch
            };
            let mut shape = vec![batch];
            shape.extend(s.image);
            let real = Tensor::rand_uniform(&shape, -1.0, 1.0, &mut stream_rng(9, 1)).unwrap();
            let z = sample_z(s.z, batch, s.latent, &mut stream_rng(9, 100)).unwrap();
            let mut cpu = Gan::new_on(kind, 3, s.lr, Device::Cpu).unwrap();
            let mut gpu = Gan::new_on(kind, 3, s.lr, dev).unwrap();
            let step = |g: &mut Gan| {
                let st = g
                    .train_step_with_z(&real, z.clone(), &mut step_rng(3, 0))
                    .unwrap()
                    .resolve()
                    .unwrap();
                vec![st.d_loss, st.g_loss, st.d_x, st.d_gz]
            };
            let (want, got) = (step(&mut cpu), step(&mut gpu));
            assert_close(&format!("{kind}: losses"), &got, &want, 1e-3, 1e-4);
            for ((n, g), (_, c)) in gan_tensors(&gpu).iter().zip(&gan_tensors(&cpu)) {
                let flips = g
                    .iter()
                    .zip(c)
                    .filter(|(a, b)| (**a - **b).abs() as f64 > 1e-4 + 1e-3 * b.abs() as f64)
                    .inspect(|(a, b)| {
                        let d = (**a - **b).abs() as f64;
                        assert!(d <= 2.05 * s.lr + 1e-4, "{kind} {n}: {a} vs CPU {b}");
                    })
                    .count();
                // A pre-activation within rounding of ReLU's or LeakyReLU's
                // kink can land on either side on two devices (different
                // summation orders), which moves its channel's gradient by
                // 0.8·dy; Adam's first step turns any gradient whose sign
                // that changes into a 2·lr difference. Measured on the
                // simulator: at most 0.78 % of a tensor (dcgan64's G.0.weight
                // at batch 128); a wrong gradient changes about half.
                assert!(
                    flips <= 1 + g.len() / 50,
                    "{kind} {n}: {flips} of {} differ",
                    g.len()
                );
            }
            let settings = Settings {
                model: kind,
                dataset: DatasetName::from_name(s.dataset).unwrap(),
                data_dir: None,
                epochs: 1,
                batch,
                lr: s.lr,
                seed: 3,
                log_every: 100,
                limit_batches: None,
            };
            let pos = Position {
                epoch: 0,
                batch: 1,
                global_step: 1,
            };
            let dir = std::env::temp_dir().join(format!("cuda_conv_{}_{kind}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).unwrap();
            state::save(&dir, &gpu, &settings, &pos, &LogAcc::default()).unwrap();
            let on_cpu = state::load(&dir, Device::Cpu).unwrap().gan;
            assert_eq!(on_cpu.device, Device::Cpu);
            assert_eq!(gan_tensors(&on_cpu), gan_tensors(&gpu), "{kind}: GPU → CPU");
            let back = state::load(&dir, dev).unwrap().gan;
            assert_eq!(back.device, dev);
            assert_eq!(gan_tensors(&back), gan_tensors(&gpu), "{kind}: → GPU");
            let _ = std::fs::remove_dir_all(&dir);
        }
    });
}
