//! Image grids as torchvision's `make_grid` + `save_image` build them: `nrow`
//! tiles per row, `padding` pixels of black between and around the tiles, values
//! mapped from [−1, 1] to [0, 255]. Grey images are written as 8-bit
//! grayscale PNG (torchvision writes the same values into three equal
//! channels), colour ones as 8-bit RGB.

use super::{to_u8, write_atomic};
use crate::error::{Error, Result};
use std::path::Path;

/// A picture of 8-bit pixels, 1 (grey) or 3 (RGB, interleaved) channels.
pub struct Gray {
    /// Pixels per row.
    pub width: usize,
    /// Rows.
    pub height: usize,
    /// 1 or 3.
    pub channels: usize,
    /// Row-major, channels interleaved.
    pub pixels: Vec<u8>,
}

/// Lay out `n` grey images of h×w (values in [−1, 1], row-major, one after another).
pub fn make_grid(
    values: &[f32],
    n: usize,
    h: usize,
    w: usize,
    nrow: usize,
    padding: usize,
) -> Result<Gray> {
    make_grid_c(values, n, 1, h, w, nrow, padding)
}

/// Lay out `n` images of c×h×w (planar, as the models make them) into one
/// picture of c interleaved channels.
pub fn make_grid_c(
    values: &[f32],
    n: usize,
    c: usize,
    h: usize,
    w: usize,
    nrow: usize,
    padding: usize,
) -> Result<Gray> {
    if n == 0 || c == 0 || h == 0 || w == 0 || values.len() != n * c * h * w {
        return Err(Error::usage(format!(
            "grid: {} values do not make {n} images of {c}×{h}×{w}",
            values.len()
        )));
    }
    // make_grid returns a single image as it is, without padding.
    let (xmaps, padding) = if n == 1 {
        (1, 0)
    } else {
        (nrow.clamp(1, n), padding)
    };
    let ymaps = n.div_ceil(xmaps);
    let (th, tw) = (h + padding, w + padding);
    let (gh, gw) = (ymaps * th + padding, xmaps * tw + padding);
    let mut pixels = vec![0u8; gh * gw * c];
    let plane = h * w;
    for k in 0..n {
        let (y0, x0) = ((k / xmaps) * th + padding, (k % xmaps) * tw + padding);
        let img = &values[k * c * plane..(k + 1) * c * plane];
        for r in 0..h {
            let row_start = ((y0 + r) * gw + x0) * c;
            let row = &mut pixels[row_start..row_start + w * c];
            for (x, px) in row.chunks_exact_mut(c).enumerate() {
                for (ch, p) in px.iter_mut().enumerate() {
                    *p = to_u8(img[ch * plane + r * w + x]);
                }
            }
        }
    }
    Ok(Gray {
        width: gw,
        height: gh,
        channels: c,
        pixels,
    })
}

/// PNG bytes of 8-bit pixels, 1 (gray) or 3 (RGB) channels.
pub fn encode_png(width: usize, height: usize, channels: usize, pixels: &[u8]) -> Result<Vec<u8>> {
    let color = match channels {
        1 => png::ColorType::Grayscale,
        3 => png::ColorType::Rgb,
        _ => return Err(Error::usage(format!("PNG: {channels} channels"))),
    };
    let (w, h) = match (u32::try_from(width), u32::try_from(height)) {
        (Ok(w), Ok(h)) if w > 0 && h > 0 => (w, h),
        _ => return Err(Error::usage(format!("PNG: bad size {width}×{height}"))),
    };
    let mut out = Vec::new();
    let mut enc = png::Encoder::new(&mut out, w, h);
    enc.set_color(color);
    enc.set_depth(png::BitDepth::Eight);
    let png_err = |e: png::EncodingError| Error::usage(format!("PNG encoding: {e}"));
    let mut writer = enc.write_header().map_err(png_err)?;
    writer.write_image_data(pixels).map_err(png_err)?;
    writer.finish().map_err(png_err)?;
    Ok(out)
}

/// Save grey images as a grid PNG (`nrow` per row, padding 2), written atomically.
pub fn save_grid(
    path: &Path,
    values: &[f32],
    n: usize,
    h: usize,
    w: usize,
    nrow: usize,
) -> Result<()> {
    save_grid_c(path, values, n, [1, h, w], nrow)
}

/// Save images of `chw` (grey or RGB) as a grid PNG, written atomically.
pub fn save_grid_c(
    path: &Path,
    values: &[f32],
    n: usize,
    chw: [usize; 3],
    nrow: usize,
) -> Result<()> {
    let [c, h, w] = chw;
    let g = make_grid_c(values, n, c, h, w, nrow, 2)?;
    write_atomic(path, &encode_png(g.width, g.height, c, &g.pixels)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_as_torchvision() {
        // 100 images of 28×28 in rows of 10 with padding 2: 302×302.
        let v = vec![1.0f32; 100 * 28 * 28];
        let g = make_grid(&v, 100, 28, 28, 10, 2).unwrap();
        assert_eq!((g.width, g.height), (302, 302));
        assert_eq!(g.pixels[0], 0); // padding
        assert_eq!(g.pixels[2 * 302 + 2], 255); // first pixel of the first tile
        assert_eq!(g.pixels[2 * 302 + 30], 0); // padding between tiles
                                               // 3 images, nrow 2: two rows, the second half empty.
        let g = make_grid(&[0.0; 3 * 4], 3, 2, 2, 2, 1).unwrap();
        assert_eq!((g.width, g.height), (7, 7));
        assert!(encode_png(g.width, g.height, 1, &g.pixels).is_ok());
        // Colour: planar tiles become interleaved RGB; the channels stay apart.
        let mut v = vec![-1.0f32; 2 * 3 * 4];
        v[4..8].fill(1.0); // image 0, green plane
        v[12 + 8..24].fill(1.0); // image 1, blue plane
        let g = make_grid_c(&v, 2, 3, 2, 2, 2, 2).unwrap();
        assert_eq!((g.width, g.height, g.channels), (10, 6, 3));
        let at = |y: usize, x: usize| &g.pixels[(y * 10 + x) * 3..(y * 10 + x) * 3 + 3];
        assert_eq!(at(2, 2), [0, 255, 0]);
        assert_eq!(at(3, 7), [0, 0, 255]);
        assert_eq!(at(0, 0), [0, 0, 0]);
        assert!(encode_png(g.width, g.height, 3, &g.pixels).is_ok());
    }
}
