//! The op families of the parity suite: which fixture ops each family claims,
//! the fixture files that are deliberately not run here, and the check of one
//! family. `tests/tests/parity.rs` has one `#[test]` per family, so that one
//! family can be run alone, and a test that every fixture file is claimed by
//! exactly one family, so that a new fixture cannot be skipped silently.

use super::{compare, fixtures_dir, own_fixtures_dir, run, Fixture};
use std::path::{Path, PathBuf};

/// One op family: its name (the name of its test) and the fixture ops (the
/// `op` entry of a fixture's metadata) it claims.
pub struct Family {
    pub name: &'static str,
    pub ops: &'static [&'static str],
}

/// Every family, in the order of the autograd rules (`autograd/src/ops/`).
/// No family's name is part of another's, so that `cargo test --test parity
/// NAME` selects exactly one.
pub const FAMILIES: &[Family] = &[
    Family {
        name: "elementwise",
        ops: &[
            "relu",
            "leaky_relu",
            "tanh",
            "sigmoid",
            "neg",
            "exp",
            "log",
            "sqrt",
            "abs",
            "square",
            "pow",
            "clamp",
            "add_scalar",
            "mul_scalar",
            "add",
            "sub",
            "mul",
            "div",
            // x·x + x: one input used twice, its gradients accumulated.
            "reuse",
        ],
    },
    Family {
        name: "reduce",
        ops: &["sum", "mean", "sum_all", "mean_all", "max"],
    },
    Family {
        name: "matmul",
        ops: &["linear", "matmul"],
    },
    Family {
        name: "conv",
        ops: &["conv2d", "conv_transpose2d"],
    },
    Family {
        name: "batchnorm",
        ops: &["batchnorm1d", "batchnorm2d"],
    },
    Family {
        name: "pool",
        ops: &["max_pool2d"],
    },
    Family {
        name: "loss",
        ops: &["bce", "bce_with_logits", "mse", "cross_entropy"],
    },
    Family {
        name: "dropout",
        ops: &["dropout"],
    },
    Family {
        name: "shape",
        ops: &[
            "reshape",
            "permute",
            "transpose",
            "unsqueeze",
            "squeeze",
            "expand",
            "narrow",
            "cat",
            "stack",
        ],
    },
    Family {
        name: "optim",
        ops: &["adam", "sgd"],
    },
];

/// Fixture files that no family runs, by file name, and why.
pub const SKIPPED: &[(&str, &str)] = &[
    (
        "step_mlp.safetensors",
        "three whole D+G training steps, checked by gan/tests/step_parity.rs",
    ),
    (
        "step_dcgan28.safetensors",
        "three whole D+G training steps, checked by gan/tests/step_parity.rs",
    ),
];

fn file_name(p: &Path) -> &str {
    p.file_name().and_then(|n| n.to_str()).unwrap_or("?")
}

/// Whether `SKIPPED` names this fixture file.
pub fn is_skipped(p: &Path) -> bool {
    SKIPPED.iter().any(|(n, _)| *n == file_name(p))
}

/// The `.safetensors` files of `dir`, sorted; panics when the directory
/// cannot be read or holds none, since then nothing would be checked.
fn safetensors_in(dir: &Path) -> Vec<PathBuf> {
    let mut paths: Vec<_> = std::fs::read_dir(dir)
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
    paths
}

/// Every fixture file, skipped ones included: the shared set, then this
/// repository's own for the ops the shared set does not cover.
pub fn fixture_files() -> Vec<PathBuf> {
    let (shared, own) = (fixtures_dir(), own_fixtures_dir());
    let mut paths = safetensors_in(&shared);
    paths.extend(safetensors_in(&own));
    paths
}

/// The families that claim `op` (exactly one, for a well-kept table).
pub fn families_of(op: &str) -> Vec<&'static str> {
    FAMILIES
        .iter()
        .filter(|f| f.ops.contains(&op))
        .map(|f| f.name)
        .collect()
}

/// Run every fixture of family `name` through the engine and compare it with
/// PyTorch's results; panics naming each fixture that does not match, whose
/// op no runner handles, or (when the family claims none) the family itself.
pub fn check_family(name: &str) {
    let family = FAMILIES
        .iter()
        .find(|f| f.name == name)
        .unwrap_or_else(|| panic!("no parity family '{name}'"));
    let (mut passed, mut failures) = (Vec::new(), Vec::new());
    for p in fixture_files().iter().filter(|p| !is_skipped(p)) {
        // A fixture that does not load is reported by
        // `check_every_fixture_claimed`: no family can claim it.
        let Ok(fx) = Fixture::load(p) else { continue };
        if !family.ops.contains(&fx.op.as_str()) {
            continue;
        }
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
        "parity {name}: {} fixtures passed: {}",
        passed.len(),
        passed.join(", ")
    );
    assert!(
        failures.is_empty(),
        "{} parity failures in family {name}:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(
        !passed.is_empty(),
        "family {name} claims no fixture (ops {:?})",
        family.ops
    );
}

/// Every fixture file loads and is claimed by exactly one family or listed in
/// `SKIPPED`; every `SKIPPED` file exists; every family claims a fixture; and
/// `tested` (the families that have a `#[test]`) is exactly `FAMILIES`.
pub fn check_every_fixture_claimed(tested: &[&str]) {
    let mut failures = Vec::new();
    let names: Vec<&str> = FAMILIES.iter().map(|f| f.name).collect();
    if tested != names.as_slice() {
        failures.push(format!(
            "the tests cover families {tested:?}, the table has {names:?}"
        ));
    }
    let files = fixture_files();
    let mut claimed: Vec<(&str, usize)> = names.iter().map(|n| (*n, 0)).collect();
    for p in &files {
        if is_skipped(p) {
            continue;
        }
        let fx = match Fixture::load(p) {
            Ok(f) => f,
            Err(e) => {
                failures.push(e);
                continue;
            }
        };
        match families_of(&fx.op).as_slice() {
            [one] => claimed.iter_mut().find(|(n, _)| n == one).unwrap().1 += 1,
            none_or_many => failures.push(format!(
                "{} (op '{}') is claimed by {} families {none_or_many:?}: add its op to \
                 exactly one family of tests/src/parity/families.rs, or list it in SKIPPED",
                p.display(),
                fx.op,
                none_or_many.len()
            )),
        }
    }
    for (skipped, why) in SKIPPED {
        if !files.iter().any(|p| file_name(p) == *skipped) {
            failures.push(format!("{skipped} is listed as skipped ({why}) but absent"));
        }
    }
    for (family, n) in &claimed {
        if *n == 0 {
            failures.push(format!("family {family} claims no fixture"));
        }
    }
    let counts: Vec<String> = claimed.iter().map(|(f, n)| format!("{f} {n}")).collect();
    println!(
        "parity: {} fixture files ({} and {}): {}, skipped {}",
        files.len(),
        fixtures_dir().display(),
        own_fixtures_dir().display(),
        counts.join(", "),
        SKIPPED.len()
    );
    assert!(
        failures.is_empty(),
        "{} problems with the parity families:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
