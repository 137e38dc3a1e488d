//! The loss-curve plot: d_loss and g_loss against epochs, drawn into an RGB
//! buffer with axes, ticks, labels and a legend, and saved as PNG. Drawn by hand
//! (with the embedded 5×7 font) so that it needs no system font at run time.

use super::font::{glyph, text_width, GLYPH_H};
use super::grid::encode_png;
use super::write_atomic;
use crate::error::Result;
use std::path::Path;

type Rgb = [u8; 3];
const WHITE: Rgb = [255, 255, 255];
const BLACK: Rgb = [0, 0, 0];
const GRID: Rgb = [225, 225, 225];
/// d_loss in blue, g_loss in orange (matplotlib's first two colours).
pub const COLORS: [Rgb; 2] = [[31, 119, 180], [255, 127, 14]];

struct Canvas {
    w: usize,
    h: usize,
    px: Vec<u8>,
}

impl Canvas {
    fn new(w: usize, h: usize) -> Self {
        Canvas {
            w,
            h,
            px: vec![255; w * h * 3],
        }
    }
    fn set(&mut self, x: i64, y: i64, c: Rgb) {
        if x >= 0 && y >= 0 && (x as usize) < self.w && (y as usize) < self.h {
            let i = (y as usize * self.w + x as usize) * 3;
            self.px[i..i + 3].copy_from_slice(&c);
        }
    }
    fn rect(&mut self, x0: i64, y0: i64, x1: i64, y1: i64, c: Rgb) {
        for y in y0..=y1 {
            for x in x0..=x1 {
                self.set(x, y, c);
            }
        }
    }
    /// A line `thick` pixels wide (Bresenham with a square brush).
    fn line(&mut self, (x0, y0): (i64, i64), (x1, y1): (i64, i64), c: Rgb, thick: i64) {
        let (dx, dy) = ((x1 - x0).abs(), -(y1 - y0).abs());
        let (sx, sy) = (if x0 < x1 { 1 } else { -1 }, if y0 < y1 { 1 } else { -1 });
        let (mut x, mut y, mut err) = (x0, y0, dx + dy);
        let r = thick / 2;
        loop {
            self.rect(x - r, y - r, x - r + thick - 1, y - r + thick - 1, c);
            if x == x1 && y == y1 {
                break;
            }
            let e2 = 2 * err;
            if e2 >= dy {
                err += dy;
                x += sx;
            }
            if e2 <= dx {
                err += dx;
                y += sy;
            }
        }
    }
    fn text(&mut self, x: i64, y: i64, s: &str, scale: usize, c: Rgb) {
        for (k, ch) in s.chars().enumerate() {
            let Some(rows) = glyph(ch) else { continue };
            let gx = x + (k * 6 * scale) as i64;
            for (r, row) in rows.iter().enumerate() {
                for (q, b) in row.bytes().enumerate() {
                    if b == b'#' {
                        let (px, py) = (gx + (q * scale) as i64, y + (r * scale) as i64);
                        self.rect(px, py, px + scale as i64 - 1, py + scale as i64 - 1, c);
                    }
                }
            }
        }
    }
}

/// "Nice" tick positions covering [lo, hi]: steps of 1, 2 or 5 × 10^k.
fn ticks(lo: f64, hi: f64, target: usize) -> Vec<f64> {
    let span = (hi - lo).max(1e-9);
    let raw = span / target.max(1) as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * mag)
        .find(|s| span / s <= target as f64)
        .unwrap_or(10.0 * mag);
    let first = (lo / step).ceil() as i64;
    let last = (hi / step + 1e-6).floor() as i64;
    (first..=last).map(|k| k as f64 * step).collect()
}

fn label(v: f64) -> String {
    let s = format!("{v:.3}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".into()
    } else {
        s.to_string()
    }
}

/// Render `series` (name, points (x, y)) as a PNG of `w`×`h` pixels.
pub fn render(
    title: &str,
    xlabel: &str,
    series: &[(&str, Vec<(f64, f64)>)],
    w: usize,
    h: usize,
) -> Result<Vec<u8>> {
    let mut cv = Canvas::new(w, h);
    let (left, right, top, bottom) = (70i64, 20i64, 40i64, 55i64);
    let (pw, ph) = (w as i64 - left - right, h as i64 - top - bottom);
    let pts = series
        .iter()
        .flat_map(|(_, p)| p.iter())
        .filter(|(x, y)| x.is_finite() && y.is_finite());
    let (mut x0, mut x1, mut y0, mut y1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for &(x, y) in pts {
        (x0, x1, y0, y1) = (x0.min(x), x1.max(x), y0.min(y), y1.max(y));
    }
    if x0 > x1 {
        (x0, x1, y0, y1) = (0.0, 1.0, 0.0, 1.0);
    }
    x0 = x0.min(0.0);
    y0 = y0.min(0.0);
    if x1 - x0 < 1e-9 {
        x1 = x0 + 1.0;
    }
    y1 = if y1 - y0 < 1e-9 {
        y0 + 1.0
    } else {
        y1 + 0.05 * (y1 - y0)
    };
    let sx = |x: f64| left + ((x - x0) / (x1 - x0) * pw as f64).round() as i64;
    let sy = |y: f64| top + ph - ((y - y0) / (y1 - y0) * ph as f64).round() as i64;

    for t in ticks(x0, x1, 10) {
        let x = sx(t);
        cv.line((x, top), (x, top + ph), GRID, 1);
        cv.line((x, top + ph), (x, top + ph + 4), BLACK, 1);
        let s = label(t);
        cv.text(x - text_width(&s, 1) as i64 / 2, top + ph + 8, &s, 1, BLACK);
    }
    for t in ticks(y0, y1, 8) {
        let y = sy(t);
        cv.line((left, y), (left + pw, y), GRID, 1);
        cv.line((left - 4, y), (left, y), BLACK, 1);
        let s = label(t);
        cv.text(left - 8 - text_width(&s, 1) as i64, y - 3, &s, 1, BLACK);
    }
    cv.line((left, top), (left, top + ph), BLACK, 1);
    cv.line((left, top + ph), (left + pw, top + ph), BLACK, 1);
    cv.text(
        (w as i64 - text_width(title, 2) as i64) / 2,
        10,
        title,
        2,
        BLACK,
    );
    cv.text(
        left + (pw - text_width(xlabel, 2) as i64) / 2,
        h as i64 - 22,
        xlabel,
        2,
        BLACK,
    );

    for (k, (_, p)) in series.iter().enumerate() {
        let c = COLORS[k % COLORS.len()];
        let pts: Vec<(i64, i64)> = p
            .iter()
            .filter(|(x, y)| x.is_finite() && y.is_finite())
            .map(|&(x, y)| (sx(x), sy(y)))
            .collect();
        for s in pts.windows(2) {
            cv.line(s[0], s[1], c, 2);
        }
        if let [only] = pts[..] {
            cv.rect(only.0 - 2, only.1 - 2, only.0 + 2, only.1 + 2, c);
        }
    }
    // Legend, top right.
    let lw = series
        .iter()
        .map(|(n, _)| text_width(n, 2))
        .max()
        .unwrap_or(0) as i64
        + 44;
    let (lx, ly) = (left + pw - lw - 8, top + 8);
    let lh = series.len() as i64 * 22 + 8;
    cv.rect(lx, ly, lx + lw, ly + lh, WHITE);
    for (a, b) in [
        ((lx, ly), (lx + lw, ly)),
        ((lx, ly + lh), (lx + lw, ly + lh)),
        ((lx, ly), (lx, ly + lh)),
        ((lx + lw, ly), (lx + lw, ly + lh)),
    ] {
        cv.line(a, b, BLACK, 1);
    }
    for (k, (name, _)) in series.iter().enumerate() {
        let y = ly + 8 + k as i64 * 22;
        let c = COLORS[k % COLORS.len()];
        cv.line(
            (lx + 8, y + GLYPH_H as i64),
            (lx + 30, y + GLYPH_H as i64),
            c,
            3,
        );
        cv.text(lx + 36, y, name, 2, BLACK);
    }
    encode_png(w, h, 3, &cv.px)
}

/// Write the loss plot of a run to `path` (atomically).
pub fn save_loss_plot(
    path: &Path,
    title: &str,
    d: Vec<(f64, f64)>,
    g: Vec<(f64, f64)>,
) -> Result<()> {
    let png = render(title, "epoch", &[("d_loss", d), ("g_loss", g)], 900, 500)?;
    write_atomic(path, &png)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_nice() {
        assert_eq!(
            ticks(0.0, 10.0, 10),
            (0..=10).map(f64::from).collect::<Vec<_>>()
        );
        let t = ticks(0.0, 1.0, 5);
        let want = [0.0, 0.2, 0.4, 0.6, 0.8, 1.0];
        assert_eq!(t.len(), want.len());
        assert!(t.iter().zip(want).all(|(a, b)| (a - b).abs() < 1e-12));
        assert_eq!(label(t[3]), "0.6");
        assert_eq!(label(0.30000000000000004), "0.3");
    }

    #[test]
    fn renders_empty_single_and_many_points() {
        assert!(render("t", "x", &[("a", vec![])], 300, 200).is_ok());
        assert!(render("t", "x", &[("a", vec![(0.5, 1.0)])], 300, 200).is_ok());
        let p: Vec<_> = (0..500)
            .map(|i| (i as f64 / 50.0, (i as f64).sin()))
            .collect();
        assert!(render("t", "x", &[("a", p.clone()), ("b", p)], 300, 200).is_ok());
    }
}
