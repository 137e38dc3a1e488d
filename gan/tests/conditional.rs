//! `--conditional` through the command line: a class-conditional run trains,
//! shows one class per grid row, and `gan sample --class` draws the class
//! asked for; the errors a user can make (an unlabelled folder, a class the
//! generator does not have, a conditional checkpoint without `--class`, a
//! `--class` for an unconditional one) are clear, with a non-zero exit.

mod common;
use common::*;

#[test]
fn a_conditional_run_trains_and_samples_by_class() {
    let d = scratch("conditional");
    let data = tiny_dataset(&d.join("data"), 100);
    let run = d.join("run");
    let o = gan(&train_args(
        "mlp",
        &data,
        &run,
        &["--epochs", "1", "--conditional", "--loss", "hinge"],
    ));
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("conditional on 10 classes"),
        "{}",
        stdout(&o)
    );
    let g = gan::io::checkpoint::read(&run.join("G.safetensors")).unwrap();
    assert_eq!(g.tensors["label_emb.weight"].shape(), [10, 10]);
    assert_eq!(g.tensors["net.0.weight"].shape(), [256, 64 + 10]);
    assert_eq!(g.meta["classes"], "10");
    let dd = gan::io::checkpoint::read(&run.join("D.safetensors")).unwrap();
    assert_eq!(dd.tensors["embed.weight"].shape(), [10, 256]);

    // One class: every image is drawn for it, and classes give other images.
    let sample = |class: &str, out: &str| {
        let out = d.join(out);
        let o = gan(&[
            "sample",
            "--checkpoint",
            p(&run),
            "--count",
            "20",
            "--class",
            class,
            "--out",
            p(&out),
        ]);
        assert!(o.status.success(), "--class {class}: {}", stderr(&o));
        std::fs::read(out).unwrap()
    };
    let three = sample("3", "three.idx");
    let seven = sample("7", "seven.idx");
    let all = sample("all", "all.idx");
    let one = sample("1", "one.idx");
    assert_ne!(three, seven, "the class changes the images");
    // --class all: rows of ten per class from the same z, so images 0..10 are
    // class 0's and 10..20 class 1's (IDX: a 16-byte header, then 784 bytes
    // per image).
    let image = |v: &[u8], i: usize| v[16 + 784 * i..16 + 784 * (i + 1)].to_vec();
    for i in 10..20 {
        assert_eq!(image(&all, i), image(&one, i), "image {i}");
        assert_ne!(image(&all, i), image(&three, i), "image {i}");
    }

    for (args, needle) in [
        (vec![], "--class K"),
        (vec!["--class", "12"], "0 to 9"),
        (vec!["--class", "seven"], "neither a class number"),
    ] {
        let mut a = vec!["sample", "--checkpoint", p(&run), "--out", "/dev/null"];
        a.extend(args);
        assert_clean_error(&gan(&a), needle);
    }

    // An unconditional generator refuses --class.
    let plain = d.join("plain");
    let o = gan(&train_args("mlp", &data, &plain, &["--epochs", "1"]));
    assert!(o.status.success(), "{}", stderr(&o));
    let o = gan(&[
        "sample",
        "--checkpoint",
        p(&plain),
        "--class",
        "1",
        "--out",
        "/dev/null",
    ]);
    assert_clean_error(&o, "not a class-conditional generator");
    let _ = std::fs::remove_dir_all(&d);
}

/// A folder whose images lie in its root has no classes.
#[test]
fn an_unlabelled_folder_cannot_train_a_conditional_model() {
    let d = scratch("conditional-folder");
    let folder = d.join("images");
    std::fs::create_dir_all(&folder).unwrap();
    for i in 0..4u8 {
        let img =
            image::GrayImage::from_fn(28, 28, |x, y| image::Luma([(x as u8) ^ (y as u8) ^ i]));
        img.save(folder.join(format!("{i}.png"))).unwrap();
    }
    let o = gan(&[
        "train",
        "--model",
        "mlp",
        "--dataset",
        "folder",
        "--data-dir",
        p(&folder),
        "--batch-size",
        "2",
        "--epochs",
        "1",
        "--conditional",
        "--out",
        p(&d.join("run")),
        "--quiet",
    ]);
    assert_clean_error(&o, "needs labelled images");
    let _ = std::fs::remove_dir_all(&d);
}
