//! IDX round trips of every type and rank, and each kind of broken file.

mod common;

use common::{random_array, temp_dir};
use datasets::idx::{
    decode_idx, encode_idx, gzip_bytes, read_idx, write_idx, IdxArray, IdxData, IdxType,
};
use datasets::Error;

const SHAPES: [&[usize]; 7] = [
    &[],
    &[0],
    &[7],
    &[3, 5],
    &[2, 3, 4],
    &[2, 1, 3, 2],
    &[1, 2, 1, 2, 3],
];

#[test]
fn every_type_and_rank_round_trips_in_memory_and_on_disk() {
    let dir = temp_dir("roundtrip");
    let mut count = 0;
    for ty in IdxType::ALL {
        for (s, dims) in SHAPES.iter().enumerate() {
            let arr = random_array(ty, dims, s as u64);
            let raw = encode_idx(&arr);
            assert_eq!(raw[2], ty.code());
            assert_eq!(raw[3] as usize, dims.len());
            assert_eq!(decode_idx(&raw, "mem").unwrap(), arr);
            assert_eq!(decode_idx(&gzip_bytes(&raw), "mem.gz").unwrap(), arr);
            for gz in [false, true] {
                // The name says nothing: gzip is detected from the content.
                let path = dir.join(format!("{ty:?}-{s}-{gz}.bin"));
                write_idx(&path, &arr, gz).unwrap();
                assert_eq!(read_idx(&path).unwrap(), arr, "{ty:?} {dims:?} gz={gz}");
            }
            count += 1;
        }
    }
    assert_eq!(count, 42);
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn big_endian_layout_is_the_documented_one() {
    let arr = IdxArray::new(vec![2], IdxData::I16(vec![0x0102, -2])).unwrap();
    assert_eq!(
        encode_idx(&arr),
        [0, 0, 0x0B, 1, 0, 0, 0, 2, 0x01, 0x02, 0xFF, 0xFE]
    );
    let f = IdxArray::new(vec![1], IdxData::F32(vec![1.0])).unwrap();
    assert_eq!(&encode_idx(&f)[8..], &[0x3F, 0x80, 0, 0]);
}

fn err(bytes: &[u8]) -> String {
    match decode_idx(bytes, "some/file.idx") {
        Ok(a) => panic!("accepted a broken input: {a:?}"),
        Err(e) => {
            let msg = e.to_string();
            assert!(
                msg.starts_with("some/file.idx: "),
                "error does not name the file: {msg}"
            );
            msg
        }
    }
}

fn valid() -> Vec<u8> {
    encode_idx(&random_array(IdxType::U8, &[3, 4, 4], 1))
}

#[test]
fn broken_headers_are_named_errors() {
    assert!(err(&[]).contains("4-byte magic"));
    assert!(err(&[0, 0, 8]).contains("4-byte magic"));
    assert!(err(&[1, 0, 8, 1, 0, 0, 0, 0]).contains("not an IDX file"));
    assert!(err(&[0, 0, 0x0A, 1, 0, 0, 0, 0]).contains("unknown IDX element type 0x0a"));
    assert!(err(&[0, 0, 8, 3, 0, 0, 0, 1, 0, 0]).contains("dimension 1 of 3"));
}

#[test]
fn payload_must_match_the_declared_size_exactly() {
    let v = valid();
    assert!(err(&v[..v.len() - 1]).contains("truncated"));
    assert!(err(&v[..16]).contains("truncated"));
    let mut long = v.clone();
    long.push(0);
    assert!(err(&long).contains("trailing bytes"));
    // The same through gzip: short and long inflated content.
    assert!(err(&gzip_bytes(&v[..v.len() - 3])).contains("truncated"));
    assert!(err(&gzip_bytes(&long)).contains("trailing bytes"));
}

#[test]
fn a_gzip_stream_inflating_past_its_header_is_refused() {
    // Header says 2×2 bytes; the stream inflates to a megabyte.
    let mut bomb = vec![0, 0, 8, 2, 0, 0, 0, 2, 0, 0, 0, 2];
    bomb.extend(std::iter::repeat_n(7u8, 1 << 20));
    assert!(err(&gzip_bytes(&bomb)).contains("trailing bytes"));
}

#[test]
fn damaged_gzip_is_an_error() {
    let gz = gzip_bytes(&valid());
    assert!(err(&gz[..gz.len() / 2]).contains("/file.idx"));
    assert!(!err(&gz[..2]).is_empty());
    // Flip a bit in the deflate data and one in the CRC: both are caught.
    for pos in [gz.len() / 2, gz.len() - 6] {
        let mut bad = gz.clone();
        bad[pos] ^= 0x10;
        err(&bad);
    }
    // Garbage after the gzip member.
    let mut tail = gz.clone();
    tail.extend_from_slice(b"garbage!");
    err(&tail);
}

#[test]
fn huge_and_overflowing_headers_are_refused() {
    // 2^40 elements: refused from the header alone.
    let msg = err(&[0, 0, 8, 2, 0, 0, 4, 0, 0, 0x40, 0, 0]);
    assert!(msg.contains("limit"), "{msg}");
    // Dimensions whose product overflows u64.
    let mut h = vec![0, 0, 0x0E, 4];
    h.extend(std::iter::repeat_n(0xFF, 16));
    assert!(err(&h).contains("limit"));
    // Plausible size that the input cannot hold.
    assert!(err(&[0, 0, 8, 1, 0x10, 0, 0, 0, 1, 2, 3]).contains("truncated"));
}

#[test]
fn a_missing_file_is_an_io_error_naming_it() {
    let e = read_idx(std::path::Path::new(
        "/nonexistent/dir/train-images-idx3-ubyte",
    ))
    .unwrap_err();
    assert!(matches!(e, Error::Io { .. }));
    assert!(e
        .to_string()
        .contains("/nonexistent/dir/train-images-idx3-ubyte"));
}

#[test]
fn array_constructor_checks_dims() {
    assert!(IdxArray::new(vec![2, 2], IdxData::U8(vec![0; 3])).is_err());
    assert!(IdxArray::new(vec![1usize << 33], IdxData::U8(vec![])).is_err());
    assert!(IdxArray::new(vec![1; 256], IdxData::U8(vec![0])).is_err());
}
