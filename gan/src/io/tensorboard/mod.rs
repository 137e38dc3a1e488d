//! TensorBoard event files: what `tensorboard --logdir runs/` reads. A file
//! is a sequence of TFRecord records (`record`), each an `Event` protobuf
//! (`proto`): the file version first, then summaries (scalars, PNG images,
//! histograms, text) with a step and a wall time. One writer per run and
//! process; a resumed run opens a new file and marks where it resumes, so
//! that TensorBoard drops what the earlier file logged after that step.

pub mod proto;
pub mod record;

use crate::error::{Error, Result};
use prost::Message;
use proto::{Event, HistogramProto, Image, Kind, Summary, Value, What};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

/// The prefix TensorBoard looks for in a run folder.
pub const FILE_PREFIX: &str = "events.out.tfevents.";

/// Whether `name` is an event file's name.
pub fn is_event_file(name: &str) -> bool {
    name.starts_with(FILE_PREFIX)
}

fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// The machine's name, as event files are named after it ("localhost" where
/// it cannot be read).
fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().replace(['/', '\\'], "_"))
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".into())
}

/// Writes one event file.
pub struct EventWriter {
    file: BufWriter<File>,
    path: PathBuf,
}

impl EventWriter {
    /// A new file `events.out.tfevents.<unix seconds>.<host>.<pid>` in
    /// `dir` (with `.1`, `.2`, … when that name is taken), holding the file
    /// version record.
    pub fn create(dir: &Path) -> Result<EventWriter> {
        let base = format!(
            "{FILE_PREFIX}{}.{}.{}",
            now() as u64,
            hostname(),
            std::process::id()
        );
        let mut path = dir.join(&base);
        let mut n = 0;
        while path.exists() {
            n += 1;
            path = dir.join(format!("{base}.{n}"));
        }
        let file = File::create(&path).map_err(|e| Error::io("create", &path, e))?;
        let mut w = EventWriter {
            file: BufWriter::new(file),
            path,
        };
        w.event(0, What::FileVersion("brain.Event:2".into()))?;
        Ok(w)
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn event(&mut self, step: u64, what: What) -> Result<()> {
        let e = Event {
            wall_time: now(),
            step: step as i64,
            what: Some(what),
        };
        record::write_record(&mut self.file, &e.encode_to_vec())
            .map_err(|e| Error::io("write", &self.path, e))
    }

    fn summary(&mut self, step: u64, value: Vec<Value>) -> Result<()> {
        self.event(step, What::Summary(Summary { value }))
    }

    /// Scalars (`tag`, value) at `step`, in one event.
    pub fn scalars(&mut self, step: u64, values: &[(&str, f64)]) -> Result<()> {
        let value = values
            .iter()
            .map(|&(tag, v)| Value {
                tag: tag.into(),
                metadata: None,
                kind: Some(Kind::SimpleValue(v as f32)),
            })
            .collect();
        self.summary(step, value)
    }

    /// A PNG image of `height` × `width` with `channels` (1 grey, 3 RGB).
    pub fn image(
        &mut self,
        tag: &str,
        step: u64,
        png: Vec<u8>,
        (height, width, channels): (u32, u32, u8),
    ) -> Result<()> {
        let image = Image {
            height: height as i32,
            width: width as i32,
            colorspace: channels as i32,
            encoded_image_string: png,
        };
        self.summary(
            step,
            vec![Value {
                tag: tag.into(),
                metadata: None,
                kind: Some(Kind::Image(image)),
            }],
        )
    }

    /// A histogram of `values` in `buckets` equal buckets over their range.
    pub fn histogram(
        &mut self,
        tag: &str,
        step: u64,
        values: &[f32],
        buckets: usize,
    ) -> Result<()> {
        let h = histogram_of(values, buckets);
        self.summary(
            step,
            vec![Value {
                tag: tag.into(),
                metadata: None,
                kind: Some(Kind::Histo(h)),
            }],
        )
    }

    /// Markdown text (TensorBoard's text plugin: a string tensor).
    pub fn text(&mut self, tag: &str, step: u64, markdown: &str) -> Result<()> {
        let tensor = proto::TensorProto {
            dtype: proto::DT_STRING,
            tensor_shape: Some(proto::TensorShapeProto { dim: Vec::new() }),
            string_val: vec![markdown.as_bytes().to_vec()],
        };
        let metadata = proto::SummaryMetadata {
            plugin_data: Some(proto::PluginData {
                plugin_name: "text".into(),
                content: Vec::new(),
            }),
            ..Default::default()
        };
        self.summary(
            step,
            vec![Value {
                tag: tag.into(),
                metadata: Some(metadata),
                kind: Some(Kind::Tensor(tensor)),
            }],
        )
    }

    /// Mark that this run resumes at `step`: TensorBoard drops what earlier
    /// files of the folder logged at `step` or later (PyTorch's `purge_step`).
    pub fn purge_from(&mut self, step: u64) -> Result<()> {
        let log = proto::SessionLog {
            status: proto::SESSION_START,
            ..Default::default()
        };
        self.event(step, What::SessionLog(log))
    }

    /// Push what is buffered to the file (TensorBoard then shows it).
    pub fn flush(&mut self) -> Result<()> {
        self.file
            .flush()
            .map_err(|e| Error::io("write", &self.path, e))
    }
}

impl Drop for EventWriter {
    fn drop(&mut self) {
        let _ = self.file.flush();
    }
}

/// `values` counted in `buckets` equal buckets between their minimum and
/// maximum (one bucket when they are all equal); NaN and infinities are left
/// out of the counts.
pub fn histogram_of(values: &[f32], buckets: usize) -> HistogramProto {
    let finite: Vec<f64> = values
        .iter()
        .map(|&v| v as f64)
        .filter(|v| v.is_finite())
        .collect();
    let (lo, hi) = finite
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
            (a.min(v), b.max(v))
        });
    if finite.is_empty() {
        return HistogramProto::default();
    }
    let k = if hi > lo { buckets.max(1) } else { 1 };
    let width = (hi - lo) / k as f64;
    let mut counts = vec![0.0; k];
    for &v in &finite {
        let i = if width > 0.0 {
            (((v - lo) / width) as usize).min(k - 1)
        } else {
            0
        };
        counts[i] += 1.0;
    }
    let limits = (1..=k)
        .map(|i| if i == k { hi } else { lo + width * i as f64 })
        .collect();
    HistogramProto {
        min: lo,
        max: hi,
        num: finite.len() as f64,
        sum: finite.iter().sum(),
        sum_squares: finite.iter().map(|v| v * v).sum(),
        bucket_limit: limits,
        bucket: counts,
    }
}

/// Every event of the file at `path`, CRCs checked (for tests and tools).
pub fn read_events(path: &Path) -> Result<Vec<Event>> {
    let bytes = std::fs::read(path).map_err(|e| Error::io("read", path, e))?;
    let records = record::read_records(&bytes)
        .map_err(|e| Error::Data(format!("{}: {e}", path.display())))?;
    records
        .into_iter()
        .enumerate()
        .map(|(k, r)| {
            Event::decode(r).map_err(|e| {
                Error::Data(format!(
                    "{}: record {k} is not an Event: {e}",
                    path.display()
                ))
            })
        })
        .collect()
}

#[cfg(test)]
mod tests;
