//! The table, its JSON and Markdown forms, and the live PyTorch run.

use crate::targets::{target, verdict};
use serde_json::{json, Value};
use std::path::Path;
use std::process::Command;

pub struct Row {
    pub name: String,
    pub ours_ms: Option<f64>,
    pub torch_ms: Option<f64>,
}

impl Row {
    pub fn ratio(&self) -> Option<f64> {
        Some(self.ours_ms? / self.torch_ms?)
    }
}

fn fmt_ms(v: Option<f64>) -> String {
    v.map(|x| format!("{x:.3}")).unwrap_or_else(|| "n/a".into())
}

fn fmt_ratio(v: Option<f64>) -> String {
    v.map(|x| format!("{x:.2}")).unwrap_or_else(|| "-".into())
}

fn fmt_target(name: &str) -> String {
    target(name)
        .map(|t| format!("≤ {t:.2}"))
        .unwrap_or_else(|| "-".into())
}

pub fn print_header() {
    println!(
        "{:58} {:>11} {:>11} {:>7} {:>7} {:>4}",
        "case", "ours (ms)", "torch (ms)", "ratio", "target", "met"
    );
}

pub fn print_row(r: &Row) {
    println!(
        "{:58} {:>11} {:>11} {:>7} {:>7} {:>4}",
        r.name,
        fmt_ms(r.ours_ms),
        fmt_ms(r.torch_ms),
        fmt_ratio(r.ratio()),
        fmt_target(&r.name),
        verdict(&r.name, r.ratio())
    );
}

pub fn print_summary(rows: &[Row], device: tensor::Device) {
    let missing: Vec<&str> = rows
        .iter()
        .filter(|r| r.ours_ms.is_none())
        .map(|r| r.name.as_str())
        .collect();
    let ratios: Vec<f64> = rows.iter().filter_map(Row::ratio).collect();
    if !ratios.is_empty() {
        let geo = (ratios.iter().map(|r| r.ln()).sum::<f64>() / ratios.len() as f64).exp();
        println!(
            "geometric mean ratio ours/PyTorch over {} cases: {geo:.2}",
            ratios.len()
        );
    }
    println!("{}", targets_line(rows));
    if !missing.is_empty() {
        let what = if device.is_cuda() {
            "no CUDA kernels for these ops yet, or not in the engine"
        } else {
            "not yet implemented in the engine"
        };
        println!("{what} ({}): {}", missing.len(), missing.join(", "));
    }
}

/// "targets met: k of n; missed: …".
fn targets_line(rows: &[Row]) -> String {
    let missed: Vec<&str> = rows
        .iter()
        .filter(|r| verdict(&r.name, r.ratio()) == "no")
        .map(|r| r.name.as_str())
        .collect();
    let judged = rows
        .iter()
        .filter(|r| verdict(&r.name, r.ratio()) != "-")
        .count();
    format!(
        "targets met: {} of {judged}{}",
        judged - missed.len(),
        if missed.is_empty() {
            String::new()
        } else {
            format!("; missed: {}", missed.join(", "))
        }
    )
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(0);
    format!("{cpu}, {cores} cores, {}", vector_isa())
}

/// The widest vector instructions the CPU has: PyTorch (MKL, oneDNN) and our
/// GEMM both pick their kernels by it, so it explains most of a ratio.
fn vector_isa() -> &'static str {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            return "AVX-512";
        }
        if std::arch::is_x86_feature_detected!("avx2") {
            return "AVX2 (no AVX-512)";
        }
    }
    "no AVX2"
}

/// The 1-minute load average: above the core count, other processes took
/// CPU time from this run (and PyTorch's spin-waiting OpenMP threads suffer
/// far more from that than rayon's), so its ratios are not to be trusted.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().map(str::to_string))
        .unwrap_or_else(|| "unknown".into())
}

fn date() -> String {
    Command::new("date")
        .arg("-u")
        .arg("+%Y-%m-%d %H:%M UTC")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default()
}

pub fn write_json(
    p: &Path,
    rows: &[Row],
    device: &str,
    threads: usize,
    torch_meta: &str,
) -> Result<(), String> {
    let results: serde_json::Map<String, Value> = rows
        .iter()
        .map(|r| {
            (
                r.name.clone(),
                json!({"ours_ms": r.ours_ms, "pytorch_ms": r.torch_ms, "ratio": r.ratio()}),
            )
        })
        .collect();
    let v = json!({"meta": {"device": device, "threads": threads, "machine": machine(), "date": date(), "pytorch": torch_meta}, "results": results});
    write_atomic(p, &serde_json::to_string_pretty(&v).unwrap_or_default())
}

pub fn write_markdown(
    p: &Path,
    rows: &[Row],
    device: &str,
    threads: usize,
    torch_meta: &str,
    load_at_start: &str,
) -> Result<(), String> {
    let command = format!(
        "cargo run -p benches --release -- {}",
        std::env::args().skip(1).collect::<Vec<_>>().join(" ")
    );
    let mut s = String::from("# Benchmarks: ours beside PyTorch\n\n");
    s += "<!-- Written by the benches crate; regenerate it with the command below instead of editing. -->\n\n";
    s += &format!(
        "- machine: {}\n- date: {}\n- device: {device}, {threads} threads\n- PyTorch figures: {torch_meta}\n",
        machine(),
        date()
    );
    s += &format!(
        "- load average (1 min) at start / end of the run: {load_at_start} / {} on {} cores\n",
        load_average(),
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(0)
    );
    s += &format!("- command (regenerates this file): `{command}`\n\n");
    s += "Forward + backward per call in f32 (train_step: one discriminator and one generator \
          update with the model's batch, loss and optimiser), median ms after warm-up, as \
          `../shared/reference/bench_torch.py` times them. Ratio = ours / PyTorch: below 1 we \
          are faster. Target: issue 8's bound on the ratio; met: whether this run meets it. \
          The machine is shared and noisy: only ratios from one side-by-side run \
          (`--live-pytorch`) are comparable, and only when the load stayed below the \
          core count: on an overloaded machine PyTorch's OpenMP threads spin-wait for \
          each other and its times grow many times over.\n\n";
    s += "| case | ours (ms) | PyTorch (ms) | ratio | target | met |\n| --- | ---: | ---: | ---: | ---: | :---: |\n";
    for r in rows {
        s += &format!(
            "| {} | {} | {} | {} | {} | {} |\n",
            r.name,
            fmt_ms(r.ours_ms),
            fmt_ms(r.torch_ms),
            fmt_ratio(r.ratio()),
            fmt_target(&r.name),
            verdict(&r.name, r.ratio())
        );
    }
    s += &format!("\n{}.\n", targets_line(rows));
    write_atomic(p, &s)
}

fn write_atomic(p: &Path, content: &str) -> Result<(), String> {
    if let Some(dir) = p.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    let tmp = p.with_extension("tmp");
    std::fs::write(&tmp, content).map_err(|e| format!("cannot write {}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, p)
        .map_err(|e| format!("cannot rename {} to {}: {e}", tmp.display(), p.display()))
}
