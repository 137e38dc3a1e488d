//! Writes docs/cuda-kernels.md: every CUDA kernel's registers, spills and
//! shared memory from ptxas (NVRTC) for sm_90 and sm_80, and the occupancy of
//! its launch shape, read from a workload run on the CUDA simulator (or a GPU).
//!
//! ```sh
//! cargo build --release -p cudasim -p cudasim-nvrtc
//! cargo run -p tests --release --example cuda_kernels [-- OUT.md]
//! ```

use tests::gpu::cuda_devices;
use tests::kernel_report::{exercise_every_kernel, kernel_rows, markdown};

fn main() {
    let out = std::env::args()
        .nth(1)
        .unwrap_or_else(|| concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/cuda-kernels.md").into());
    let devices = cuda_devices();
    if devices.is_empty() {
        eprintln!("error: no CUDA device or simulator (see the README's CUDA sections)");
        std::process::exit(1);
    }
    for dev in devices {
        if let Err(e) = exercise_every_kernel(dev) {
            eprintln!("error: the workload failed on {dev:?}: {e}");
            std::process::exit(1);
        }
    }
    let version = kernels::cuda::compile::nvrtc_version().unwrap_or((0, 0));
    let rows = |arch| {
        kernel_rows(arch).unwrap_or_else(|e| {
            eprintln!("error: {e}");
            std::process::exit(1)
        })
    };
    let md = markdown(version, &rows(90), &rows(80));
    if let Err(e) = std::fs::write(&out, md) {
        eprintln!("error: cannot write {out}: {e}");
        std::process::exit(1);
    }
    println!("wrote {out}");
}
