//! Which data set, which split, and where its files are found.
//!
//! Search order for the folder of a data set (the first that holds the files wins):
//! 1. an explicit folder (`--data-dir DIR`, [`DataSource::with_data_dir`]);
//! 2. the environment variable `GAN_DATA_DIR`;
//! 3. the repository's `data/<name>/` (found from this crate's manifest, so it
//!    works whatever the current directory: MNIST is shipped there);
//! 4. the cache `GAN_CACHE_DIR/<name>/` (default `$XDG_CACHE_HOME/gan-rs` or
//!    `~/.cache/gan-rs`), where missing files are downloaded on first use.
//!
//! An explicit folder or `GAN_DATA_DIR` that lacks the files is an error, not a
//! reason to download: the user asked for that folder.

use crate::error::{Error, Result};
use std::path::{Path, PathBuf};
use std::str::FromStr;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DatasetKind {
    Mnist,
    FashionMnist,
    Kmnist,
}

impl DatasetKind {
    pub const ALL: [DatasetKind; 3] = [
        DatasetKind::Mnist,
        DatasetKind::FashionMnist,
        DatasetKind::Kmnist,
    ];

    /// The command-line name, also the folder name under `data/` and the cache.
    pub fn name(self) -> &'static str {
        match self {
            DatasetKind::Mnist => "mnist",
            DatasetKind::FashionMnist => "fashion-mnist",
            DatasetKind::Kmnist => "kmnist",
        }
    }

    /// Number of classes; every label must be below it.
    pub fn num_classes(self) -> usize {
        10
    }

    /// Where the files are downloaded from (ending with '/').
    pub fn mirror(self) -> &'static str {
        match self {
            // LeCun's own site no longer serves the files; this is torchvision's mirror
            // of the original .gz files (same md5).
            DatasetKind::Mnist => "https://ossci-datasets.s3.amazonaws.com/mnist/",
            DatasetKind::FashionMnist => {
                "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"
            }
            DatasetKind::Kmnist => "http://codh.rois.ac.jp/kmnist/dataset/kmnist/",
        }
    }

    /// md5 of the distributed `.gz` file, as published (torchvision's resource
    /// lists, which match the authors' download scripts).
    pub fn gz_md5(self, file: IdxFile) -> &'static str {
        use IdxFile::*;
        match (self, file) {
            (DatasetKind::Mnist, TrainImages) => "f68b3c2dcbeaaa9fbdd348bbdeb94873",
            (DatasetKind::Mnist, TrainLabels) => "d53e105ee54ea40749a09fcbcd1e9432",
            (DatasetKind::Mnist, TestImages) => "9fb629c4189551a2d022fa330f9573f3",
            (DatasetKind::Mnist, TestLabels) => "ec29112dd5afa0611ce80d1b7f02629c",
            (DatasetKind::FashionMnist, TrainImages) => "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
            (DatasetKind::FashionMnist, TrainLabels) => "25c81989df183df01b3e8a0aad5dffbe",
            (DatasetKind::FashionMnist, TestImages) => "bef4ecab320f06d8554ea6380940ec79",
            (DatasetKind::FashionMnist, TestLabels) => "bb300cfdad3c16e7a12a480ee83cd310",
            (DatasetKind::Kmnist, TrainImages) => "bdb82020997e1d708af4cf47b453dcf7",
            (DatasetKind::Kmnist, TrainLabels) => "e144d726b3acfaa3e44228e80efcd344",
            (DatasetKind::Kmnist, TestImages) => "5c965bf0a639b31b8f53240b1b52f4d7",
            (DatasetKind::Kmnist, TestLabels) => "7320c461ea6c1c855c0b718fb2a4b134",
        }
    }

    /// md5 of the *uncompressed* IDX file, where known. It is checked on every
    /// load, whatever the compression (the shipped MNIST .gz were recompressed).
    pub fn raw_md5(self, file: IdxFile) -> Option<&'static str> {
        use IdxFile::*;
        match (self, file) {
            (DatasetKind::Mnist, TrainImages) => Some("6bbc9ace898e44ae57da46a324031adb"),
            (DatasetKind::Mnist, TrainLabels) => Some("a25bea736e30d166cdddb491f175f624"),
            (DatasetKind::Mnist, TestImages) => Some("2646ac647ad5339dbf082846283269ea"),
            (DatasetKind::Mnist, TestLabels) => Some("27ae3e4e09519cfbb04c329615203637"),
            _ => None,
        }
    }
}

impl std::fmt::Display for DatasetKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for DatasetKind {
    type Err = Error;
    fn from_str(s: &str) -> Result<DatasetKind> {
        let norm = s.trim().to_ascii_lowercase().replace('_', "-");
        match norm.as_str() {
            "mnist" => Ok(DatasetKind::Mnist),
            "fashion-mnist" | "fashionmnist" | "fashion" => Ok(DatasetKind::FashionMnist),
            "kmnist" => Ok(DatasetKind::Kmnist),
            _ => Err(Error::Config(format!(
                "unknown data set '{s}' (expected mnist, fashion-mnist or kmnist)"
            ))),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Split {
    Train,
    Test,
}

impl Split {
    pub fn images(self) -> IdxFile {
        match self {
            Split::Train => IdxFile::TrainImages,
            Split::Test => IdxFile::TestImages,
        }
    }
    pub fn labels(self) -> IdxFile {
        match self {
            Split::Train => IdxFile::TrainLabels,
            Split::Test => IdxFile::TestLabels,
        }
    }
}

/// The four files of an MNIST-like data set.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IdxFile {
    TrainImages,
    TrainLabels,
    TestImages,
    TestLabels,
}

impl IdxFile {
    pub const ALL: [IdxFile; 4] = [
        IdxFile::TrainImages,
        IdxFile::TrainLabels,
        IdxFile::TestImages,
        IdxFile::TestLabels,
    ];

    /// The distributed name, without `.gz`.
    pub fn file_name(self) -> &'static str {
        match self {
            IdxFile::TrainImages => "train-images-idx3-ubyte",
            IdxFile::TrainLabels => "train-labels-idx1-ubyte",
            IdxFile::TestImages => "t10k-images-idx3-ubyte",
            IdxFile::TestLabels => "t10k-labels-idx1-ubyte",
        }
    }
}

/// The file of `file` in `dir`, plain or `.gz` (the plain one first).
pub fn find_in(dir: &Path, file: IdxFile) -> Option<PathBuf> {
    let plain = dir.join(file.file_name());
    let gz = dir.join(format!("{}.gz", file.file_name()));
    [plain, gz].into_iter().find(|p| p.is_file())
}

/// The repository's `data/` folder, found from this crate's manifest.
pub fn workspace_data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("data")
}

/// The download cache: `GAN_CACHE_DIR`, else `$XDG_CACHE_HOME/gan-rs`, else `~/.cache/gan-rs`.
pub fn default_cache_dir() -> PathBuf {
    let env = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    if let Some(d) = env("GAN_CACHE_DIR") {
        return d;
    }
    if let Some(d) = env("XDG_CACHE_HOME") {
        return d.join("gan-rs");
    }
    match env("HOME") {
        Some(h) => h.join(".cache").join("gan-rs"),
        None => std::env::temp_dir().join("gan-rs-cache"),
    }
}

/// Another place to download the `.gz` files from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mirror {
    /// Base URL, ending with '/'; the file name is appended.
    pub url: String,
    /// md5 of the `.gz` files it serves; a file not listed here must match
    /// the published checksum.
    pub md5: Vec<(IdxFile, String)>,
}

/// Where to look for data, and whether downloading is allowed.
#[derive(Clone, Debug)]
pub struct DataSource {
    /// Explicit folder holding the files (`--data-dir`); wins over everything.
    pub data_dir: Option<PathBuf>,
    /// Cache folder; `None` means [`default_cache_dir`].
    pub cache_dir: Option<PathBuf>,
    /// Honour `GAN_DATA_DIR` (true by default).
    pub use_env: bool,
    /// Look in the repository's `data/<name>` (true by default).
    pub use_workspace: bool,
    /// Download missing files into the cache (true by default).
    pub download: bool,
    /// Replaces the official download location (private mirrors, tests).
    pub mirror: Option<Mirror>,
    /// Show a progress bar while downloading (drawn only on a terminal).
    pub progress: bool,
}

impl Default for DataSource {
    fn default() -> Self {
        DataSource {
            data_dir: None,
            cache_dir: None,
            use_env: true,
            use_workspace: true,
            download: true,
            mirror: None,
            progress: true,
        }
    }
}

impl DataSource {
    /// The default search order, environment variables included.
    pub fn new() -> DataSource {
        DataSource::default()
    }

    /// Only this folder (`--data-dir DIR`); `None` keeps the default search.
    pub fn with_data_dir(mut self, dir: Option<PathBuf>) -> DataSource {
        self.data_dir = dir;
        self
    }

    pub fn with_cache_dir(mut self, dir: PathBuf) -> DataSource {
        self.cache_dir = Some(dir);
        self
    }

    pub fn offline(mut self) -> DataSource {
        self.download = false;
        self
    }

    /// The cache folder of one data set.
    pub fn cache_dir_for(&self, kind: DatasetKind) -> PathBuf {
        let base = self.cache_dir.clone().unwrap_or_else(default_cache_dir);
        base.join(kind.name())
    }

    /// The path of `file`, downloading it into the cache when it is nowhere else.
    pub fn locate(&self, kind: DatasetKind, file: IdxFile) -> Result<PathBuf> {
        let explicit = self
            .data_dir
            .clone()
            .map(|d| (d, "--data-dir"))
            .or_else(|| {
                std::env::var_os("GAN_DATA_DIR")
                    .filter(|v| self.use_env && !v.is_empty())
                    .map(|d| (PathBuf::from(d), "GAN_DATA_DIR"))
            });
        if let Some((dir, why)) = explicit {
            return find_in(&dir, file).ok_or_else(|| {
                Error::NotFound(format!(
                    "{kind}: neither {0} nor {0}.gz in {1} (given by {why})",
                    file.file_name(),
                    dir.display()
                ))
            });
        }
        if self.use_workspace {
            if let Some(p) = find_in(&workspace_data_dir().join(kind.name()), file) {
                return Ok(p);
            }
        }
        let cache = self.cache_dir_for(kind);
        if let Some(p) = find_in(&cache, file) {
            return Ok(p);
        }
        if !self.download {
            return Err(Error::NotFound(format!(
                "{kind}: {0}[.gz] not found in {1} nor {2}, and downloading is off; \
                 pass --data-dir DIR with the files",
                file.file_name(),
                workspace_data_dir().join(kind.name()).display(),
                cache.display()
            )));
        }
        let (base, md5) = match &self.mirror {
            Some(m) => {
                let listed = m.md5.iter().find(|(f, _)| *f == file);
                (
                    m.url.as_str(),
                    listed.map_or(kind.gz_md5(file), |(_, h)| h.as_str()),
                )
            }
            None => (kind.mirror(), kind.gz_md5(file)),
        };
        let name = format!("{}.gz", file.file_name());
        let url = format!("{base}{name}");
        let dest = cache.join(&name);
        crate::download::download(&url, &dest, Some(md5), self.progress)?;
        Ok(dest)
    }
}
