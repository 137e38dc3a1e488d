//! Redraw a run folder's `losses.png` and `frechet.png` from its `log.csv` and
//! `eval.csv`, with the plots of this build (after a change to the plotting
//! code, or for a run made by an older `gan`):
//!
//! `cargo run -p gan --release --example replot -- RUN_DIR "mlp on mnist"`
//!
//! The title is the one `gan train` gives: `MODEL on DATASET`.

use gan::eval::hook::{frechet_png, read_eval_rows, EVAL_CSV, EVAL_PLOT};
use gan::io::csv::{loss_curves, read_rows};
use gan::io::plot::save_loss_plot;
use gan::io::write_atomic;
use gan::train::observe::{csv::CSV_FILE, PLOT_FILE};
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

fn replot(dir: &Path, title: &str) -> gan::Result<()> {
    let log = read_rows(&dir.join(CSV_FILE), u64::MAX)?;
    if log.is_empty() {
        return Err(gan::Error::usage(format!(
            "{}: no rows to plot",
            dir.join(CSV_FILE).display()
        )));
    }
    let (d, g) = loss_curves(&log);
    save_loss_plot(&dir.join(PLOT_FILE), title, d, g)?;
    let evals = read_eval_rows(&dir.join(EVAL_CSV))?;
    if !evals.is_empty() {
        write_atomic(&dir.join(EVAL_PLOT), &frechet_png(title, &evals)?)?;
    }
    Ok(())
}
