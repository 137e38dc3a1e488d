//! Decoding: one streaming decoder for raw and gzipped input.

use super::{to_hex, IdxArray, IdxData, IdxType};
use crate::error::{Error, Result};
use byteorder::{BigEndian, ByteOrder, ReadBytesExt};
use md5::{Digest, Md5};
use std::io::{Cursor, ErrorKind, Read};
use std::path::Path;

/// The largest payload accepted (2 GiB). MNIST's train images are 47 MB; a
/// header that claims more than this is refused before any allocation.
pub const MAX_PAYLOAD_BYTES: u64 = 1 << 31;

/// Deflate cannot expand data more than 1032-fold; with slack for the gzip
/// framing, this bounds what `n` compressed bytes can possibly inflate to.
fn max_inflated(compressed: u64) -> u64 {
    compressed.saturating_mul(1040).saturating_add(4096)
}

/// What the decoder reads: raw IDX bytes, or a gzip stream, with the length
/// of the input as stored.
#[derive(Clone, Copy)]
enum Input {
    Raw(u64),
    Gzip(u64),
}

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// True when `bytes` start like a gzip stream (detection by content, not file name).
pub fn is_gzip(bytes: &[u8]) -> bool {
    bytes.starts_with(&GZIP_MAGIC)
}

/// Decodes IDX bytes, gzipped or not. `origin` names the source in errors.
pub fn decode_idx(bytes: &[u8], origin: &str) -> Result<IdxArray> {
    if is_gzip(bytes) {
        let input = Input::Gzip(bytes.len() as u64);
        decode_stream(flate2::read::MultiGzDecoder::new(bytes), origin, input)
    } else {
        decode_stream(bytes, origin, Input::Raw(bytes.len() as u64))
    }
}

/// Reads an IDX file, gzipped or not.
pub fn read_idx(path: &Path) -> Result<IdxArray> {
    read_file(path, false).map(|(arr, _)| arr)
}

/// Reads an IDX file and returns the md5 (lower-case hex) of its *uncompressed*
/// content too, so that a recompressed file can still be checked against the
/// published checksums of the raw IDX bytes.
pub fn read_idx_md5(path: &Path) -> Result<(IdxArray, String)> {
    let (arr, md5) = read_file(path, true)?;
    Ok((arr, md5.unwrap_or_default()))
}

fn read_file(path: &Path, hash: bool) -> Result<(IdxArray, Option<String>)> {
    let origin = path.display().to_string();
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, "cannot open", e))?;
    let len = file
        .metadata()
        .map_err(|e| Error::io(path, "cannot stat", e))?
        .len();
    let mut reader = std::io::BufReader::with_capacity(1 << 16, file);
    // Peek at the first two bytes, then put them back in front of the stream.
    let mut head = Vec::with_capacity(2);
    (&mut reader)
        .take(2)
        .read_to_end(&mut head)
        .map_err(|e| Error::io(path, "cannot read", e))?;
    let gzip = is_gzip(&head);
    let stream = Cursor::new(head).chain(reader);
    if gzip {
        let mut h = Md5Reader::new(flate2::read::MultiGzDecoder::new(stream), hash);
        let arr = decode_stream(&mut h, &origin, Input::Gzip(len))?;
        Ok((arr, h.hex()))
    } else {
        let mut h = Md5Reader::new(stream, hash);
        let arr = decode_stream(&mut h, &origin, Input::Raw(len))?;
        Ok((arr, h.hex()))
    }
}

/// Hashes the (inflated) bytes that pass through it, when asked to.
struct Md5Reader<R> {
    inner: R,
    md5: Option<Md5>,
}

impl<R: Read> Md5Reader<R> {
    fn new(inner: R, hash: bool) -> Self {
        Md5Reader {
            inner,
            md5: hash.then(Md5::new),
        }
    }
    fn hex(self) -> Option<String> {
        self.md5.map(|m| to_hex(&m.finalize()))
    }
}

impl<R: Read> Read for Md5Reader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some(m) = &mut self.md5 {
            m.update(&buf[..n]);
        }
        Ok(n)
    }
}

/// The one decoder. The stored length of the input lets a size the input
/// cannot hold be refused before anything is allocated for the payload.
fn decode_stream<R: Read>(mut r: R, origin: &str, input: Input) -> Result<IdxArray> {
    let fmt = |what: String| Error::format(origin, what);
    let mut magic = [0u8; 4];
    r.read_exact(&mut magic)
        .map_err(|e| read_error(origin, e, "the file ends inside the 4-byte magic number"))?;
    if magic[0] != 0 || magic[1] != 0 {
        return Err(fmt(format!(
            "not an IDX file: magic {:02x} {:02x} {:02x} {:02x} does not start with 00 00",
            magic[0], magic[1], magic[2], magic[3]
        )));
    }
    let ty = IdxType::from_code(magic[2])
        .ok_or_else(|| fmt(format!("unknown IDX element type 0x{:02x}", magic[2])))?;
    let rank = magic[3] as usize;
    let mut dims = Vec::with_capacity(rank);
    for i in 0..rank {
        let d = r.read_u32::<BigEndian>().map_err(|e| {
            read_error(
                origin,
                e,
                &format!("the file ends inside dimension {i} of {rank}"),
            )
        })?;
        dims.push(d as usize);
    }
    let numel = dims.iter().try_fold(1u64, |a, &d| a.checked_mul(d as u64));
    let bytes = numel.and_then(|n| n.checked_mul(ty.size() as u64));
    let (numel, bytes) = match (numel, bytes) {
        (Some(n), Some(b)) if b <= MAX_PAYLOAD_BYTES => (n, b),
        _ => {
            return Err(fmt(format!(
                "header claims dimensions {dims:?} of {ty:?}, more than the {MAX_PAYLOAD_BYTES}-byte limit"
            )))
        }
    };
    let header = 4 + 4 * rank as u64;
    match input {
        Input::Raw(len) => check_payload(origin, bytes, len.saturating_sub(header))?,
        Input::Gzip(len) if bytes > max_inflated(len) => {
            return Err(fmt(format!(
                "truncated: the header declares {bytes} bytes of data, more than {len} bytes of gzip can inflate to"
            )))
        }
        Input::Gzip(_) => {}
    }
    // Exact, so the array costs no more than its data (47 MB for MNIST train).
    let mut buf = Vec::with_capacity(bytes as usize);
    // One byte more than declared, so that trailing data is seen, but never more.
    r.take(bytes + 1)
        .read_to_end(&mut buf)
        .map_err(|e| read_error(origin, e, "the data is truncated"))?;
    check_payload(origin, bytes, buf.len() as u64)?;
    let n = numel as usize;
    let data = match ty {
        IdxType::U8 => IdxData::U8(buf),
        IdxType::I8 => IdxData::I8(buf.into_iter().map(|b| b as i8).collect()),
        IdxType::I16 => IdxData::I16(convert(&buf, n, BigEndian::read_i16_into)),
        IdxType::I32 => IdxData::I32(convert(&buf, n, BigEndian::read_i32_into)),
        IdxType::F32 => IdxData::F32(convert(&buf, n, BigEndian::read_f32_into)),
        IdxType::F64 => IdxData::F64(convert(&buf, n, BigEndian::read_f64_into)),
    };
    Ok(IdxArray { dims, data })
}

fn convert<T: Default + Clone>(buf: &[u8], n: usize, read: fn(&[u8], &mut [T])) -> Vec<T> {
    let mut out = vec![T::default(); n];
    read(buf, &mut out);
    out
}

fn check_payload(origin: &str, declared: u64, actual: u64) -> Result<()> {
    use std::cmp::Ordering::*;
    match actual.cmp(&declared) {
        Equal => Ok(()),
        Less => Err(Error::format(
            origin,
            format!(
                "truncated: the header declares {declared} bytes of data, the file holds {actual}"
            ),
        )),
        Greater => Err(Error::format(
            origin,
            format!("trailing bytes: the data runs past the {declared} bytes the header declares"),
        )),
    }
}

/// Maps a read failure: EOF is truncation, invalid data is corrupt gzip.
fn read_error(origin: &str, e: std::io::Error, eof_what: &str) -> Error {
    match e.kind() {
        ErrorKind::UnexpectedEof => Error::format(origin, eof_what),
        ErrorKind::InvalidData | ErrorKind::InvalidInput => {
            Error::format(origin, format!("corrupt gzip data: {e}"))
        }
        _ => Error::Io {
            origin: origin.to_string(),
            what: "cannot read",
            source: e,
        },
    }
}
