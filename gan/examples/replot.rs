//! Redraw a run folder's `losses.png` and `frechet.png` from its `log.csv` and
//! `eval.csv`, with the plots of this build (after a change to the plotting
//! code, or for a run made by an older `gan`):
//!
//! `cargo run -p gan --release --example replot -- RUN_DIR "mlp on mnist"`
//!
//! The title is the one `gan train` gives: `MODEL on DATASET`.

use gan::io::plot::{render, save_loss_plot};
use gan::io::write_atomic;
use std::path::Path;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 3 {
        eprintln!("usage: replot RUN_DIR TITLE");
        std::process::exit(2);
    }
    if let Err(e) = replot(Path::new(&args[1]), &args[2]) {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

/// The rows of a CSV file as (header, numeric columns by name).
fn read_csv(path: &Path) -> Result<(Vec<String>, Vec<Vec<String>>), String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut lines = text.lines();
    let header = lines
        .next()
        .ok_or(format!("{}: empty", path.display()))?
        .split(',')
        .map(str::to_owned)
        .collect();
    let rows = lines
        .map(|l| l.split(',').map(str::to_owned).collect())
        .collect();
    Ok((header, rows))
}

/// Column `name` against column `x` as points.
fn points(
    path: &Path,
    header: &[String],
    rows: &[Vec<String>],
    x: &str,
    y: &str,
) -> Result<Vec<(f64, f64)>, String> {
    let col = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .ok_or(format!("{}: no column {name}", path.display()))
    };
    let (xi, yi) = (col(x)?, col(y)?);
    rows.iter()
        .map(|r| {
            let num = |i: usize| {
                r.get(i)
                    .and_then(|v| v.parse::<f64>().ok())
                    .ok_or(format!("{}: bad row {r:?}", path.display()))
            };
            Ok((num(xi)?, num(yi)?))
        })
        .collect()
}

fn replot(dir: &Path, title: &str) -> Result<(), String> {
    let log = dir.join("log.csv");
    let (h, rows) = read_csv(&log)?;
    let d = points(&log, &h, &rows, "epoch_progress", "d_loss")?;
    let g = points(&log, &h, &rows, "epoch_progress", "g_loss")?;
    save_loss_plot(&dir.join("losses.png"), title, d, g).map_err(|e| e.to_string())?;
    let eval = dir.join("eval.csv");
    if eval.exists() {
        let (h, rows) = read_csv(&eval)?;
        let fd = points(&eval, &h, &rows, "epoch", "frechet_distance")?;
        let png = render(
            &format!("Frechet distance, {title}"),
            "epoch",
            &[("frechet distance", fd)],
            900,
            500,
        )
        .map_err(|e| e.to_string())?;
        write_atomic(&dir.join("frechet.png"), &png).map_err(|e| e.to_string())?;
    }
    Ok(())
}
