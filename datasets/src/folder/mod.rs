//! Image folders as data sets: torchvision's `ImageFolder` with
//! `Resize(size)`, `CenterCrop(size)`, `ToTensor()` and `Normalize(0.5, 0.5)`.
//!
//! Opening a folder lists it (the `scan` module), reads every file's header on the
//! decoding threads (a corrupt header, a too small or too large image is an
//! error before training starts, and the headers say whether any image is in
//! colour), then either decodes every image once into a u8 cache of N × C ×
//! size × size (when that fits `cache_limit`) or leaves the decoding to the
//! loader's threads, every epoch. Pixels stay u8 until a batch is made.

mod decode;
mod parallel;
mod resize;
mod scan;

pub use decode::{decode_into, header, pil_luma, Header, MAX_DECODE_BYTES, MAX_SIDE, MIN_SIDE};
pub use parallel::default_workers;
pub use resize::{crop_offset, resized_hw, ResizeCrop};
pub use scan::{Listing, IMAGE_EXTENSIONS, MAX_FILES};

use crate::dataset::ImageSet;
use crate::error::{Error, Result};
use std::path::Path;
use std::sync::Arc;

/// Default budget of the decoded cache: 2 GiB.
pub const DEFAULT_CACHE_LIMIT: u64 = 2 << 30;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FolderConfig {
    /// Side of the images the model takes (`Resize(size)`, `CenterCrop(size)`).
    pub size: usize,
    /// 1 (grey) or 3 (RGB); `None`: 3 when any file is in colour, else 1.
    pub channels: Option<usize>,
    /// Decode once into memory when N·C·size² bytes fit in this many bytes.
    pub cache_limit: u64,
    /// Decoding threads; 0 means one per core.
    pub workers: usize,
    /// Refuse folders of more image files than this.
    pub max_files: usize,
    /// Progress bars on stderr while listing, reading headers and decoding.
    pub progress: bool,
}

impl Default for FolderConfig {
    fn default() -> Self {
        FolderConfig {
            size: 64,
            channels: None,
            cache_limit: DEFAULT_CACHE_LIMIT,
            workers: 0,
            max_files: MAX_FILES,
            progress: false,
        }
    }
}

/// The files of a folder and how to decode them to the model's size.
#[derive(Debug)]
pub struct FolderFiles {
    pub listing: Listing,
    pub channels: usize,
    pub size: usize,
}

impl FolderFiles {
    /// Bytes of one decoded image.
    pub fn image_len(&self) -> usize {
        self.channels * self.size * self.size
    }

    /// Decodes image `i` into `out` (`image_len()` bytes).
    pub fn decode(&self, i: usize, out: &mut [u8], tmp: &mut Vec<f32>) -> Result<()> {
        if i >= self.listing.len() {
            return Err(Error::Config(format!(
                "image index {i} out of range (0..{})",
                self.listing.len()
            )));
        }
        decode_into(&self.listing.path(i), self.channels, self.size, out, tmp)
    }
}

/// Where the decoded pixels come from.
#[derive(Clone, Debug)]
pub enum Storage {
    /// Decoded once, N × C × size × size u8.
    Cached(Arc<ImageSet>),
    /// Decoded by the loader's threads for every batch.
    Streamed,
}

/// An opened image folder.
#[derive(Debug)]
pub struct ImageFolder {
    pub files: Arc<FolderFiles>,
    pub storage: Storage,
    /// Files whose header says colour.
    pub colour_files: usize,
    /// Bytes the cache needs (or holds): N·C·size².
    pub cache_bytes: u64,
}

impl ImageFolder {
    pub fn open(dir: &Path, cfg: &FolderConfig) -> Result<ImageFolder> {
        if !(8..=4096).contains(&cfg.size) {
            return Err(Error::Config(format!(
                "image size {}: expected 8..=4096",
                cfg.size
            )));
        }
        if let Some(c) = cfg.channels.filter(|c| *c != 1 && *c != 3) {
            return Err(Error::Config(format!("{c} channels: expected 1 or 3")));
        }
        let workers = match cfg.workers {
            0 => default_workers(),
            w => w,
        };
        let listing = Listing::scan(dir, cfg.max_files, cfg.progress)?;
        if listing.is_empty() {
            return Err(Error::NotFound(format!(
                "{}: no images ({}) in this folder or below it ({} other files skipped)",
                dir.display(),
                IMAGE_EXTENSIONS.join(", "),
                listing.skipped
            )));
        }
        let n = listing.len();
        let mut colour = vec![0u8; n];
        let pb = parallel::bar(cfg.progress, n, "reading headers");
        parallel::for_each_item(&mut colour, 1, workers, &pb, |i, out| {
            out[0] = header(&listing.path(i))?.colour as u8;
            Ok(())
        })?;
        let colour_files = colour.iter().filter(|&&c| c != 0).count();
        drop(colour);
        let channels = cfg.channels.unwrap_or(if colour_files > 0 { 3 } else { 1 });
        let files = Arc::new(FolderFiles {
            listing,
            channels,
            size: cfg.size,
        });
        let cache_bytes = (n as u64).saturating_mul(files.image_len() as u64);
        let storage = if cache_bytes <= cfg.cache_limit {
            Storage::Cached(Arc::new(build_cache(&files, workers, cfg.progress)?))
        } else {
            Storage::Streamed
        };
        Ok(ImageFolder {
            files,
            storage,
            colour_files,
            cache_bytes,
        })
    }

    pub fn len(&self) -> usize {
        self.files.listing.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn channels(&self) -> usize {
        self.files.channels
    }

    pub fn is_cached(&self) -> bool {
        matches!(self.storage, Storage::Cached(_))
    }
}

/// Decodes every image once, on `workers` threads.
fn build_cache(files: &FolderFiles, workers: usize, progress: bool) -> Result<ImageSet> {
    let len = files.image_len();
    let n = files.listing.len();
    let total = n
        .checked_mul(len)
        .ok_or_else(|| Error::Config(format!("{n} images of {len} bytes overflow memory")))?;
    let mut pixels = Vec::new();
    pixels.try_reserve_exact(total).map_err(|_| {
        Error::Config(format!(
            "cannot reserve {total} bytes for the decoded images; lower --cache-limit to decode every epoch instead"
        ))
    })?;
    pixels.resize(total, 0);
    let pb = parallel::bar(progress, n, "decoding");
    parallel::for_each_item(&mut pixels, len, workers, &pb, |i, out| {
        // Scratch per call: the resize's temporary is small next to the decode.
        files.decode(i, out, &mut Vec::new())
    })?;
    ImageSet::with_channels(n, files.channels, files.size, files.size, pixels)
}
