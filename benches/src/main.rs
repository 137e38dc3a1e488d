//! `cargo run -p benches --release -- [--only SUBSTRING] [--live-pytorch PYTHON] ...`
//!
//! Times every case of cases.json (forward + backward; train_step = one D and one
//! G update) with bench_torch.py's rule and prints ours beside PyTorch's figures,
//! read from a JSON file or measured live, case by case, in the same run.

mod cases;
mod live;
mod report;
mod targets;
mod timing;

use clap::Parser;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use tensor::Device;

/// `../shared/reference` beside the repository, or `$GAN_RS_REFERENCE` (for a
/// binary run away from its checkout, as `tools/gpu_check.sh` does).
fn reference_dir() -> PathBuf {
    match std::env::var_os("GAN_RS_REFERENCE") {
        Some(d) => PathBuf::from(d),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/reference"),
    }
}

#[derive(Parser)]
#[command(
    about = "Benchmark every case of cases.json against PyTorch (ratio = ours / PyTorch, lower is better)"
)]
struct Args {
    /// Device to run on: cpu or cuda.
    #[arg(long, default_value = "cpu")]
    device: String,
    /// Only cases whose name contains this substring (or one of several,
    /// separated by commas).
    #[arg(long, default_value = "")]
    only: String,
    /// Worker threads for our kernels (and for PyTorch when run live).
    #[arg(long, default_value_t = 2)]
    threads: usize,
    /// The benchmark cases.
    #[arg(long)]
    cases: Option<PathBuf>,
    /// PyTorch's figures as written by bench_torch.py --out.
    #[arg(long)]
    reference: Option<PathBuf>,
    /// Measure PyTorch in this run with this Python (which has torch installed),
    /// each case just before ours.
    #[arg(long, value_name = "PYTHON")]
    live_pytorch: Option<PathBuf>,
    /// Write our figures (and PyTorch's) as JSON.
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
    /// Write the table as Markdown with machine, date and command (docs/benchmarks.md).
    #[arg(long, value_name = "FILE")]
    markdown: Option<PathBuf>,
}

fn main() -> ExitCode {
    tensor::tune_malloc();
    match run(Args::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: Args) -> Result<(), String> {
    if args.threads == 0 {
        return Err("--threads must be at least 1".into());
    }
    // matrixmultiply reads its thread count once, at its first GEMM.
    std::env::set_var("MATMUL_NUM_THREADS", args.threads.to_string());
    rayon::ThreadPoolBuilder::new()
        .num_threads(args.threads)
        .build_global()
        .map_err(|e| e.to_string())?;
    let device: Device = args.device.parse()?;
    // Before anything else touches the driver: a clear message, not a panic,
    // where there is no driver, no GPU or no NVRTC.
    if let Device::Cuda(i) = device {
        let sim =
            kernels::cuda::simulator_from_env().map_err(|e| format!("--device {device}: {e}"))?;
        if let Some(sim) = sim {
            eprintln!(
                "note: --device {device} runs on the CUDA simulator ({sim}) because GAN_RS_CUDASIM \
                 is set: the CUDA times below are the simulator's and mean nothing"
            );
        }
        kernels::cuda::available(i).map_err(|e| format!("--device {device}: {e}"))?;
    }
    let cases_path = args
        .cases
        .clone()
        .unwrap_or_else(|| reference_dir().join("cases.json"));
    let cases: Value = read_json(&cases_path)?;
    let cases = cases["cases"]
        .as_array()
        .cloned()
        .ok_or(format!("{}: no 'cases' array", cases_path.display()))?;
    let selected: Vec<&Value> = cases
        .iter()
        .filter(|c| {
            c["name"]
                .as_str()
                .is_some_and(|n| args.only.split(',').any(|o| n.contains(o)))
        })
        .collect();
    if selected.is_empty() {
        return Err(format!("no case matches --only '{}'", args.only));
    }
    let load_at_start = report::load_average();
    // PyTorch's figures: live, case by case beside ours, or from a file.
    let mut live = None;
    let (file_figures, torch_meta) = match &args.live_pytorch {
        Some(py) => {
            let l = live::LiveTorch::start(
                py,
                &reference_dir(),
                &cases_path,
                &args.device,
                args.threads,
            )?;
            let meta = format!("measured live, case by case beside ours ({})", l.meta);
            live = Some(l);
            (Value::Null, meta)
        }
        None => reference_figures(&args, device)?,
    };
    let mut rows = Vec::new();
    report::print_header();
    for c in selected {
        let name = c["name"].as_str().unwrap_or("?").to_string();
        let torch_ms = match live.as_mut() {
            Some(l) => Some(l.time(&name)?),
            None => file_figures[&name].as_f64(),
        };
        let ours = kernels::on_pool(|| time_ours(c, device)).map_err(|e| format!("{name}: {e}"))?;
        let row = report::Row {
            torch_ms,
            ours_ms: ours.map(|t| t.median_ms),
            name,
        };
        report::print_row(&row);
        rows.push(row);
    }
    report::print_summary(&rows, device);
    if let Some(p) = &args.json {
        report::write_json(p, &rows, &args.device, args.threads, &torch_meta)?;
    }
    if let Some(p) = &args.markdown {
        report::write_markdown(
            p,
            &rows,
            &args.device,
            args.threads,
            &torch_meta,
            &load_at_start,
        )?;
    }
    Ok(())
}

/// Our median for one case; `None` when the engine lacks the case, or (on a
/// GPU) an op in it has no CUDA kernel, which is noted, not fatal.
fn time_ours(c: &Value, device: Device) -> tensor::Result<Option<timing::Timing>> {
    let r = cases::build(c, device).and_then(|s| {
        s.map(|mut s| {
            let t = timing::time_it(&mut s, device)?;
            print_driver_calls(c, &mut s, device)?;
            Ok(t)
        })
        .transpose()
    });
    match r {
        Err(tensor::Error::Unsupported { op, .. }) if device.is_cuda() => {
            eprintln!(
                "note: {}: {op} has no CUDA kernel",
                c["name"].as_str().unwrap_or("?")
            );
            Ok(None)
        }
        r => r,
    }
}

/// With `GAN_RS_CUDA_COUNTS=1` on the CUDA simulator: what one more call of
/// the case asks of the driver (launches, host syncs, allocations, copies),
/// on stderr. The simulator's counts are our calls, not GPU time.
fn print_driver_calls(c: &Value, step: &mut cases::Step, device: Device) -> tensor::Result<()> {
    let Device::Cuda(i) = device else {
        return Ok(());
    };
    if std::env::var_os(gan::train::observe::driver_calls::COUNTS_ENV).is_none()
        || !tensor::cuda::simulator::active()
    {
        return Ok(());
    }
    let dev = tensor::cuda::device(i)?;
    dev.synchronize()?;
    tensor::cuda::sim_counts::reset();
    step()?;
    let counts = tensor::cuda::sim_counts::read();
    dev.synchronize()?;
    if let Some(n) = counts {
        eprintln!(
            "  {}: driver calls per call: {}",
            c["name"].as_str().unwrap_or("?"),
            n.per(1)
        );
    }
    Ok(())
}

/// PyTorch's figures from --reference, else pytorch-<device>.json (cuda for
/// any cuda:N). On a GPU that file may be absent: then the PyTorch column is
/// left empty, with a note, rather than failing the run.
fn reference_figures(args: &Args, device: Device) -> Result<(Value, String), String> {
    let kind = if device.is_cuda() { "cuda" } else { "cpu" };
    let path = match &args.reference {
        Some(p) => p.clone(),
        None => {
            let p = reference_dir().join(format!("pytorch-{kind}.json"));
            if device.is_cuda() && !p.exists() {
                eprintln!(
                    "note: no {}; PyTorch's column is left empty (measure it with \
                     --live-pytorch PYTHON, or write it with bench_torch.py --device cuda)",
                    p.display()
                );
                return Ok((Value::Null, "none (no pytorch-cuda.json)".into()));
            }
            p
        }
    };
    let v = read_json(&path)?;
    Ok((
        v["results"].clone(),
        format!("{} ({})", path.display(), v["meta"]),
    ))
}

fn read_json(p: &Path) -> Result<Value, String> {
    let s = std::fs::read_to_string(p).map_err(|e| format!("cannot read {}: {e}", p.display()))?;
    serde_json::from_str(&s).map_err(|e| format!("{} is not valid JSON: {e}", p.display()))
}
