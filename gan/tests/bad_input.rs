//! Every kind of bad input gets a clear error and a non-zero exit, never a panic.

mod common;
use common::*;

#[test]
fn unknown_model_and_dataset() {
    let o = gan(&["train", "--model", "nope"]);
    assert_clean_error(&o, "invalid value 'nope'");
    assert!(
        stderr(&o).contains("mlp-small"),
        "lists the models: {}",
        stderr(&o)
    );
    let o = gan(&["--dataset", "cifar"]);
    assert_clean_error(&o, "invalid value 'cifar'");
    assert!(stderr(&o).contains("fashion-mnist"));
    let o = gan(&[
        "sample",
        "--checkpoint",
        "x",
        "--out",
        "y",
        "--model",
        "big",
    ]);
    assert_clean_error(&o, "invalid value 'big'");
}

#[test]
fn missing_and_corrupt_data() {
    let d = scratch("baddata");
    let o = gan(&[
        "--dataset",
        "kmnist",
        "--data-dir",
        p(&d.join("nowhere")),
        "--out",
        p(&d.join("r1")),
        "--quiet",
    ]);
    assert_clean_error(&o, "error:");
    assert!(
        stderr(&o).contains("nowhere"),
        "names the place: {}",
        stderr(&o)
    );
    // Files that are not the real MNIST (checksums are checked).
    let fake = tiny_dataset(&d.join("fake-mnist"), 32);
    let o = gan(&[
        "--dataset",
        "mnist",
        "--data-dir",
        p(&fake),
        "--out",
        p(&d.join("r0")),
        "--quiet",
    ]);
    assert_clean_error(&o, "checksum");
    // Garbage in place of the images.
    let bad = d.join("bad");
    tiny_dataset(&bad, 32);
    std::fs::write(
        bad.join("train-images-idx3-ubyte"),
        b"not an idx file at all",
    )
    .unwrap();
    let o = gan(&[
        "--dataset",
        "kmnist",
        "--data-dir",
        p(&bad),
        "--out",
        p(&d.join("r2")),
        "--quiet",
    ]);
    assert_clean_error(&o, "error:");
    // A file cut short.
    let cut = d.join("cut");
    tiny_dataset(&cut, 32);
    let f = cut.join("train-images-idx3-ubyte");
    let bytes = std::fs::read(&f).unwrap();
    std::fs::write(&f, &bytes[..bytes.len() / 2]).unwrap();
    let o = gan(&[
        "--dataset",
        "kmnist",
        "--data-dir",
        p(&cut),
        "--out",
        p(&d.join("r3")),
        "--quiet",
    ]);
    assert_clean_error(&o, "error:");
}

#[test]
fn zero_and_absurd_sizes() {
    for args in [
        &["--batch-size", "0"][..],
        &["--batch-size", "100000000"],
        &["--epochs", "0"],
        &["--epochs", "-3"],
        &["--epochs", "99999999999"],
        &["--lr", "0"],
        &["--lr", "-1"],
        &["--lr", "nan"],
        &["--log-every", "0"],
        &["--limit-batches", "0"],
    ] {
        let o = gan(args);
        assert_clean_error(&o, args[0].split('=').next().unwrap());
    }
    for args in [&["--count", "0"][..], &["--count", "100000000"]] {
        let mut a = vec!["sample", "--checkpoint", "x", "--out", "y"];
        a.extend_from_slice(args);
        assert_clean_error(&gan(&a), "--count");
    }
    // A batch larger than the data set.
    let d = scratch("bigbatch");
    let data = tiny_dataset(&d.join("data"), 40);
    let o = gan(&[
        "--dataset",
        "kmnist",
        "--data-dir",
        p(&data),
        "--out",
        p(&d.join("r")),
        "--batch-size",
        "64",
        "--quiet",
    ]);
    assert_clean_error(&o, "exceeds the 40 images");
}

#[test]
fn unwritable_output_directory() {
    let d = scratch("unwritable");
    let data = tiny_dataset(&d.join("data"), 32);
    let file = d.join("a-file");
    std::fs::write(&file, b"x").unwrap();
    let out = file.join("run");
    let o = gan(&[
        "--dataset",
        "kmnist",
        "--data-dir",
        p(&data),
        "--out",
        p(&out),
        "--batch-size",
        "16",
        "--quiet",
    ]);
    assert_clean_error(&o, "cannot create output directory");
    let o = gan(&[
        "--dataset",
        "kmnist",
        "--data-dir",
        p(&data),
        "--out",
        p(&file),
        "--batch-size",
        "16",
        "--quiet",
    ]);
    assert_clean_error(&o, "not a directory");
    // Sample output into a missing directory.
    let run = d.join("run");
    let o = gan(&train_args(
        "mlp",
        &data,
        &run,
        &["--epochs", "1", "--limit-batches", "1"],
    ));
    assert!(o.status.success(), "{}", stderr(&o));
    let o = gan(&[
        "sample",
        "--checkpoint",
        p(&run),
        "--out",
        p(&d.join("no/such/dir/s.idx")),
    ]);
    assert_clean_error(&o, "cannot write");
}

#[test]
fn unusable_cuda_is_a_clear_error() {
    // No machine has a cuda:99: without a driver that is said first, with one
    // the ordinal is refused. Either way an error and exit 1 before any work.
    let o = gan(&["--device", "cuda:99", "--quiet"]);
    assert_clean_error(&o, "--device cuda:99:");
    match kernels::cuda::available(0) {
        Err(e) => {
            // The message names what is missing (libcuda.so, a GPU, or NVRTC).
            let why = e.to_string();
            let o = gan(&["--device", "cuda", "--quiet"]);
            assert_clean_error(&o, &why);
            let o = gan(&[
                "sample",
                "--checkpoint",
                "x",
                "--out",
                "y",
                "--device",
                "cuda",
            ]);
            assert_clean_error(&o, &why);
            if tensor::cuda::driver_available().is_err() {
                assert!(why.contains("no CUDA driver found (libcuda.so)"), "{why}");
            }
        }
        Ok(()) => println!("a GPU is usable here: --device cuda runs in tests/tests/cuda_gan.rs"),
    }
    let o = gan(&["--device", "tpu"]);
    assert_clean_error(&o, "unknown device");
}

#[test]
fn bad_checkpoints() {
    let d = scratch("badckpt");
    let data = tiny_dataset(&d.join("data"), 32);
    let small = d.join("small");
    let o = gan(&train_args(
        "mlp-small",
        &data,
        &small,
        &["--epochs", "1", "--limit-batches", "1"],
    ));
    assert!(o.status.success(), "{}", stderr(&o));
    let g = small.join("G.safetensors");

    // Another model's checkpoint.
    let o = gan(&[
        "sample",
        "--checkpoint",
        p(&g),
        "--model",
        "mlp",
        "--out",
        p(&d.join("s.idx")),
    ]);
    assert_clean_error(&o, "model 'mlp-small', not 'mlp'");
    let mlp = d.join("mlp");
    let o = gan(&train_args(
        "mlp",
        &data,
        &mlp,
        &["--epochs", "1", "--limit-batches", "1"],
    ));
    assert!(o.status.success(), "{}", stderr(&o));
    std::fs::copy(&g, mlp.join("G.safetensors")).unwrap();
    let o = gan(&["train", "--resume", p(&mlp), "--epochs", "2", "--quiet"]);
    assert_clean_error(&o, "not 'mlp'");

    // D given where G is expected.
    let o = gan(&[
        "sample",
        "--checkpoint",
        p(&small.join("D.safetensors")),
        "--out",
        p(&d.join("s.idx")),
    ]);
    assert_clean_error(&o, "error:");

    // Cut short.
    let cut = d.join("cut.safetensors");
    let bytes = std::fs::read(&g).unwrap();
    std::fs::write(&cut, &bytes[..bytes.len() - 1000]).unwrap();
    let o = gan(&[
        "sample",
        "--checkpoint",
        p(&cut),
        "--out",
        p(&d.join("s.idx")),
    ]);
    assert_clean_error(&o, "cut short");
    std::fs::write(&cut, &bytes[..5]).unwrap();
    assert_clean_error(
        &gan(&["sample", "--checkpoint", p(&cut), "--out", "x.idx"]),
        "cut short",
    );

    // Right keys, wrong shapes (a file without gan metadata, as PyTorch writes).
    let wrong = d.join("wrong.safetensors");
    write_f32_safetensors(
        &wrong,
        &[
            ("fc1.weight", vec![128, 100]),
            ("fc1.bias", vec![128]),
            ("fc2.weight", vec![784, 64]),
            ("fc2.bias", vec![784]),
        ],
    );
    let o = gan(&[
        "sample",
        "--checkpoint",
        p(&wrong),
        "--model",
        "mlp-small",
        "--out",
        p(&d.join("s.idx")),
    ]);
    assert_clean_error(&o, "shape [784, 64]");
    let o = gan(&[
        "sample",
        "--checkpoint",
        p(&wrong),
        "--out",
        p(&d.join("s.idx")),
    ]);
    assert_clean_error(&o, "fits none");
    // Missing keys.
    write_f32_safetensors(&wrong, &[("fc1.weight", vec![128, 100])]);
    let o = gan(&[
        "sample",
        "--checkpoint",
        p(&wrong),
        "--model",
        "mlp-small",
        "--out",
        p(&d.join("s.idx")),
    ]);
    assert_clean_error(&o, "missing keys");

    // Missing files, a run directory without a checkpoint, a cut training state.
    assert_clean_error(
        &gan(&[
            "sample",
            "--checkpoint",
            p(&d.join("none.safetensors")),
            "--out",
            "x.idx",
        ]),
        "none.safetensors",
    );
    let empty = d.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    assert_clean_error(&gan(&["--resume", p(&empty)]), "no checkpoint");
    let st = mlp.join("train_state.safetensors");
    let bytes = std::fs::read(&st).unwrap();
    std::fs::write(&st, &bytes[..bytes.len() / 3]).unwrap();
    assert_clean_error(&gan(&["--resume", p(&mlp)]), "cut short");

    // A new run into a directory that holds one already.
    let o = gan(&train_args("mlp-small", &data, &small, &["--epochs", "1"]));
    assert_clean_error(&o, "already holds a run");
}

/// A safetensors file of zero-filled f32 tensors, without metadata.
fn write_f32_safetensors(path: &std::path::Path, tensors: &[(&str, Vec<usize>)]) {
    let mut header = String::from("{");
    let mut off = 0;
    for (i, (n, s)) in tensors.iter().enumerate() {
        let len = s.iter().product::<usize>() * 4;
        if i > 0 {
            header.push(',');
        }
        header += &format!(
            "\"{n}\":{{\"dtype\":\"F32\",\"shape\":{s:?},\"data_offsets\":[{off},{}]}}",
            off + len
        );
        off += len;
    }
    header.push('}');
    while header.len() % 8 != 0 {
        header.push(' ');
    }
    let mut b = (header.len() as u64).to_le_bytes().to_vec();
    b.extend(header.as_bytes());
    b.extend(vec![0u8; off]);
    std::fs::write(path, b).unwrap();
}

#[test]
fn help_explains_every_command() {
    for args in [&["--help"][..], &["train", "--help"], &["sample", "--help"]] {
        let o = gan(args);
        assert!(o.status.success());
        let out = stdout(&o);
        assert!(out.contains("--help"));
        if args.len() == 1 || args[0] == "train" {
            for f in [
                "--model",
                "--dataset",
                "--epochs",
                "--batch-size",
                "--lr",
                "--seed",
                "--device",
                "--out",
                "--resume",
            ] {
                assert!(out.contains(f), "{args:?} help lacks {f}");
            }
        } else {
            for f in ["--checkpoint", "--count", "--out", "--grid"] {
                assert!(out.contains(f), "sample help lacks {f}");
            }
        }
    }
}
