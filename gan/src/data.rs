//! The data sets as training sees them, through the `datasets` crate: images in
//! [−1, 1] (ToTensor then Normalize(0.5, 0.5)) as (B, C, H, W), in an order
//! shuffled per epoch from (seed, epoch) alone, so that a resumed run sees the
//! very batches an uninterrupted one would.
//!
//! The IDX sets are grey, resized bilinearly when the model wants another
//! size (the DCGAN tutorial's `Resize(64)` of 28×28 MNIST for dcgan64). An
//! image folder (`--dataset folder`) is `ImageFolder` with `Resize(S)`,
//! `CenterCrop(S)` to the model's side S, in 1 or 3 channels.

use crate::error::{Error, Result};
use datasets::folder::{FolderConfig, ImageFolder};
use datasets::{DataLoader, DatasetKind, LoaderConfig, Split, Transform};
use std::path::Path;
use tensor::Tensor;

/// The data sets a run trains on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DatasetName {
    /// MNIST's handwritten digits.
    Mnist,
    /// Zalando's Fashion-MNIST.
    FashionMnist,
    /// Kuzushiji-MNIST's cursive Japanese characters.
    Kmnist,
    /// Every image under a folder, as torchvision's ImageFolder.
    Folder,
}

impl DatasetName {
    /// Every data set.
    pub const ALL: [DatasetName; 4] = [
        DatasetName::Mnist,
        DatasetName::FashionMnist,
        DatasetName::Kmnist,
        DatasetName::Folder,
    ];

    /// The data set's name on the command line and in checkpoints.
    pub fn name(self) -> &'static str {
        match self.kind() {
            Some(k) => k.name(),
            None => "folder",
        }
    }
    /// The IDX data set, `None` for an image folder.
    pub fn kind(self) -> Option<DatasetKind> {
        match self {
            DatasetName::Mnist => Some(DatasetKind::Mnist),
            DatasetName::FashionMnist => Some(DatasetKind::FashionMnist),
            DatasetName::Kmnist => Some(DatasetKind::Kmnist),
            DatasetName::Folder => None,
        }
    }
    /// The data set called `s` (see `name`).
    pub fn from_name(s: &str) -> Option<DatasetName> {
        Self::ALL.into_iter().find(|d| d.name() == s)
    }
}

impl From<datasets::Error> for Error {
    fn from(e: datasets::Error) -> Self {
        match e {
            datasets::Error::Download { .. } => Error::Data(format!(
                "{e}. Without network, put the files (gzipped or not) in a folder and pass --data-dir DIR"
            )),
            e => Error::Data(e.to_string()),
        }
    }
}

/// How to open a training set.
#[derive(Clone, Debug)]
pub struct DataOptions<'a> {
    /// Where the data set is (see `DataSource::open`).
    pub dir: Option<&'a Path>,
    /// Images per batch.
    pub batch: usize,
    /// Seed of the per-epoch shuffles.
    pub seed: u64,
    /// (C, H, W) the model takes; C is ignored for folders (see `channels`).
    pub image: [usize; 3],
    /// `--channels`: for folders, `None` means 3 when any image is in colour.
    pub channels: Option<usize>,
    /// `--cache-limit` in bytes (folders only).
    pub cache_limit: u64,
    /// Progress bars while a folder is listed and decoded.
    pub progress: bool,
}

/// A training split with its seeded loader.
pub struct DataSource {
    /// Which data set this is.
    pub name: DatasetName,
    loader: DataLoader,
    /// A line saying what was opened (folders: counts, channels, cache).
    pub summary: Option<String>,
    /// Classes of the labels: 10 for the MNIST family, a folder's class
    /// folders (1 when its images lie in the root: unlabelled).
    pub classes: usize,
}

impl DataSource {
    /// Load the training split of `name` (IDX: from `dir`, else the shipped
    /// data/ folder, else the cache, downloading there when possible; a
    /// folder: `dir`). Square IDX images are resized to a square `image` of
    /// another size, as torchvision's `Resize(H)` (bilinear, no
    /// antialiasing); any other mismatch is left for the caller to report
    /// (`image_shape`).
    pub fn open(name: DatasetName, o: &DataOptions) -> Result<DataSource> {
        let cfg = |transform| LoaderConfig {
            batch_size: o.batch.max(1),
            shuffle: true,
            drop_last: false,
            seed: o.seed,
            transform,
            prefetch: 2,
            workers: 0,
        };
        let Some(kind) = name.kind() else {
            return Self::open_folder(o, cfg(Transform::default()));
        };
        if let Some(c) = o.channels.filter(|c| *c != 1) {
            return Err(Error::usage(format!(
                "--channels {c}: {} is grey; --channels is for --dataset folder",
                name.name()
            )));
        }
        let source = datasets::DataSource::new().with_data_dir(o.dir.map(Path::to_path_buf));
        let split = datasets::load(kind, Split::Train, &source)?;
        let (h, w) = (split.images.height(), split.images.width());
        let [_, th, tw] = o.image;
        let transform = Transform {
            resize: (h == w && th == tw && th != h).then_some(th),
            ..Transform::default()
        };
        let loader = DataLoader::from_split(split, cfg(transform))?;
        Ok(DataSource {
            name,
            loader,
            summary: None,
            classes: 10,
        })
    }

    fn open_folder(o: &DataOptions, cfg: LoaderConfig) -> Result<DataSource> {
        let dir = o.dir.ok_or_else(|| {
            Error::usage("--dataset folder needs --data-dir DIR, the folder of images")
        })?;
        let [_, h, w] = o.image;
        if h != w {
            return Err(Error::usage(format!(
                "the model takes {h}×{w} images; folders give squares"
            )));
        }
        let folder = ImageFolder::open(
            dir,
            &FolderConfig {
                size: h,
                channels: o.channels,
                cache_limit: o.cache_limit,
                progress: o.progress,
                ..FolderConfig::default()
            },
        )?;
        let l = &folder.files.listing;
        let mb = folder.cache_bytes as f64 / 1e6;
        let summary = format!(
            "{}: {} images in {} class folders ({} other files skipped; {} in colour) -> {} channel(s) of {h}×{h}, {}",
            dir.display(),
            folder.len(),
            l.classes.len(),
            l.skipped,
            folder.colour_files,
            folder.channels(),
            if folder.is_cached() {
                format!("decoded once into a u8 cache of {mb:.1} MB")
            } else {
                format!(
                    "decoded on the loader's threads every epoch (a cache would need {mb:.1} MB, over --cache-limit {:.1} MB)",
                    o.cache_limit as f64 / 1e6
                )
            }
        );
        let loader = DataLoader::from_folder(&folder, cfg)?;
        Ok(DataSource {
            name: DatasetName::Folder,
            loader,
            summary: Some(summary),
            classes: l.classes.len(),
        })
    }

    /// Images in the split.
    pub fn len(&self) -> usize {
        self.loader.num_samples()
    }
    /// Whether the split holds no image.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// (C, H, W) of the images as batches hold them (after any resize).
    pub fn image_shape(&self) -> [usize; 3] {
        self.loader.image_chw()
    }

    /// Batches in one epoch (the last one may be short, as DataLoader's default).
    pub fn batches_per_epoch(&self) -> usize {
        self.loader.len()
    }

    /// Batches `start..end` of `epoch`.
    pub fn epoch(
        &self,
        epoch: usize,
        start: usize,
        end: usize,
    ) -> impl Iterator<Item = Result<Tensor>> + '_ {
        self.epoch_labelled(epoch, start, end)
            .map(|b| b.map(|(images, _)| images))
    }

    /// `epoch` with each image's class.
    pub fn epoch_labelled(
        &self,
        epoch: usize,
        start: usize,
        end: usize,
    ) -> impl Iterator<Item = Result<(Tensor, Vec<u32>)>> + '_ {
        self.loader
            .epoch(epoch as u64)
            .skip(start)
            .take(end.saturating_sub(start))
            .map(|b| b.map(|b| (b.images, b.labels)).map_err(Error::from))
    }

    /// The first `n` images of epoch 0's order: the batch `real_images.png` shows.
    pub fn first_images(&self, n: usize) -> Result<Tensor> {
        let order = self.loader.order(0);
        let n = n.min(order.len());
        Ok(self.loader.batch_of(&order[..n])?.images)
    }
}
