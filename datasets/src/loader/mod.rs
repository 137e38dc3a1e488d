//! Batches for training: seeded shuffling that changes every epoch, optional
//! drop_last, and background threads that prepare the next batches while the
//! current one trains.
//!
//! The order of epoch `e` depends only on (seed, e), so a run resumed at epoch
//! `e` sees exactly the batches an uninterrupted run would have seen.
//!
//! The images come from memory (an IDX split, or an image folder decoded once
//! into a u8 cache: one thread converts them to f32) or from the files of an
//! image folder (`workers` threads decode whole batches in turn, and the
//! batches still come out in order).

mod epoch;

pub use epoch::Epoch;

use crate::dataset::{ImageSet, SplitData};
use crate::error::{Error, Result};
use crate::folder::{default_workers, FolderFiles, ImageFolder, Storage};
use crate::transform::{Plan, Transform};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use std::sync::Arc;
use tensor::Tensor;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoaderConfig {
    pub batch_size: usize,
    pub shuffle: bool,
    /// Skip the last, incomplete batch of each epoch.
    pub drop_last: bool,
    pub seed: u64,
    pub transform: Transform,
    /// Batches prepared ahead by each background thread; 0 prepares them on
    /// demand in the caller's thread.
    pub prefetch: usize,
    /// Threads decoding batches of an image folder that is not cached; 0
    /// means one per core. In-memory images use one thread.
    pub workers: usize,
}

impl Default for LoaderConfig {
    fn default() -> Self {
        LoaderConfig {
            batch_size: 64,
            shuffle: true,
            drop_last: false,
            seed: 0,
            transform: Transform::default(),
            prefetch: 2,
            workers: 0,
        }
    }
}

/// One batch: images (B, C, H, W) or (B, C·H·W) in f32, their labels (class
/// indices), and which samples they are.
#[derive(Debug)]
pub struct Batch {
    pub images: Tensor,
    pub labels: Vec<u32>,
    pub indices: Vec<usize>,
}

/// Where a loader's u8 pixels are.
#[derive(Clone, Debug)]
pub(crate) enum Backing {
    Memory(Arc<ImageSet>),
    Files(Arc<FolderFiles>),
}

impl Backing {
    fn len(&self) -> usize {
        match self {
            Backing::Memory(m) => m.len(),
            Backing::Files(f) => f.listing.len(),
        }
    }

    /// (C, H, W) of the stored images.
    fn chw(&self) -> (usize, usize, usize) {
        match self {
            Backing::Memory(m) => (m.channels(), m.height(), m.width()),
            Backing::Files(f) => (f.channels, f.size, f.size),
        }
    }
}

pub struct DataLoader {
    backing: Backing,
    labels: Arc<Vec<u32>>,
    cfg: LoaderConfig,
    plan: Arc<Plan>,
}

impl DataLoader {
    pub fn new(images: Arc<ImageSet>, labels: Arc<Vec<u8>>, cfg: LoaderConfig) -> Result<Self> {
        let labels = Arc::new(labels.iter().map(|&l| l as u32).collect());
        Self::with_backing(Backing::Memory(images), labels, cfg)
    }

    pub fn from_split(split: SplitData, cfg: LoaderConfig) -> Result<Self> {
        DataLoader::new(Arc::new(split.images), Arc::new(split.labels), cfg)
    }

    /// The loader of an image folder, its class indices as labels. The
    /// images are already at the model's size: `cfg.transform` must not resize.
    pub fn from_folder(folder: &ImageFolder, cfg: LoaderConfig) -> Result<Self> {
        if cfg.transform.resize.is_some() {
            return Err(Error::Config(
                "an image folder is resized when decoded; the loader's transform must not resize"
                    .into(),
            ));
        }
        let backing = match &folder.storage {
            Storage::Cached(set) => Backing::Memory(Arc::clone(set)),
            Storage::Streamed => Backing::Files(Arc::clone(&folder.files)),
        };
        let labels = Arc::new(folder.files.listing.targets.clone());
        Self::with_backing(backing, labels, cfg)
    }

    fn with_backing(backing: Backing, labels: Arc<Vec<u32>>, cfg: LoaderConfig) -> Result<Self> {
        if cfg.batch_size == 0 {
            return Err(Error::Config("batch size must be at least 1".into()));
        }
        if labels.len() != backing.len() {
            return Err(Error::Config(format!(
                "{} labels for {} images",
                labels.len(),
                backing.len()
            )));
        }
        cfg.transform.validate()?;
        let (c, h, w) = backing.chw();
        let plan = Arc::new(Plan::new(&cfg.transform, c, h, w));
        Ok(DataLoader {
            backing,
            labels,
            cfg,
            plan,
        })
    }

    pub fn config(&self) -> &LoaderConfig {
        &self.cfg
    }

    /// The images, when they are in memory.
    pub fn images(&self) -> Option<&Arc<ImageSet>> {
        match &self.backing {
            Backing::Memory(m) => Some(m),
            Backing::Files(_) => None,
        }
    }

    pub fn labels(&self) -> &[u32] {
        &self.labels
    }

    pub fn num_samples(&self) -> usize {
        self.backing.len()
    }

    /// Batches per epoch.
    pub fn len(&self) -> usize {
        let (n, b) = (self.num_samples(), self.cfg.batch_size);
        if self.cfg.drop_last {
            n / b
        } else {
            n.div_ceil(b)
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// (C, H, W) of the images as batches hold them (after any resize).
    pub fn image_chw(&self) -> [usize; 3] {
        let (c, h, w) = self.backing.chw();
        let (oh, ow) = self.cfg.transform.output_hw(h, w);
        [c, oh, ow]
    }

    /// Shape of a full batch.
    pub fn batch_shape(&self) -> Vec<usize> {
        let (c, h, w) = self.backing.chw();
        self.cfg
            .transform
            .batch_shape_c(self.cfg.batch_size, c, h, w)
    }

    /// The sample order of epoch `epoch`: a permutation drawn from (seed, epoch)
    /// when shuffling, else 0..N.
    pub fn order(&self, epoch: u64) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.num_samples()).collect();
        if self.cfg.shuffle {
            let mut rng = StdRng::seed_from_u64(epoch_seed(self.cfg.seed, epoch));
            order.shuffle(&mut rng);
        }
        order
    }

    /// The samples at `indices` as one batch, in the caller's thread.
    pub fn batch_of(&self, indices: &[usize]) -> Result<Batch> {
        let raw = epoch::convert(&self.source(), indices.to_vec(), &mut Vec::new())?;
        self.to_batch(raw)
    }

    /// Threads preparing an epoch's batches.
    fn workers(&self) -> usize {
        match (&self.backing, self.cfg.workers) {
            (Backing::Memory(_), _) => 1,
            (Backing::Files(_), 0) => default_workers(),
            (Backing::Files(_), w) => w,
        }
    }

    fn source(&self) -> epoch::Source {
        epoch::Source {
            backing: self.backing.clone(),
            labels: Arc::clone(&self.labels),
            plan: Arc::clone(&self.plan),
        }
    }

    fn to_batch(&self, r: epoch::RawBatch) -> Result<Batch> {
        epoch::Shape {
            transform: self.cfg.transform,
            chw: self.backing.chw(),
        }
        .make_batch(r)
    }
}

/// splitmix64 of the seed mixed with the epoch: nearby seeds and epochs give
/// unrelated streams.
fn epoch_seed(seed: u64, epoch: u64) -> u64 {
    fn mix(mut z: u64) -> u64 {
        z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    mix(seed ^ mix(epoch))
}
