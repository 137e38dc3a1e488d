//! The recipes beyond the tutorials through `gan train`: each option trains
//! (finite figures, the recipe printed and kept in the checkpoint), a run
//! interrupted and resumed ends bit for bit as an uninterrupted one (the
//! critic and R1 cadences and the two optimisers restored), the default is
//! the tutorials' step, and meaningless flags are clear errors before any data
//! is read.

mod common;
use common::*;
use std::path::Path;

fn checkpoint_bits(dir: &Path, name: &str) -> Vec<(String, Vec<u32>)> {
    let l = gan::io::checkpoint::read(&dir.join(name)).unwrap();
    let mut v: Vec<(String, Vec<u32>)> = l
        .tensors
        .iter()
        .map(|(k, t)| {
            (
                k.clone(),
                t.to_vec_f32()
                    .unwrap()
                    .iter()
                    .map(|x| x.to_bits())
                    .collect(),
            )
        })
        .collect();
    v.sort();
    v
}

fn same_run(a: &Path, b: &Path) {
    let files = [
        "G.safetensors",
        "G_ema.safetensors",
        "D.safetensors",
        "train_state.safetensors",
    ];
    for f in files {
        if f == "G_ema.safetensors" && !a.join(f).exists() {
            assert!(!b.join(f).exists(), "{f} in one run only");
            continue;
        }
        assert!(
            checkpoint_bits(a, f) == checkpoint_bits(b, f),
            "{f} differs"
        );
    }
    assert_eq!(
        std::fs::read(a.join("log.csv")).unwrap(),
        std::fs::read(b.join("log.csv")).unwrap()
    );
}

const WGAN_GP: [&str; 10] = [
    "--loss",
    "wasserstein",
    "--gp",
    "10",
    "--n-critic",
    "3",
    "--lr-d",
    "1e-4",
    "--betas",
    "0.5,0.9",
];
const HINGE_R1_SN: [&str; 11] = [
    "--loss",
    "hinge",
    "--r1",
    "1",
    "--r1-every",
    "2",
    "--ema",
    "0.5",
    "--ema-start",
    "3",
    "--spectral-norm",
];

#[test]
fn every_option_trains_and_resumes_bit_for_bit() {
    let d = scratch("recipes");
    let data = tiny_dataset(&d.join("data"), 100);
    let cases: [(&str, &[&str]); 6] = [
        ("mlp", &WGAN_GP),
        ("mlp", &["--conditional", "--loss", "hinge", "--ema", "0.9"]),
        (
            "dcgan28-nobn",
            &[
                "--conditional",
                "--loss",
                "wasserstein",
                "--gp",
                "10",
                "--spectral-norm",
            ],
        ),
        ("dcgan28", &HINGE_R1_SN),
        (
            "mlp-dropout",
            &["--loss", "lsgan", "--lr-g", "1e-3", "--ema", "0.9"],
        ),
        (
            "mlp-small",
            &[
                "--loss",
                "hinge",
                "--gp",
                "1",
                "--n-critic",
                "2",
                "--spectral-norm",
            ],
        ),
    ];
    for (model, recipe) in cases {
        let mut full_args = vec!["--epochs", "2", "--log-every", "2"];
        full_args.extend_from_slice(recipe);
        let name = format!("{model}-{}", recipe.join("").replace('-', ""));
        let full = d.join(format!("{name}-full"));
        let o = gan(&train_args(model, &data, &full, &full_args));
        assert!(o.status.success(), "{model}: {}", stderr(&o));
        let out = stdout(&o);
        assert!(out.contains("recipe: loss"), "{model}: {out}");
        assert_eq!(
            full.join("G_ema.safetensors").exists(),
            recipe.contains(&"--ema"),
            "{model}: G_ema.safetensors is written exactly with --ema"
        );
        // Under spectral norm D's checkpoint holds PyTorch's keys: the
        // original weights and each layer's u and v.
        let d_keys = checkpoint_bits(&full, "D.safetensors");
        let sn_keys = d_keys
            .iter()
            .filter(|(k, _)| k.ends_with("parametrizations.weight.0._u"))
            .count();
        assert_eq!(
            sn_keys > 0,
            recipe.contains(&"--spectral-norm"),
            "{model}: u and v are saved exactly with --spectral-norm"
        );
        let log = std::fs::read_to_string(full.join("log.csv")).unwrap();
        for row in log.lines().skip(1) {
            assert!(
                row.split(',')
                    .all(|x| x.parse::<f64>().is_ok_and(f64::is_finite)),
                "{model}: {row}"
            );
        }
        // Interrupted mid-epoch, resumed without the flags (the run keeps its recipe).
        let mut cut_args = full_args.clone();
        cut_args.extend(["--interrupt-after", "5"]);
        let cut = d.join(format!("{name}-cut"));
        let o = gan(&train_args(model, &data, &cut, &cut_args));
        assert_eq!(o.status.code(), Some(130), "{model}: {}", stderr(&o));
        let o = gan(&["train", "--resume", p(&cut), "--quiet"]);
        assert!(o.status.success(), "{model}: {}", stderr(&o));
        same_run(&full, &cut);
        // Given again with the same values, the flags are accepted; other values are not.
        let mut again = vec!["train", "--resume", p(&cut), "--quiet"];
        again.extend_from_slice(recipe);
        assert!(
            gan(&again).status.success(),
            "{model}: the same recipe again"
        );
        let o = gan(&["train", "--resume", p(&cut), "--loss", "bce", "--quiet"]);
        assert_clean_error(&o, "the run was started with recipe");
    }
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn meaningless_recipes_are_errors_before_the_data() {
    let d = scratch("recipes-bad");
    let missing = d.join("no-data-here");
    let run = d.join("run");
    for (args, needle) in [
        (vec!["--model", "mlp-small", "--betas", "0.5,0.9"], "SGD"),
        (vec!["--n-critic", "0"], "n-critic"),
        (vec!["--gp", "-1"], "--gp"),
        (vec!["--r1-every", "4"], "--r1"),
        (vec!["--betas", "0.5"], "B1,B2"),
        (vec!["--betas", "1.5,0.9"], "[0, 1)"),
        (vec!["--loss", "softplus"], "softplus"),
        (vec!["--ema", "1.5"], "(0, 1)"),
        (vec!["--ema-start", "10"], "--ema"),
        (
            vec!["--model", "mlp-small", "--conditional"],
            "no conditional version",
        ),
    ] {
        let mut a = vec!["train", "--data-dir", p(&missing), "--out", p(&run)];
        a.extend(args);
        let o = gan(&a);
        assert_clean_error(&o, needle);
        assert!(
            !stderr(&o).contains("no-data-here"),
            "checked before the data: {}",
            stderr(&o)
        );
    }
    let _ = std::fs::remove_dir_all(&d);
}

/// `--recipe best` is the documented flag set, and a flag given beside it
/// changes that field alone.
#[test]
fn the_best_recipe_is_the_documented_flag_set() {
    let d = scratch("recipes-best");
    let data = tiny_dataset(&d.join("data"), 100);
    let run = |extra: &[&str], out: &str| {
        let mut a = vec!["--epochs", "1", "--recipe", "best"];
        a.extend_from_slice(extra);
        let o = gan(&train_args("mlp", &data, &d.join(out), &a));
        assert!(o.status.success(), "{}", stderr(&o));
        stdout(&o)
    };
    let best = run(&[], "best");
    assert!(
        best.contains(
            "recipe: loss wasserstein, WGAN-GP λ 10, 2 D updates per G update, lr G 0.0002, lr D 0.0002, betas (0.5, 0.9)"
        ),
        "{best}"
    );
    let ema = run(&["--loss", "hinge", "--ema", "0.99"], "hinge");
    assert!(
        ema.contains("recipe: loss hinge, WGAN-GP λ 10, 2 D updates per G update")
            && ema.contains("EMA of G (decay 0.99)"),
        "{ema}"
    );
    // dcgan28's best recipe is the tutorial's step on batches of 32 (train_args
    // gives --batch-size 16: a batch size beside the recipe wins)
    let dcgan = |batch: Option<&str>, out: &str| {
        let out = d.join(out);
        let mut a = vec!["train", "--model", "dcgan28", "--dataset", "kmnist"];
        a.extend(["--data-dir", p(&data), "--out", p(&out), "--quiet"]);
        a.extend(["--epochs", "1", "--limit-batches", "1", "--recipe", "best"]);
        a.extend(batch.map(|b| ["--batch-size", b]).iter().flatten());
        let o = gan(&a);
        assert!(o.status.success(), "{}", stderr(&o));
        stdout(&o)
    };
    let b32 = dcgan(None, "dcgan");
    assert!(
        b32.contains("batches of 32,")
            && b32.contains("recipe: loss bce, R1 γ 4 every 16 steps, EMA of G (decay 0.999)"),
        "{b32}"
    );
    let b16 = dcgan(Some("16"), "dcgan16");
    assert!(b16.contains("batches of 16,"), "{b16}");
    let o = gan(&["train", "--recipe", "fancy", "--out", p(&d.join("x"))]);
    assert_clean_error(&o, "fancy");
    let _ = std::fs::remove_dir_all(&d);
}
