//! The decoder path of image folders on hostile files: a bounded, seeded fuzz
//! loop of a few thousand mutated PNG and JPEG files (bit flips, byte
//! overwrites, cut and spliced bytes, forged sizes), each read as a folder
//! image is (header, then the full decode, resize and crop). Every file
//! gives an image or an error naming it, never a panic; a global allocator
//! records the largest single allocation, which the decoder limits bound.

mod common;

use common::temp_dir;
use datasets::folder::{decode_into, header, MAX_DECODE_BYTES};
use image::{GrayImage, ImageFormat, RgbImage};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::alloc::{GlobalAlloc, Layout, System};
use std::panic::{catch_unwind, AssertUnwindSafe};
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

/// Mutated files per seed image.
const PER_SEED: usize = 700;

fn encode(format: ImageFormat, colour: bool, w: u32, h: u32) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    if colour {
        RgbImage::from_fn(w, h, |x, y| {
            image::Rgb([(x * 9) as u8, (y * 5) as u8, (x ^ y) as u8])
        })
        .write_to(&mut out, format)
        .unwrap();
    } else {
        GrayImage::from_fn(w, h, |x, y| image::Luma([(x * 3 + y * 11) as u8]))
            .write_to(&mut out, format)
            .unwrap();
    }
    out.into_inner()
}

fn mutate(orig: &[u8], rng: &mut StdRng) -> Vec<u8> {
    let mut b = orig.to_vec();
    for _ in 0..rng.random_range(1..4) {
        let n = b.len().max(1);
        match rng.random_range(0..6) {
            // Flip a few bits.
            0 => {
                for _ in 0..rng.random_range(1..8) {
                    let i = rng.random_range(0..n);
                    if let Some(v) = b.get_mut(i) {
                        *v ^= 1 << rng.random_range(0..8);
                    }
                }
            }
            // Overwrite a run with random or extreme bytes.
            1 => {
                let i = rng.random_range(0..n);
                let fill: u8 = [0, 0xFF, rng.random()][rng.random_range(0..3)];
                for v in b.iter_mut().skip(i).take(rng.random_range(1..16)) {
                    *v = fill;
                }
            }
            // Cut the file short.
            2 => b.truncate(rng.random_range(0..n)),
            // Drop a run from the middle.
            3 => {
                let i = rng.random_range(0..n);
                let j = (i + rng.random_range(1..64)).min(b.len());
                b.drain(i.min(b.len())..j);
            }
            // Repeat a run (chunk and marker splicing).
            4 => {
                let i = rng.random_range(0..n);
                let j = (i + rng.random_range(1..64)).min(b.len());
                let run = b[i.min(b.len())..j].to_vec();
                let at = rng.random_range(0..=b.len());
                b.splice(at..at, run);
            }
            // A forged big-endian 16- or 32-bit field in the header (sizes).
            _ => {
                let i = rng.random_range(0..n.min(64));
                let v: u32 =
                    [0, 1, 0xFFFF, 0x7FFF_FFFF, 65_000, rng.random()][rng.random_range(0..6)];
                for (k, byte) in v.to_be_bytes().iter().enumerate() {
                    if let Some(x) = b.get_mut(i + k) {
                        *x = *byte;
                    }
                }
            }
        }
    }
    b
}

#[test]
fn mutated_png_and_jpeg_files_never_panic() {
    let dir = temp_dir("folder-fuzz");
    let seeds = [
        ("png", encode(ImageFormat::Png, true, 24, 17)),
        ("png", encode(ImageFormat::Png, false, 9, 40)),
        ("jpg", encode(ImageFormat::Jpeg, true, 33, 21)),
        ("jpg", encode(ImageFormat::Jpeg, false, 16, 16)),
    ];
    let mut rng = StdRng::seed_from_u64(2024);
    let (mut decoded, mut errors, mut panics) = (0usize, 0usize, Vec::new());
    let mut out = vec![0u8; 3 * 16 * 16];
    let mut tmp = Vec::new();
    for (k, (ext, orig)) in seeds.iter().enumerate() {
        for m in 0..PER_SEED {
            let bytes = mutate(orig, &mut rng);
            let path = dir.join(format!("m.{ext}"));
            std::fs::write(&path, &bytes).unwrap();
            let r = catch_unwind(AssertUnwindSafe(|| {
                let channels = if m % 2 == 0 { 3 } else { 1 };
                let h = header(&path);
                let d = decode_into(&path, channels, 16, &mut out[..channels * 256], &mut tmp);
                (h, d)
            }));
            match r {
                Ok((_, Ok(()))) => decoded += 1,
                Ok((_, Err(e))) => {
                    // Every error names the file.
                    assert!(e.to_string().contains("m."), "{e}");
                    errors += 1;
                }
                Err(_) => {
                    let keep = dir.join(format!("panic-{k}-{m}.{ext}"));
                    std::fs::write(&keep, &bytes).unwrap();
                    panics.push(keep);
                }
            }
        }
    }
    // Sizes forged with a valid checksum: a PNG claiming 16,000 × 16,000
    // (768 MB of RGB) is refused by the decoder's limits, not allocated.
    let mut png = seeds[0].1.clone();
    png[16..20].copy_from_slice(&16_000u32.to_be_bytes());
    png[20..24].copy_from_slice(&16_000u32.to_be_bytes());
    let mut crc = flate2::Crc::new();
    crc.update(&png[12..29]);
    png[29..33].copy_from_slice(&crc.sum().to_be_bytes());
    let path = dir.join("forged.png");
    std::fs::write(&path, &png).unwrap();
    assert_eq!(
        header(&path).unwrap().width,
        16_000,
        "the header itself is valid"
    );
    let e = decode_into(&path, 3, 16, &mut out, &mut tmp).unwrap_err();
    assert!(e.to_string().contains("forged.png"), "{e}");
    println!("forged size: {e}");

    println!(
        "{decoded} decoded, {errors} errors, {} panics",
        panics.len()
    );
    assert!(panics.is_empty(), "decoder panics on {panics:?}");
    assert!(
        decoded > 50 && errors > 500,
        "{decoded} decoded, {errors} errors"
    );
    let largest = LARGEST.load(Ordering::Relaxed);
    assert!(
        largest as u64 <= MAX_DECODE_BYTES + (1 << 20),
        "largest allocation {largest} bytes"
    );
    println!("largest allocation {largest} bytes");
    std::fs::remove_dir_all(&dir).ok();
}
