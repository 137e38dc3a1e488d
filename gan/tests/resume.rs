//! Determinism and resumption: the same seed gives bit-identical runs, and a
//! run interrupted (by Ctrl-C or between epochs) and resumed ends exactly as an
//! uninterrupted one.

mod common;
use common::*;
use std::path::Path;

fn files_equal(a: &Path, b: &Path, name: &str) {
    let (x, y) = (
        std::fs::read(a.join(name)).unwrap(),
        std::fs::read(b.join(name)).unwrap(),
    );
    assert!(
        x == y,
        "{name} differs between {} and {}",
        a.display(),
        b.display()
    );
}

/// The same tensors, bit for bit, and the same metadata (whose order in the
/// header is a hash map's, so the bytes themselves may differ).
fn checkpoints_equal(a: &Path, b: &Path, name: &str) {
    let (x, y) = (
        gan::io::checkpoint::read(&a.join(name)).unwrap(),
        gan::io::checkpoint::read(&b.join(name)).unwrap(),
    );
    assert_eq!(x.meta, y.meta, "{name}: metadata");
    let mut keys: Vec<_> = x.tensors.keys().collect();
    keys.sort();
    let mut ykeys: Vec<_> = y.tensors.keys().collect();
    ykeys.sort();
    assert_eq!(keys, ykeys, "{name}: keys");
    // Batchnorm's num_batches_tracked (int64).
    assert_eq!(x.counts, y.counts, "{name}: int64 counts");
    for k in keys {
        let bits = |t: &tensor::Tensor| -> Vec<u32> {
            t.to_vec_f32()
                .unwrap()
                .iter()
                .map(|v| v.to_bits())
                .collect()
        };
        assert!(
            bits(&x.tensors[k]) == bits(&y.tensors[k]),
            "{name}: '{k}' differs between {} and {}",
            a.display(),
            b.display()
        );
    }
}

fn same_run(a: &Path, b: &Path) {
    for f in ["G.safetensors", "D.safetensors", "train_state.safetensors"] {
        checkpoints_equal(a, b, f);
    }
    for f in ["log.csv", "samples_epoch_002.png", "losses.png"] {
        files_equal(a, b, f);
    }
}

#[test]
fn same_seed_same_bits_and_other_seed_differs() {
    let d = scratch("determinism");
    let data = tiny_dataset(&d.join("data"), 96);
    for model in ["mlp", "mlp-small", "mlp-dropout"] {
        let extra = ["--epochs", "2", "--log-every", "1", "--seed", "5"];
        let (a, b, c) = (
            d.join(format!("{model}-a")),
            d.join(format!("{model}-b")),
            d.join(format!("{model}-c")),
        );
        for out in [&a, &b] {
            let o = gan(&train_args(model, &data, out, &extra));
            assert!(o.status.success(), "{}", stderr(&o));
        }
        same_run(&a, &b);
        let log = std::fs::read_to_string(a.join("log.csv")).unwrap();
        assert_eq!(log.lines().count(), 1 + 2 * 6, "a row per step: {log}");
        let o = gan(&train_args(
            model,
            &data,
            &c,
            &["--epochs", "2", "--log-every", "1", "--seed", "6"],
        ));
        assert!(o.status.success(), "{}", stderr(&o));
        assert_ne!(
            std::fs::read(a.join("log.csv")).unwrap(),
            std::fs::read(c.join("log.csv")).unwrap()
        );
    }
}

#[test]
fn resumed_runs_equal_uninterrupted_ones() {
    let d = scratch("resume");
    let data = tiny_dataset(&d.join("data"), 100);
    // 100 images in batches of 16: 7 batches, the last one short (4 images:
    // batchnorm still has 4 values per channel to normalise).
    for model in ["mlp-dropout", "mlp-small", "mlp", "dcgan28"] {
        let full = d.join(format!("{model}-full"));
        let o = gan(&train_args(
            model,
            &data,
            &full,
            &["--epochs", "3", "--log-every", "3"],
        ));
        assert!(o.status.success(), "{}", stderr(&o));

        // Stop after epoch 1, then go on to 3 epochs.
        let split = d.join(format!("{model}-split"));
        let o = gan(&train_args(
            model,
            &data,
            &split,
            &["--epochs", "1", "--log-every", "3"],
        ));
        assert!(o.status.success(), "{}", stderr(&o));
        let o = gan(&["train", "--resume", p(&split), "--epochs", "3", "--quiet"]);
        assert!(o.status.success(), "{}", stderr(&o));
        same_run(&full, &split);

        // Interrupted mid-epoch twice (as Ctrl-C does), resumed each time.
        let cut = d.join(format!("{model}-cut"));
        let o = gan(&train_args(
            model,
            &data,
            &cut,
            &[
                "--epochs",
                "3",
                "--log-every",
                "3",
                "--interrupt-after",
                "9",
            ],
        ));
        assert_eq!(o.status.code(), Some(130), "{}", stderr(&o));
        let msg = stderr(&o);
        assert!(
            msg.contains("epoch 2, batch 2/7") && msg.contains(&format!("--resume {}", p(&cut))),
            "{msg}"
        );
        let o = gan(&[
            "train",
            "--resume",
            p(&cut),
            "--interrupt-after",
            "5",
            "--quiet",
        ]);
        assert_eq!(o.status.code(), Some(130), "{}", stderr(&o));
        let o = gan(&["train", "--resume", p(&cut), "--quiet"]);
        assert!(o.status.success(), "{}", stderr(&o));
        same_run(&full, &cut);
    }
}

#[test]
fn resume_refuses_other_settings() {
    let d = scratch("resume-flags");
    let data = tiny_dataset(&d.join("data"), 32);
    let run = d.join("run");
    let o = gan(&train_args("mlp", &data, &run, &["--epochs", "1"]));
    assert!(o.status.success(), "{}", stderr(&o));
    let o = gan(&["--resume", p(&run), "--lr", "0.1"]);
    assert_clean_error(&o, "started with --lr");
    let o = gan(&["--resume", p(&run), "--model", "mlp-small"]);
    assert_clean_error(&o, "started with --model mlp");
    // A finished run says so and exits 0.
    let o = gan(&["--resume", p(&run), "--quiet"]);
    assert!(o.status.success());
    assert!(stdout(&o).contains("already trained"), "{}", stdout(&o));
}

#[test]
fn ctrl_c_writes_a_checkpoint_and_says_how_to_resume() {
    let d = scratch("sigint");
    let data = tiny_dataset(&d.join("data"), 64);
    let run = d.join("run");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_gan"))
        .args(train_args("mlp", &data, &run, &["--epochs", "100000"]))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until training has started (the CSV exists), then send SIGINT.
    let t0 = std::time::Instant::now();
    while !run.join("real_images.png").exists() && t0.elapsed().as_secs() < 30 {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    std::thread::sleep(std::time::Duration::from_millis(300));
    let ok = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(ok.success());
    let t1 = std::time::Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if t1.elapsed().as_secs() > 30 {
            child.kill().unwrap();
            panic!("gan did not stop after SIGINT");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    let mut err = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut err).unwrap();
    assert_eq!(status.code(), Some(130), "{err}");
    assert!(err.contains("resume with: gan train --resume"), "{err}");
    assert!(run.join("train_state.safetensors").exists());
    // And it resumes.
    let o = gan(&["--resume", p(&run), "--epochs", "1", "--quiet"]);
    assert!(o.status.success(), "{}", stderr(&o));
}
