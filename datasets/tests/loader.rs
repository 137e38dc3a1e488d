//! DataLoader: shapes, ranges, seeded per-epoch shuffling, drop_last, prefetch.

use datasets::{Batch, DataLoader, ImageSet, LoaderConfig, Normalize, Transform};
use std::sync::Arc;

/// 10 images of 2×3 whose pixels encode the image index (pixel = 10·i + k).
fn tiny(cfg: LoaderConfig) -> DataLoader {
    let n = 10;
    let pixels = (0..n * 6).map(|j| ((j / 6) * 10 + j % 6) as u8).collect();
    let images = Arc::new(ImageSet::new(n, 2, 3, pixels).unwrap());
    let labels = Arc::new((0..n as u8).collect());
    DataLoader::new(images, labels, cfg).unwrap()
}

fn cfg(batch_size: usize) -> LoaderConfig {
    LoaderConfig {
        batch_size,
        seed: 42,
        ..LoaderConfig::default()
    }
}

fn collect(loader: &DataLoader, epoch: u64) -> Vec<Batch> {
    loader.epoch(epoch).map(|b| b.unwrap()).collect()
}

fn order(loader: &DataLoader, epoch: u64) -> Vec<usize> {
    collect(loader, epoch)
        .into_iter()
        .flat_map(|b| b.indices)
        .collect()
}

#[test]
fn batches_have_the_right_shape_labels_and_values() {
    let loader = tiny(LoaderConfig {
        shuffle: false,
        ..cfg(4)
    });
    assert_eq!((loader.len(), loader.num_samples()), (3, 10));
    assert_eq!(loader.batch_shape(), [4, 1, 2, 3]);
    let batches = collect(&loader, 0);
    let sizes: Vec<_> = batches.iter().map(|b| b.images.shape()[0]).collect();
    assert_eq!(sizes, [4, 4, 2]);
    let b = &batches[1];
    assert_eq!(b.images.shape(), &[4, 1, 2, 3]);
    assert_eq!(b.labels, [4, 5, 6, 7]);
    let v = b.images.to_vec_f32().unwrap();
    // Image 4, pixel 2 is 42: (42 / 255 − 0.5) / 0.5.
    assert_eq!(v[2], (42.0f32 / 255.0 - 0.5) / 0.5);
    assert!(v.iter().all(|x| (-1.0..=1.0).contains(x)));
}

#[test]
fn zero_to_one_and_flatten() {
    let t = Transform {
        normalize: Normalize::ZeroToOne,
        resize: None,
        flatten: true,
    };
    let loader = tiny(LoaderConfig {
        shuffle: false,
        transform: t,
        ..cfg(5)
    });
    let b = collect(&loader, 0).remove(0);
    assert_eq!(b.images.shape(), &[5, 6]);
    let v = b.images.to_vec_f32().unwrap();
    assert_eq!(v[6 + 1], 11.0 / 255.0);
}

#[test]
fn drop_last_skips_the_incomplete_batch() {
    let loader = tiny(LoaderConfig {
        drop_last: true,
        ..cfg(4)
    });
    assert_eq!(loader.len(), 2);
    let batches = collect(&loader, 3);
    assert_eq!(batches.len(), 2);
    assert!(batches.iter().all(|b| b.labels.len() == 4));
}

#[test]
fn shuffling_is_seeded_reshuffled_each_epoch_and_resumable() {
    let a = tiny(cfg(3));
    let b = tiny(cfg(3));
    let e0 = order(&a, 0);
    let mut sorted = e0.clone();
    sorted.sort();
    assert_eq!(sorted, (0..10).collect::<Vec<_>>(), "a permutation");
    assert_ne!(e0, (0..10).collect::<Vec<_>>());
    // Same seed, same epoch: same order, even on a fresh loader (resume).
    assert_eq!(order(&b, 5), order(&a, 5));
    assert_eq!(a.order(5), order(&a, 5));
    // Different epochs and different seeds reshuffle.
    let epochs: Vec<_> = (0..4).map(|e| order(&a, e)).collect();
    assert!(epochs.windows(2).all(|w| w[0] != w[1]));
    let other = tiny(LoaderConfig { seed: 43, ..cfg(3) });
    assert_ne!(order(&other, 0), e0);
}

#[test]
fn prefetch_and_on_demand_give_identical_batches() {
    let t = Transform {
        resize: Some(5),
        ..Transform::default()
    };
    let with = tiny(LoaderConfig {
        prefetch: 3,
        transform: t,
        ..cfg(4)
    });
    let without = tiny(LoaderConfig {
        prefetch: 0,
        transform: t,
        ..cfg(4)
    });
    let (x, y) = (collect(&with, 2), collect(&without, 2));
    assert_eq!(x.len(), y.len());
    for (p, q) in x.iter().zip(&y) {
        assert_eq!(p.images.shape(), &[p.labels.len(), 1, 5, 7]);
        assert_eq!(
            p.images.to_vec_f32().unwrap(),
            q.images.to_vec_f32().unwrap()
        );
        assert_eq!((&p.labels, &p.indices), (&q.labels, &q.indices));
    }
}

#[test]
fn dropping_an_epoch_early_stops_its_thread() {
    let loader = tiny(LoaderConfig {
        prefetch: 1,
        ..cfg(1)
    });
    for _ in 0..50 {
        let mut epoch = loader.epoch(0);
        assert!(epoch.next().is_some());
        assert_eq!(epoch.size_hint(), (9, Some(9)));
        // Dropped here while the producer is blocked on a full channel.
    }
}

#[test]
fn bad_configurations_are_errors() {
    let images = Arc::new(ImageSet::new(2, 1, 1, vec![0, 1]).unwrap());
    let bad = |cfg: LoaderConfig, labels: Vec<u8>| {
        DataLoader::new(images.clone(), Arc::new(labels), cfg).is_err()
    };
    assert!(bad(cfg(0), vec![0, 1]));
    assert!(bad(cfg(1), vec![0]));
    let t = Transform {
        resize: Some(0),
        ..Transform::default()
    };
    assert!(bad(
        LoaderConfig {
            transform: t,
            ..cfg(1)
        },
        vec![0, 1]
    ));
    assert!(ImageSet::new(2, 2, 2, vec![0; 7]).is_err());
    assert!(images.to_tensor(&[2], &Transform::default()).is_err());
}
