//! Forward + backward timings of the conv, batchnorm and pooling kernels on
//! the benchmark shapes, beside PyTorch's figures (2 threads, same machine type,
//! from ../shared/reference/pytorch-cpu.json). Each case does what
//! bench_torch.py times: the forward, then the backward of `.sum()` (an all-ones
//! upstream gradient; for batchnorm, of `(y²).sum()`, i.e. 2y), computing the
//! input and weight gradients.
//!
//!     cargo run -p kernels --release --example conv_timing [filter]
//!
//! Besides the median wall time it prints the process CPU time per call divided
//! by the thread count: on a machine shared with other work, that is roughly
//! what the wall time would be with the cores to ourselves.

use kernels::{
    batch_norm_backward, batch_norm_train, conv2d, conv2d_backward, conv_transpose2d,
    conv_transpose2d_backward, max_pool2d, max_pool2d_backward,
};
use rand::rngs::StdRng;
use rand::SeedableRng;
use std::time::Instant;
use tensor::{DType, Device, Result, Tensor};

/// op, x = [N, C, H, W], out channels, kernel, stride, padding, PyTorch ms.
const CASES: &str = "
conv  128   1 28 28  28 4 2 1  13.64
conv  128  28 14 14  56 4 2 1  22.76
conv  128  56  7  7 112 4 2 1  17.71
conv  128 112  3  3   1 4 2 1   3.99
conv  128   1 64 64  64 4 2 1 159.02
conv  128  64 32 32 128 4 2 1 457.18
conv  128 128 16 16 256 4 2 1 405.73
conv  128 256  8  8 512 4 2 1 467.74
conv  128 512  4  4   1 4 1 0   7.96
convT 128 100  1  1 112 4 1 0   8.69
convT 128 112  4  4  56 4 2 1  23.68
convT 128  56  8  8  28 4 2 2  24.68
convT 128  28 14 14   1 4 2 1  14.04
convT 128 100  1  1 512 4 1 0  39.12
convT 128 512  4  4 256 4 2 1 465.87
convT 128 256  8  8 128 4 2 1 423.85
convT 128 128 16 16  64 4 2 1 476.47
convT 128  64 32 32   1 4 2 1 146.68
bn    128 112  4  4   0 0 0 0   2.11
bn    128  56  8  8   0 0 0 0   3.42
bn    128  28 14 14   0 0 0 0   5.06
bn    128  64 32 32   0 0 0 0 100.02
pool  128  64 32 32   0 2 2 0    NaN
";

/// CPU time (user + system) of this process so far, in ms, from /proc (Linux);
/// 0 elsewhere.
fn cpu_ms() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // fields after the ")" that closes the command name: utime is the 12th, stime the 13th
    let rest = stat.rsplit_once(')').map(|r| r.1).unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    let tick = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (tick(11) + tick(12)) * 10.0 // clock ticks of 10 ms
}

/// (median wall ms, CPU ms per call / threads) over ≥ 5 calls and ≥ 1 s.
fn median_ms(mut f: impl FnMut() -> Result<()>) -> Result<(f64, f64)> {
    for _ in 0..2 {
        f()?;
    }
    let mut times = Vec::new();
    let start = Instant::now();
    let cpu0 = cpu_ms();
    while times.len() < 5 || (start.elapsed().as_secs_f64() < 1.0 && times.len() < 50) {
        let t = Instant::now();
        f()?;
        times.push(t.elapsed().as_secs_f64() * 1e3);
    }
    let cpu = (cpu_ms() - cpu0) / times.len() as f64 / rayon::current_num_threads() as f64;
    times.sort_by(f64::total_cmp);
    Ok((times[times.len() / 2], cpu))
}

fn ones(shape: &[usize]) -> Result<Tensor> {
    Tensor::ones(shape, DType::F32, Device::Cpu)
}

/// Time one case: `v` = [N, C, H, W, out, k, s, p].
fn time_case(op: &str, v: &[usize], rng: &mut StdRng) -> Result<(f64, f64)> {
    let (xs, (o, k, s, p)) = (&v[..4], (v[4], v[5], v[6], v[7]));
    let x = Tensor::randn(xs, 0.0, 1.0, rng)?;
    let c = xs[1];
    match op {
        "conv" => {
            let w = Tensor::randn(&[o, c, k, k], 0.0, 0.05, rng)?;
            median_ms(|| {
                let g = ones(conv2d(&x, &w, None, s, p)?.shape())?;
                conv2d_backward(&x, &w, &g, s, p, true, true).map(|_| ())
            })
        }
        "convT" => {
            let w = Tensor::randn(&[c, o, k, k], 0.0, 0.05, rng)?;
            median_ms(|| {
                let g = ones(conv_transpose2d(&x, &w, None, s, p, 0)?.shape())?;
                conv_transpose2d_backward(&x, &w, &g, s, p, 0, true, true).map(|_| ())
            })
        }
        "bn" => {
            let (gamma, beta) = (ones(&[c])?, Tensor::zeros(&[c], DType::F32, Device::Cpu)?);
            let (rm, rv) = (Tensor::zeros(&[c], DType::F32, Device::Cpu)?, ones(&[c])?);
            let (w, b, run) = (Some(&gamma), Some(&beta), Some((&rm, &rv)));
            median_ms(|| {
                let (y, saved) = batch_norm_train(&x, w, b, run, 0.1, 1e-5)?;
                let g = kernels::unary(&y, kernels::UnaryOp::MulScalar(2.0))?;
                batch_norm_backward(&x, w, &g, &saved, [true; 3]).map(|_| ())
            })
        }
        _ => median_ms(|| {
            let (y, idx) = max_pool2d(&x, k, s)?;
            max_pool2d_backward(&ones(y.shape())?, &idx, x.shape()).map(|_| ())
        }),
    }
}

fn main() -> Result<()> {
    let filter = std::env::args().nth(1).unwrap_or_default();
    let mut rng = StdRng::seed_from_u64(0);
    println!(
        "{:<36} {:>9} {:>9} {:>9} {:>7}",
        "case (fwd+bwd)", "ours ms", "cpu/thr", "torch ms", "ratio"
    );
    for line in CASES.lines().filter(|l| !l.trim().is_empty()) {
        let f: Vec<&str> = line.split_whitespace().collect();
        let v: Vec<usize> = f[1..9].iter().map(|x| x.parse().unwrap_or(0)).collect();
        let torch: f64 = f[9].parse().unwrap_or(f64::NAN);
        let name = match f[0] {
            "bn" => format!("batchnorm2d {}x{}x{}x{}", v[0], v[1], v[2], v[3]),
            "pool" => format!(
                "max_pool2d {}x{}x{}x{} k{}s{}",
                v[0], v[1], v[2], v[3], v[5], v[6]
            ),
            op => format!(
                "{op} {}x{}x{}x{}->{} k{}s{}p{}",
                v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]
            ),
        };
        if !name.contains(filter.as_str()) {
            continue;
        }
        let (ms, cpu) = time_case(f[0], &v, &mut rng)?;
        println!(
            "{name:<36} {ms:>9.2} {cpu:>9.2} {torch:>9.2} {:>7.2}",
            ms / torch
        );
    }
    Ok(())
}
