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
