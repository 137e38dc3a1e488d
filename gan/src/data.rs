//! The data sets as training sees them, through the `datasets` crate: images in
//! [−1, 1] (ToTensor then Normalize(0.5, 0.5)) as (B, 1, H, W), resized
//! bilinearly when the model wants another size (the DCGAN tutorial's
//! `Resize(64)` of 28×28 MNIST for dcgan64), in an order
//! shuffled per epoch from (seed, epoch) alone, so that a resumed run sees the
//! very batches an uninterrupted one would.

use crate::error::{Error, Result};
use datasets::{DataLoader, DatasetKind, LoaderConfig, Split, Transform};
use std::path::Path;
use tensor::Tensor;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum DatasetName {
    Mnist,
    FashionMnist,
    Kmnist,
}

impl DatasetName {
    pub fn name(self) -> &'static str {
        self.kind().name()
    }
    pub fn kind(self) -> DatasetKind {
        match self {
            DatasetName::Mnist => DatasetKind::Mnist,
            DatasetName::FashionMnist => DatasetKind::FashionMnist,
            DatasetName::Kmnist => DatasetKind::Kmnist,
        }
    }
    pub fn from_name(s: &str) -> Option<DatasetName> {
        [
            DatasetName::Mnist,
            DatasetName::FashionMnist,
            DatasetName::Kmnist,
        ]
        .into_iter()
        .find(|d| d.name() == s)
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

/// A training split with its seeded loader.
pub struct DataSource {
    pub name: DatasetName,
    loader: DataLoader,
    transform: Transform,
}

impl DataSource {
    /// Load the training split of `name` from `dir` (else the shipped data/ folder,
    /// else the cache, downloading there when possible), batched by `batch` with
    /// the order drawn from `seed`. Square images are resized to a square
    /// `image` (C, H, W) of another size, as torchvision's `Resize(H)`
    /// (bilinear, no antialiasing); any other mismatch is left for the caller
    /// to report (`image_shape`).
    pub fn open(
        name: DatasetName,
        dir: Option<&Path>,
        batch: usize,
        seed: u64,
        image: [usize; 3],
    ) -> Result<DataSource> {
        let source = datasets::DataSource::new().with_data_dir(dir.map(Path::to_path_buf));
        let split = datasets::load(name.kind(), Split::Train, &source)?;
        let (h, w) = (split.images.height(), split.images.width());
        let [_, th, tw] = image;
        let transform = Transform {
            resize: (h == w && th == tw && th != h).then_some(th),
            ..Transform::default()
        };
        let loader = DataLoader::from_split(
            split,
            LoaderConfig {
                batch_size: batch.max(1),
                shuffle: true,
                drop_last: false,
                seed,
                transform,
                prefetch: 2,
            },
        )?;
        Ok(DataSource {
            name,
            loader,
            transform,
        })
    }

    pub fn len(&self) -> usize {
        self.loader.num_samples()
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// (C, H, W) of the images as batches hold them (after any resize).
    pub fn image_shape(&self) -> [usize; 3] {
        let im = self.loader.images();
        let (h, w) = self.transform.output_hw(im.height(), im.width());
        [1, h, w]
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
        self.loader
            .epoch(epoch as u64)
            .skip(start)
            .take(end.saturating_sub(start))
            .map(|b| b.map(|b| b.images).map_err(Error::from))
    }

    /// The first `n` images of epoch 0's order: the batch `real_images.png` shows.
    pub fn first_images(&self, n: usize) -> Result<Tensor> {
        let order = self.loader.order(0);
        let n = n.min(order.len());
        Ok(self
            .loader
            .images()
            .to_tensor(&order[..n], &self.transform)?)
    }
}
