//! Everything a run writes or reads besides the data sets: checkpoints, IDX
//! sample files, PNG grids, the loss plot, the CSV log and TensorBoard's
//! event files.

pub mod checkpoint;
pub mod csv;
pub mod grid;
#[cfg(feature = "plot")]
pub mod plot;
pub mod tensorboard;

use crate::error::{Error, Result};
use std::io::Write;
use std::path::{Path, PathBuf};

/// `path` with `.tmp` appended to its file name.
pub fn tmp_path(path: &Path) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(".tmp");
    PathBuf::from(s)
}

/// Write `bytes` to `path.tmp`, flush it to disk, then rename it over `path`:
/// a reader (or a crash) sees the old file or the new one, never half of one.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = tmp_path(path);
    let write = || -> std::io::Result<()> {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()
    };
    if let Err(e) = write() {
        let _ = std::fs::remove_file(&tmp);
        return Err(Error::io("cannot write", &tmp, e));
    }
    std::fs::rename(&tmp, path).map_err(|e| Error::io("cannot rename into", path, e))
}

/// Images (values in [−1, 1], row-major, of shape `dims`: N × H × W, or
/// N × C × H × W) as an IDX array of unsigned bytes, MNIST's format, for
/// `datasets::write_idx` / `encode_idx`.
pub fn idx_u8(values: &[f32], dims: &[usize]) -> Result<datasets::IdxArray> {
    let bytes = values.iter().map(|&v| to_u8(v)).collect();
    datasets::IdxArray::new(dims.to_vec(), datasets::IdxData::U8(bytes))
        .map_err(|e| Error::usage(format!("IDX: {e}")))
}

/// Write images as an IDX u8 file (see `idx_u8`), atomically.
pub fn write_idx_u8(path: &Path, values: &[f32], dims: &[usize]) -> Result<()> {
    write_atomic(path, &datasets::encode_idx(&idx_u8(values, dims)?))
}

/// Map an image value in [−1, 1] to a byte as torchvision's `save_image` does
/// after `(x + 1) / 2`: clamp to [0, 1], ×255, +0.5, truncate.
#[inline]
pub fn to_u8(x: f32) -> u8 {
    let v = ((x + 1.0) * 0.5).clamp(0.0, 1.0);
    (v * 255.0 + 0.5).clamp(0.0, 255.0) as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idx_header_and_pixels() {
        let b =
            datasets::encode_idx(&idx_u8(&[-1.0, 0.0, 1.0, 2.0, -3.0, 0.5], &[1, 2, 3]).unwrap());
        assert_eq!(&b[..4], &[0, 0, 8, 3]);
        assert_eq!(&b[4..16], &[0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3]);
        assert_eq!(&b[16..], &[0, 128, 255, 255, 0, 191]);
        assert!(idx_u8(&[0.0; 5], &[1, 2, 3]).is_err());
        let b = datasets::encode_idx(&idx_u8(&[0.0; 12], &[1, 3, 2, 2]).unwrap());
        assert_eq!(&b[..4], &[0, 0, 8, 4]);
        assert_eq!(b.len(), 4 + 16 + 12);
    }
}
