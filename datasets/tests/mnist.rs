//! Facts of the real MNIST shipped in data/mnist, its memory cost, and the
//! 64×64 resize checked against values computed with PyTorch.

use datasets::{
    load, DataLoader, DataSource, Dataset, DatasetKind, LoaderConfig, Mnist, Normalize, Split,
    Transform,
};
use std::sync::OnceLock;

/// The default configuration, minus the environment and downloads: it must
/// find the shipped files by itself.
fn source() -> DataSource {
    DataSource {
        use_env: false,
        download: false,
        ..DataSource::new()
    }
}

fn train() -> &'static datasets::SplitData {
    static TRAIN: OnceLock<datasets::SplitData> = OnceLock::new();
    TRAIN.get_or_init(|| Mnist::train(&source()).expect("MNIST train loads from data/mnist"))
}

#[test]
fn train_split_facts() {
    let t = train();
    assert_eq!(
        (t.len(), t.images.height(), t.images.width()),
        (60_000, 28, 28)
    );
    assert_eq!(t.labels.len(), 60_000);
    assert_eq!(&t.labels[..10], &[5, 0, 4, 1, 9, 2, 1, 3, 1, 4]);
    assert_eq!(
        t.label_histogram(),
        [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
    );
}

#[test]
fn test_split_facts() {
    let t = load(DatasetKind::Mnist, Split::Test, &source()).unwrap();
    assert_eq!(
        (t.len(), t.images.height(), t.images.width()),
        (10_000, 28, 28)
    );
    assert_eq!(&t.labels[..5], &[7, 2, 1, 0, 4]);
    assert_eq!(
        t.label_histogram(),
        [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    );
}

#[test]
fn train_images_cost_47_mb_as_u8() {
    let t = train();
    assert_eq!(t.images.byte_size(), 47_040_000);
    // Capacity too: no slack from growing the buffer while inflating.
    assert_eq!(t.images.heap_bytes(), 47_040_000);
}

#[test]
fn first_image_pixels() {
    let img = train().images.image(0).unwrap();
    // Row 5 of the first "5", and its total ink.
    assert_eq!(&img[5 * 28 + 12..5 * 28 + 16], &[3, 18, 18, 18]);
    assert_eq!(img.iter().map(|&p| p as u64).sum::<u64>(), 27_525);
    let t = Transform::default();
    let x = train().images.first_n(1, &t).unwrap();
    assert_eq!(x.shape(), &[1, 1, 28, 28]);
    let v = x.to_vec_f32().unwrap();
    // (p / 255 − 0.5) / 0.5 as PyTorch computes it, for p = 3 and p = 253.
    assert_eq!(v[5 * 28 + 12], -0.976_470_6);
    assert_eq!(v[7 * 28 + 10], 0.984_313_7);
}

/// `Resize(64, antialias=False)` after `ToTensor()` on the first training
/// image, computed with torch 2.x / torchvision:
/// (row, col, value in [0, 1], value after Normalize(0.5, 0.5)), as PyTorch
/// printed them (the f64 repr of each f32, hence the long digits).
#[allow(clippy::excessive_precision)]
const TORCH_64: [(usize, usize, f32, f32); 12] = [
    (12, 45, 0.3148437440395355, -0.37031251192092896),
    (26, 24, 0.10894608497619629, -0.7821078300476074),
    (18, 15, 0.033743105828762054, -0.9325137734413147),
    (35, 40, 0.9064643979072571, 0.8129287958145142),
    (33, 36, 0.9703469276428223, 0.9406938552856445),
    (49, 19, 0.2153913974761963, -0.5692172050476074),
    (44, 44, 0.7250382900238037, 0.4500765800476074),
    (25, 25, 0.37145376205444336, -0.2570924758911133),
    (38, 45, 0.5200904011726379, 0.04018080234527588),
    (15, 54, 0.11838235706090927, -0.7632352709770203),
    (20, 33, 0.4243527948856354, -0.15129441022872925),
    (0, 0, 0.0, -1.0),
];

#[test]
fn resize_to_64_matches_pytorch() {
    for (normalize, sum) in [
        (Normalize::ZeroToOne, 563.971_25),
        (Normalize::MinusOneToOne, -2_968.057_5),
    ] {
        let t = Transform {
            normalize,
            resize: Some(64),
            flatten: false,
        };
        let x = train().images.first_n(1, &t).unwrap();
        assert_eq!(x.shape(), &[1, 1, 64, 64]);
        let v = x.to_vec_f32().unwrap();
        for (r, c, v01, vpm) in TORCH_64 {
            let want = if normalize == Normalize::ZeroToOne {
                v01
            } else {
                vpm
            };
            let got = v[r * 64 + c];
            assert!(
                (got - want).abs() < 1e-5,
                "({r}, {c}): {got} vs torch {want}"
            );
        }
        let total: f64 = v.iter().map(|&x| x as f64).sum();
        assert!((total - sum).abs() < 1e-2, "sum {total} vs torch {sum}");
    }
}

#[test]
fn a_full_epoch_over_real_mnist() {
    let t = train();
    let cfg = LoaderConfig {
        batch_size: 128,
        seed: 7,
        ..LoaderConfig::default()
    };
    let loader = DataLoader::new(
        std::sync::Arc::new(t.images.clone()),
        std::sync::Arc::new(t.labels.clone()),
        cfg,
    )
    .unwrap();
    assert_eq!(loader.len(), 469);
    let mut seen = vec![false; 60_000];
    let mut batches = 0;
    for b in loader.epoch(0) {
        let b = b.unwrap();
        for &i in &b.indices {
            assert!(!seen[i]);
            seen[i] = true;
        }
        batches += 1;
    }
    assert_eq!(batches, 469);
    assert!(seen.iter().all(|&s| s));
}

#[test]
fn a_corrupted_copy_fails_the_md5_check() {
    let dir = std::env::temp_dir().join(format!("datasets-md5-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let shipped = datasets::source::workspace_data_dir().join("mnist");
    let raw = datasets::idx::read_idx(&shipped.join("t10k-labels-idx1-ubyte.gz")).unwrap();
    let mut arr = datasets::idx::encode_idx(&raw);
    arr[100] = (arr[100] + 1) % 10; // still a valid label file, but not MNIST's
    std::fs::write(dir.join("t10k-labels-idx1-ubyte"), &arr).unwrap();
    std::fs::copy(
        shipped.join("t10k-images-idx3-ubyte.gz"),
        dir.join("t10k-images-idx3-ubyte.gz"),
    )
    .unwrap();
    let src = source().with_data_dir(Some(dir.clone()));
    let e = load(DatasetKind::Mnist, Split::Test, &src)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("checksum mismatch") && e.contains("t10k-labels-idx1-ubyte"),
        "{e}"
    );
    std::fs::remove_dir_all(dir).ok();
}
