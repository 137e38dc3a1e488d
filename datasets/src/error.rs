//! One error type for the crate. Every variant names the file (or URL) it is
//! about, because "bad magic" alone does not tell a user which of eight files
//! to delete.

use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The bytes are not a valid IDX file (or not valid gzip).
    #[error("{origin}: {what}")]
    Format { origin: String, what: String },

    /// The file is valid IDX but not what the data set needs (wrong rank, type, counts, labels).
    #[error("{origin}: {what}")]
    Content { origin: String, what: String },

    #[error("{origin}: {what}: {source}")]
    Io {
        origin: String,
        what: &'static str,
        #[source]
        source: std::io::Error,
    },

    #[error("{origin}: checksum mismatch: expected md5 {expected}, got {actual}")]
    Checksum {
        origin: String,
        expected: String,
        actual: String,
    },

    /// No connection could be made at all: most often there is no network.
    #[error("cannot reach {url}: {detail}. No network? Put the files (gzipped or not) in a folder and pass --data-dir DIR, or set GAN_DATA_DIR")]
    Network { url: String, detail: String },

    /// The connection was made but the transfer failed (HTTP error, cut connection, too large).
    #[error("download of {url} failed: {detail}")]
    Download { url: String, detail: String },

    #[error("{0}")]
    NotFound(String),

    #[error("invalid configuration: {0}")]
    Config(String),

    #[error(transparent)]
    Tensor(#[from] tensor::Error),
}

pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    pub(crate) fn format(origin: &str, what: impl Into<String>) -> Self {
        Error::Format {
            origin: origin.to_string(),
            what: what.into(),
        }
    }

    pub(crate) fn content(origin: &str, what: impl Into<String>) -> Self {
        Error::Content {
            origin: origin.to_string(),
            what: what.into(),
        }
    }

    pub(crate) fn io(path: &Path, what: &'static str, source: std::io::Error) -> Self {
        Error::Io {
            origin: path.display().to_string(),
            what,
            source,
        }
    }
}
