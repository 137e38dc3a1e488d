//! Encoding, for tests and for tools that write IDX files.

use super::{IdxArray, IdxData};
use crate::error::{Error, Result};
use byteorder::{BigEndian, WriteBytesExt};
use std::io::Write;
use std::path::Path;

/// Encodes an array as IDX bytes (not gzipped).
pub fn encode_idx(arr: &IdxArray) -> Vec<u8> {
    let ty = arr.idx_type();
    let mut out = Vec::with_capacity(4 + 4 * arr.dims.len() + arr.data.len() * ty.size());
    out.extend_from_slice(&[0, 0, ty.code(), arr.dims.len() as u8]);
    for &d in &arr.dims {
        out.extend_from_slice(&(d as u32).to_be_bytes());
    }
    // Writing into a Vec cannot fail.
    let w = &mut out;
    let _ = match &arr.data {
        IdxData::U8(v) => w.write_all(v),
        IdxData::I8(v) => v.iter().try_for_each(|&x| w.write_i8(x)),
        IdxData::I16(v) => v.iter().try_for_each(|&x| w.write_i16::<BigEndian>(x)),
        IdxData::I32(v) => v.iter().try_for_each(|&x| w.write_i32::<BigEndian>(x)),
        IdxData::F32(v) => v.iter().try_for_each(|&x| w.write_f32::<BigEndian>(x)),
        IdxData::F64(v) => v.iter().try_for_each(|&x| w.write_f64::<BigEndian>(x)),
    };
    out
}

/// Gzip-compresses bytes (for writing `.gz` IDX files).
pub fn gzip_bytes(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    // Writing into a Vec cannot fail.
    let _ = enc.write_all(bytes);
    enc.finish().unwrap_or_default()
}

/// Writes an IDX file, gzipped when `gzip` is true.
pub fn write_idx(path: &Path, arr: &IdxArray, gzip: bool) -> Result<()> {
    let raw = encode_idx(arr);
    let bytes = if gzip { gzip_bytes(&raw) } else { raw };
    std::fs::write(path, bytes).map_err(|e| Error::io(path, "cannot write", e))
}
