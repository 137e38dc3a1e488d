//! The recipes beyond the tutorials (gan::train::recipe) on a GPU against the
//! CPU: from identical weights, batches, z and WGAN-GP ε, a few steps of each
//! loss with its penalty, critic cadence and average of G give the same
//! figures, parameters and average on both. Skips, saying why, without a GPU
//! (or runs on the CUDA simulator).

use gan::models::ModelKind;
use gan::train::noise::{sample_z, step_rng, stream_rng};
use gan::train::recipe::{Ema, GanLoss, Recipe, R1};
use gan::train::{Gan, StepInputs};
use tensor::{Device, Tensor};
use tests::gpu::{assert_close, for_each_cuda_device, params_close, stats_vec};

type Named = Vec<(String, Vec<f32>)>;

/// Every parameter of G and D, and the average of G when there is one.
fn state(gan: &Gan) -> Named {
    let mut out = Vec::new();
    let nets = [
        ("G", Some(&gan.g)),
        ("D", Some(&gan.d)),
        ("G_ema", gan.g_ema.as_ref()),
    ];
    for (net, m) in nets {
        for (n, t) in m.map(|m| m.state_dict()).unwrap_or_default() {
            out.push((format!("{net}.{n}"), t.to_vec_f32().unwrap()));
        }
    }
    out
}

/// Both optimisers as if 10 steps had been taken (first moments 0, second
/// 1e-6): from a fresh Adam the first update is lr·g/(|g| + eps), a sign, and
/// the Wasserstein loss gives many gradients that are exactly 0 in exact
/// arithmetic (the bias of a unit in one regime on every sample of both
/// batches: mean(fake) − mean(real) cancels), whose rounding noise would
/// then move them by ±lr differently on each device.
fn warm(gan: &mut Gan) {
    for opt in [&mut gan.opt_g, &mut gan.opt_d] {
        let st: std::collections::HashMap<String, Tensor> = opt
            .state()
            .unwrap()
            .into_iter()
            .map(|(n, t)| {
                let v = if n.ends_with("exp_avg_sq") { 1e-6 } else { 0.0 };
                let t = Tensor::full(v, t.shape(), tensor::DType::F32, Device::Cpu).unwrap();
                (n, t)
            })
            .collect();
        opt.load_state(10, &st).unwrap();
    }
}

/// `steps` steps of `recipe` on `kind` at batch `b`, on the CPU and on `dev`.
fn compare(dev: Device, kind: ModelKind, b: usize, recipe: Recipe, steps: u64) {
    let spec = kind.spec();
    let build = |d| {
        let mut gan = Gan::new_on(kind, 5, spec.lr, d)
            .unwrap()
            .with_recipe(recipe, spec.lr, 0)
            .unwrap();
        warm(&mut gan);
        gan
    };
    let (mut cpu, mut gpu) = (build(Device::Cpu), build(dev));
    let image: Vec<usize> = [b].into_iter().chain(spec.image).collect();
    let real = Tensor::rand_uniform(&image, -1.0, 1.0, &mut stream_rng(9, 1)).unwrap();
    let lr = recipe
        .lr_d
        .unwrap_or(spec.lr)
        .max(recipe.lr_g.unwrap_or(spec.lr));
    for k in 0..steps {
        let z = sample_z(spec.z, b, spec.latent, &mut stream_rng(9, 100 + k)).unwrap();
        let eps = Tensor::rand_uniform(&[b], 0.0, 1.0, &mut stream_rng(9, 200 + k)).unwrap();
        let labels = recipe.classes.map(|c| {
            (0..b)
                .map(|i| ((i * 7 + k as usize) % c as usize) as u32)
                .collect()
        });
        let inputs = StepInputs {
            z,
            gp_eps: recipe.gp.map(|_| eps),
            labels,
        };
        let step = |g: &mut Gan| {
            g.train_step_with_inputs(&real, inputs.clone(), &mut step_rng(5, k))
                .unwrap()
                .resolve()
                .unwrap()
        };
        let (want, got) = (step(&mut cpu), step(&mut gpu));
        let what = format!("{kind} {} step {k}", recipe.describe().unwrap());
        assert_close(
            &format!("{what}: losses, D(x), D(G(z))"),
            &stats_vec(&got),
            &stats_vec(&want),
            1e-4,
            1e-4,
        );
        for ((n, g), (_, c)) in state(&gpu).iter().zip(&state(&cpu)) {
            params_close(&format!("{what}: {n}"), g, c, lr);
        }
    }
    assert_eq!(
        (gpu.opt_d.steps(), gpu.opt_g.steps()),
        (cpu.opt_d.steps(), cpu.opt_g.steps())
    );
}

#[test]
fn mlp_recipes_match_the_cpu() {
    let wgan_gp = Recipe {
        loss: GanLoss::Wasserstein,
        gp: Some(10.0),
        n_critic: 2,
        lr_g: Some(1e-4),
        lr_d: Some(1e-4),
        betas: Some((0.5, 0.9)),
        ema: Some(Ema {
            decay: 0.9,
            start: 0,
        }),
        ..Recipe::default()
    };
    let lsgan = Recipe {
        loss: GanLoss::Lsgan,
        lr_d: Some(4e-4),
        ..Recipe::default()
    };
    for_each_cuda_device(|dev| {
        compare(dev, ModelKind::Mlp, 32, wgan_gp, 4);
        compare(dev, ModelKind::Mlp, 32, lsgan, 2);
    });
}

#[test]
fn dcgan28_hinge_with_lazy_r1_spectral_norm_and_ema_matches_the_cpu() {
    let hinge_r1 = Recipe {
        loss: GanLoss::Hinge,
        r1: Some(R1 {
            gamma: 1.0,
            every: 2,
        }),
        ema: Some(Ema {
            decay: 0.5,
            start: 1,
        }),
        spectral_norm: true,
        ..Recipe::default()
    };
    for_each_cuda_device(|dev| compare(dev, ModelKind::Dcgan28, 4, hinge_r1, 3));
}

/// The class-conditional pair (projection D): mlp with hinge, dcgan28-nobn
/// with WGAN-GP (the penalty through the projection).
#[test]
fn conditional_recipes_match_the_cpu() {
    let hinge = Recipe {
        loss: GanLoss::Hinge,
        classes: Some(10),
        ..Recipe::default()
    };
    let wgan_gp = Recipe {
        loss: GanLoss::Wasserstein,
        gp: Some(10.0),
        classes: Some(10),
        ..Recipe::default()
    };
    for_each_cuda_device(|dev| {
        compare(dev, ModelKind::Mlp, 16, hinge, 2);
        compare(dev, ModelKind::Dcgan28NoBn, 4, wgan_gp, 2);
    });
}
