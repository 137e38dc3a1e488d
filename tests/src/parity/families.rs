//! The op families of the parity suite: which fixture ops each family claims,
//! the fixture files that are deliberately not run here, and the check of one
//! family. `tests/tests/parity.rs` has one `#[test]` per family, so that one
//! family can be run alone, and a test that every fixture file is claimed by
//! exactly one family, so that a new fixture cannot be skipped silently.

use super::{compare, fixtures_dir, gradgrad_fixtures_dir, own_fixtures_dir, run, Fixture};
use std::path::{Path, PathBuf};

/// A set of fixture files with the families that claim them: the
/// first-order suite ([`FIRST_ORDER`]) or the second-order one
/// ([`SECOND_ORDER`]). Each has one `#[test]` per family and a guard that
/// every file is claimed.
pub struct Suite {
    /// The name the reports use.
    pub name: &'static str,
    pub families: &'static [Family],
    /// Files no family runs, by file name, and why.
    pub skipped: &'static [(&'static str, &'static str)],
    /// Every fixture file of the suite, skipped ones included.
    pub files: fn() -> Vec<PathBuf>,
}

/// The first-order fixtures (`tests/tests/parity.rs`).
pub const FIRST_ORDER: Suite = Suite {
    name: "parity",
    families: FAMILIES,
    skipped: SKIPPED,
    files: fixture_files,
};

/// The second-order fixtures (`tests/tests/gradgrad.rs`): the same ops'
/// double backward, and the whole penalties.
pub const SECOND_ORDER: Suite = Suite {
    name: "gradgrad",
    families: GRADGRAD_FAMILIES,
    skipped: &[],
    files: gradgrad_fixture_files,
};

/// The families of the second-order fixtures, in the order of the autograd
/// rules; the whole penalties are a family of their own.
pub const GRADGRAD_FAMILIES: &[Family] = &[
    Family {
        name: "elementwise",
        ops: &["relu", "leaky_relu", "tanh", "sigmoid", "add", "mul"],
    },
    Family {
        name: "reduce",
        ops: &["sum", "mean"],
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
        ops: &["batchnorm2d"],
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
        name: "penalty",
        ops: &["penalty"],
    },
];

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
    (
        "step_mlp-wgan-gp.safetensors",
        "whole WGAN-GP steps (n_critic 5), checked by gan/tests/step_parity.rs",
    ),
    (
        "step_mlp-hinge-r1.safetensors",
        "whole hinge + lazy R1 steps, checked by gan/tests/step_parity.rs",
    ),
    (
        "step_mlp-lsgan-ema.safetensors",
        "whole LSGAN steps with two learning rates and an EMA generator, checked by gan/tests/step_parity.rs",
    ),
    (
        "step_mlp-cond-hinge.safetensors",
        "whole steps of the class-conditional mlp, checked by gan/tests/step_parity.rs",
    ),
    (
        "step_dcgan28-cond.safetensors",
        "whole steps of the class-conditional dcgan28, checked by gan/tests/step_parity.rs",
    ),
    (
        "step_dcgan28-hinge-r1-sn.safetensors",
        "whole hinge + lazy R1 steps with spectral norm in D, checked by gan/tests/step_parity.rs",
    ),
];

fn file_name(p: &Path) -> &str {
    p.file_name().and_then(|n| n.to_str()).unwrap_or("?")
}

/// The second-order fixture files.
pub fn gradgrad_fixture_files() -> Vec<PathBuf> {
    safetensors_in(&gradgrad_fixtures_dir())
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

/// Run every fixture of first-order family `name`; see [`Suite::check_family`].
pub fn check_family(name: &str) {
    FIRST_ORDER.check_family(name)
}

/// The first-order guard; see [`Suite::check_every_fixture_claimed`].
pub fn check_every_fixture_claimed(tested: &[&str]) {
    FIRST_ORDER.check_every_fixture_claimed(tested)
}

impl Suite {
    /// Whether `skipped` names this fixture file.
    pub fn is_skipped(&self, p: &Path) -> bool {
        self.skipped.iter().any(|(n, _)| *n == file_name(p))
    }

    /// The families that claim `op` (exactly one, for a well-kept table).
    pub fn families_of(&self, op: &str) -> Vec<&'static str> {
        self.families
            .iter()
            .filter(|f| f.ops.contains(&op))
            .map(|f| f.name)
            .collect()
    }

    /// Run every fixture of family `name` through the engine and compare it with
    /// PyTorch's results; panics naming each fixture that does not match, whose
    /// op no runner handles, or (when the family claims none) the family itself.
    pub fn check_family(&self, name: &str) {
        let suite = self.name;
        let family = self
            .families
            .iter()
            .find(|f| f.name == name)
            .unwrap_or_else(|| panic!("no {suite} family '{name}'"));
        let (mut passed, mut failures) = (Vec::new(), Vec::new());
        for p in (self.files)().iter().filter(|p| !self.is_skipped(p)) {
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
            "{suite} {name}: {} fixtures passed: {}",
            passed.len(),
            passed.join(", ")
        );
        assert!(
            failures.is_empty(),
            "{} {suite} failures in family {name}:\n{}",
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
    /// `skipped`; every skipped file exists; every family claims a fixture; and
    /// `tested` (the families that have a `#[test]`) is exactly the families.
    pub fn check_every_fixture_claimed(&self, tested: &[&str]) {
        let suite = self.name;
        let mut failures = Vec::new();
        let names: Vec<&str> = self.families.iter().map(|f| f.name).collect();
        if tested != names.as_slice() {
            failures.push(format!(
                "the tests cover families {tested:?}, the table has {names:?}"
            ));
        }
        let files = (self.files)();
        let mut claimed: Vec<(&str, usize)> = names.iter().map(|n| (*n, 0)).collect();
        for p in &files {
            if self.is_skipped(p) {
                continue;
            }
            let fx = match Fixture::load(p) {
                Ok(f) => f,
                Err(e) => {
                    failures.push(e);
                    continue;
                }
            };
            match self.families_of(&fx.op).as_slice() {
                [one] => claimed.iter_mut().find(|(n, _)| n == one).unwrap().1 += 1,
                none_or_many => failures.push(format!(
                    "{} (op '{}') is claimed by {} families {none_or_many:?}: add its op to \
                 exactly one {suite} family of tests/src/parity/families.rs, or list it as skipped",
                    p.display(),
                    fx.op,
                    none_or_many.len()
                )),
            }
        }
        for (skipped, why) in self.skipped {
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
            "{suite}: {} fixture files: {}, skipped {}",
            files.len(),
            counts.join(", "),
            self.skipped.len()
        );
        assert!(
            failures.is_empty(),
            "{} problems with the {suite} families:\n{}",
            failures.len(),
            failures.join("\n")
        );
    }
}
