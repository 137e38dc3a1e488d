//! Every PyTorch fixture, run through the engine. Fails naming each fixture that
//! does not match or whose op no runner handles: nothing is skipped.

use std::path::{Path, PathBuf};
use tests::parity::{compare, fixtures_dir, own_fixtures_dir, run, Fixture};

fn fixture_paths(dir: &Path) -> Vec<PathBuf> {
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| {
            panic!(
                "cannot read fixtures directory {} (set PARITY_FIXTURES): {e}",
                dir.display()
            )
        })
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "safetensors"))
        // Whole training steps, checked by gan/tests/step_parity.rs.
        .filter(|p| {
            !p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("step_"))
        })
        .collect();
    paths.sort();
    assert!(!paths.is_empty(), "no fixtures in {}", dir.display());
    paths
}

#[test]
fn pytorch_parity_fixtures() {
    // The shared fixtures, then this repository's own for the other ops.
    let shared = fixture_paths(&fixtures_dir());
    let own = fixture_paths(&own_fixtures_dir());
    println!(
        "parity: {} shared fixtures ({}), {} own ({})",
        shared.len(),
        fixtures_dir().display(),
        own.len(),
        own_fixtures_dir().display()
    );
    let paths: Vec<PathBuf> = shared.into_iter().chain(own).collect();
    let (mut passed, mut failures) = (Vec::new(), Vec::new());
    for p in &paths {
        let fx = match Fixture::load(p) {
            Ok(f) => f,
            Err(e) => {
                failures.push(e);
                continue;
            }
        };
        match run(&fx) {
            None => failures.push(format!("{}: no runner for op '{}'", fx.name, fx.op)),
            Some(Err(e)) => failures.push(e),
            Some(Ok(got)) => {
                let errs = compare(&fx, &got);
                if errs.is_empty() {
                    passed.push(fx.name.clone());
                } else {
                    failures.extend(errs);
                }
            }
        }
    }
    println!(
        "parity: {} fixtures passed: {}",
        passed.len(),
        passed.join(", ")
    );
    assert!(
        failures.is_empty(),
        "{} parity failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
