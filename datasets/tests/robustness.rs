//! No input makes the IDX reader panic or allocate much: a bounded, seeded
//! fuzz loop over mutated, truncated and random inputs (gzipped and not), and
//! headers that claim huge sizes. A global allocator records the largest single
//! allocation of this test binary; nothing here may need more than 8 MiB.

mod common;

use common::{random_array, temp_dir};
use datasets::idx::{decode_idx, encode_idx, gzip_bytes, read_idx, IdxType};
use datasets::{read_images, read_labels};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

struct MaxAlloc;
static LARGEST: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for MaxAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LARGEST.fetch_max(layout.size(), Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LARGEST.fetch_max(new_size, Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: MaxAlloc = MaxAlloc;

const ALLOC_LIMIT: usize = 8 << 20;

fn assert_small_allocations() {
    let largest = LARGEST.load(Ordering::Relaxed);
    assert!(
        largest < ALLOC_LIMIT,
        "an allocation of {largest} bytes was made"
    );
}

/// Valid inputs to mutate: every type, several ranks, plus real MNIST labels.
fn corpus() -> Vec<Vec<u8>> {
    let mut c = Vec::new();
    let shapes: [&[usize]; 5] = [&[], &[5], &[3, 4], &[4, 5, 6], &[2, 2, 2, 3]];
    for (i, ty) in IdxType::ALL.into_iter().enumerate() {
        for (j, dims) in shapes.iter().enumerate() {
            let raw = encode_idx(&random_array(ty, dims, (i * 10 + j) as u64));
            c.push(gzip_bytes(&raw));
            c.push(raw);
        }
    }
    let labels = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../data/mnist/t10k-labels-idx1-ubyte.gz");
    if let Ok(gz) = std::fs::read(labels) {
        c.push(gz);
    }
    c
}

fn mutate(rng: &mut StdRng, corpus: &[Vec<u8>]) -> Vec<u8> {
    let mut b = corpus[rng.random_range(0..corpus.len())].clone();
    match rng.random_range(0..8) {
        // Truncate anywhere, including to nothing.
        0 => b.truncate(rng.random_range(0..=b.len())),
        // Flip 1 to 8 bits.
        1 => {
            for _ in 0..rng.random_range(1..=8) {
                if !b.is_empty() {
                    let i = rng.random_range(0..b.len());
                    b[i] ^= 1 << rng.random_range(0..8);
                }
            }
        }
        // Overwrite a header byte (magic, rank or a dimension) with anything.
        2 => {
            let i = rng.random_range(0..b.len().clamp(1, 24));
            if let Some(x) = b.get_mut(i) {
                *x = rng.random();
            }
        }
        // Append or insert random bytes.
        3 => {
            let at = rng.random_range(0..=b.len());
            let extra: Vec<u8> = (0..rng.random_range(1..64)).map(|_| rng.random()).collect();
            b.splice(at..at, extra);
        }
        // Pure noise, sometimes with a gzip or IDX prefix.
        4 => {
            let n = rng.random_range(0..2048);
            b = (0..n).map(|_| rng.random()).collect();
            match rng.random_range(0..3) {
                0 if n >= 2 => b[..2].copy_from_slice(&[0x1f, 0x8b]),
                1 if n >= 4 => b[..4].copy_from_slice(&[0, 0, 8, rng.random_range(0..5)]),
                _ => {}
            }
        }
        // A mutated raw file, then gzipped (valid gzip, broken IDX inside).
        5 => {
            if !b.is_empty() {
                let i = rng.random_range(0..b.len());
                b[i] = rng.random();
            }
            b.truncate(rng.random_range(0..=b.len()));
            b = gzip_bytes(&b);
        }
        // Splice two inputs.
        6 => {
            let other = &corpus[rng.random_range(0..corpus.len())];
            let cut = rng.random_range(0..=b.len());
            b.truncate(cut);
            b.extend_from_slice(&other[rng.random_range(0..=other.len())..]);
        }
        // Huge random dimensions in an otherwise valid header.
        _ => {
            let rank = rng.random_range(0..6u8);
            let mut h = vec![0, 0, IdxType::ALL[rng.random_range(0..6)].code(), rank];
            for _ in 0..rank {
                h.extend_from_slice(&rng.random::<u32>().to_be_bytes());
            }
            h.extend((0..rng.random_range(0..256)).map(|_| rng.random::<u8>()));
            b = if rng.random() { gzip_bytes(&h) } else { h };
        }
    }
    b
}

#[test]
fn fuzz_20000_inputs_never_panic() {
    const INPUTS: usize = 20_000;
    let corpus = corpus();
    let dir = temp_dir("fuzz");
    let mut rng = StdRng::seed_from_u64(0x1D_F0_22);
    let (mut ok, mut errors) = (0usize, 0usize);
    for i in 0..INPUTS {
        let input = mutate(&mut rng, &corpus);
        let result = decode_idx(&input, "fuzz");
        match &result {
            Ok(_) => ok += 1,
            Err(e) => {
                errors += 1;
                assert!(e.to_string().starts_with("fuzz: "), "unnamed error: {e}");
            }
        }
        // Every 20th input also goes through the file readers and the data set checks.
        if i % 20 == 0 {
            let path = dir.join("input");
            std::fs::write(&path, &input).unwrap();
            let from_file = read_idx(&path);
            assert_eq!(
                from_file.is_ok(),
                result.is_ok(),
                "file and memory disagree"
            );
            let _ = read_images(&path, None);
            let _ = read_labels(&path, Some("00000000000000000000000000000000"), 10);
        }
    }
    println!("fuzz: {INPUTS} inputs, {ok} decoded, {errors} refused, no panic");
    assert_eq!(ok + errors, INPUTS);
    assert!(
        errors > INPUTS / 2,
        "the mutations should mostly break the files"
    );
    assert_small_allocations();
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn huge_headers_are_refused_without_a_large_allocation() {
    let cases: Vec<(&str, Vec<u8>)> = vec![
        // 2^40 u8 elements.
        ("2^40 elements", vec![0, 0, 8, 2, 0, 0, 4, 0, 0, 0x40, 0, 0]),
        // 2^30 f64 = 8 GiB.
        ("8 GiB of f64", vec![0, 0, 0x0E, 1, 0x40, 0, 0, 0]),
        // 1 GiB: under the limit, but the input cannot hold it.
        (
            "1 GiB, 4 bytes present",
            vec![0, 0, 8, 1, 0x40, 0, 0, 0, 1, 2, 3, 4],
        ),
    ];
    let dir = temp_dir("huge");
    for (what, raw) in cases {
        for bytes in [raw.clone(), gzip_bytes(&raw)] {
            assert!(decode_idx(&bytes, what).is_err(), "{what}");
            let path = dir.join("huge");
            std::fs::write(&path, &bytes).unwrap();
            let e = read_idx(&path).unwrap_err().to_string();
            assert!(e.contains("huge"), "{e}");
        }
    }
    // A header claiming 2^31 − 16 bytes whose small gzip stream really inflates
    // to that would be legitimate; one that claims it with a tiny stream is not.
    let mut liar = vec![0, 0, 8, 1, 0x7F, 0xFF, 0xFF, 0xF0];
    liar.extend(std::iter::repeat_n(0u8, 100_000));
    assert!(decode_idx(&gzip_bytes(&liar), "liar").is_err());
    assert_small_allocations();
    std::fs::remove_dir_all(dir).ok();
}
