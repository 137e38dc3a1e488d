//! The implicit im2col. Each image is copied once into a zero-padded buffer
//! [c, h + 2p, w + 2p]; then element (r, j) of the column matrix, for filter tap
//! r = (ci, ki, kj) and output pixel j = (image i, oy, ox), is
//!
//! ```text
//! buf[taps[r] + pixels[j]],  taps[r] = (ci·hp + ki)·wp + kj,
//!                            pixels[j] = i·len + oy·s·wp + ox·s,
//! ```
//!
//! a sum of two table entries. The f32 GEMM packs its operand straight from
//! there (no column matrix is ever written, and no border tests run per
//! element); col2im is the same tables used to add back (`scatter_add`).

use super::Geom;
use tensor::Element;

/// Rows narrower than this are copied through an index table rather than row
/// by row: a per-row copy of a few elements costs more than its elements.
const NARROW: usize = 16;

/// The zero-padded copy of one image, [c][hp][wp].
pub(crate) struct Padded {
    hp: usize,
    wp: usize,
    /// For narrow images: the padded position of each input element.
    map: Option<Vec<usize>>,
}

impl Padded {
    pub(crate) fn new(g: &Geom) -> Padded {
        let (hp, wp) = (g.h + 2 * g.pad, g.w + 2 * g.pad);
        let map = (g.w < NARROW).then(|| {
            let mut m = Vec::with_capacity(g.in_size());
            for ci in 0..g.c {
                for iy in 0..g.h {
                    let row = (ci * hp + iy + g.pad) * wp + g.pad;
                    m.extend(row..row + g.w);
                }
            }
            m
        });
        Padded { hp, wp, map }
    }

    /// Elements of one padded image.
    pub(crate) fn len(&self, g: &Geom) -> usize {
        g.c * self.hp * self.wp
    }

    /// Copy `img` [c, h, w] into its padded buffer. Only real pixels are
    /// written: the padding of `buf` must be zero already (and stays so).
    pub(crate) fn load<T: Element>(&self, g: &Geom, img: &[T], buf: &mut [T]) {
        match &self.map {
            Some(map) => {
                // The map increases: its last entry bounds them all, one
                // check for the image instead of one per element.
                assert!(
                    map.last().is_none_or(|&m| m < buf.len()),
                    "padded buffer too short"
                );
                for (&at, &v) in map.iter().zip(img) {
                    // SAFETY: at ≤ the map's last entry < buf.len().
                    unsafe { *buf.get_unchecked_mut(at) = v };
                }
            }
            None => {
                for (k, src) in img.chunks_exact(g.w).enumerate() {
                    let at = (k / g.h * self.hp + k % g.h + g.pad) * self.wp + g.pad;
                    buf[at..at + g.w].copy_from_slice(src);
                }
            }
        }
    }

    /// The real (non-padding) part of `buf`, written over `img` [c, h, w].
    pub(crate) fn store<T: Element>(&self, g: &Geom, buf: &[T], img: &mut [T]) {
        match &self.map {
            Some(map) => {
                assert!(
                    map.last().is_none_or(|&m| m < buf.len()),
                    "padded buffer too short"
                );
                for (&at, v) in map.iter().zip(img.iter_mut()) {
                    // SAFETY: at ≤ the map's last entry < buf.len().
                    *v = unsafe { *buf.get_unchecked(at) };
                }
            }
            None => {
                for (k, dst) in img.chunks_exact_mut(g.w).enumerate() {
                    let at = (k / g.h * self.hp + k % g.h + g.pad) * self.wp + g.pad;
                    dst.copy_from_slice(&buf[at..at + g.w]);
                }
            }
        }
    }

    /// Per filter tap r = (ci, ki, kj): where the values it sees start.
    pub(crate) fn taps(&self, g: &Geom) -> Vec<usize> {
        let mut at = Vec::with_capacity(g.ckk());
        for ci in 0..g.c {
            for ki in 0..g.kh {
                at.extend((0..g.kw).map(|kj| (ci * self.hp + ki) * self.wp + kj));
            }
        }
        at
    }

    /// Per column of a batch of `nb` images (image i, output pixel (oy, ox)):
    /// its offset in the batch's padded buffers (one `len` per image).
    pub(crate) fn pixels(&self, g: &Geom, nb: usize) -> Vec<usize> {
        let (len, s) = (self.len(g), g.stride);
        let mut off = Vec::with_capacity(nb * g.ohw());
        for i in 0..nb {
            for oy in 0..g.oh {
                off.extend((0..g.ow).map(|ox| i * len + (oy * self.wp + ox) * s));
            }
        }
        off
    }
}

/// The adjoint of the implicit im2col: buf[taps[r] + pixels[j]] += col[r][j]
/// for the column matrix `col` [taps.len(), pixels.len()].
#[inline(never)]
pub(crate) fn scatter_add<T: Element>(col: &[T], taps: &[usize], pixels: &[usize], buf: &mut [T]) {
    let cols = pixels.len();
    let (Some(&max_tap), Some(&max_pixel)) = (taps.iter().max(), pixels.iter().max()) else {
        return;
    };
    // One bound check for the whole matrix instead of one per element (it
    // kept the inner loop from being unrolled: a seventh of the
    // conv_transpose2d case 128x56x8x8 -> 28 k4 s2 p2).
    assert!(
        max_tap + max_pixel < buf.len(),
        "scatter_add: tables reach past the buffer"
    );
    for (row, &at) in col.chunks_exact(cols).zip(taps) {
        // SAFETY: at + o ≤ max_tap + max_pixel < buf.len(), checked above.
        let dst = unsafe { buf.as_mut_ptr().add(at) };
        for (&o, &v) in pixels.iter().zip(row) {
            unsafe { *dst.add(o) += v };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The tables read exactly im2col's columns (checked against the
    /// definition), `scatter_add` is their adjoint, and store undoes load.
    #[test]
    fn tables_are_im2col_and_scatter_add_is_its_adjoint() {
        let cases = [
            (5, 5, 3, 3, 1, 1),
            (7, 6, 4, 4, 2, 1),
            (8, 8, 4, 4, 2, 2),
            (3, 3, 4, 4, 2, 1),
            (1, 1, 4, 4, 1, 3),
            (9, 7, 3, 2, 3, 1),
            (6, 19, 1, 5, 2, 0),
            (17, 20, 4, 4, 2, 1),
        ];
        for &(h, w, kh, kw, s, p) in &cases {
            let what = format!("{h}x{w} k{kh}x{kw} s{s} p{p}");
            let nb = 3;
            let g = Geom::new(nb, 2, h, w, 1, kh, kw, s, p);
            let pad = Padded::new(&g);
            let (taps, pixels) = (pad.taps(&g), pad.pixels(&g, nb));
            let (len, insz, ohw) = (pad.len(&g), g.in_size(), g.ohw());
            let x: Vec<f64> = (0..nb * insz).map(|i| (i as f64 * 0.7).sin()).collect();
            let mut bufs = vec![0.0; nb * len];
            for (img, buf) in x.chunks(insz).zip(bufs.chunks_mut(len)) {
                pad.load(&g, img, buf);
            }
            let mut col = Vec::new();
            for (r, &at) in taps.iter().enumerate() {
                let (ci, ki, kj) = (r / (kh * kw), r / kw % kh, r % kw);
                for (j, &o) in pixels.iter().enumerate() {
                    let (i, oy, ox) = (j / ohw, j % ohw / g.ow, j % g.ow);
                    let iy = (oy * s + ki).checked_sub(p).filter(|&v| v < h);
                    let ix = (ox * s + kj).checked_sub(p).filter(|&v| v < w);
                    let want = match (iy, ix) {
                        (Some(iy), Some(ix)) => x[i * insz + (ci * h + iy) * w + ix],
                        _ => 0.0,
                    };
                    assert_eq!(bufs[at + o], want, "{what}: r{r} j{j}");
                    col.push(want);
                }
            }
            // ⟨im2col(x), c⟩ = ⟨x, col2im(c)⟩
            let c: Vec<f64> = (0..col.len()).map(|i| (i as f64 * 0.3).cos()).collect();
            let mut out = vec![0.0; nb * len];
            scatter_add(&c, &taps, &pixels, &mut out);
            let mut img = vec![7.0; x.len()];
            for (im, buf) in img.chunks_mut(insz).zip(out.chunks(len)) {
                pad.store(&g, buf, im);
            }
            let lhs: f64 = col.iter().zip(&c).map(|(a, b)| a * b).sum();
            let rhs: f64 = x.iter().zip(&img).map(|(a, b)| a * b).sum();
            assert!((lhs - rhs).abs() < 1e-9, "{what}: {lhs} vs {rhs}");
            // store(load(x)) = x
            let mut back = vec![0.0; x.len()];
            for (im, buf) in back.chunks_mut(insz).zip(bufs.chunks(len)) {
                pad.store(&g, buf, im);
            }
            assert_eq!(back, x, "{what}");
        }
    }
}
