//! How fast an image folder decodes: images per second on one core (decode,
//! channels, resize and crop of the first N files, one after another), and
//! the whole `ImageFolder::open` (listing, headers, decoding into the u8
//! cache) on every core.
//!
//! `cargo run -p datasets --release --example decode_rate -- DIR [SIZE] [CHANNELS] [N]`
//! (defaults 64, 3, 2000).

use datasets::folder::{
    decode_into, default_workers, FolderConfig, ImageFolder, Listing, MAX_FILES,
};
use std::path::PathBuf;
use std::time::Instant;

fn main() -> datasets::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(dir) = args.first().map(PathBuf::from) else {
        eprintln!("usage: decode_rate DIR [SIZE] [CHANNELS] [N]");
        std::process::exit(2);
    };
    let num =
        |i: usize, default: usize| args.get(i).and_then(|s| s.parse().ok()).unwrap_or(default);
    let (size, channels, n) = (num(1, 64), num(2, 3), num(3, 2000));

    let t = Instant::now();
    let listing = Listing::scan(&dir, MAX_FILES, false)?;
    let list_s = t.elapsed().as_secs_f64();
    let n = n.min(listing.len());
    let mut out = vec![0u8; channels * size * size];
    let mut tmp = Vec::new();
    let t = Instant::now();
    for i in 0..n {
        decode_into(&listing.path(i), channels, size, &mut out, &mut tmp)?;
    }
    let one = n as f64 / t.elapsed().as_secs_f64();
    println!(
        "{}: {} files listed in {list_s:.2} s; one core: {one:.0} images/s ({n} images to {channels}×{size}×{size})",
        dir.display(),
        listing.len()
    );
    drop(listing);

    let workers = default_workers();
    let t = Instant::now();
    let folder = ImageFolder::open(
        &dir,
        &FolderConfig {
            size,
            channels: Some(channels),
            ..FolderConfig::default()
        },
    )?;
    let all = t.elapsed().as_secs_f64();
    let what = if folder.is_cached() {
        "headers read and decoded into the cache"
    } else {
        "headers read (too big to cache: decoded every epoch)"
    };
    println!(
        "ImageFolder::open on {workers} threads: {} images listed, {what} in {all:.2} s: {:.0} images/s, {:.0} per core",
        folder.len(),
        folder.len() as f64 / all,
        folder.len() as f64 / all / workers as f64
    );
    Ok(())
}
