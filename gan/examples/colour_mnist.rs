//! A coloured-MNIST image folder from the shipped MNIST, for trying
//! `gan train --dataset folder` in colour without downloading anything:
//! each digit tinted with a random bright colour on a random dark
//! background, 64 × 64 RGB PNG, one folder per digit (`DIR/<digit>/NNNNN.png`).
//! The colours depend on the seed and the image index only.
//!
//! `cargo run -p gan --release --example colour_mnist -- --out DIR [--count N] [--seed S]`
//! (also `bash tools/colour_mnist.sh ...`). N defaults to all 60,000 training images.

use datasets::{Mnist, Normalize, Transform};
use gan::io::{grid::encode_png, write_atomic};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::path::PathBuf;

const SIDE: usize = 64;

/// HSV (h in [0, 6), s, v in [0, 1]) to RGB in [0, 1].
fn hsv(h: f32, s: f32, v: f32) -> [f32; 3] {
    let c = v * s;
    let x = c * (1.0 - ((h % 2.0) - 1.0).abs());
    let (r, g, b) = match h as u32 {
        0 => (c, x, 0.0),
        1 => (x, c, 0.0),
        2 => (0.0, c, x),
        3 => (0.0, x, c),
        4 => (x, 0.0, c),
        _ => (c, 0.0, x),
    };
    let m = v - c;
    [r + m, g + m, b + m]
}

fn usage(msg: &str) -> gan::Error {
    gan::Error::usage(format!(
        "{msg}\nusage: colour_mnist --out DIR [--count N] [--seed S]"
    ))
}

fn main() -> gan::Result<()> {
    let (mut out, mut count, mut seed) = (None, usize::MAX, 0u64);
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = || {
            args.next()
                .ok_or_else(|| usage(&format!("{a} needs a value")))
        };
        match a.as_str() {
            "--out" => out = Some(PathBuf::from(value()?)),
            "--count" => {
                count = value()?
                    .parse()
                    .map_err(|_| usage("--count: not a number"))?
            }
            "--seed" => {
                seed = value()?
                    .parse()
                    .map_err(|_| usage("--seed: not a number"))?
            }
            _ => return Err(usage(&format!("unknown argument '{a}'"))),
        }
    }
    let out = out.ok_or_else(|| usage("--out DIR is required"))?;
    let train = <Mnist as datasets::Dataset>::train(&datasets::DataSource::new())?;
    let n = count.min(train.len());
    if n == 0 {
        return Err(usage("--count must be at least 1"));
    }
    for d in 0..10 {
        let dir = out.join(d.to_string());
        std::fs::create_dir_all(&dir).map_err(|e| gan::Error::io("cannot create", &dir, e))?;
    }
    // MNIST's own Resize(64) (bilinear) in [0, 1]: the digit's ink as a mask.
    let resize = Transform {
        normalize: Normalize::ZeroToOne,
        resize: Some(SIDE),
        flatten: false,
    };
    let pb = indicatif::ProgressBar::new(n as u64);
    let mut rgb = vec![0u8; SIDE * SIDE * 3];
    for i in 0..n {
        let mask = train.images.to_tensor(&[i], &resize)?.to_vec_f32()?;
        // One stream per image: the colours of image i do not depend on --count.
        let mut rng = StdRng::seed_from_u64(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ i as u64);
        let fg = hsv(
            rng.random_range(0.0..6.0),
            rng.random_range(0.5..1.0),
            rng.random_range(0.8..1.0),
        );
        let bg = hsv(
            rng.random_range(0.0..6.0),
            rng.random_range(0.3..1.0),
            rng.random_range(0.0..0.3),
        );
        for (px, &m) in rgb.chunks_exact_mut(3).zip(&mask) {
            for c in 0..3 {
                let v = bg[c] + (fg[c] - bg[c]) * m;
                px[c] = (v * 255.0 + 0.5).clamp(0.0, 255.0) as u8;
            }
        }
        let label = train.labels[i];
        let path = out.join(label.to_string()).join(format!("{i:05}.png"));
        write_atomic(&path, &encode_png(SIDE, SIDE, 3, &rgb)?)?;
        pb.inc(1);
    }
    pb.finish_and_clear();
    println!(
        "wrote {n} coloured 64×64 digits (seed {seed}) into {}",
        out.display()
    );
    Ok(())
}
