//! Everything a run writes or reads besides the data sets: checkpoints, IDX
//! sample files, PNG grids, the loss plot and the CSV log.

pub mod checkpoint;
pub mod csv;
pub mod grid;
pub mod idx_write;
#[cfg(feature = "plot")]
pub mod plot;

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

/// Map an image value in [−1, 1] to a byte as torchvision's `save_image` does
/// after `(x + 1) / 2`: clamp to [0, 1], ×255, +0.5, truncate.
#[inline]
pub fn to_u8(x: f32) -> u8 {
    let v = ((x + 1.0) * 0.5).clamp(0.0, 1.0);
    (v * 255.0 + 0.5).clamp(0.0, 255.0) as u8
}
