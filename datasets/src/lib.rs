//! MNIST, Fashion-MNIST and KMNIST for the GAN trainers.
//!
//! * [`idx`]: IDX files of every element type and rank, gzipped or not
//!   (detected by content), parsed safely: any input gives a value or an
//!   [`Error`] naming the file, never a panic or a huge allocation.
//! * [`source`]: where the files are. Search order: `--data-dir DIR`
//!   ([`DataSource::with_data_dir`]), then `GAN_DATA_DIR`, then the repository's
//!   `data/<name>/` (MNIST is shipped in `data/mnist`), then the cache
//!   (`GAN_CACHE_DIR`, else `$XDG_CACHE_HOME/gan-rs`, else `~/.cache/gan-rs`),
//!   where Fashion-MNIST and KMNIST are downloaded on first use with md5
//!   verification. A folder holds the files under their distributed names,
//!   gzipped or not (`train-images-idx3-ubyte[.gz]`, `t10k-labels-idx1-ubyte[.gz]`, …).
//! * [`dataset`]: the splits in memory, images kept as u8.
//! * [`folder`]: image folders (PNG, JPEG, BMP, GIF, WebP) as torchvision's
//!   `ImageFolder` with `Resize`, `CenterCrop`: decoded once into a u8 cache,
//!   or by the loader's threads every epoch when the cache would not fit.
//! * [`loader`]: seeded, per-epoch shuffled batches as f32 tensors in [−1, 1]
//!   or [0, 1], optionally resized (bilinear, like torchvision's `Resize(64)`),
//!   prepared by background threads.
//!
//! ```no_run
//! use datasets::{load, DataLoader, DataSource, DatasetKind, LoaderConfig, Split};
//! let train = load(DatasetKind::Mnist, Split::Train, &DataSource::new())?;
//! let loader = DataLoader::from_split(train, LoaderConfig { batch_size: 64, ..Default::default() })?;
//! for batch in loader.epoch(0) {
//!     let batch = batch?; // batch.images: (64, 1, 28, 28) f32 in [-1, 1]
//! }
//! # Ok::<(), datasets::Error>(())
//! ```

pub mod dataset;
pub mod download;
pub mod error;
pub mod folder;
pub mod idx;
pub mod loader;
pub mod source;
pub mod transform;

pub use dataset::{
    load, read_images, read_labels, Dataset, FashionMnist, ImageSet, Kmnist, Mnist, SplitData,
};
pub use error::{Error, Result};
pub use folder::{FolderConfig, ImageFolder};
pub use idx::{decode_idx, encode_idx, read_idx, write_idx, IdxArray, IdxData, IdxType};
pub use loader::{Batch, DataLoader, Epoch, LoaderConfig};
pub use source::{DataSource, DatasetKind, IdxFile, Mirror, Split};
pub use transform::{Normalize, Transform};
