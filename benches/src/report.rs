//! The table, its JSON and Markdown forms, and the live PyTorch run.

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

pub fn print_row(r: &Row) {
    println!(
        "{:58} {:>11} {:>11} {:>7}",
        r.name,
        fmt_ms(r.ours_ms),
        fmt_ms(r.torch_ms),
        r.ratio()
            .map(|x| format!("{x:.2}"))
            .unwrap_or_else(|| "-".into())
    );
}

pub fn print_summary(rows: &[Row]) {
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
    if !missing.is_empty() {
        println!(
            "not yet implemented in the engine ({}): {}",
            missing.len(),
            missing.join(", ")
        );
    }
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
    format!("{cpu}, {cores} cores")
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
) -> Result<(), String> {
    let mut s = String::from("# Benchmarks: ours beside PyTorch\n\n");
    s += &format!("- machine: {}\n- date: {}\n- device: {device}, {threads} threads\n- PyTorch figures: {torch_meta}\n", machine(), date());
    s += &format!(
        "- command: `cargo run -p benches --release -- {}`\n\n",
        std::env::args().skip(1).collect::<Vec<_>>().join(" ")
    );
    s += "Forward + backward per call (train_step: one discriminator and one generator update), median ms. Ratio = ours / PyTorch: below 1 we are faster.\n\n";
    s += "| case | ours (ms) | PyTorch (ms) | ratio |\n| --- | ---: | ---: | ---: |\n";
    for r in rows {
        s += &format!(
            "| {} | {} | {} | {} |\n",
            r.name,
            fmt_ms(r.ours_ms),
            fmt_ms(r.torch_ms),
            r.ratio()
                .map(|x| format!("{x:.2}"))
                .unwrap_or_else(|| "-".into())
        );
    }
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

/// Run bench_torch.py now, on this machine, with the same filter and threads.
pub fn live_pytorch(
    python: &Path,
    reference: &Path,
    device: &str,
    threads: usize,
    only: &str,
) -> Result<(Value, String), String> {
    let out = std::env::temp_dir().join(format!("bench_torch_{}.json", std::process::id()));
    let script = reference.join("bench_torch.py");
    eprintln!(
        "running PyTorch: {} {} --device {device} --threads {threads}",
        python.display(),
        script.display()
    );
    let mut cmd = Command::new(python);
    cmd.arg(&script)
        .args([
            "--device",
            device,
            "--threads",
            &threads.to_string(),
            "--out",
        ])
        .arg(&out);
    if !only.is_empty() {
        cmd.args(["--only", only]);
    }
    let status = cmd
        .status()
        .map_err(|e| format!("cannot run {}: {e}", python.display()))?;
    if !status.success() {
        return Err(format!("bench_torch.py failed ({status})"));
    }
    let s =
        std::fs::read_to_string(&out).map_err(|e| format!("cannot read {}: {e}", out.display()))?;
    let _ = std::fs::remove_file(&out);
    let v: Value = serde_json::from_str(&s).map_err(|e| e.to_string())?;
    Ok((
        v["results"].clone(),
        format!("measured live in this run ({})", v["meta"]),
    ))
}
