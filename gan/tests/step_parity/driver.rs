//! The step-parity driver: a case's steps through `Trainer` against its
//! fixture (the module docs of step_parity.rs say what is compared and how).

use super::fixture::{Fixture, Report};
use super::inputs::{check_input, init_weights, labels, normal, uniform, warm_start, Warm};
use super::{STEPS, TOL};
use gan::models::ModelKind;
use gan::train::recipe::Recipe;
use gan::train::{Gan, Settings, StepInputs, Trainer};
use std::collections::BTreeSet;
use std::path::PathBuf;
use tensor::Tensor;

/// A fixture's promise: the model, its batch, a warm Adam or none, the
/// number of steps and the recipe (`Recipe::default()`: the tutorials' step).
pub(crate) struct Case {
    pub(crate) name: &'static str,
    pub(crate) kind: ModelKind,
    pub(crate) batch: usize,
    pub(crate) warm: Option<Warm>,
    pub(crate) steps: usize,
    pub(crate) recipe: Recipe,
}

impl Case {
    pub(crate) fn tutorial(kind: ModelKind, batch: usize, warm: Option<Warm>) -> Case {
        Case {
            name: kind.name(),
            kind,
            batch,
            warm,
            steps: STEPS,
            recipe: Recipe::default(),
        }
    }
}

/// The case's steps against its fixture; the batch, warm start, step count
/// and recipe are this test's promise, so they must be the fixture's too.
pub(crate) fn steps_match_pytorch(case: Case) {
    let Case {
        name: model,
        kind,
        batch,
        warm,
        steps,
        recipe,
    } = case;
    let fx = Fixture::load(model);
    let spec = kind.spec();
    let b = fx.params["batch"].as_u64().unwrap() as usize;
    assert_eq!(b, batch, "{model}: the fixture's batch");
    assert_eq!(
        fx.params["model"].as_str(),
        Some(kind.name()),
        "{model}: model"
    );
    assert_eq!(fx.params["lr"].as_f64(), Some(spec.lr), "{model}: lr");
    let fx_recipe = Recipe::from_json(fx.params.get("recipe")).unwrap();
    assert_eq!(fx_recipe, recipe, "{model}: the fixture's recipe");
    assert_eq!(
        fx.params["steps"].as_array().map(Vec::len),
        Some(steps),
        "{model}: the fixture's steps"
    );
    let betas = match spec.opt {
        gan::models::OptKind::Adam { beta1, beta2 } => serde_json::json!([beta1, beta2]),
        gan::models::OptKind::Sgd { .. } => panic!("{model}: the fixtures train with Adam"),
    };
    assert_eq!(fx.params["betas"], betas, "{model}: Adam's betas");
    let fwarm = &fx.params["warm"];
    match warm {
        None => assert!(
            fwarm.is_null(),
            "{model}: the fixture starts Adam warm: {fwarm}"
        ),
        Some(w) => assert!(
            fwarm["steps"].as_u64() == Some(w.steps)
                && fwarm["exp_avg_bound"].as_f64() == Some(w.m)
                && fwarm["exp_avg_sq_centre"].as_f64() == Some(w.v),
            "{model}: the fixture's warm start is {fwarm}"
        ),
    }
    let salt = fx.params["salt"]
        .as_u64()
        .expect("the fixture names its salt");
    let root = format!("{}/{salt}", kind.name());
    let mut gan = Gan::new(kind, 0, spec.lr)
        .unwrap()
        .with_recipe(recipe, spec.lr, 0)
        .unwrap();
    for (net, m) in [("G", gan.g.as_ref()), ("D", gan.d.as_ref())] {
        init_weights(&root, net, m);
        for (k, t) in m.state_dict() {
            check_input(&fx, &format!("init.{net}.{k}"), &t);
        }
    }
    if let Some(w) = warm {
        warm_start(&root, "G", &gan.g.named_parameters(), gan.opt_g.as_mut(), w);
        warm_start(&root, "D", &gan.d.named_parameters(), gan.opt_d.as_mut(), w);
        for (net, opt) in [("G", gan.opt_g.as_ref()), ("D", gan.opt_d.as_ref())] {
            for (k, t) in opt.state().unwrap() {
                check_input(&fx, &format!("init.opt_{net}.{k}"), &t);
            }
        }
    }
    let image: Vec<usize> = if spec.flat_images {
        vec![b, spec.image_numel()]
    } else {
        [b].into_iter().chain(spec.image).collect()
    };
    let zshape: Vec<usize> = match spec.z {
        gan::models::Noise::Normal => vec![b, spec.latent],
        gan::models::Noise::Normal4d => vec![b, spec.latent, 1, 1],
        gan::models::Noise::Uniform => panic!("{model}: the fixtures draw z ~ N(0, 1)"),
    };

    // The trainer takes its batches and z from here (its own stream would
    // draw only the dropout masks, which these models do not have).
    let settings = Settings {
        batch: b,
        recipe,
        ..Settings::for_model(kind)
    };
    let mut trainer = Trainer::from_gan(gan, settings);
    let mut summary = Vec::new();
    for s in 1..=steps {
        let real = uniform(&format!("{root}/batch/{s}"), &image, 0.0, 1.0);
        let z = normal(&format!("{root}/z/{s}"), &zshape);
        check_input(&fx, &format!("batch{s}"), &real);
        check_input(&fx, &format!("z{s}"), &z);
        // WGAN-GP's ε per sample, uniform in [0, 1), from the formula too.
        let gp_eps = recipe.gp.map(|_| {
            let eps = uniform(&format!("{root}/eps/{s}"), &[b], 0.5, 0.5);
            check_input(&fx, &format!("eps{s}"), &eps);
            eps
        });
        // A conditional case's classes, from the formula too.
        let labels = recipe.classes.map(|c| {
            let l = labels(&format!("{root}/labels/{s}"), b, c as usize);
            let as_f32: Vec<f32> = l.iter().map(|&x| x as f32).collect();
            check_input(
                &fx,
                &format!("labels{s}"),
                &Tensor::from_vec(as_f32, &[b]).unwrap(),
            );
            l
        });
        let report = trainer
            .step_with_inputs(&real, StepInputs { z, gp_eps, labels })
            .unwrap();
        assert_eq!(report.stats.len(), 1, "a CPU step's figures come at once");
        let stats = report.stats[0];
        assert_eq!(trainer.position().global_step, s as u64);
        let gan = trainer.gan();

        let mut r = Report::new(format!("{model} step {s}"));
        let pre = format!("step{s}");
        let ours = Tensor::from_vec::<f32>(
            vec![stats.d_loss, stats.g_loss, stats.d_x, stats.d_gz],
            &[4],
        )
        .unwrap();
        r.tensor(
            &fx,
            &format!("{pre}.stats"),
            "[d_loss, g_loss, D(x), D(G(z))]",
            &ours,
            Some(1.0),
        );
        let meta = fx.step_meta(s);
        for (net, m, opt) in [
            ("G", gan.g.as_ref(), gan.opt_g.as_ref()),
            ("D", gan.d.as_ref(), gan.opt_d.as_ref()),
        ] {
            for (k, t) in m.state_dict() {
                r.tensor(
                    &fx,
                    &format!("{pre}.{net}.{k}"),
                    &format!("{net} {k}"),
                    &t,
                    Some(1.0),
                );
            }
            for (k, c) in m.named_counts() {
                let key = format!("{net}.{k}");
                r.integer(
                    &format!("{net} {k}"),
                    c.get(),
                    &meta["num_batches_tracked"][&key],
                );
            }
            let n_counts = meta["num_batches_tracked"]
                .as_object()
                .unwrap()
                .keys()
                .filter(|k| k.starts_with(&format!("{net}.")))
                .count();
            if n_counts != m.named_counts().len() {
                r.failures.push(format!(
                    "{model} step {s}: {net} has {} num_batches_tracked, PyTorch {n_counts}",
                    m.named_counts().len()
                ));
            }
            r.integer(
                &format!("opt_{net} step"),
                opt.steps() as i64,
                &meta["opt_steps"][net],
            );
            for (k, t) in opt.state().unwrap() {
                r.tensor(
                    &fx,
                    &format!("{pre}.opt_{net}.{k}"),
                    &format!("opt_{net} {k}"),
                    &t,
                    None,
                );
            }
        }
        if let Some(avg) = &gan.g_ema {
            let g: std::collections::HashMap<String, Tensor> =
                gan.g.state_dict().into_iter().collect();
            for (k, t) in avg.state_dict() {
                let key = format!("{pre}.G_ema.{k}");
                r.tensor(&fx, &key, &format!("G_ema {k}"), &t, Some(1.0));
                // Its lag behind G (avg − G), to 1 % of the lag's largest
                // value: G moves little in a few steps, so the average alone
                // would pass whatever its decay, and the lag (1e-4) carries
                // the rounding of G (4e-9, both sides in f32).
                let lag = kernels::binary(&t, &g[&k], kernels::BinaryOp::Sub).unwrap();
                let lag_scale = lag
                    .to_vec_f32()
                    .unwrap()
                    .iter()
                    .fold(f32::MIN_POSITIVE as f64, |m, x| m.max(x.abs() as f64));
                let key = format!("{pre}.G_ema_lag.{k}");
                let floor = Some(1e-2 / TOL * lag_scale);
                r.tensor(&fx, &key, &format!("G_ema − G {k}"), &lag, floor);
            }
        }
        // Everything PyTorch recorded for this step was compared.
        let stored: BTreeSet<&String> = fx
            .tensors
            .keys()
            .filter(|k| k.starts_with(&format!("{pre}.")))
            .collect();
        let unchecked: Vec<&&String> = stored.iter().filter(|k| !r.checked.contains(**k)).collect();
        if !unchecked.is_empty() {
            r.failures.push(format!(
                "{model} step {s}: PyTorch's {unchecked:?} have no counterpart here"
            ));
        }
        // For diagnosis (module doc): our whole state after this step.
        if let Some(dir) = std::env::var_os("STEP_PARITY_DUMP") {
            let mut all = Vec::new();
            for (net, m, opt) in [
                ("G", gan.g.as_ref(), gan.opt_g.as_ref()),
                ("D", gan.d.as_ref(), gan.opt_d.as_ref()),
            ] {
                for (k, t) in m.state_dict() {
                    all.push((format!("{net}.{k}"), t));
                }
                for (k, t) in opt.state().unwrap() {
                    all.push((format!("opt_{net}.{k}"), t));
                }
            }
            let bytes = gan::io::checkpoint::encode(&all, &[], Default::default()).unwrap();
            let path = PathBuf::from(dir).join(format!("ours_{model}_step{s}.safetensors"));
            std::fs::write(&path, bytes).unwrap();
        }
        let line = format!(
            "{model} step {s}: worst |diff|/tolerance {:.3} at {}; largest element |diff| {:.2e} ({})",
            r.worst_ratio.0, r.worst_ratio.1, r.worst_abs.0, r.worst_abs.1
        );
        println!("{line}");
        summary.push(line);
        assert!(
            r.failures.is_empty(),
            "{model}: step {s} differs from PyTorch ({} of the checks):\n  {}\n(steps so far:\n  {})",
            r.failures.len(),
            r.failures.iter().take(20).cloned().collect::<Vec<_>>().join("\n  "),
            summary.join("\n  ")
        );
    }
}
