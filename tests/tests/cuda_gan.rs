//! The MLP GANs on a GPU against the CPU: training steps from identical
//! weights, batch and noise (losses and updated parameters), and run
//! checkpoints moving GPU → CPU → GPU. Skips, saying why, without a GPU.

use gan::data::DatasetName;
use gan::models::ModelKind;
use gan::train::noise::{sample_z, step_rng, stream_rng};
use gan::train::state::{self, LogAcc, Position, Settings};
use gan::train::Gan;
use std::path::PathBuf;
use tensor::{Device, Tensor};

/// The MLP GANs (the DCGANs on a GPU are in cuda_conv/dcgan_steps.rs).
const MLPS: [ModelKind; 3] = [ModelKind::Mlp, ModelKind::MlpSmall, ModelKind::MlpDropout];
use tests::gpu::{assert_close, for_each_cuda_device, params_close, stats_vec};

type Named = Vec<(String, Vec<f32>)>;

/// Every parameter of G and D, read back to the host.
fn params(gan: &Gan) -> Named {
    let mut out = Vec::new();
    for (net, m) in [("G", &gan.g), ("D", &gan.d)] {
        for (n, p) in m.named_parameters() {
            out.push((format!("{net}.{n}"), p.data().to_vec_f32().unwrap()));
        }
    }
    out
}

/// Both optimisers' state as a checkpoint holds it.
fn opt_state(gan: &Gan) -> Named {
    let mut out = Vec::new();
    for (net, opt) in [("opt_g", &gan.opt_g), ("opt_d", &gan.opt_d)] {
        for (n, t) in opt.state().unwrap() {
            out.push((format!("{net}.{n}"), t.to_vec_f32().unwrap()));
        }
    }
    out
}

fn bits(v: &Named) -> Vec<(String, Vec<u32>)> {
    v.iter()
        .map(|(n, x)| (n.clone(), x.iter().map(|f| f.to_bits()).collect()))
        .collect()
}

/// A batch of "images" in [−1, 1] and the k-th latent batch, on the CPU.
fn real_batch(kind: ModelKind) -> Tensor {
    let b = kind.spec().batch;
    Tensor::rand_uniform(&[b, 1, 28, 28], -1.0, 1.0, &mut stream_rng(9, 1)).unwrap()
}

fn z_batch(kind: ModelKind, k: u64) -> Tensor {
    let s = kind.spec();
    sample_z(s.z, s.batch, s.latent, &mut stream_rng(9, 100 + k)).unwrap()
}

#[test]
fn mlp_steps_match_the_cpu() {
    for_each_cuda_device(|dev| {
        // mlp (Adam) and mlp-small (SGD): no dropout, so the same inputs give the
        // same step on both devices. Two steps, so that Adam's moments count.
        for kind in [ModelKind::Mlp, ModelKind::MlpSmall] {
            let lr = kind.spec().lr;
            let mut cpu = Gan::new_on(kind, 3, lr, Device::Cpu).unwrap();
            let mut gpu = Gan::new_on(kind, 3, lr, dev).unwrap();
            assert_eq!(gpu.device, dev);
            assert_eq!(
                bits(&params(&gpu)),
                bits(&params(&cpu)),
                "{kind}: same start"
            );
            let real = real_batch(kind);
            for k in 0..2 {
                let z = z_batch(kind, k);
                let step = |g: &mut Gan| {
                    g.train_step_with_z(&real, z.clone(), &mut step_rng(3, k))
                        .unwrap()
                        .resolve()
                        .unwrap()
                };
                let (want, got) = (step(&mut cpu), step(&mut gpu));
                assert_close(
                    &format!("{kind} step {k}: losses, D(x), D(G(z))"),
                    &stats_vec(&got),
                    &stats_vec(&want),
                    1e-4,
                    1e-5,
                );
                for ((n, g), (_, c)) in params(&gpu).iter().zip(&params(&cpu)) {
                    params_close(&format!("{kind} step {k}: {n}"), g, c, lr);
                }
            }
        }
    });
}

#[test]
fn mlp_dropout_trains_on_the_gpu() {
    for_each_cuda_device(|dev| {
        // Deferred statistics, read back once after three steps; the same
        // steps against the CPU are `mlp_dropout_steps_follow_the_cpu_run`.
        let kind = ModelKind::MlpDropout;
        let mut gpu = Gan::new_on(kind, 4, kind.spec().lr, dev).unwrap();
        let before = params(&gpu);
        let real = real_batch(kind);
        let pending: Vec<_> = (0..3)
            .map(|k| gpu.train_step_deferred(&real, &mut step_rng(4, k)).unwrap())
            .collect();
        for s in gan::train::step::PendingStats::resolve_all(pending).unwrap() {
            assert!(s.d_loss.is_finite() && s.g_loss.is_finite(), "{s:?}");
            assert!((0.0..=1.0).contains(&s.d_x) && (0.0..=1.0).contains(&s.d_gz));
        }
        let after = params(&gpu);
        for ((n, a), (_, b)) in after.iter().zip(&before) {
            assert!(a.iter().all(|x| x.is_finite()), "{n}");
            assert!(a != b, "{n} did not move");
        }
    });
}

#[test]
fn mlp_dropout_steps_follow_the_cpu_run() {
    for_each_cuda_device(|dev| {
        // z and dropout masks come from the step's stream on both devices
        // (Philox seeded by one draw of `step_rng`), so ten steps of the same
        // seed from the same weights and batches are the same run to rounding.
        let kind = ModelKind::MlpDropout;
        let lr = kind.spec().lr;
        let mut cpu = Gan::new_on(kind, 5, lr, Device::Cpu).unwrap();
        let mut gpu = Gan::new_on(kind, 5, lr, dev).unwrap();
        let b = kind.spec().batch;
        let mut worst = 0f32;
        for k in 0..10 {
            let real =
                Tensor::rand_uniform(&[b, 1, 28, 28], -1.0, 1.0, &mut stream_rng(9, 200 + k))
                    .unwrap();
            let want = cpu.train_step(&real, &mut step_rng(5, k)).unwrap();
            let got = gpu.train_step(&real, &mut step_rng(5, k)).unwrap();
            for (name, g, c) in [
                ("d_loss", got.d_loss, want.d_loss),
                ("g_loss", got.g_loss, want.g_loss),
            ] {
                let rel = ((g - c) / c).abs();
                assert!(
                    rel <= 1e-3,
                    "{dev} step {k}: {name} {g} on the GPU, {c} on the CPU"
                );
                worst = worst.max(rel);
            }
        }
        eprintln!("{dev}: ten mlp-dropout steps, largest relative loss difference {worst:e}");
    });
}

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("cuda_gan_{}_{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn settings(kind: ModelKind) -> Settings {
    let s = kind.spec();
    Settings {
        model: kind,
        dataset: DatasetName::from_name(s.dataset).unwrap(),
        data_dir: None,
        epochs: 1,
        batch: s.batch,
        lr: s.lr,
        seed: 5,
        log_every: 100,
        limit_batches: None,
        recipe: Default::default(),
    }
}

#[test]
fn checkpoints_move_between_gpu_and_cpu() {
    for_each_cuda_device(|dev| {
        for kind in MLPS {
            let real = real_batch(kind);
            let mut gpu = Gan::new_on(kind, 5, kind.spec().lr, dev).unwrap();
            for k in 0..2 {
                gpu.train_step(&real, &mut step_rng(5, k)).unwrap();
            }
            let pos = Position {
                epoch: 0,
                batch: 2,
                global_step: 2,
            };
            let s = settings(kind);
            // GPU → files → CPU: the very values, bit for bit.
            let d1 = scratch(&format!("{kind}_gpu"));
            state::save(&d1, &gpu, &s, &pos, &LogAcc::default()).unwrap();
            let cpu = state::load(&d1, Device::Cpu).unwrap().gan;
            assert_eq!(cpu.device, Device::Cpu);
            assert_eq!(bits(&params(&cpu)), bits(&params(&gpu)), "{kind}: G, D");
            assert_eq!(
                bits(&opt_state(&cpu)),
                bits(&opt_state(&gpu)),
                "{kind}: optimisers"
            );
            // CPU → files → GPU, and the restored run steps exactly as the original.
            let d2 = scratch(&format!("{kind}_cpu"));
            state::save(&d2, &cpu, &s, &pos, &LogAcc::default()).unwrap();
            let mut back = state::load(&d2, dev).unwrap().gan;
            assert_eq!(back.device, dev);
            assert_eq!(
                bits(&params(&back)),
                bits(&params(&gpu)),
                "{kind}: back on the GPU"
            );
            let z = z_batch(kind, 7);
            let step = |g: &mut Gan| {
                let s = g
                    .train_step_with_z(&real, z.clone(), &mut step_rng(5, 2))
                    .unwrap()
                    .resolve()
                    .unwrap();
                stats_vec(&s)
                    .iter()
                    .map(|f| f.to_bits())
                    .collect::<Vec<_>>()
            };
            assert_eq!(step(&mut back), step(&mut gpu), "{kind}: resumed step");
            assert_eq!(
                bits(&params(&back)),
                bits(&params(&gpu)),
                "{kind}: after a step"
            );
            assert_eq!(
                bits(&opt_state(&back)),
                bits(&opt_state(&gpu)),
                "{kind}: optimiser state"
            );
            let _ = std::fs::remove_dir_all(&d1);
            let _ = std::fs::remove_dir_all(&d2);
        }
    });
}
