//! torchvision's `Resize(size)` then `CenterCrop(size)` on an image tensor,
//! with `antialias=True` (the default since torchvision 0.17).
//!
//! `Resize(s)` makes the shorter side `s` and the longer `int(s · long /
//! short)`, then calls PyTorch's `_upsample_bilinear2d_aa`: separable, the
//! width first, each output pixel a normalised triangle filter over the
//! inputs, widened by the scale when shrinking (this is the antialiasing;
//! when enlarging the filter is plain bilinear, renormalised at the borders).
//! The weights are computed as PyTorch's `_compute_weights_aa` does, in f32.
//! `CenterCrop(s)` then takes rows from `int(round((h − s) / 2))` (Python's
//! round: halves to even), and the same for columns.
//!
//! Written here rather than taken from the `image` crate because its filters
//! (and `fast_image_resize`'s) are not torchvision's: the transform test
//! compares with torchvision's own output within 1/255.

/// The taps of one axis: for each output index, the first input index and
/// the weights of the inputs from there.
#[derive(Clone, Debug)]
struct Taps {
    starts: Vec<usize>,
    /// `width` weights per output index (zero past the used taps).
    weights: Vec<f32>,
    width: usize,
}

impl Taps {
    /// Output indices `first..first + count` of a resize of `input` to `output`.
    fn new(input: usize, output: usize, first: usize, count: usize) -> Taps {
        // area_pixel_compute_scale with align_corners=False: in / out, in f32.
        let scale = input as f32 / output as f32;
        let support = if scale >= 1.0 { scale } else { 1.0 };
        let invscale = if scale >= 1.0 { 1.0 / scale } else { 1.0 };
        let width = (support.ceil() as usize) * 2 + 1;
        let mut starts = Vec::with_capacity(count);
        let mut weights = vec![0f32; count * width];
        for (k, w) in weights.chunks_mut(width).enumerate() {
            let i = first + k;
            let center = scale * (i as f32 + 0.5);
            let xmin = ((center - support + 0.5) as i64).max(0) as usize;
            let xmax = ((center + support + 0.5) as i64).min(input as i64) as usize;
            let n = xmax.saturating_sub(xmin).min(width);
            let mut total = 0f32;
            for (j, wj) in w.iter_mut().enumerate().take(n) {
                let x = ((j + xmin) as f32 - center + 0.5) * invscale;
                *wj = (1.0 - x.abs()).max(0.0);
                total += *wj;
            }
            if total != 0.0 {
                for wj in w.iter_mut().take(n) {
                    *wj /= total;
                }
            }
            starts.push(xmin);
        }
        Taps {
            starts,
            weights,
            width,
        }
    }

    /// Σ_j w_j · src(start + j) for output `k`, `src` giving the inputs.
    #[inline]
    fn apply(&self, k: usize, len: usize, src: impl Fn(usize) -> f32) -> f32 {
        let start = self.starts[k];
        let w = &self.weights[k * self.width..(k + 1) * self.width];
        let mut acc = 0f32;
        for (j, &wj) in w.iter().enumerate().take(len.saturating_sub(start)) {
            acc += wj * src(start + j);
        }
        acc
    }
}

/// torchvision's `Resize(size)` output (height, width) for an (h, w) image.
pub fn resized_hw(h: usize, w: usize, size: usize) -> (usize, usize) {
    if h <= w {
        (size, size * w / h.max(1))
    } else {
        (size * h / w.max(1), size)
    }
}

/// torchvision's `CenterCrop` offset: `int(round((full − size) / 2))`, with
/// Python's round-half-to-even.
pub fn crop_offset(full: usize, size: usize) -> usize {
    let d = full.saturating_sub(size);
    let half = d / 2;
    if d % 2 == 1 && half % 2 == 1 {
        half + 1
    } else {
        half
    }
}

/// Resize + centre crop of one image to `size`×`size`, for every channel.
#[derive(Clone, Debug)]
pub struct ResizeCrop {
    in_hw: (usize, usize),
    size: usize,
    rows: Taps,
    cols: Taps,
}

impl ResizeCrop {
    pub fn new(h: usize, w: usize, size: usize) -> ResizeCrop {
        let (rh, rw) = resized_hw(h, w, size);
        ResizeCrop {
            in_hw: (h, w),
            size,
            rows: Taps::new(h, rh, crop_offset(rh, size), size),
            cols: Taps::new(w, rw, crop_offset(rw, size), size),
        }
    }

    /// `src`: channel planes of h×w u8 (interleaved when `interleaved`, i.e.
    /// h×w×c as decoders give them); `out`: c planes of size×size u8,
    /// rounded to nearest. `tmp` is scratch reused between calls.
    pub fn apply(&self, src: &[u8], channels: usize, out: &mut [u8], tmp: &mut Vec<f32>) {
        let (h, w) = self.in_hw;
        let s = self.size;
        tmp.clear();
        tmp.resize(h * s, 0.0);
        for c in 0..channels {
            // Width first (PyTorch's order), over every input row.
            for y in 0..h {
                let row = &src[y * w * channels..(y + 1) * w * channels];
                for ox in 0..s {
                    tmp[y * s + ox] = self.cols.apply(ox, w, |x| row[x * channels + c] as f32);
                }
            }
            let plane = &mut out[c * s * s..(c + 1) * s * s];
            for oy in 0..s {
                for ox in 0..s {
                    let v = self.rows.apply(oy, h, |y| tmp[y * s + ox]);
                    plane[oy * s + ox] = v.round().clamp(0.0, 255.0) as u8;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_offsets_as_torchvision() {
        assert_eq!(resized_hw(100, 150, 64), (64, 96));
        assert_eq!(resized_hw(150, 100, 64), (96, 64));
        assert_eq!(resized_hw(30, 31, 64), (64, 66));
        // round(0.5) = 0, round(1.5) = 2, round(2.5) = 2, round(3.5) = 4.
        let offs: Vec<usize> = [65, 67, 69, 71, 64, 96].map(|f| crop_offset(f, 64)).into();
        assert_eq!(offs, [0, 2, 2, 4, 0, 16]);
    }

    #[test]
    fn same_size_is_the_identity_and_flat_stays_flat() {
        let img: Vec<u8> = (0..3 * 8 * 8).map(|i| (i * 7 % 256) as u8).collect();
        let (mut out, mut tmp) = (vec![0u8; 3 * 64], Vec::new());
        ResizeCrop::new(8, 8, 8).apply(&img, 3, &mut out, &mut tmp);
        for c in 0..3 {
            for p in 0..64 {
                assert_eq!(out[c * 64 + p], img[p * 3 + c]);
            }
        }
        let flat = vec![77u8; 13 * 29];
        let mut out = vec![0u8; 64 * 64];
        ResizeCrop::new(13, 29, 64).apply(&flat, 1, &mut out, &mut tmp);
        assert!(out.iter().all(|&v| v == 77));
        ResizeCrop::new(290, 130, 8).apply(&vec![200u8; 290 * 130], 1, &mut out[..64], &mut tmp);
        assert!(out[..64].iter().all(|&v| v == 200));
    }
}
