//! Every CUDA kernel, compiled by NVRTC for sm_90 and sm_80 with ptxas'
//! report: none spills, none has more than 48 KB of static shared memory,
//! and the largest launch shape each gets in this engine (read from the
//! launches of a workload that runs every kernel, on the simulator or a GPU)
//! fits at least one block on an SM of either architecture. Also: every
//! kernel is launched by the workload, and docs/cuda-kernels.md names every
//! kernel (regenerate it with `cargo run -p tests --release --example cuda_kernels`).

use kernels::cuda::compile::{nvrtc_available, nvrtc_version};
use tests::gpu::for_each_cuda_device;
use tests::kernel_report::{exercise_every_kernel, kernel_rows, markdown};

#[test]
fn every_kernel_fits_an_sm_without_spills() {
    if let Err(e) = nvrtc_available() {
        assert!(std::env::var_os("CI").is_none(), "CI must have NVRTC: {e}");
        eprintln!("skipping: {e}");
        return;
    }
    let mut devices = 0;
    for_each_cuda_device(|dev| {
        exercise_every_kernel(dev).unwrap();
        devices += 1;
    });
    if devices == 0 {
        return;
    }
    let mut failures = Vec::new();
    let mut all = Vec::new();
    for arch in [90, 80] {
        let rows = kernel_rows(arch).unwrap();
        for r in &rows {
            let (k, name) = (&r.res, &r.res.name);
            if k.spill_stores > 0 || k.spill_loads > 0 {
                failures.push(format!(
                    "sm_{arch} {name}: spills {}/{} bytes",
                    k.spill_stores, k.spill_loads
                ));
            }
            if k.static_smem > 48 * 1024 {
                failures.push(format!(
                    "sm_{arch} {name}: {} bytes of static shared memory",
                    k.static_smem
                ));
            }
            match r.occupancy {
                None => failures.push(format!("{name}: the workload never launched it")),
                Some(o) if o.blocks == 0 => failures.push(format!(
                    "sm_{arch} {name}: a block of {:?} (threads, dynamic smem) does not fit on an SM ({} registers)",
                    r.shape, k.registers
                )),
                Some(_) => {}
            }
        }
        all.push(rows);
    }
    let doc = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../docs/cuda-kernels.md"
    ))
    .unwrap_or_default();
    for r in &all[0] {
        if !doc.contains(&format!("`{}`", r.res.name)) {
            failures.push(format!("docs/cuda-kernels.md does not list {}", r.res.name));
        }
    }
    println!("{}", markdown(nvrtc_version().unwrap(), &all[0], &all[1]));
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
