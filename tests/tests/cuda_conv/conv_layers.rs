//! conv2d and conv_transpose2d on the GPU against the CPU, forward and
//! backward: the DCGAN layer shapes of cases.json (with and without a bias)
//! and odd shapes, strides and a batch large enough to be chunked.

use crate::common::{cases, compare_runs, fwd_bwd, randn, shape_of, BATCH};
use crate::fixtures::fixtures;
use autograd::Var;
use tensor::Device;
use tests::gpu::for_each_cuda_device;

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
