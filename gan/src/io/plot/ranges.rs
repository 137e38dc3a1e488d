//! The numbers behind a plot: which points can be drawn, the axis ranges, the
//! tick positions and their labels, and the legend's corner. Kept apart from
//! the drawing so that the rules (0 always on both axes, 5 % headroom, "nice"
//! ticks) are tested without rendering.

/// Values beyond this magnitude are treated as infinite: a loss of 1e301 is a
/// diverged run, and spans between such values would overflow to infinity.
const PLOTTABLE: f64 = 1e300;

/// Whether a point can be drawn: both coordinates finite and not absurdly
/// large. NaN or infinite losses (a diverged step) are left out of the curve.
pub fn plottable(&(x, y): &(f64, f64)) -> bool {
    x.abs() <= PLOTTABLE && y.abs() <= PLOTTABLE
}

/// The drawn data window, `x` and `y` as (low, high).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bounds {
    pub x: (f64, f64),
    pub y: (f64, f64),
}

/// The window that shows every plottable point: both axes start at 0 (or
/// below, for negative values), y gets 5 % headroom above the highest point,
/// and a degenerate range (one point, constant values, no points) is widened
/// to a span of 1 so that ticks and scaling stay defined.
pub fn bounds<'a>(points: impl IntoIterator<Item = &'a (f64, f64)>) -> Bounds {
    let (mut x0, mut x1, mut y0, mut y1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for &(x, y) in points.into_iter().filter(|p| plottable(p)) {
        (x0, x1, y0, y1) = (x0.min(x), x1.max(x), y0.min(y), y1.max(y));
    }
    if x0 > x1 {
        // Nothing to draw: the unit square, for axes and a legend.
        return Bounds {
            x: (0.0, 1.0),
            y: (0.0, 1.0),
        };
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
    Bounds {
        x: (x0, x1),
        y: (y0, y1),
    }
}

/// "Nice" tick positions covering [lo, hi]: steps of 1, 2 or 5 × 10^k, at most
/// about `target` of them.
pub fn ticks(lo: f64, hi: f64, target: usize) -> Vec<f64> {
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
    // Guards for windows no caller of `bounds` produces (spans below 1e-9 far
    // from 0, where the i64 casts saturate): too many or out-of-window ticks
    // fall back to the window's two ends.
    let slack = span * 1e-6;
    let inside: Vec<f64> = if last.saturating_sub(first) > 4 * target.max(1) as i64 {
        Vec::new()
    } else {
        (first..=last)
            .map(|k| k as f64 * step)
            .filter(|t| (lo - slack..=hi + slack).contains(t))
            .collect()
    };
    if inside.is_empty() {
        vec![lo, hi]
    } else {
        inside
    }
}

/// A tick label: at most three decimals with trailing zeros dropped, and
/// scientific notation (`2.5e6`, `3e-5`) for values too large or too small
/// to read that way.
pub fn label(v: f64) -> String {
    if v == 0.0 {
        return "0".into();
    }
    if v.abs() >= 1e5 || v.abs() < 1e-3 {
        let s = format!("{v:.2e}");
        let (mantissa, exponent) = s.split_once('e').unwrap_or((&s, "0"));
        let mantissa = mantissa.trim_end_matches('0').trim_end_matches('.');
        return format!("{mantissa}e{exponent}");
    }
    let s = format!("{v:.3}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".into()
    } else {
        s.to_string()
    }
}

/// Where the legend box goes, in the order tried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Corner {
    UpperRight,
    UpperLeft,
    LowerRight,
    LowerLeft,
}

/// The corner whose patch of the window (`patch`: the legend's width and
/// height as fractions of the window's) holds the fewest points, preferring
/// upper right (where readers look first) on a tie, and how many points that
/// patch holds: the legend hides as little of the curves as it can.
pub fn legend_corner<'a>(
    points: impl IntoIterator<Item = &'a (f64, f64)>,
    b: Bounds,
    patch: (f64, f64),
) -> (Corner, usize) {
    let corners = [
        Corner::UpperRight,
        Corner::UpperLeft,
        Corner::LowerRight,
        Corner::LowerLeft,
    ];
    let mut hits = [0usize; 4];
    let (w, h) = (b.x.1 - b.x.0, b.y.1 - b.y.0);
    for &(x, y) in points.into_iter().filter(|p| plottable(p)) {
        let (u, v) = ((x - b.x.0) / w, (y - b.y.0) / h);
        let (right, left) = (u >= 1.0 - patch.0, u <= patch.0);
        let (upper, lower) = (v >= 1.0 - patch.1, v <= patch.1);
        for (k, inside) in [right && upper, left && upper, right && lower, left && lower]
            .into_iter()
            .enumerate()
        {
            hits[k] += inside as usize;
        }
    }
    let best = (0..4).min_by_key(|&k| (hits[k], k)).unwrap_or(0);
    (corners[best], hits[best])
}

/// `b` with its top raised so that the highest plottable point lies below a
/// free band of `band` (a fraction of the new height) for the legend: used
/// when every corner of the window holds some of the curves.
pub fn room_above<'a>(
    points: impl IntoIterator<Item = &'a (f64, f64)>,
    b: Bounds,
    band: f64,
) -> Bounds {
    let top = points
        .into_iter()
        .filter(|p| plottable(p))
        .map(|p| p.1)
        .fold(b.y.0, f64::max);
    let raised = b.y.0 + (top - b.y.0) / (1.0 - band.clamp(0.0, 0.5));
    Bounds {
        x: b.x,
        y: (b.y.0, b.y.1.max(raised)),
    }
}

/// The drawable runs of a series: consecutive plottable points, split where a
/// point is not plottable, so that a NaN step leaves a gap instead of a line
/// drawn across it.
pub fn segments(points: &[(f64, f64)]) -> Vec<Vec<(f64, f64)>> {
    points
        .split(|p| !plottable(p))
        .filter(|run| !run.is_empty())
        .map(<[_]>::to_vec)
        .collect()
}
