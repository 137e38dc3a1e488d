//! Every PyTorch fixture, run through the engine. Fails naming each fixture that
//! does not match or whose op no runner handles: nothing is skipped.

use tests::parity::{compare, fixtures_dir, run, Fixture};

#[test]
fn pytorch_parity_fixtures() {
    let dir = fixtures_dir();
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| {
            panic!(
                "cannot read fixtures directory {} (set PARITY_FIXTURES): {e}",
                dir.display()
            )
        })
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "safetensors"))
        .collect();
    paths.sort();
    assert!(!paths.is_empty(), "no fixtures in {}", dir.display());
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
