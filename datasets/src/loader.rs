//! Batches for training: seeded shuffling that changes every epoch, optional
//! drop_last, and a background thread that converts the next batches while the
//! current one trains.
//!
//! The order of epoch `e` depends only on (seed, e), so a run resumed at epoch
//! `e` sees exactly the batches an uninterrupted run would have seen.

use crate::dataset::{ImageSet, SplitData};
use crate::error::{Error, Result};
use crate::transform::{Plan, Transform};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use std::sync::mpsc::{sync_channel, Receiver};
use std::sync::Arc;
use std::thread::JoinHandle;
use tensor::Tensor;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoaderConfig {
    pub batch_size: usize,
    pub shuffle: bool,
    /// Skip the last, incomplete batch of each epoch.
    pub drop_last: bool,
    pub seed: u64,
    pub transform: Transform,
    /// Batches converted ahead by the background thread; 0 converts on demand
    /// in the caller's thread.
    pub prefetch: usize,
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
        }
    }
}

/// One batch: images (B, 1, H, W) or (B, H·W) in f32, their labels, and which
/// samples they are.
#[derive(Debug)]
pub struct Batch {
    pub images: Tensor,
    pub labels: Vec<u8>,
    pub indices: Vec<usize>,
}

pub struct DataLoader {
    images: Arc<ImageSet>,
    labels: Arc<Vec<u8>>,
    cfg: LoaderConfig,
    plan: Arc<Plan>,
}

impl DataLoader {
    pub fn new(images: Arc<ImageSet>, labels: Arc<Vec<u8>>, cfg: LoaderConfig) -> Result<Self> {
        if cfg.batch_size == 0 {
            return Err(Error::Config("batch size must be at least 1".into()));
        }
        if labels.len() != images.len() {
            return Err(Error::Config(format!(
                "{} labels for {} images",
                labels.len(),
                images.len()
            )));
        }
        cfg.transform.validate()?;
        let plan = Arc::new(Plan::new(&cfg.transform, images.height(), images.width()));
        Ok(DataLoader {
            images,
            labels,
            cfg,
            plan,
        })
    }

    pub fn from_split(split: SplitData, cfg: LoaderConfig) -> Result<Self> {
        DataLoader::new(Arc::new(split.images), Arc::new(split.labels), cfg)
    }

    pub fn config(&self) -> &LoaderConfig {
        &self.cfg
    }

    pub fn images(&self) -> &Arc<ImageSet> {
        &self.images
    }

    pub fn labels(&self) -> &[u8] {
        &self.labels
    }

    pub fn num_samples(&self) -> usize {
        self.images.len()
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

    /// Shape of a full batch.
    pub fn batch_shape(&self) -> Vec<usize> {
        let (h, w) = (self.images.height(), self.images.width());
        self.cfg.transform.batch_shape(self.cfg.batch_size, h, w)
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

    /// The batches of epoch `epoch`, converted ahead by a background thread.
    pub fn epoch(&self, epoch: u64) -> Epoch {
        let mut producer = self.producer(epoch);
        let shape = Shape {
            transform: self.cfg.transform,
            hw: (self.images.height(), self.images.width()),
        };
        let remaining = self.len();
        if self.cfg.prefetch == 0 {
            return Epoch::sync(producer, shape, remaining);
        }
        let (tx, rx) = sync_channel(self.cfg.prefetch);
        let spawned = std::thread::Builder::new()
            .name(format!("prefetch-epoch-{epoch}"))
            .spawn(move || {
                while let Some(raw) = producer.next_raw() {
                    // The receiver is gone when the epoch is dropped early: stop.
                    if tx.send(raw).is_err() {
                        break;
                    }
                }
            });
        match spawned {
            Ok(handle) => Epoch {
                mode: Mode::Thread {
                    rx: Some(rx),
                    handle: Some(handle),
                },
                shape,
                remaining,
            },
            // No thread to be had: convert on demand instead of failing.
            Err(_) => Epoch::sync(self.producer(epoch), shape, remaining),
        }
    }

    fn producer(&self, epoch: u64) -> Producer {
        Producer {
            images: Arc::clone(&self.images),
            labels: Arc::clone(&self.labels),
            plan: Arc::clone(&self.plan),
            order: self.order(epoch),
            batch_size: self.cfg.batch_size,
            drop_last: self.cfg.drop_last,
            next: 0,
            scratch: Vec::new(),
        }
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

/// A batch before it becomes a tensor (plain vectors cross threads freely).
struct RawBatch {
    pixels: Vec<f32>,
    labels: Vec<u8>,
    indices: Vec<usize>,
}

struct Producer {
    images: Arc<ImageSet>,
    labels: Arc<Vec<u8>>,
    plan: Arc<Plan>,
    order: Vec<usize>,
    batch_size: usize,
    drop_last: bool,
    next: usize,
    scratch: Vec<f32>,
}

impl Producer {
    fn next_raw(&mut self) -> Option<Result<RawBatch>> {
        let left = self.order.len() - self.next;
        if left == 0 || (self.drop_last && left < self.batch_size) {
            return None;
        }
        let take = left.min(self.batch_size);
        let indices = self.order[self.next..self.next + take].to_vec();
        self.next += take;
        let len = self.plan.out_len();
        let mut pixels = vec![0f32; take * len];
        for (chunk, &i) in pixels.chunks_mut(len.max(1)).zip(&indices) {
            match self.images.image(i) {
                Some(img) => self.plan.apply(img, chunk, &mut self.scratch),
                None => return Some(Err(Error::Config(format!("sample {i} out of range")))),
            }
        }
        let labels = indices.iter().map(|&i| self.labels[i]).collect();
        Some(Ok(RawBatch {
            pixels,
            labels,
            indices,
        }))
    }
}

#[derive(Clone, Copy)]
struct Shape {
    transform: Transform,
    hw: (usize, usize),
}

enum Mode {
    Sync(Box<Producer>),
    Thread {
        rx: Option<Receiver<Result<RawBatch>>>,
        handle: Option<JoinHandle<()>>,
    },
}

/// The batches of one epoch, in order. Dropping it early stops the prefetch thread.
pub struct Epoch {
    mode: Mode,
    shape: Shape,
    remaining: usize,
}

impl Epoch {
    fn sync(producer: Producer, shape: Shape, remaining: usize) -> Epoch {
        Epoch {
            mode: Mode::Sync(Box::new(producer)),
            shape,
            remaining,
        }
    }
}

impl Iterator for Epoch {
    type Item = Result<Batch>;

    fn next(&mut self) -> Option<Result<Batch>> {
        let raw = match &mut self.mode {
            Mode::Sync(p) => p.next_raw()?,
            // A closed channel means the producer is done (or died: then the
            // count below tells the caller).
            Mode::Thread { rx, .. } => match rx.as_ref()?.recv() {
                Ok(raw) => raw,
                Err(_) if self.remaining > 0 => {
                    self.remaining = 0;
                    return Some(Err(Error::Config(
                        "the prefetch thread stopped before the end of the epoch".into(),
                    )));
                }
                Err(_) => return None,
            },
        };
        self.remaining = self.remaining.saturating_sub(1);
        Some(raw.and_then(|r| {
            let (h, w) = self.shape.hw;
            let shape = self.shape.transform.batch_shape(r.labels.len(), h, w);
            Ok(Batch {
                images: Tensor::from_vec(r.pixels, &shape)?,
                labels: r.labels,
                indices: r.indices,
            })
        }))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl Drop for Epoch {
    fn drop(&mut self) {
        if let Mode::Thread { rx, handle } = &mut self.mode {
            // Closing the channel first unblocks a producer waiting to send.
            drop(rx.take());
            if let Some(h) = handle.take() {
                let _ = h.join();
            }
        }
    }
}
