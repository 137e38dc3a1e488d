//! One image file to model-sized u8 planes: decode with the `image` crate
//! (format by content, not extension, as PIL does; GIF: the first frame),
//! convert to the channels asked for as `ImageFolder`'s loader does (PIL's
//! `convert("RGB")`, then `convert("L")` for grey), resize and crop.
//!
//! Any failure is an error naming the file and what is wrong; the decoder's
//! memory is bounded by `Limits`, so a forged header cannot ask for gigabytes.

use super::resize::ResizeCrop;
use crate::error::{Error, Result};
use image::{ColorType, DynamicImage, ImageDecoder, ImageError, ImageReader, Limits};
use std::fs::File;
use std::io::BufReader;
use std::path::Path;

/// Smallest accepted side of an image, in pixels.
pub const MIN_SIDE: u32 = 8;
/// Largest accepted side of an image, in pixels.
pub const MAX_SIDE: u32 = 16_384;
/// Most memory one decoder may allocate (one per decoding thread).
pub const MAX_DECODE_BYTES: u64 = 256 << 20;

/// What the header says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    pub width: u32,
    pub height: u32,
    /// The file stores colour (RGB, RGBA, a colour palette…), not grey.
    pub colour: bool,
}

fn limits() -> Limits {
    let mut l = Limits::default();
    l.max_image_width = Some(MAX_SIDE);
    l.max_image_height = Some(MAX_SIDE);
    l.max_alloc = Some(MAX_DECODE_BYTES);
    l
}

fn err(path: &Path, what: impl std::fmt::Display) -> Error {
    Error::format(&path.display().to_string(), what.to_string())
}

/// The decoder's error, said for a person: limits with their figures.
fn bad(path: &Path, e: ImageError) -> Error {
    match e {
        ImageError::Limits(l) => err(
            path,
            format!(
                "image too large to decode ({l}): at most {MAX_SIDE} pixels a side and {} MiB of pixels",
                MAX_DECODE_BYTES >> 20
            ),
        ),
        e => err(path, format!("bad image: {e}")),
    }
}

fn reader(path: &Path) -> Result<ImageReader<BufReader<File>>> {
    let f = File::open(path).map_err(|e| Error::io(path, "cannot open", e))?;
    let mut r = ImageReader::new(BufReader::new(f))
        .with_guessed_format()
        .map_err(|e| Error::io(path, "cannot read", e))?;
    if r.format().is_none() {
        return Err(err(
            path,
            "not a PNG, JPEG, BMP, GIF or WebP image (unrecognised content)",
        ));
    }
    r.limits(limits());
    Ok(r)
}

fn check_size(path: &Path, w: u32, h: u32) -> Result<()> {
    if w < MIN_SIDE || h < MIN_SIDE {
        return Err(err(
            path,
            format!(
                "image of {w}×{h} pixels: images must be at least {MIN_SIDE} pixels on each side"
            ),
        ));
    }
    Ok(())
}

/// Reads the header only: size and whether the file is in colour.
pub fn header(path: &Path) -> Result<Header> {
    let d = reader(path)?.into_decoder().map_err(|e| bad(path, e))?;
    let (width, height) = d.dimensions();
    check_size(path, width, height)?;
    Ok(Header {
        width,
        height,
        colour: d.color_type().has_color(),
    })
}

/// ITU-R 601-2 luma exactly as PIL's `convert("L")` computes it (Convert.c,
/// `L24`): (R·19595 + G·38470 + B·7471 + 2¹⁵) >> 16.
#[inline]
pub fn pil_luma(r: u8, g: u8, b: u8) -> u8 {
    ((r as u32 * 19595 + g as u32 * 38470 + b as u32 * 7471 + 0x8000) >> 16) as u8
}

/// `img` as interleaved u8 of `channels` (1 or 3): alpha dropped (PIL's
/// `convert("RGB")`), grey replicated to RGB, colour to grey by `pil_luma`.
/// 16-bit images are scaled to 8 bits.
pub fn to_channels(img: DynamicImage, channels: usize) -> Vec<u8> {
    let colour = img.color().has_color();
    match (channels, colour) {
        (1, false) => img.into_luma8().into_raw(),
        (1, true) => {
            let rgb = img.into_rgb8();
            rgb.as_raw()
                .chunks_exact(3)
                .map(|p| pil_luma(p[0], p[1], p[2]))
                .collect()
        }
        _ => img.into_rgb8().into_raw(),
    }
}

/// Decodes `path` into `out`: `channels` planes of `size`×`size`, resized
/// and centre-cropped as torchvision does. `tmp` is scratch.
pub fn decode_into(
    path: &Path,
    channels: usize,
    size: usize,
    out: &mut [u8],
    tmp: &mut Vec<f32>,
) -> Result<()> {
    let img = reader(path)?.decode().map_err(|e| bad(path, e))?;
    check_size(path, img.width(), img.height())?;
    let (h, w) = (img.height() as usize, img.width() as usize);
    if img.color() == ColorType::L8 && channels == 1 && h == size && w == size {
        // Already the model's grey size: no resampling to do.
        out.copy_from_slice(img.as_bytes());
        return Ok(());
    }
    let px = to_channels(img, channels);
    ResizeCrop::new(h, w, size).apply(&px, channels, out, tmp);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn luma_matches_pil() {
        // PIL: Image.new("RGB", (1, 1), c).convert("L").getpixel((0, 0)).
        assert_eq!(pil_luma(255, 0, 0), 76);
        assert_eq!(pil_luma(0, 255, 0), 150);
        assert_eq!(pil_luma(0, 0, 255), 29);
        assert_eq!(pil_luma(255, 255, 255), 255);
        assert_eq!(pil_luma(10, 200, 30), 124);
        for v in 0..=255u8 {
            assert_eq!(pil_luma(v, v, v), v);
        }
    }
}
