//! The crate's error: every failure a user can cause (bad flags, missing or
//! corrupt files, a checkpoint of another model) ends here with enough context to
//! fix it, and `main` prints it and exits non-zero instead of panicking.

use std::path::{Path, PathBuf};

/// Everything that can go wrong in `gan`, each with the context to fix it.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An engine error (shapes, dtypes, devices) from tensor/kernels/autograd.
    #[error(transparent)]
    Tensor(#[from] tensor::Error),
    /// A data set could not be found, read or parsed.
    #[error("data: {0}")]
    Data(String),
    /// A file or directory could not be read or written.
    #[error("{action} {path}: {source}")]
    Io {
        /// What was tried ("cannot write", ...).
        action: &'static str,
        /// On which file or folder.
        path: PathBuf,
        /// The system's error.
        source: std::io::Error,
    },
    /// A checkpoint is missing, truncated, of another model, or has wrong shapes.
    #[error("checkpoint {path}: {msg}")]
    Checkpoint {
        /// The checkpoint file.
        path: PathBuf,
        /// What is wrong with it.
        msg: String,
    },
    /// A flag or a combination of flags that cannot work.
    #[error("{0}")]
    Usage(String),
    /// Something this build cannot do (e.g. the CUDA backend).
    #[error("{0}")]
    Unsupported(String),
    /// A plot could not be drawn (the plotting crate's error, as text).
    #[error("plot: {0}")]
    Plot(String),
    /// Training was stopped by Ctrl-C after writing a checkpoint.
    #[error("{0}")]
    Interrupted(String),
}

/// `std::result::Result` with `gan`'s error.
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// `action` on `path` failed with `source`.
    pub fn io(action: &'static str, path: &Path, source: std::io::Error) -> Self {
        Error::Io {
            action,
            path: path.to_path_buf(),
            source,
        }
    }
    /// The checkpoint at `path` cannot be used: `msg`.
    pub fn checkpoint(path: &Path, msg: impl Into<String>) -> Self {
        Error::Checkpoint {
            path: path.to_path_buf(),
            msg: msg.into(),
        }
    }
    /// Flags that cannot work: `msg`.
    pub fn usage(msg: impl Into<String>) -> Self {
        Error::Usage(msg.into())
    }
    /// The exit status `main` uses: 130 after Ctrl-C (as shells do), else 1.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Interrupted(_) => 130,
            _ => 1,
        }
    }
}
