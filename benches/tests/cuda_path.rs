//! `benches --device cuda` runs its CUDA path: on the GPU where there is one,
//! else on the CUDA simulator (GAN_RS_CUDASIM, set for the child process),
//! where the times mean nothing. One case of each op family, a training
//! step and a gradient penalty, so that the test stays short on the simulator; the full table is
//! tools/gpu_check.sh's job on a real GPU. `GAN_RS_CUDA_TESTS=skip` skips it.

use std::process::Command;

const CASES: &str = "linear/100x64->256,relu/,bce/128,batchnorm2d/128x112x4x4,\
                     conv2d/dcgan28/128x112x3x3,conv_transpose2d/dcgan28/128x100x1x1,train_step/mlp-small,\
                     penalty/gp/mlp";

#[test]
fn benches_time_one_case_of_each_family_on_cuda() {
    let want = std::env::var("GAN_RS_CUDA_TESTS").unwrap_or_default();
    if want == "skip" {
        println!("skipping: GAN_RS_CUDA_TESTS=skip");
        return;
    }
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_benches"));
    let sim = want == "sim" || !tensor::cuda::simulator::real_gpu_present();
    if sim {
        let dir = tensor::cuda::simulator::find(None).expect("the CUDA simulator's libraries");
        cmd.env("GAN_RS_CUDASIM", dir);
    }
    let json = std::env::temp_dir().join(format!("benches-cuda-{}.json", std::process::id()));
    let o = cmd
        .args([
            "--device",
            "cuda",
            "--threads",
            "2",
            "--only",
            CASES,
            "--json",
        ])
        .arg(&json)
        .output()
        .expect("the benches binary runs");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "benches failed: {err}");
    if sim {
        assert!(err.contains("runs on the CUDA simulator"), "{err}");
    }
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    let _ = std::fs::remove_file(&json);
    let rows = v["results"].as_object().expect("results in the JSON");
    for pattern in CASES.split(',') {
        assert!(
            rows.keys().any(|n| n.contains(pattern)),
            "no row for {pattern}: {v}"
        );
    }
    for (name, r) in rows {
        let ms = r["ours_ms"].as_f64();
        assert!(ms.is_some_and(|m| m > 0.0), "no CUDA time for {name}: {r}");
    }
}
