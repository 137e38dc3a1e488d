//! The CUDA kernels' resources and occupancy: a workload that launches every
//! kernel of `kernels::cuda_sources()` once (on the CUDA simulator or a GPU),
//! so that each kernel's launch shape is known from the launches themselves
//! (`kernels::cuda::compile::launched_shapes`), and ptxas' report of each
//! kernel for sm_90 and sm_80 beside it: the table of `docs/cuda-kernels.md`
//! and the checks of `tests/tests/cuda_kernels.rs`.

use kernels::cuda::compile::launched_shapes;
use kernels::cuda::resources::{occupancy, ptxas_report, sm_limits, KernelResources, Occupancy};
use kernels::{AdamHyper, AdamTensors, BinaryOp, SgdHyper, SgdTensors, UnaryOp};
use rand::rngs::StdRng;
use rand::SeedableRng;
use tensor::{Device, Result, Tensor};

fn randn(shape: &[usize], seed: u64, dev: Device) -> Result<Tensor> {
    Tensor::randn(shape, 0.0, 1.0, &mut StdRng::seed_from_u64(seed))?.to_device(dev)
}

/// Launch every kernel on `dev` at least once, on small shapes (the SGEMM
/// tiles: the big one needs a device with few SMs, the simulator's cuda:1).
pub fn exercise_every_kernel(dev: Device) -> Result<()> {
    let x = randn(&[64, 48], 1, dev)?;
    let y = randn(&[64, 48], 2, dev)?;
    kernels::unary(&x, UnaryOp::Tanh)?;
    kernels::binary(&x, &y, BinaryOp::Mul)?;
    kernels::contiguous(&x.t()?)?;
    // reductions: short rows, few long rows (split, then a warp per row), middle axis
    kernels::sum_axes(&x, &[1], false)?;
    kernels::sum_axes(&randn(&[2, 100_000], 3, dev)?, &[1], false)?;
    kernels::sum_axes(&randn(&[4, 8, 16], 4, dev)?, &[1], false)?;
    let (m, idx) = kernels::max_dim(&x, 1, false)?;
    kernels::scatter_to_dim(&m, &idx, x.shape(), 1)?;
    kernels::mean_each(&[(&x, false), (&y, true)])?;
    kernels::matmul(&x, &y.t()?)?;
    let big = randn(&[384, 384], 5, dev)?;
    kernels::matmul(&big, &big)?;
    // losses: one block, and partial sums then the mean
    for n in [128, 5000] {
        let p = kernels::unary(&randn(&[n, 1], 6, dev)?, UnaryOp::Sigmoid)?;
        let t = kernels::unary(&randn(&[n, 1], 7, dev)?, UnaryOp::Sigmoid)?;
        let l = kernels::bce(&p, &t)?;
        kernels::bce_backward(&p, &t, &l)?;
    }
    let labels: Vec<usize> = (0..64).map(|i| i % 48).collect();
    let ce = kernels::cross_entropy(&x, &labels)?;
    kernels::cross_entropy_backward(&x, &labels, &ce)?;
    // optimisers, one tensor and many
    let st = |s| randn(&[1000], s, dev);
    let (p, g, a, b) = (
        st(10)?,
        st(11)?,
        kernels::unary(&st(12)?, UnaryOp::Abs)?,
        kernels::unary(&st(13)?, UnaryOp::Abs)?,
    );
    let h = AdamHyper {
        lr: 1e-3,
        beta1: 0.9,
        beta2: 0.999,
        eps: 1e-8,
        weight_decay: 0.0,
    };
    kernels::adam_step(&p, &g, &a, &b, 1, &h)?;
    let list = [AdamTensors {
        param: &p,
        grad: &g,
        exp_avg: &a,
        exp_avg_sq: &b,
    }];
    kernels::adam_step_many(&list, 2, &h)?;
    let sh = SgdHyper {
        lr: 0.1,
        momentum: 0.9,
        ..SgdHyper::default()
    };
    kernels::sgd_step(&p, &g, Some(&a), true, &sh)?;
    kernels::sgd_step_many(
        &[SgdTensors {
            param: &p,
            grad: &g,
            momentum_buf: Some(&a),
            first: false,
        }],
        &sh,
    )?;
    // the average of G's weights (--ema)
    kernels::optim::lerp_many(&[kernels::optim::LerpTensors { avg: &a, value: &p }], 0.001)?;
    // random streams
    kernels::random::uniform(&[100], 0.0, 1.0, 1, 0, dev)?;
    kernels::random::normal(&[100], 0.0, 1.0, 1, 0, dev)?;
    kernels::random::dropout_mask(&[100], 0.3, 1, 0, dev)?;
    kernels::random::dropout(&x, 0.3, 1, 0)?;
    if let Device::Cuda(i) = dev {
        kernels::random::cuda::philox_words(i, &[([0; 4], [0; 2])])?;
    }
    // convolutions (forward, both gradients) and the transposed one
    let img = randn(&[2, 3, 8, 8], 20, dev)?;
    let w = randn(&[4, 3, 4, 4], 21, dev)?;
    let out = kernels::conv2d(&img, &w, None, 2, 1)?;
    kernels::conv2d_backward(&img, &w, &out, 2, 1, true, true)?;
    let wt = randn(&[4, 3, 4, 4], 22, dev)?;
    let up = kernels::conv_transpose2d(&out, &wt, None, 2, 1, 0)?;
    kernels::conv_transpose2d_backward(&out, &wt, &up, 2, 1, 0, true, true)?;
    // batch norm in both modes, its backward and double backward
    let (c, rm, rv) = (
        4,
        randn(&[4], 30, dev)?,
        kernels::unary(&randn(&[4], 31, dev)?, UnaryOp::Abs)?,
    );
    let gamma = randn(&[c], 32, dev)?;
    let (bn, saved) =
        kernels::batch_norm_train(&out, Some(&gamma), None, Some((&rm, &rv)), 0.1, 1e-5)?;
    kernels::batch_norm_eval(&out, Some(&gamma), None, &rm, &rv, 1e-5)?;
    kernels::batch_norm_backward(&out, Some(&gamma), &bn, &saved, [true, true, true])?;
    kernels::batch_norm_double_backward(&out, Some(&gamma), &bn, &out, &saved, [true, true, true])?;
    // max pooling, its scatter and its gather
    let (pooled, pidx) = kernels::max_pool2d(&img, 2, 2)?;
    kernels::max_pool2d_backward(&pooled, &pidx, img.shape())?;
    kernels::max_pool2d_gather(&img, &pidx)?;
    if let Device::Cuda(i) = dev {
        tensor::cuda::device(i)?.synchronize()?;
    }
    Ok(())
}

/// One kernel's row of the report: its resources for one architecture, the
/// largest launch shape it was given, and the occupancy that shape reaches.
pub struct KernelRow {
    pub res: KernelResources,
    /// (threads per block, dynamic shared memory bytes), if it was launched.
    pub shape: Option<(u32, u32)>,
    pub occupancy: Option<Occupancy>,
}

/// Every kernel of every source for `sm_{arch}`, with the launch shapes seen
/// in this process.
pub fn kernel_rows(arch: u32) -> Result<Vec<KernelRow>> {
    let lim =
        sm_limits(arch).ok_or_else(|| tensor::Error::Cuda(format!("no limits for sm_{arch}")))?;
    let shapes = launched_shapes();
    let mut rows = Vec::new();
    for src in kernels::cuda_sources() {
        for res in ptxas_report(src, arch)? {
            let shape = shapes
                .iter()
                .find(|(n, _, _)| *n == res.name)
                .map(|&(_, t, s)| (t, s));
            let occupancy = shape.map(|(t, s)| occupancy(&res, t, s, &lim));
            rows.push(KernelRow {
                res,
                shape,
                occupancy,
            });
        }
    }
    Ok(rows)
}

/// Why a kernel is under 50 % occupancy, where it is by choice or by its
/// launch; `None` for a kernel that is not.
pub fn why_low(row: &KernelRow) -> Option<&'static str> {
    let o = row.occupancy?;
    if o.fraction >= 0.5 {
        return None;
    }
    Some(match row.res.name.as_str() {
        "sgemm_128x128" => {
            "by choice: the 128×128 tile keeps a 8×8 accumulator block per thread in registers \
             (the reuse that makes large products fast); it runs only when there are enough \
             tiles for every SM"
        }
        "sgemm_64x64" => "its 4×4 accumulator block per thread; used for products too small to fill the GPU with 128×128 tiles",
        "mean_finish" | "loss_mean_block" => "one block by design (a final sum over a few values)",
        _ if o.limiter == "registers" => "register-bound: fewer registers would raise it (not tuned yet)",
        _ => "bounded by its launch shape",
    })
}

/// `docs/cuda-kernels.md`.
pub fn markdown(nvrtc: (i32, i32), rows90: &[KernelRow], rows80: &[KernelRow]) -> String {
    let mut md = String::from(
        "# CUDA kernels: registers, spills, shared memory and occupancy\n\n\
         <!-- Written by `cargo run -p tests --release --example cuda_kernels`; regenerate it instead of editing. -->\n\n",
    );
    md.push_str(&format!(
        "ptxas' report of every kernel of `kernels::cuda_sources()` (NVRTC {}.{}, \
         `--ptxas-options=-v`), and the theoretical occupancy of the largest launch shape \
         each kernel gets in this engine (the shapes are read from the launches of a \
         workload that runs every kernel, on the CUDA simulator: \
         `tests::kernel_report::exercise_every_kernel`). Occupancy is resident warps over \
         the SM's 64, from registers (allocated per warp in units of 256), threads, \
         shared memory (plus 1 KB reserved per block) and the 32-block limit: sm_90 \
         (H100: 65,536 registers, 2,048 threads, 228 KB) and sm_80 (A100: 164 KB). \
         These are compile-time figures; no kernel has run on a GPU yet.\n\n",
        nvrtc.0, nvrtc.1
    ));
    for (arch, rows) in [(90, rows90), (80, rows80)] {
        md.push_str(&format!(
            "## sm_{arch}\n\n| source | kernel | registers | spills (st/ld B) | static smem (B) | block | dyn smem (B) | blocks/SM | occupancy | bound by |\n| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |\n"
        ));
        for r in rows {
            let (block, dynamic) = r.shape.map_or(("-".into(), "-".into()), |(t, s)| {
                (t.to_string(), s.to_string())
            });
            let (blocks, occ, limiter) = r.occupancy.map_or(("-".into(), "-".into(), "-"), |o| {
                (
                    o.blocks.to_string(),
                    format!("{:.0} %", o.fraction * 100.0),
                    o.limiter,
                )
            });
            md.push_str(&format!(
                "| {} | `{}` | {} | {}/{} | {} | {} | {} | {} | {} | {} |\n",
                r.res.source,
                r.res.name,
                r.res.registers,
                r.res.spill_stores,
                r.res.spill_loads,
                r.res.static_smem,
                block,
                dynamic,
                blocks,
                occ,
                limiter
            ));
        }
        let low: Vec<String> = rows
            .iter()
            .filter_map(|r| {
                why_low(r).map(|w| {
                    format!(
                        "- `{}` ({:.0} %): {w}",
                        r.res.name,
                        r.occupancy.map_or(0.0, |o| o.fraction * 100.0)
                    )
                })
            })
            .collect();
        md.push_str(&format!("\nUnder 50 % on sm_{arch}:\n\n"));
        if low.is_empty() {
            md.push_str("- none\n");
        } else {
            md.push_str(&(low.join("\n") + "\n"));
        }
        md.push('\n');
    }
    md
}
