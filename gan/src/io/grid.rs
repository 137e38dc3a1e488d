//! Image grids as torchvision's `make_grid` + `save_image` build them: `nrow`
//! tiles per row, `padding` pixels of black between and around the tiles, values
//! mapped from [−1, 1] to [0, 255]. Written as 8-bit grayscale PNG (torchvision
//! writes the same values into three equal channels).

use super::{to_u8, write_atomic};
use crate::error::{Error, Result};
use std::path::Path;

/// A grayscale picture.
pub struct Gray {
    pub width: usize,
    pub height: usize,
    pub pixels: Vec<u8>,
}

/// Lay out `n` images of h×w (values in [−1, 1], row-major, one after another).
pub fn make_grid(
    values: &[f32],
    n: usize,
    h: usize,
    w: usize,
    nrow: usize,
    padding: usize,
) -> Result<Gray> {
    if n == 0 || h == 0 || w == 0 || values.len() != n * h * w {
        return Err(Error::usage(format!(
            "grid: {} values do not make {n} images of {h}×{w}",
            values.len()
        )));
    }
    if n == 1 {
        // make_grid returns a single image as it is, without padding.
        return Ok(Gray {
            width: w,
            height: h,
            pixels: values.iter().map(|&v| to_u8(v)).collect(),
        });
    }
    let xmaps = nrow.clamp(1, n);
    let ymaps = n.div_ceil(xmaps);
    let (th, tw) = (h + padding, w + padding);
    let (gh, gw) = (ymaps * th + padding, xmaps * tw + padding);
    let mut pixels = vec![0u8; gh * gw];
    for k in 0..n {
        let (y0, x0) = ((k / xmaps) * th + padding, (k % xmaps) * tw + padding);
        let img = &values[k * h * w..(k + 1) * h * w];
        for r in 0..h {
            let row = &mut pixels[(y0 + r) * gw + x0..(y0 + r) * gw + x0 + w];
            for (p, &v) in row.iter_mut().zip(&img[r * w..(r + 1) * w]) {
                *p = to_u8(v);
            }
        }
    }
    Ok(Gray {
        width: gw,
        height: gh,
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

/// Save images as a grid PNG (`nrow` per row, padding 2), written atomically.
pub fn save_grid(
    path: &Path,
    values: &[f32],
    n: usize,
    h: usize,
    w: usize,
    nrow: usize,
) -> Result<()> {
    let g = make_grid(values, n, h, w, nrow, 2)?;
    write_atomic(path, &encode_png(g.width, g.height, 1, &g.pixels)?)
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
    }
}
