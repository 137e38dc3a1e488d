//! The batches of one epoch: made in the caller's thread, or by `W`
//! background threads where thread `w` makes batches w, w + W, w + 2W, …
//! and the epoch reads them back in order, one channel per thread.

use super::{Backing, Batch, DataLoader};
use crate::error::{Error, Result};
use crate::transform::Plan;
use crate::transform::Transform;
use std::sync::mpsc::{sync_channel, Receiver};
use std::sync::Arc;
use std::thread::JoinHandle;

/// What a batch is made from (cheap to clone: all shared).
#[derive(Clone)]
pub(super) struct Source {
    pub backing: Backing,
    pub labels: Arc<Vec<u32>>,
    pub plan: Arc<Plan>,
}

/// A batch before it becomes a tensor (plain vectors cross threads freely).
pub(super) struct RawBatch {
    pub pixels: Vec<f32>,
    pub labels: Vec<u32>,
    pub indices: Vec<usize>,
}

/// Scratch reused from batch to batch by one thread.
#[derive(Default)]
pub(super) struct Scratch {
    f: Vec<f32>,
    bytes: Vec<u8>,
    decode: Vec<f32>,
}

/// The samples `indices` of `src`, decoded if need be, as f32.
pub(super) fn convert(src: &Source, indices: Vec<usize>, s: &mut Vec<f32>) -> Result<RawBatch> {
    let mut scratch = Scratch {
        f: std::mem::take(s),
        ..Scratch::default()
    };
    let r = convert_with(src, indices, &mut scratch);
    *s = scratch.f;
    r
}

fn convert_with(src: &Source, indices: Vec<usize>, s: &mut Scratch) -> Result<RawBatch> {
    let len = src.plan.out_len();
    let mut pixels = vec![0f32; indices.len() * len];
    for (chunk, &i) in pixels.chunks_mut(len.max(1)).zip(&indices) {
        match &src.backing {
            Backing::Memory(m) => match m.image(i) {
                Some(img) => src.plan.apply(img, chunk, &mut s.f),
                None => return Err(Error::Config(format!("sample {i} out of range"))),
            },
            Backing::Files(f) => {
                s.bytes.resize(f.image_len(), 0);
                f.decode(i, &mut s.bytes, &mut s.decode)?;
                src.plan.apply(&s.bytes, chunk, &mut s.f);
            }
        }
    }
    let labels = indices
        .iter()
        .map(|&i| src.labels.get(i).copied().unwrap_or(0))
        .collect();
    Ok(RawBatch {
        pixels,
        labels,
        indices,
    })
}

/// Makes the batches `next, next + step, …` of one epoch's order.
struct Producer {
    src: Source,
    order: Arc<Vec<usize>>,
    batch_size: usize,
    /// Batches in the epoch.
    count: usize,
    next: usize,
    step: usize,
    scratch: Scratch,
}

impl Producer {
    fn next_raw(&mut self) -> Option<Result<RawBatch>> {
        if self.next >= self.count {
            return None;
        }
        let start = self.next * self.batch_size;
        let end = (start + self.batch_size).min(self.order.len());
        self.next += self.step;
        let indices = self.order[start..end].to_vec();
        Some(convert_with(&self.src, indices, &mut self.scratch))
    }
}

/// How a batch's floats become its tensor.
#[derive(Clone, Copy)]
pub(super) struct Shape {
    pub transform: Transform,
    pub chw: (usize, usize, usize),
}

impl Shape {
    pub fn make_batch(self, r: RawBatch) -> Result<Batch> {
        let (c, h, w) = self.chw;
        let shape = self.transform.batch_shape_c(r.labels.len(), c, h, w);
        Ok(Batch {
            images: tensor::Tensor::from_vec(r.pixels, &shape)?,
            labels: r.labels,
            indices: r.indices,
        })
    }
}

enum Mode {
    Sync(Box<Producer>),
    Threads {
        rxs: Vec<Receiver<Result<RawBatch>>>,
        handles: Vec<JoinHandle<()>>,
    },
}

/// The batches of one epoch, in order. Dropping it early stops its threads.
pub struct Epoch {
    shape: Shape,
    mode: Mode,
    /// Batches handed out so far.
    taken: usize,
    remaining: usize,
}

impl DataLoader {
    /// The batches of epoch `epoch`, prepared ahead by background threads.
    pub fn epoch(&self, epoch: u64) -> Epoch {
        let order = Arc::new(self.order(epoch));
        let remaining = self.len();
        let producer = |first: usize, step: usize| Producer {
            src: self.source(),
            order: Arc::clone(&order),
            batch_size: self.cfg.batch_size,
            count: remaining,
            next: first,
            step,
            scratch: Scratch::default(),
        };
        let shape = Shape {
            transform: self.cfg.transform,
            chw: self.backing.chw(),
        };
        let sync = || Epoch {
            shape,
            mode: Mode::Sync(Box::new(producer(0, 1))),
            taken: 0,
            remaining,
        };
        if self.cfg.prefetch == 0 {
            return sync();
        }
        let workers = self.workers().clamp(1, remaining.max(1));
        let (mut rxs, mut handles) = (Vec::new(), Vec::new());
        for w in 0..workers {
            let (tx, rx) = sync_channel(self.cfg.prefetch);
            let mut p = producer(w, workers);
            let spawned = std::thread::Builder::new()
                .name(format!("loader-{epoch}-{w}"))
                .spawn(move || {
                    while let Some(raw) = p.next_raw() {
                        // The receiver is gone when the epoch is dropped early: stop.
                        if tx.send(raw).is_err() {
                            break;
                        }
                    }
                });
            match spawned {
                Ok(h) => {
                    rxs.push(rx);
                    handles.push(h);
                }
                // No thread to be had: make the batches on demand instead.
                Err(_) => {
                    drop(rxs);
                    handles.into_iter().for_each(|h: JoinHandle<()>| {
                        let _ = h.join();
                    });
                    return sync();
                }
            }
        }
        Epoch {
            shape,
            mode: Mode::Threads { rxs, handles },
            taken: 0,
            remaining,
        }
    }
}

impl Iterator for Epoch {
    type Item = Result<Batch>;

    fn next(&mut self) -> Option<Result<Batch>> {
        let raw = match &mut self.mode {
            Mode::Sync(p) => p.next_raw()?,
            Mode::Threads { rxs, .. } => {
                if self.remaining == 0 || rxs.is_empty() {
                    return None;
                }
                match rxs[self.taken % rxs.len()].recv() {
                    Ok(raw) => raw,
                    // A closed channel before the end: the thread died.
                    Err(_) => {
                        self.remaining = 0;
                        return Some(Err(Error::Config(
                            "a loader thread stopped before the end of the epoch".into(),
                        )));
                    }
                }
            }
        };
        self.taken += 1;
        self.remaining = self.remaining.saturating_sub(1);
        Some(raw.and_then(|r| self.shape.make_batch(r)))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl Drop for Epoch {
    fn drop(&mut self) {
        if let Mode::Threads { rxs, handles } = &mut self.mode {
            // Closing the channels first unblocks producers waiting to send.
            rxs.clear();
            for h in handles.drain(..) {
                let _ = h.join();
            }
        }
    }
}
