//! Finding the files: `--data-dir` for every data set, gzipped or not, and the
//! data set checks (counts, labels, ranks) on what is found.

mod common;

use common::{synthetic_split, temp_dir, write_dataset};
use datasets::idx::{write_idx, IdxArray, IdxData};
use datasets::{load, DataSource, Dataset, DatasetKind, FashionMnist, Kmnist, Split};
use std::path::Path;

fn offline(dir: &Path) -> DataSource {
    DataSource {
        use_env: false,
        download: false,
        ..DataSource::new()
    }
    .with_data_dir(Some(dir.to_path_buf()))
}

#[test]
fn names_parse() {
    for kind in DatasetKind::ALL {
        assert_eq!(kind.name().parse::<DatasetKind>().unwrap(), kind);
    }
    assert_eq!(
        "Fashion_MNIST".parse::<DatasetKind>().unwrap(),
        DatasetKind::FashionMnist
    );
    let e = "cifar".parse::<DatasetKind>().unwrap_err().to_string();
    assert!(e.contains("mnist, fashion-mnist or kmnist"));
}

#[test]
fn data_dir_works_offline_for_every_data_set_gzipped_or_not() {
    for (gz, seed) in [(false, 1), (true, 2)] {
        let dir = temp_dir(&format!("datadir-{gz}"));
        write_dataset(&dir, gz, seed);
        for kind in [DatasetKind::FashionMnist, DatasetKind::Kmnist] {
            let src = offline(&dir);
            let train = load(kind, Split::Train, &src).unwrap();
            let test = load(kind, Split::Test, &src).unwrap();
            assert_eq!((train.len(), test.len()), (50, 20));
            assert_eq!(train.kind, kind);
        }
        assert_eq!(FashionMnist::train(&offline(&dir)).unwrap().len(), 50);
        assert_eq!(Kmnist::test(&offline(&dir)).unwrap().len(), 20);
        // MNIST from a folder must be the real MNIST: the md5 check refuses these.
        let e = load(DatasetKind::Mnist, Split::Test, &offline(&dir)).unwrap_err();
        assert!(e.to_string().contains("checksum mismatch"), "{e}");
        std::fs::remove_dir_all(dir).ok();
    }
}

#[test]
fn a_data_dir_without_the_files_says_what_is_missing() {
    let dir = temp_dir("empty");
    let e = load(DatasetKind::Kmnist, Split::Train, &offline(&dir))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("train-images-idx3-ubyte.gz") && e.contains("--data-dir"),
        "{e}"
    );
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn without_data_dir_or_download_the_error_names_the_places_searched() {
    let cache = temp_dir("nocache");
    let src = DataSource {
        use_env: false,
        use_workspace: false,
        download: false,
        ..DataSource::new()
    }
    .with_cache_dir(cache.clone());
    let e = load(DatasetKind::FashionMnist, Split::Train, &src)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("downloading is off") && e.contains(&*cache.to_string_lossy()),
        "{e}"
    );
    std::fs::remove_dir_all(cache).ok();
}

/// Writes one broken split into a fresh folder and returns the load error.
fn load_error(name: &str, images: IdxArray, labels: IdxArray) -> String {
    let dir = temp_dir(name);
    write_idx(&dir.join("train-images-idx3-ubyte"), &images, false).unwrap();
    write_idx(&dir.join("train-labels-idx1-ubyte.gz"), &labels, true).unwrap();
    let e = load(DatasetKind::Kmnist, Split::Train, &offline(&dir))
        .unwrap_err()
        .to_string();
    std::fs::remove_dir_all(dir).ok();
    e
}

#[test]
fn content_checks_name_the_file() {
    let (img, lbl) = synthetic_split(5, 4, 4, 3);
    let (_, short) = synthetic_split(4, 4, 4, 3);
    let e = load_error("count", img.clone(), short);
    assert!(e.contains("4 labels for 5 images"), "{e}");

    let bad = IdxArray::new(vec![5], IdxData::U8(vec![0, 1, 10, 2, 3])).unwrap();
    let e = load_error("label", img.clone(), bad);
    assert!(
        e.contains("train-labels-idx1-ubyte.gz") && e.contains("label 10 at index 2"),
        "{e}"
    );

    let flat = IdxArray::new(vec![5, 16], IdxData::U8(vec![0; 80])).unwrap();
    let e = load_error("rank", flat, lbl.clone());
    assert!(
        e.contains("train-images-idx3-ubyte") && e.contains("3 dimensions"),
        "{e}"
    );

    let floats = IdxArray::new(vec![5, 4, 4], IdxData::F32(vec![0.0; 80])).unwrap();
    let e = load_error("type", floats, lbl.clone());
    assert!(e.contains("expected u8"), "{e}");

    let none = IdxArray::new(vec![0, 28, 28], IdxData::U8(vec![])).unwrap();
    let empty_labels = IdxArray::new(vec![0], IdxData::U8(vec![])).unwrap();
    let e = load_error("empty", none, empty_labels);
    assert!(e.contains("no images"), "{e}");
}
