//! The parity fixtures of conv2d, conv_transpose2d, batch norm and
//! max_pool2d on the GPU: PyTorch's results, and the CPU's run of the same
//! fixture, within the √k tolerance.

use crate::common::{close, on};
use tensor::Device;
use tests::gpu::for_each_cuda_device;
use tests::parity::{compare, fixtures_dir, run, Fixture};

const FAMILIES: [&str; 5] = [
    "conv2d",
    "conv_transpose2d",
    "batchnorm1d",
    "batchnorm2d",
    "max_pool2d",
];

/// The fixtures of those ops, each loaded twice: one stays on the CPU, the
/// other's tensors move to `dev`.
pub fn fixtures(dev: Device) -> Vec<(Fixture, Fixture)> {
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
