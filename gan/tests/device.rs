//! The device plumbing as far as a machine without a GPU can check it: models
//! built "on" the CPU are the plain ones, a checkpoint saved and loaded
//! through `state` (the path a GPU-trained run takes onto the CPU) continues
//! bit for bit, and asking for a missing GPU is an error, not a panic. The
//! GPU halves of these checks are in tests/tests/cuda_gan.rs.

mod common;
use common::scratch;
use gan::data::DatasetName;
use gan::models::ModelKind;
use gan::train::noise::{sample_z, step_rng, stream_rng};
use gan::train::state::{self, LogAcc, Position, Settings};
use gan::train::Gan;
use tensor::{Device, Tensor};

/// The models with a CUDA path (the DCGANs' layers have no CUDA kernels yet).
const MLPS: [ModelKind; 3] = [ModelKind::Mlp, ModelKind::MlpSmall, ModelKind::MlpDropout];

fn param_bits(gan: &Gan) -> Vec<u32> {
    [&gan.g, &gan.d]
        .iter()
        .flat_map(|m| m.named_parameters())
        .flat_map(|(_, p)| p.data().to_vec_f32().unwrap())
        .map(f32::to_bits)
        .collect()
}

fn opt_bits(gan: &Gan) -> Vec<u32> {
    [&gan.opt_g, &gan.opt_d]
        .iter()
        .flat_map(|o| o.state().unwrap())
        .flat_map(|(_, t)| t.to_vec_f32().unwrap())
        .map(f32::to_bits)
        .collect()
}

#[test]
fn saved_and_loaded_runs_continue_bit_for_bit() {
    for kind in MLPS {
        let spec = kind.spec();
        let real =
            Tensor::rand_uniform(&[spec.batch, 1, 28, 28], -1.0, 1.0, &mut step_rng(1, 0)).unwrap();
        let mut a = Gan::new_on(kind, 6, spec.lr, Device::Cpu).unwrap();
        assert_eq!(
            param_bits(&a),
            param_bits(&Gan::new(kind, 6, spec.lr).unwrap())
        );
        for k in 0..2 {
            a.train_step(&real, &mut step_rng(6, k)).unwrap();
        }
        let dir = scratch(&format!("device-{kind}"));
        let s = Settings {
            model: kind,
            dataset: DatasetName::from_name(spec.dataset).unwrap(),
            data_dir: None,
            epochs: 1,
            batch: spec.batch,
            lr: spec.lr,
            seed: 6,
            log_every: 100,
            limit_batches: None,
            recipe: Default::default(),
        };
        let pos = Position {
            epoch: 0,
            batch: 2,
            global_step: 2,
        };
        state::save(&dir, &a, &s, &pos, &LogAcc::default()).unwrap();
        let mut b = state::load(&dir, Device::Cpu).unwrap().gan;
        assert_eq!(param_bits(&b), param_bits(&a), "{kind}");
        assert_eq!(opt_bits(&b), opt_bits(&a), "{kind}");
        let z = sample_z(spec.z, spec.batch, spec.latent, &mut stream_rng(6, 3)).unwrap();
        for g in [&mut a, &mut b] {
            g.train_step_with_z(&real, z.clone(), &mut step_rng(6, 2))
                .unwrap()
                .resolve()
                .unwrap();
        }
        assert_eq!(
            param_bits(&b),
            param_bits(&a),
            "{kind}: a step after loading"
        );
        assert_eq!(opt_bits(&b), opt_bits(&a), "{kind}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}

#[test]
fn a_missing_gpu_is_an_error() {
    if kernels::cuda::available(0).is_ok() {
        println!("a GPU is usable here: see tests/tests/cuda_gan.rs");
        return;
    }
    let e = Gan::new_on(ModelKind::Mlp, 0, 2e-4, Device::Cuda(0))
        .err()
        .expect("no GPU, no model on it");
    assert!(e.to_string().contains("CUDA"), "{e}");
}
