//! `gan train --dataset folder` end to end: a small folder of generated PNG
//! and JPEG files (colour and grey, several sizes and aspect ratios) trains
//! dcgan64 with nc = 3 for a few batches and writes colour grids, colour
//! checkpoints that resume, and N × C × H × W samples; grey training, the
//! cache and per-epoch decoding, and bad input.

mod common;
use common::*;
use image::{GrayImage, RgbImage};
use std::path::{Path, PathBuf};

/// 20 images in two class folders (one nested) and the root, plus a text file.
fn picture_folder(d: &Path) -> PathBuf {
    let dir = d.join("pictures");
    let sizes = [
        (40, 30),
        (30, 40),
        (64, 64),
        (100, 50),
        (13, 90),
        (70, 71),
        (9, 9),
    ];
    for k in 0..20u32 {
        let (w, h) = sizes[k as usize % sizes.len()];
        let class = ["cats", "dogs/puppies", "."][k as usize % 3];
        let ext = if k % 2 == 0 { "png" } else { "jpg" };
        let path = dir.join(class).join(format!("img{k:02}.{ext}"));
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        if k % 4 == 3 {
            GrayImage::from_fn(w, h, |x, y| image::Luma([((x + y) * 9 + k) as u8]))
                .save(&path)
                .unwrap();
        } else {
            RgbImage::from_fn(w, h, |x, y| {
                image::Rgb([
                    (x * 6 + k * 20) as u8,
                    (y * 4) as u8,
                    ((x ^ y) + k * 7) as u8,
                ])
            })
            .save(&path)
            .unwrap();
        }
    }
    std::fs::write(dir.join("cats").join("readme.txt"), "not a picture").unwrap();
    dir
}

/// (width, colour type) of a PNG: 0 grey, 2 RGB.
fn png_info(path: &Path) -> (u32, u8) {
    let b = std::fs::read(path).unwrap();
    assert_eq!(&b[1..4], b"PNG", "{}", path.display());
    (u32::from_be_bytes(b[16..20].try_into().unwrap()), b[25])
}

fn folder_args<'a>(
    model: &'a str,
    data: &'a Path,
    out: &'a Path,
    extra: &[&'a str],
) -> Vec<&'a str> {
    let mut a = vec![
        "train",
        "--model",
        model,
        "--dataset",
        "folder",
        "--data-dir",
        p(data),
        "--out",
        p(out),
        "--batch-size",
        "8",
        "--epochs",
        "1",
        "--limit-batches",
        "2",
        "--quiet",
    ];
    a.extend_from_slice(extra);
    a
}

/// Every tensor of a safetensors file as (name, shape, bytes), sorted (the
/// header's metadata order varies from run to run).
fn tensors(file: &Path) -> Vec<(String, Vec<usize>, Vec<u8>)> {
    let bytes = std::fs::read(file).unwrap();
    let st = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    let mut v: Vec<_> = st
        .tensors()
        .into_iter()
        .map(|(n, t)| (n, t.shape().to_vec(), t.data().to_vec()))
        .collect();
    v.sort();
    v
}

fn tensor_shape(file: &Path, key: &str) -> Vec<usize> {
    let bytes = std::fs::read(file).unwrap();
    let st = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    st.tensor(key).unwrap().shape().to_vec()
}

#[test]
fn dcgan64_trains_in_colour_on_a_folder_of_png_and_jpeg() {
    let d = scratch("folder-colour");
    let data = picture_folder(&d);
    let run = d.join("run");
    let o = gan(&folder_args("dcgan64", &data, &run, &[]));
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("20 images in 3 class folders"), "{out}");
    assert!(
        out.contains("1 other files skipped") && out.contains("3 channel(s) of 64×64"),
        "{out}"
    );
    assert!(out.contains("waiting for data"), "{out}");
    // Colour grids: 20 real images (2 rows of 10), 100 samples, 64 + 2 px tiles.
    assert_eq!(png_info(&run.join("real_images.png")), (10 * 66 + 2, 2));
    assert_eq!(
        png_info(&run.join("samples_epoch_001.png")),
        (10 * 66 + 2, 2)
    );
    // nc = 3 in PyTorch's layout: G's last ConvTranspose2d (in, out, k, k), D's first Conv2d.
    assert_eq!(
        tensor_shape(&run.join("G.safetensors"), "12.weight"),
        [64, 3, 4, 4]
    );
    assert_eq!(
        tensor_shape(&run.join("D.safetensors"), "0.weight"),
        [64, 3, 4, 4]
    );

    // Samples: IDX of N × C × H × W, and an RGB grid.
    let (idx, grid) = (d.join("s.idx"), d.join("s.png"));
    let o = gan(&[
        "sample",
        "--checkpoint",
        p(&run),
        "--count",
        "3",
        "--out",
        p(&idx),
        "--grid",
        p(&grid),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let b = std::fs::read(&idx).unwrap();
    assert_eq!(&b[..4], &[0, 0, 8, 4]);
    let dims: Vec<u32> = (0..4)
        .map(|i| u32::from_be_bytes(b[4 + 4 * i..8 + 4 * i].try_into().unwrap()))
        .collect();
    assert_eq!(dims, [3, 3, 64, 64]);
    assert_eq!(b.len(), 20 + 3 * 3 * 64 * 64);
    assert_eq!(png_info(&grid).1, 2);

    // The run resumes in colour; --channels must agree with it.
    let o = gan(&["train", "--resume", p(&run), "--epochs", "2", "--quiet"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(png_info(&run.join("samples_epoch_002.png")).1, 2);
    let o = gan(&[
        "train",
        "--resume",
        p(&run),
        "--epochs",
        "3",
        "--channels",
        "1",
        "--quiet",
    ]);
    assert_clean_error(&o, "started with --channels 3");
}

#[test]
fn grey_training_cache_and_per_epoch_decoding_agree() {
    let d = scratch("folder-grey");
    let data = picture_folder(&d);
    // dcgan28 in grey, cached and decoded every epoch: the very same run.
    let (a, b) = (d.join("cached"), d.join("streamed"));
    let o = gan(&folder_args("dcgan28", &data, &a, &["--channels", "1"]));
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("decoded once into a u8 cache"),
        "{}",
        stdout(&o)
    );
    let o = gan(&folder_args(
        "dcgan28",
        &data,
        &b,
        &["--channels", "1", "--cache-limit", "0"],
    ));
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("decoded on the loader's threads every epoch"),
        "{}",
        stdout(&o)
    );
    for f in ["G.safetensors", "D.safetensors"] {
        assert!(tensors(&a.join(f)) == tensors(&b.join(f)), "{f} differs");
    }
    for f in ["real_images.png", "samples_epoch_001.png", "log.csv"] {
        let same = std::fs::read(a.join(f)).unwrap() == std::fs::read(b.join(f)).unwrap();
        assert!(same, "{f} differs");
    }
    assert_eq!(png_info(&a.join("real_images.png")), (10 * 30 + 2, 0));
    assert_eq!(
        tensor_shape(&a.join("G.safetensors"), "9.weight"),
        [28, 1, 4, 4]
    );
    // The MLPs take grey 28 × 28: fine with --channels 1, a clear error in colour.
    let o = gan(&folder_args(
        "mlp",
        &data,
        &d.join("mlp1"),
        &["--channels", "1"],
    ));
    assert!(o.status.success(), "{}", stderr(&o));
    let o = gan(&folder_args("mlp", &data, &d.join("mlp3"), &[]));
    assert_clean_error(&o, "pass --channels 1");
}

#[test]
fn bad_folder_input_is_a_clear_error() {
    let d = scratch("folder-bad");
    let data = picture_folder(&d);
    let out = d.join("r");
    // Flags that cannot work.
    assert_clean_error(
        &gan(&[
            "train",
            "--model",
            "dcgan64",
            "--dataset",
            "folder",
            "--out",
            p(&out),
            "--quiet",
        ]),
        "needs --data-dir",
    );
    assert_clean_error(
        &gan(&folder_args("dcgan64", &data, &out, &["--channels", "2"])),
        "expected 1 (grey) or 3",
    );
    assert_clean_error(
        &gan(&folder_args(
            "dcgan64",
            &data,
            &out,
            &["--cache-limit", "5X"],
        )),
        "unit",
    );
    assert_clean_error(
        &gan(&folder_args("dcgan64", &data, &out, &["--eval-every", "1"])),
        "not for a folder",
    );
    let idx = tiny_dataset(&d.join("idx"), 32);
    assert_clean_error(
        &gan(&train_args("dcgan28", &idx, &out, &["--channels", "3"])),
        "is grey",
    );
    // An empty folder, a missing one.
    let empty = d.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    assert_clean_error(
        &gan(&folder_args("dcgan64", &empty, &out, &[])),
        "no images",
    );
    assert_clean_error(
        &gan(&folder_args("dcgan64", &d.join("nowhere"), &out, &[])),
        "nowhere",
    );
    // A corrupt JPEG: the error names it.
    std::fs::write(
        data.join("cats").join("broken.jpg"),
        b"\xFF\xD8\xFF\xE0 then nothing",
    )
    .unwrap();
    let o = gan(&folder_args("dcgan64", &data, &out, &[]));
    assert_clean_error(&o, "broken.jpg");
    assert!(!out.join("G.safetensors").exists());
}
