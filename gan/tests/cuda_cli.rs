//! `gan --device cuda` end to end: every model trains a few batches, a run
//! moves GPU → CPU → GPU through its checkpoints, and `gan sample` draws on
//! the device. On a machine with a GPU these run there; without one, on the
//! CUDA simulator, which the child processes get through GAN_RS_CUDASIM (the
//! variable a developer sets on purpose; `gan` says so when it is set).
//! `GAN_RS_CUDA_TESTS=skip` skips them (they pass, saying so).

mod common;
use common::{gan, p, scratch, stderr, tiny_dataset, train_args};
use std::process::{Command, Output};

/// The environment of the child processes: None to skip, else the
/// variables to set (none for a real GPU).
fn cuda_env() -> Option<Vec<(&'static str, String)>> {
    let want = std::env::var("GAN_RS_CUDA_TESTS").unwrap_or_default();
    if want == "skip" {
        println!("skipping: GAN_RS_CUDA_TESTS=skip");
        return None;
    }
    if want != "sim" && tensor::cuda::simulator::real_gpu_present() {
        return Some(vec![]);
    }
    let dir = tensor::cuda::simulator::find(None).expect("the CUDA simulator's libraries");
    Some(vec![("GAN_RS_CUDASIM", dir.to_str().unwrap().to_string())])
}

/// One epoch of two logged batches on the GPU.
const SHORT_CUDA_RUN: [&str; 8] = [
    "--device",
    "cuda",
    "--epochs",
    "1",
    "--limit-batches",
    "2",
    "--log-every",
    "1",
];

fn run(env: &[(&str, String)], args: &[&str]) -> Output {
    let o = Command::new(env!("CARGO_BIN_EXE_gan"))
        .args(args)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .output()
        .expect("the gan binary runs");
    let err = stderr(&o);
    assert!(o.status.success(), "gan {args:?} failed: {err}");
    assert!(!err.contains("panicked"), "{err}");
    if !env.is_empty() {
        assert!(
            err.contains("runs on the CUDA simulator"),
            "must say so: {err}"
        );
    }
    o
}

fn log_rows(dir: &std::path::Path) -> Vec<String> {
    std::fs::read_to_string(dir.join("log.csv"))
        .unwrap()
        .lines()
        .skip(1)
        .map(str::to_string)
        .collect()
}

#[test]
fn every_model_trains_on_cuda() {
    let Some(env) = cuda_env() else { return };
    let d = scratch("cuda-models");
    let data = tiny_dataset(&d.join("data"), 64);
    for model in ["mlp", "mlp-small", "mlp-dropout", "dcgan28", "dcgan64"] {
        let out = d.join(model);
        let extra = SHORT_CUDA_RUN;
        let o = run(&env, &train_args(model, &data, &out, &extra));
        for f in [
            "G.safetensors",
            "D.safetensors",
            "samples_epoch_001.png",
            "losses.png",
        ] {
            assert!(out.join(f).exists(), "{model}: no {f}: {}", stderr(&o));
        }
        let rows = log_rows(&out);
        assert_eq!(rows.len(), 2, "{model}: {rows:?}");
        for r in &rows {
            assert!(!r.contains("NaN") && !r.contains("inf"), "{model}: {r}");
        }
    }
}

#[test]
fn a_run_moves_gpu_to_cpu_to_gpu_and_samples_on_cuda() {
    let Some(env) = cuda_env() else { return };
    let d = scratch("cuda-resume");
    let data = tiny_dataset(&d.join("data"), 64);
    let run_dir = d.join("run");
    let first = SHORT_CUDA_RUN;
    run(&env, &train_args("mlp", &data, &run_dir, &first));
    // On to the CPU for a second epoch (no simulator needed), then back.
    let o = gan(&[
        "train",
        "--resume",
        p(&run_dir),
        "--device",
        "cpu",
        "--epochs",
        "2",
        "--quiet",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    run(
        &env,
        &[
            "train",
            "--resume",
            p(&run_dir),
            "--device",
            "cuda",
            "--epochs",
            "3",
            "--quiet",
        ],
    );
    let rows = log_rows(&run_dir);
    assert_eq!(rows.len(), 6, "three epochs of two logged steps: {rows:?}");
    let epochs: Vec<&str> = rows.iter().map(|r| r.split(',').next().unwrap()).collect();
    assert_eq!(epochs, ["1", "1", "2", "2", "3", "3"], "{rows:?}");

    let idx = d.join("samples.idx");
    let grid = d.join("grid.png");
    let args = [
        "sample",
        "--checkpoint",
        p(&run_dir),
        "--device",
        "cuda",
        "--count",
        "16",
    ];
    run(
        &env,
        &[&args[..], &["--out", p(&idx), "--grid", p(&grid)]].concat(),
    );
    let bytes = std::fs::read(&idx).unwrap();
    assert_eq!(
        bytes.len(),
        16 + 16 * 28 * 28,
        "an IDX of 16 images of 28×28"
    );
    assert!(grid.exists());
}
