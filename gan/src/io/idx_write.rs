//! IDX files of unsigned bytes (the MNIST format): magic 0x00000803 for
//! N × rows × cols (0x00000804 for N × C × rows × cols), big-endian
//! dimensions, then the pixels.

use super::{to_u8, write_atomic};
use crate::error::{Error, Result};
use std::path::Path;

/// Encode images (values in [−1, 1], N×H×W in row-major order) as IDX u8.
pub fn encode_u8(values: &[f32], n: usize, h: usize, w: usize) -> Result<Vec<u8>> {
    encode_u8_dims(values, &[n, h, w])
}

/// Encode values in [−1, 1] of shape `dims` (e.g. N×C×H×W) as IDX u8 of that rank.
pub fn encode_u8_dims(values: &[f32], dims: &[usize]) -> Result<Vec<u8>> {
    if values.len() != dims.iter().product::<usize>() || dims.is_empty() || dims.len() > 255 {
        return Err(Error::usage(format!(
            "IDX: {} values for {dims:?} images",
            values.len()
        )));
    }
    let Some(dims32) = dims
        .iter()
        .map(|&d| u32::try_from(d).ok())
        .collect::<Option<Vec<u32>>>()
    else {
        return Err(Error::usage(
            "IDX: a dimension exceeds 2^32 − 1".to_string(),
        ));
    };
    let mut out = Vec::with_capacity(4 + 4 * dims.len() + values.len());
    out.extend_from_slice(&[0, 0, 0x08, dims.len() as u8]);
    for d in dims32 {
        out.extend_from_slice(&d.to_be_bytes());
    }
    out.extend(values.iter().map(|&v| to_u8(v)));
    Ok(out)
}

/// Write images as an IDX u8 file.
pub fn write_u8(path: &Path, values: &[f32], n: usize, h: usize, w: usize) -> Result<()> {
    write_atomic(path, &encode_u8(values, n, h, w)?)
}

/// Write values of shape `dims` as an IDX u8 file.
pub fn write_u8_dims(path: &Path, values: &[f32], dims: &[usize]) -> Result<()> {
    write_atomic(path, &encode_u8_dims(values, dims)?)
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
        let b = encode_u8_dims(&[0.0; 12], &[1, 3, 2, 2]).unwrap();
        assert_eq!(&b[..4], &[0, 0, 8, 4]);
        assert_eq!(b.len(), 4 + 16 + 12);
    }
}
