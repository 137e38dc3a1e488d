//! `gan train` writes a TensorBoard event file into the run folder (on by
//! default): read back with the crate's reader (framing and CRCs checked),
//! its scalars are log.csv's rows, its histograms one batch of D's
//! outputs per row, its images the grids' PNG files, and the settings are
//! there as text. A resumed run adds a file that starts with TensorBoard's
//! purge mark at its step; `--no-tensorboard` writes none; `--overwrite`
//! removes the old run's files (tests/run_folder.rs).

mod common;
use common::*;
use gan::io::tensorboard::proto::{Event, Kind, What};
use gan::io::tensorboard::{is_event_file, read_events};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn event_files(run: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(run)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| is_event_file(p.file_name().unwrap().to_str().unwrap()))
        .collect();
    v.sort();
    v
}

/// (step, tag) → value of every summary value of `events` but the
/// histograms (which share their tags with scalars, as TensorBoard allows:
/// its plugins keep them apart).
fn values(events: &[Event]) -> BTreeMap<(i64, String), Kind> {
    let mut m = BTreeMap::new();
    for e in events {
        if let Some(What::Summary(s)) = &e.what {
            for v in &s.value {
                let kind = v.kind.clone().unwrap();
                if !matches!(kind, Kind::Histo(_)) {
                    m.insert((e.step, v.tag.clone()), kind);
                }
            }
        }
    }
    m
}

/// log.csv's rows as (global_step, [d_loss, g_loss, d_x, d_gz]).
fn log_rows(run: &Path) -> Vec<(i64, [f64; 4])> {
    std::fs::read_to_string(run.join("log.csv"))
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<f64> = l.split(',').map(|x| x.parse().unwrap()).collect();
            (f[2] as i64, [f[4], f[5], f[6], f[7]])
        })
        .collect()
}

#[test]
fn a_run_writes_its_figures_grids_and_settings_for_tensorboard() {
    let d = scratch("tensorboard");
    let data = tiny_dataset(&d.join("data"), 48);
    let run = d.join("run");
    let o = gan(&train_args(
        "mlp",
        &data,
        &run,
        &["--epochs", "2", "--limit-batches", "3", "--log-every", "2"],
    ));
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("tensorboard --logdir"),
        "{}",
        stdout(&o)
    );
    let files = event_files(&run);
    assert_eq!(files.len(), 1, "{files:?}");
    let events = read_events(&files[0]).unwrap();
    assert_eq!(
        events[0].what,
        Some(What::FileVersion("brain.Event:2".into()))
    );
    let vals = values(&events);
    let rows = log_rows(&run);
    assert_eq!(
        rows.iter().map(|r| r.0).collect::<Vec<_>>(),
        vec![2, 3, 5, 6]
    );
    for (step, figs) in &rows {
        for (tag, want) in ["loss/d", "loss/g", "D(x)", "D(G(z))"].iter().zip(figs) {
            match &vals[&(*step, tag.to_string())] {
                Kind::SimpleValue(v) => assert!(
                    (*v as f64 - want).abs() < 1e-5,
                    "{tag} at {step}: {v} vs {want}"
                ),
                k => panic!("{tag}: {k:?}"),
            }
        }
        assert!(
            matches!(vals[&(*step, "time/seconds_per_step".into())], Kind::SimpleValue(s) if s > 0.0)
        );
        for tag in ["D(x)", "D(G(z))"] {
            let hist = events.iter().find_map(|e| match &e.what {
                Some(What::Summary(s)) if e.step == *step => {
                    s.value.iter().find_map(|v| match &v.kind {
                        Some(Kind::Histo(h)) if v.tag == tag => Some(h.clone()),
                        _ => None,
                    })
                }
                _ => None,
            });
            let h = hist.unwrap_or_else(|| panic!("no {tag} histogram at {step}"));
            assert_eq!(h.num, 16.0, "one batch of D's outputs");
            assert!(h.min >= 0.0 && h.max <= 1.0, "probabilities: {h:?}");
        }
    }
    for (epoch, step) in [(1, 3), (2, 6)] {
        let png = std::fs::read(run.join(format!("samples_epoch_{epoch:03}.png"))).unwrap();
        match &vals[&(step, "samples".into())] {
            Kind::Image(i) => {
                assert_eq!(i.encoded_image_string, png);
                assert_eq!((i.height, i.width, i.colorspace), (302, 302, 1));
            }
            k => panic!("{k:?}"),
        }
    }
    match &vals[&(0, "real_images".into())] {
        Kind::Image(i) => assert_eq!(
            i.encoded_image_string,
            std::fs::read(run.join("real_images.png")).unwrap()
        ),
        k => panic!("{k:?}"),
    }
    match &vals[&(0, "settings".into())] {
        Kind::Tensor(t) => {
            let text = String::from_utf8(t.string_val[0].clone()).unwrap();
            assert!(
                text.contains("| model | mlp") && text.contains("| batch | 16 |"),
                "{text}"
            );
        }
        k => panic!("{k:?}"),
    }

    // Resumed for a third epoch: a second file, marked to purge from step 7.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let o = gan(&["train", "--resume", p(&run), "--epochs", "3", "--quiet"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let files = event_files(&run);
    assert_eq!(files.len(), 2, "{files:?}");
    let second = read_events(&files[1]).unwrap();
    match &second[1].what {
        Some(What::SessionLog(l)) => assert_eq!((second[1].step, l.status), (7, 1)),
        w => panic!("the resumed file starts with the purge mark: {w:?}"),
    }
    let steps: Vec<i64> = values(&second)
        .keys()
        .filter(|(_, t)| t == "loss/d")
        .map(|(s, _)| *s)
        .collect();
    assert_eq!(steps, vec![8, 9]);
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn no_tensorboard_writes_no_event_file() {
    let d = scratch("tensorboard-off");
    let data = tiny_dataset(&d.join("data"), 32);
    let run = d.join("run");
    let o = gan(&train_args(
        "mlp-small",
        &data,
        &run,
        &["--epochs", "1", "--limit-batches", "1", "--no-tensorboard"],
    ));
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(event_files(&run).is_empty());
    assert!(run.join("log.csv").exists());
    let _ = std::fs::remove_dir_all(&d);
}
