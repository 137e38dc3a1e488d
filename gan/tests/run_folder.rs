//! A run folder is never overwritten by accident: a fresh `gan train --out
//! DIR` into a folder holding a checkpoint is an error that names the folder
//! and touches nothing; `--overwrite` replaces the run's own files and keeps
//! every other file.

mod common;
use common::*;
use std::collections::BTreeMap;
use std::path::Path;

/// Every file of `dir` with its bytes (folders are left out).
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().unwrap().is_file())
        .map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            (name, std::fs::read(e.path()).unwrap())
        })
        .collect()
}

fn model_of(run: &Path) -> String {
    let l = gan::io::checkpoint::read(&run.join("G.safetensors")).unwrap();
    l.meta["model"].clone()
}

#[test]
fn a_fresh_run_refuses_a_folder_with_a_checkpoint() {
    let d = scratch("run-folder");
    let data = tiny_dataset(&d.join("data"), 32);
    let run = d.join("run");
    let first = train_args(
        "mlp",
        &data,
        &run,
        &["--epochs", "2", "--limit-batches", "1"],
    );
    let o = gan(&first);
    assert!(o.status.success(), "{}", stderr(&o));
    std::fs::write(run.join("notes.txt"), b"mine").unwrap();
    std::fs::create_dir(run.join("keep")).unwrap();
    let before = snapshot(&run);
    assert!(before.contains_key("samples_epoch_002.png"));

    let again = train_args(
        "mlp-small",
        &data,
        &run,
        &["--epochs", "1", "--limit-batches", "1"],
    );
    let o = gan(&again);
    assert_clean_error(&o, "already holds a run");
    let err = stderr(&o);
    assert!(err.contains(p(&run)), "names the folder: {err}");
    assert!(err.contains(&format!("--resume {}", p(&run))), "{err}");
    assert!(err.contains("--overwrite"), "{err}");
    assert_eq!(snapshot(&run), before, "a refused run touches no file");
    assert_eq!(model_of(&run), "mlp");

    // Asked for, the new run replaces the old one's files, and only those.
    let mut over = again.clone();
    over.push("--overwrite");
    let o = gan(&over);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(model_of(&run), "mlp-small");
    let after = snapshot(&run);
    assert_eq!(after["notes.txt"], b"mine");
    assert!(run.join("keep").is_dir());
    assert!(after.contains_key("samples_epoch_001.png"));
    assert!(
        !after.contains_key("samples_epoch_002.png"),
        "the old run's grids are gone: {:?}",
        after.keys()
    );
    let log = String::from_utf8(after["log.csv"].clone()).unwrap();
    assert_eq!(log.lines().count(), 2, "the new run's log only: {log}");
    let events = |files: &BTreeMap<String, Vec<u8>>| -> Vec<String> {
        files
            .keys()
            .filter(|n| n.starts_with("events.out.tfevents."))
            .cloned()
            .collect()
    };
    let (old, new) = (events(&before), events(&after));
    assert_eq!((old.len(), new.len()), (1, 1), "{old:?} {new:?}");
    assert_ne!(old, new, "the old run's TensorBoard events are gone");

    // Resuming is not a fresh run: --overwrite does not go with it.
    let o = gan(&["train", "--resume", p(&run), "--overwrite", "--quiet"]);
    assert_clean_error(&o, "--overwrite");
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn a_folder_without_a_checkpoint_is_used_and_its_files_kept() {
    let d = scratch("run-folder-foreign");
    let data = tiny_dataset(&d.join("data"), 32);
    let run = d.join("photos");
    std::fs::create_dir_all(&run).unwrap();
    std::fs::write(run.join("holiday.png"), b"not ours").unwrap();
    std::fs::write(run.join("losses.csv"), b"not ours either").unwrap();
    let o = gan(&train_args(
        "mlp",
        &data,
        &run,
        &["--epochs", "1", "--limit-batches", "1"],
    ));
    assert!(o.status.success(), "{}", stderr(&o));
    let files = snapshot(&run);
    assert_eq!(files["holiday.png"], b"not ours");
    assert_eq!(files["losses.csv"], b"not ours either");
    assert!(files.contains_key("G.safetensors"));
    let _ = std::fs::remove_dir_all(&d);
}
