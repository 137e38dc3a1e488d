//! TFRecord framing, the container of an event file: each record is its
//! length (u64, little-endian), the masked CRC-32C of those 8 bytes, the
//! data, and the masked CRC-32C of the data. The mask is TensorFlow's
//! ((crc >> 15) | (crc << 17)) + 0xa282ead8, so that a CRC of data holding
//! CRCs stays well distributed.

use std::io::{self, Write};

const MASK_DELTA: u32 = 0xa282_ead8;

/// TensorFlow's masked CRC-32C of `data`.
pub fn masked_crc(data: &[u8]) -> u32 {
    let crc = crc32c::crc32c(data);
    crc.rotate_right(15).wrapping_add(MASK_DELTA)
}

/// Write one record.
pub fn write_record(w: &mut impl Write, data: &[u8]) -> io::Result<()> {
    let len = (data.len() as u64).to_le_bytes();
    w.write_all(&len)?;
    w.write_all(&masked_crc(&len).to_le_bytes())?;
    w.write_all(data)?;
    w.write_all(&masked_crc(data).to_le_bytes())
}

/// The records of `bytes`, each checked against its CRCs; an error naming
/// the record and the byte offset for a truncated or corrupt one.
pub fn read_records(bytes: &[u8]) -> Result<Vec<&[u8]>, String> {
    let mut out = Vec::new();
    let mut at = 0usize;
    while at < bytes.len() {
        let k = out.len();
        let rest = &bytes[at..];
        if rest.len() < 12 {
            return Err(format!(
                "record {k} at byte {at}: {} bytes left, a header is 12",
                rest.len()
            ));
        }
        let len_bytes = &rest[..8];
        let len = u64::from_le_bytes(len_bytes.try_into().expect("8 bytes"));
        let crc = u32::from_le_bytes(rest[8..12].try_into().expect("4 bytes"));
        if crc != masked_crc(len_bytes) {
            return Err(format!(
                "record {k} at byte {at}: the length's CRC does not match"
            ));
        }
        let end = usize::try_from(len)
            .ok()
            .and_then(|n| n.checked_add(16))
            .filter(|&e| e <= rest.len())
            .ok_or(format!(
                "record {k} at byte {at}: {len} bytes of data do not fit in the file"
            ))?;
        let data = &rest[12..end - 4];
        let crc = u32::from_le_bytes(rest[end - 4..end].try_into().expect("4 bytes"));
        if crc != masked_crc(data) {
            return Err(format!(
                "record {k} at byte {at}: the data's CRC does not match"
            ));
        }
        out.push(data);
        at += end;
    }
    Ok(out)
}
