//! The run's curves as PNG: `losses.png` (d_loss and g_loss against epochs)
//! and `frechet.png` (Fréchet distance against epochs), drawn with `plotters`
//! into an RGB buffer: axes with "nice" ticks, a light grid, a title, the
//! x-axis name and a legend. The text is DejaVu Sans embedded in the binary
//! (assets/fonts, licence beside it), so a machine without fonts draws the
//! same picture.

mod ranges;
#[cfg(test)]
mod tests;

use super::grid::encode_png;
use super::write_atomic;
use crate::error::{Error, Result};
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint};
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use ranges::{bounds, label, legend_corner, room_above, segments, ticks, Corner};
use std::path::Path;
use std::sync::OnceLock;

/// d_loss in blue, g_loss in orange (matplotlib's first two colours).
pub const COLORS: [[u8; 3]; 2] = [[31, 119, 180], [255, 127, 14]];
const GRID: RGBColor = RGBColor(225, 225, 225);

/// The family name the embedded font is registered under with plotters.
const FONT: &str = "gan DejaVu Sans";
const FONT_BYTES: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans.ttf");
const TITLE_PX: u32 = 22;
const AXIS_NAME_PX: u32 = 18;
const TICK_PX: u32 = 14;
const LEGEND_PX: u32 = 16;
/// Below this the margins, labels and legend leave no room for the curves.
const MIN_SIZE: (usize, usize) = (200, 150);

/// Register the embedded font with plotters' ab_glyph text backend, once.
fn register_font() -> Result<()> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| {
        plotters::style::register_font(FONT, FontStyle::Normal, FONT_BYTES).is_ok()
    });
    if ok {
        Ok(())
    } else {
        Err(Error::Plot("the embedded font cannot be parsed".into()))
    }
}

fn plot_error(e: impl std::fmt::Display) -> Error {
    Error::Plot(e.to_string())
}

/// A linear f64 axis whose grid lines and labels sit at our own "nice" ticks
/// (plotters' `with_key_points` on an f64 range cannot take a label formatter).
struct TickedAxis {
    linear: RangedCoordf64,
    ticks: Vec<f64>,
}

impl TickedAxis {
    fn new((lo, hi): (f64, f64), target: usize) -> Self {
        TickedAxis {
            linear: (lo..hi).into(),
            ticks: ticks(lo, hi, target),
        }
    }
}

impl Ranged for TickedAxis {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;
    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        self.linear.map(value, limit)
    }
    /// The ticks for the grid and labels; no minor ("light") lines.
    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.ticks.clone()
        }
    }
    fn range(&self) -> std::ops::Range<f64> {
        self.linear.range()
    }
}

fn series_color(k: usize) -> RGBColor {
    let [r, g, b] = COLORS[k % COLORS.len()];
    RGBColor(r, g, b)
}

/// Render `series` (name, points (x, y)) as a PNG of `w`×`h` pixels. Points
/// with a NaN, infinite or absurdly large coordinate are left out (the line
/// breaks there); a run of one point is drawn as a dot.
pub fn render(
    title: &str,
    xlabel: &str,
    series: &[(&str, Vec<(f64, f64)>)],
    w: usize,
    h: usize,
) -> Result<Vec<u8>> {
    if w < MIN_SIZE.0 || h < MIN_SIZE.1 || w > u32::MAX as usize || h > u32::MAX as usize {
        return Err(Error::usage(format!(
            "a plot of {w}×{h} pixels cannot be drawn: it needs at least {}×{}",
            MIN_SIZE.0, MIN_SIZE.1
        )));
    }
    register_font()?;
    let mut rgb = vec![255u8; w * h * 3];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (w as u32, h as u32)).into_drawing_area();
        draw(&root, title, xlabel, series)?;
        root.present().map_err(plot_error)?;
    }
    encode_png(w, h, 3, &rgb)
}

fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, plotters::coord::Shift>,
    title: &str,
    xlabel: &str,
    series: &[(&str, Vec<(f64, f64)>)],
) -> Result<()> {
    let all = || series.iter().flat_map(|(_, p)| p.iter());
    let (corner, b) = place_legend(root, series, bounds(all()))?;
    let (x_axis, y_axis) = (TickedAxis::new(b.x, 10), TickedAxis::new(b.y, 8));
    // The y labels' column is as wide as the widest label, so none is clipped
    // whether the losses are 0.5 or 2.5e12.
    let tick_font = (FONT, TICK_PX).into_font();
    let mut widest = 0;
    for t in &y_axis.ticks {
        let (tw, _) = root
            .estimate_text_size(&label(*t), &tick_font.color(&BLACK))
            .map_err(plot_error)?;
        widest = widest.max(tw);
    }
    let mut chart = ChartBuilder::on(root)
        .caption(title, (FONT, TITLE_PX))
        .margin_top(8)
        .margin_left(8)
        .margin_right(24)
        .margin_bottom(6)
        .x_label_area_size(TICK_PX + AXIS_NAME_PX + 22)
        .y_label_area_size(widest + 16)
        .build_cartesian_2d(x_axis, y_axis)
        .map_err(plot_error)?;
    chart
        .configure_mesh()
        .bold_line_style(GRID.stroke_width(1))
        .light_line_style(TRANSPARENT)
        .axis_style(BLACK.stroke_width(1))
        .label_style((FONT, TICK_PX))
        .axis_desc_style((FONT, AXIS_NAME_PX))
        .x_desc(xlabel)
        .x_label_formatter(&|v| label(*v))
        .y_label_formatter(&|v| label(*v))
        .draw()
        .map_err(plot_error)?;
    for (k, (name, points)) in series.iter().enumerate() {
        let color = series_color(k);
        // An empty series carries the legend entry, so that a series with no
        // drawable point still appears in it, once however many runs it has.
        chart
            .draw_series(LineSeries::new(Vec::new(), color.stroke_width(2)))
            .map_err(plot_error)?
            .label(*name)
            .legend(move |(x, y)| {
                // 2 px up: level with the lower-case letters' middle.
                PathElement::new(vec![(x, y - 2), (x + 22, y - 2)], color.stroke_width(3))
            });
        for run in segments(points) {
            // A lone point (a run between two NaNs, or a one-row log): a dot.
            let (style, dot) = match run.len() {
                1 => (color.filled().stroke_width(2), 3),
                _ => (color.stroke_width(2), 0),
            };
            let line = LineSeries::new(run, style).point_size(dot);
            chart.draw_series(line).map_err(plot_error)?;
        }
    }
    let position = match corner {
        Corner::UpperRight => SeriesLabelPosition::UpperRight,
        Corner::UpperLeft => SeriesLabelPosition::UpperLeft,
        Corner::LowerRight => SeriesLabelPosition::LowerRight,
        Corner::LowerLeft => SeriesLabelPosition::LowerLeft,
    };
    chart
        .configure_series_labels()
        .position(position)
        .margin(10)
        .legend_area_size(30)
        .label_font((FONT, LEGEND_PX))
        .background_style(WHITE)
        .border_style(BLACK)
        .draw()
        .map_err(plot_error)
}

/// The legend's corner, and the window: the corner whose patch the legend
/// would cover holds the fewest points; if every corner holds some, the
/// window grows upwards to leave a free band for the legend at the top.
fn place_legend<DB: DrawingBackend>(
    root: &DrawingArea<DB, plotters::coord::Shift>,
    series: &[(&str, Vec<(f64, f64)>)],
    b: ranges::Bounds,
) -> Result<(Corner, ranges::Bounds)> {
    let font = (FONT, LEGEND_PX).into_font().color(&BLACK);
    let mut widest = 0;
    for (name, _) in series {
        widest = widest.max(root.estimate_text_size(name, &font).map_err(plot_error)?.0);
    }
    // The legend box and its margin, in pixels, and the plotting area's size
    // (the picture less the margins, caption and label areas, the y labels'
    // width taken as 60 px): estimates good to a few pixels.
    let (w, h) = root.dim_in_pixel();
    let legend = (widest + 70, series.len() as u32 * (LEGEND_PX + 10) + 20);
    let plot = (
        w.saturating_sub(100).max(1),
        h.saturating_sub(TITLE_PX + 24 + TICK_PX + AXIS_NAME_PX + 28)
            .max(1),
    );
    let patch = (
        legend.0 as f64 / plot.0 as f64,
        legend.1 as f64 / plot.1 as f64,
    );
    let all = || series.iter().flat_map(|(_, p)| p.iter());
    match legend_corner(all(), b, patch) {
        (corner, 0) => Ok((corner, b)),
        // 10 % more than the legend's height: the estimate is not exact.
        _ => Ok((Corner::UpperRight, room_above(all(), b, patch.1 * 1.1))),
    }
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
