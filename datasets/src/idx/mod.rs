//! The IDX format of LeCun's MNIST distribution: a 4-byte magic (`0, 0, type, rank`),
//! `rank` big-endian u32 dimensions, then the elements, big-endian, row-major.
//!
//! Reading is written for hostile input: the header is checked before anything
//! is allocated, the declared size is compared with what the file really holds
//! (short files and trailing bytes are both errors), and a gzip stream is never
//! inflated past the size its header declares. No input makes this module
//! panic or allocate more than the payload it really contains.

use crate::error::{Error, Result};

mod read;
mod write;

pub use read::{decode_idx, is_gzip, read_idx, read_idx_md5, MAX_PAYLOAD_BYTES};
pub use write::{encode_idx, gzip_bytes, write_idx};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IdxType {
    U8,
    I8,
    I16,
    I32,
    F32,
    F64,
}

impl IdxType {
    pub const ALL: [IdxType; 6] = [
        IdxType::U8,
        IdxType::I8,
        IdxType::I16,
        IdxType::I32,
        IdxType::F32,
        IdxType::F64,
    ];

    /// The type byte of the magic number.
    pub fn code(self) -> u8 {
        match self {
            IdxType::U8 => 0x08,
            IdxType::I8 => 0x09,
            IdxType::I16 => 0x0B,
            IdxType::I32 => 0x0C,
            IdxType::F32 => 0x0D,
            IdxType::F64 => 0x0E,
        }
    }

    pub fn from_code(code: u8) -> Option<IdxType> {
        IdxType::ALL.into_iter().find(|t| t.code() == code)
    }

    /// Bytes per element.
    pub fn size(self) -> usize {
        match self {
            IdxType::U8 | IdxType::I8 => 1,
            IdxType::I16 => 2,
            IdxType::I32 | IdxType::F32 => 4,
            IdxType::F64 => 8,
        }
    }
}

/// The elements of an IDX file, in the type the file declares.
#[derive(Clone, Debug, PartialEq)]
pub enum IdxData {
    U8(Vec<u8>),
    I8(Vec<i8>),
    I16(Vec<i16>),
    I32(Vec<i32>),
    F32(Vec<f32>),
    F64(Vec<f64>),
}

impl IdxData {
    pub fn idx_type(&self) -> IdxType {
        match self {
            IdxData::U8(_) => IdxType::U8,
            IdxData::I8(_) => IdxType::I8,
            IdxData::I16(_) => IdxType::I16,
            IdxData::I32(_) => IdxType::I32,
            IdxData::F32(_) => IdxType::F32,
            IdxData::F64(_) => IdxType::F64,
        }
    }

    pub fn len(&self) -> usize {
        match self {
            IdxData::U8(v) => v.len(),
            IdxData::I8(v) => v.len(),
            IdxData::I16(v) => v.len(),
            IdxData::I32(v) => v.len(),
            IdxData::F32(v) => v.len(),
            IdxData::F64(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// An n-dimensional array read from (or to be written to) an IDX file.
#[derive(Clone, Debug, PartialEq)]
pub struct IdxArray {
    dims: Vec<usize>,
    data: IdxData,
}

impl IdxArray {
    /// Checks that the dimensions fit the header (at most 255 of them, each a
    /// u32) and that their product is the number of elements.
    pub fn new(dims: Vec<usize>, data: IdxData) -> Result<IdxArray> {
        let origin = "IdxArray::new";
        if dims.len() > 255 {
            return Err(Error::format(origin, format!("rank {} > 255", dims.len())));
        }
        if dims.iter().any(|&d| u32::try_from(d).is_err()) {
            return Err(Error::format(origin, "a dimension does not fit in u32"));
        }
        let numel = dims.iter().try_fold(1usize, |a, &d| a.checked_mul(d));
        if numel != Some(data.len()) {
            return Err(Error::format(
                origin,
                format!("dimensions {dims:?} do not match {} elements", data.len()),
            ));
        }
        Ok(IdxArray { dims, data })
    }

    pub fn dims(&self) -> &[usize] {
        &self.dims
    }

    pub fn data(&self) -> &IdxData {
        &self.data
    }

    pub fn idx_type(&self) -> IdxType {
        self.data.idx_type()
    }

    pub fn into_parts(self) -> (Vec<usize>, IdxData) {
        (self.dims, self.data)
    }

    /// The dimensions and bytes of a u8 array; any other type is an error naming `origin`.
    pub fn into_u8(self, origin: &str) -> Result<(Vec<usize>, Vec<u8>)> {
        match self.data {
            IdxData::U8(v) => Ok((self.dims, v)),
            other => Err(Error::content(
                origin,
                format!("expected u8 elements, found {:?}", other.idx_type()),
            )),
        }
    }
}

pub(crate) fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
