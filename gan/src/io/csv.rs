//! The run's log: one CSV row per logging interval with the means of the step
//! figures over that interval.

use crate::error::{Error, Result};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The first line of every log.
pub const HEADER: &str = "epoch,batch,global_step,epoch_progress,d_loss,g_loss,d_x,d_gz";

/// One logged interval: `epoch` (1-based), the last `batch` of the interval
/// (1-based), the global step count after it, epochs done as a fraction, and the
/// interval's means.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    /// The epoch, 1-based.
    pub epoch: usize,
    /// The interval's last batch of the epoch, 1-based.
    pub batch: usize,
    /// Steps done after the interval.
    pub global_step: u64,
    /// Epochs done, as a fraction.
    pub epoch_progress: f64,
    /// Mean d_loss.
    pub d_loss: f64,
    /// Mean g_loss.
    pub g_loss: f64,
    /// Mean D(x).
    pub d_x: f64,
    /// Mean D(G(z)).
    pub d_gz: f64,
}

impl Row {
    fn to_line(&self) -> String {
        format!(
            "{},{},{},{:.5},{:.6},{:.6},{:.6},{:.6}",
            self.epoch,
            self.batch,
            self.global_step,
            self.epoch_progress,
            self.d_loss,
            self.g_loss,
            self.d_x,
            self.d_gz
        )
    }
    fn parse(line: &str) -> Option<Row> {
        let f: Vec<&str> = line.trim().split(',').collect();
        if f.len() != 8 {
            return None;
        }
        Some(Row {
            epoch: f[0].parse().ok()?,
            batch: f[1].parse().ok()?,
            global_step: f[2].parse().ok()?,
            epoch_progress: f[3].parse().ok()?,
            d_loss: f[4].parse().ok()?,
            g_loss: f[5].parse().ok()?,
            d_x: f[6].parse().ok()?,
            d_gz: f[7].parse().ok()?,
        })
    }
}

/// The rows of the log at `path` up to `global_step` (none when there is no
/// file; lines that are not rows are skipped).
pub fn read_rows(path: &Path, global_step: u64) -> Result<Vec<Row>> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(Error::io("cannot read", path, e)),
    };
    Ok(text
        .lines()
        .skip(1)
        .filter_map(Row::parse)
        .filter(|r| r.global_step <= global_step)
        .collect())
}

/// Points (x, y) of one plotted curve.
pub type Curve = Vec<(f64, f64)>;

/// (epoch_progress, d_loss) and (epoch_progress, g_loss) of `rows`: the loss
/// plot's two curves.
pub fn loss_curves(rows: &[Row]) -> (Curve, Curve) {
    let curve = |f: fn(&Row) -> f64| rows.iter().map(|r| (r.epoch_progress, f(r))).collect();
    (curve(|r| r.d_loss), curve(|r| r.g_loss))
}

/// The CSV file of a run, appended to as training goes.
pub struct CsvLog {
    path: PathBuf,
    /// The rows written so far.
    pub rows: Vec<Row>,
}

impl CsvLog {
    /// A new log with just the header.
    pub fn create(path: &Path) -> Result<CsvLog> {
        let log = CsvLog {
            path: path.to_path_buf(),
            rows: Vec::new(),
        };
        log.rewrite()?;
        Ok(log)
    }

    /// Reopen a run's log, dropping rows past `global_step` (logged after the
    /// checkpoint that the run resumes from).
    pub fn resume(path: &Path, global_step: u64) -> Result<CsvLog> {
        let log = CsvLog {
            path: path.to_path_buf(),
            rows: read_rows(path, global_step)?,
        };
        log.rewrite()?;
        Ok(log)
    }

    fn rewrite(&self) -> Result<()> {
        let mut s = String::from(HEADER);
        s.push('\n');
        for r in &self.rows {
            s.push_str(&r.to_line());
            s.push('\n');
        }
        super::write_atomic(&self.path, s.as_bytes())
    }

    /// Append `row` to the file and to `rows`.
    pub fn append(&mut self, row: Row) -> Result<()> {
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&self.path)
            .map_err(|e| Error::io("cannot append to", &self.path, e))?;
        writeln!(f, "{}", row.to_line())
            .map_err(|e| Error::io("cannot append to", &self.path, e))?;
        self.rows.push(row);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_resume_truncates() {
        let dir = std::env::temp_dir().join(format!("gan-csv-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("log.csv");
        let mut log = CsvLog::create(&p).unwrap();
        for s in 1..=3u64 {
            log.append(Row {
                epoch: 1,
                batch: s as usize,
                global_step: s * 10,
                epoch_progress: s as f64 / 3.0,
                d_loss: 1.25,
                g_loss: 0.5,
                d_x: 0.75,
                d_gz: 0.25,
            })
            .unwrap();
        }
        let back = CsvLog::resume(&p, 20).unwrap();
        assert_eq!(back.rows.len(), 2);
        assert_eq!(back.rows[1].d_loss, 1.25);
        let text = std::fs::read_to_string(&p).unwrap();
        assert_eq!(text.lines().count(), 3);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
