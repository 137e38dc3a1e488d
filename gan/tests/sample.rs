//! `gan sample` writes IDX u8 files and grids from a run's generator.

mod common;
use common::*;

#[test]
fn sample_writes_idx_and_grid() {
    let d = scratch("sample");
    let data = tiny_dataset(&d.join("data"), 32);
    let run = d.join("run");
    let o = gan(&train_args("mlp-dropout", &data, &run, &["--epochs", "1"]));
    assert!(o.status.success(), "{}", stderr(&o));
    for f in [
        "G.safetensors",
        "D.safetensors",
        "train_state.safetensors",
        "log.csv",
        "losses.png",
        "real_images.png",
        "samples_epoch_001.png",
    ] {
        assert!(run.join(f).is_file(), "{f} missing");
    }
    assert!(!run.join("G.safetensors.tmp").exists());
    let idx = d.join("s.idx");
    let png = d.join("s.png");
    let o = gan(&[
        "sample",
        "--checkpoint",
        p(&run.join("G.safetensors")),
        "--count",
        "1234",
        "--out",
        p(&idx),
        "--grid",
        p(&png),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let b = std::fs::read(&idx).unwrap();
    assert_eq!(&b[..4], &[0, 0, 8, 3]);
    assert_eq!(u32::from_be_bytes(b[4..8].try_into().unwrap()), 1234);
    assert_eq!(&b[8..16], &[0, 0, 0, 28, 0, 0, 0, 28]);
    assert_eq!(b.len(), 16 + 1234 * 784);
    assert_eq!(&std::fs::read(&png).unwrap()[1..4], b"PNG");
    // The same seed gives the same images; a run directory works as --checkpoint.
    let idx2 = d.join("s2.idx");
    let o = gan(&[
        "sample",
        "--checkpoint",
        p(&run),
        "--count",
        "1234",
        "--out",
        p(&idx2),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(std::fs::read(&idx2).unwrap(), b);
    // Neither --out nor --grid: nothing to do is an error.
    assert_clean_error(&gan(&["sample", "--checkpoint", p(&run)]), "required");
}

/// The DCGANs through the command line: dcgan28 on 28×28 images, dcgan64 on the
/// same images resized to 64×64, each sampled from its run directory.
#[test]
fn dcgans_train_and_sample() {
    let d = scratch("sample-dcgan");
    let data = tiny_dataset(&d.join("data"), 32);
    for (model, side) in [("dcgan28", 28u8), ("dcgan64", 64)] {
        let run = d.join(model);
        let extra = ["--epochs", "1", "--limit-batches", "2"];
        let o = gan(&train_args(model, &data, &run, &extra));
        assert!(o.status.success(), "{model}: {}", stderr(&o));
        let idx = d.join(format!("{model}.idx"));
        for _ in 0..2 {
            let o = gan(&[
                "sample",
                "--checkpoint",
                p(&run),
                "--count",
                "3",
                "--out",
                p(&idx),
            ]);
            assert!(o.status.success(), "{model}: {}", stderr(&o));
        }
        let b = std::fs::read(&idx).unwrap();
        assert_eq!(&b[4..16], &[0, 0, 0, 3, 0, 0, 0, side, 0, 0, 0, side]);
        assert_eq!(b.len(), 16 + 3 * side as usize * side as usize);
        // A 10×10 grid of side-pixel images with torchvision's 2-pixel padding.
        let png = std::fs::read(run.join("samples_epoch_001.png")).unwrap();
        let width = u32::from_be_bytes(png[16..20].try_into().unwrap());
        assert_eq!(width, 10 * (side as u32 + 2) + 2, "{model}");
    }
}
