//! IDX files of unsigned bytes (the MNIST format): magic 0x00000803 for
//! N × rows × cols, big-endian dimensions, then the pixels.

use super::{to_u8, write_atomic};
use crate::error::{Error, Result};
use std::path::Path;

/// Encode images (values in [−1, 1], N×H×W in row-major order) as IDX u8.
pub fn encode_u8(values: &[f32], n: usize, h: usize, w: usize) -> Result<Vec<u8>> {
    if values.len() != n * h * w {
        return Err(Error::usage(format!(
            "IDX: {} values for {n}×{h}×{w} images",
            values.len()
        )));
    }
    let dims = [n, h, w].map(|d| u32::try_from(d).ok());
    let [Some(dn), Some(dh), Some(dw)] = dims else {
        return Err(Error::usage(
            "IDX: a dimension exceeds 2^32 − 1".to_string(),
        ));
    };
    let mut out = Vec::with_capacity(16 + values.len());
    out.extend_from_slice(&[0, 0, 0x08, 3]);
    for d in [dn, dh, dw] {
        out.extend_from_slice(&d.to_be_bytes());
    }
    out.extend(values.iter().map(|&v| to_u8(v)));
    Ok(out)
}

/// Write images as an IDX u8 file.
pub fn write_u8(path: &Path, values: &[f32], n: usize, h: usize, w: usize) -> Result<()> {
    write_atomic(path, &encode_u8(values, n, h, w)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_and_pixels() {
        let b = encode_u8(&[-1.0, 0.0, 1.0, 2.0, -3.0, 0.5], 1, 2, 3).unwrap();
        assert_eq!(&b[..4], &[0, 0, 8, 3]);
        assert_eq!(&b[4..16], &[0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3]);
        assert_eq!(&b[16..], &[0, 128, 255, 255, 0, 191]);
        assert!(encode_u8(&[0.0; 5], 1, 2, 3).is_err());
    }
}
