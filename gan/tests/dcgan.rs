//! The DCGANs in-process on tiny batches: a deterministic training step that
//! updates the batchnorm running statistics and counts batches as PyTorch
//! does, the 64×64 shapes, and checkpoints that keep the running statistics
//! and `num_batches_tracked` (int64) through a save and a load.

mod common;
use common::scratch;
use gan::data::DatasetName;
use gan::io::checkpoint;
use gan::models::ModelKind;
use gan::nn::Module;
use gan::train::noise::step_rng;
use gan::train::state::{self, LogAcc, Position, Settings};
use gan::train::{Gan, StepStats};
use std::collections::HashMap;
use tensor::Tensor;

fn real(shape: &[usize]) -> Tensor {
    Tensor::rand_uniform(shape, -1.0, 1.0, &mut step_rng(99, u64::MAX)).unwrap()
}

fn stat_bits(s: &StepStats) -> [u32; 4] {
    [s.d_loss, s.g_loss, s.d_x, s.d_gz].map(f32::to_bits)
}

/// Every f32 of a module's state_dict (parameters and running statistics), as bits.
fn state_bits(m: &dyn Module) -> Vec<(String, Vec<u32>)> {
    m.state_dict()
        .into_iter()
        .map(|(n, t)| {
            (
                n,
                t.to_vec_f32()
                    .unwrap()
                    .iter()
                    .map(|v| v.to_bits())
                    .collect(),
            )
        })
        .collect()
}

fn counts(m: &dyn Module) -> HashMap<String, i64> {
    m.named_counts()
        .into_iter()
        .map(|(n, c)| (n, c.get()))
        .collect()
}

fn steps(gan: &mut Gan, x: &Tensor, seed: u64, n: u64) -> Vec<[u32; 4]> {
    (0..n)
        .map(|k| stat_bits(&gan.train_step(x, &mut step_rng(seed, k)).unwrap()))
        .collect()
}

#[test]
fn dcgan28_step_is_deterministic_and_tracks_batchnorm_state() {
    let x = real(&[16, 1, 28, 28]);
    let mut a = Gan::new(ModelKind::Dcgan28, 4, 2e-4).unwrap();
    let fresh = state_bits(a.g.as_ref());
    let sa = steps(&mut a, &x, 4, 3);
    let mut b = Gan::new(ModelKind::Dcgan28, 4, 2e-4).unwrap();
    assert_eq!(sa, steps(&mut b, &x, 4, 3), "same seed, same bits");
    assert_eq!(state_bits(a.g.as_ref()), state_bits(b.g.as_ref()));
    assert_eq!(state_bits(a.d.as_ref()), state_bits(b.d.as_ref()));
    let mut c = Gan::new(ModelKind::Dcgan28, 5, 2e-4).unwrap();
    assert_ne!(sa, steps(&mut c, &x, 5, 3), "another seed, other losses");

    // Every tensor of G moved: weights by Adam, running statistics by the
    // training-mode forwards.
    for ((n, before), (_, after)) in fresh.iter().zip(state_bits(a.g.as_ref())) {
        assert_ne!(*before, after, "G {n} did not change");
    }
    // PyTorch counts a batch on every training-mode forward: G runs once per
    // step, D three times (real, detached fake, and fake in the G update).
    assert!(
        counts(a.g.as_ref()).values().all(|&c| c == 3),
        "{:?}",
        counts(a.g.as_ref())
    );
    assert!(
        counts(a.d.as_ref()).values().all(|&c| c == 9),
        "{:?}",
        counts(a.d.as_ref())
    );
    assert_eq!(counts(a.g.as_ref()).len(), 3);
    assert_eq!(counts(a.d.as_ref()).len(), 2);
    assert!(sa.iter().flatten().all(|b| f32::from_bits(*b).is_finite()));
}

#[test]
fn dcgan64_steps_and_generates_64x64() {
    let mut gan = Gan::new(ModelKind::Dcgan64, 0, 2e-4).unwrap();
    let s = gan
        .train_step(&real(&[4, 1, 64, 64]), &mut step_rng(0, 0))
        .unwrap();
    assert!(s.d_loss.is_finite() && s.g_loss.is_finite(), "{s:?}");
    let z = Tensor::randn(&[2, 100, 1, 1], 0.0, 1.0, &mut step_rng(0, 1)).unwrap();
    let before = counts(gan.g.as_ref());
    let img = gan.generate(&z, &mut step_rng(0, 2)).unwrap();
    assert_eq!(img.shape(), [2, 1, 64, 64]);
    assert!(img.to_vec_f32().unwrap().iter().all(|v| v.abs() <= 1.0));
    assert_eq!(counts(gan.g.as_ref()), before, "sampling changes no state");
    // Eval mode: an image depends on its own z, not on the rest of the batch.
    let alone = gan
        .generate(&z.narrow(0, 0, 1).unwrap(), &mut step_rng(0, 2))
        .unwrap()
        .to_vec_f32()
        .unwrap();
    let in_batch = img.to_vec_f32().unwrap();
    assert!(alone
        .iter()
        .zip(&in_batch[..alone.len()])
        .all(|(a, b)| (a - b).abs() < 1e-5));
    // D of 28×28 images cannot work: a clean error, not a panic.
    assert!(gan
        .train_step(&real(&[4, 1, 28, 28]), &mut step_rng(0, 3))
        .is_err());
}

fn settings() -> Settings {
    Settings {
        model: ModelKind::Dcgan28,
        dataset: DatasetName::Mnist,
        data_dir: None,
        epochs: 1,
        batch: 16,
        lr: 2e-4,
        seed: 4,
        log_every: 100,
        limit_batches: None,
        recipe: Default::default(),
    }
}

#[test]
fn checkpoints_keep_running_stats_and_int64_counts() {
    let dir = scratch("dcgan-ckpt");
    let x = real(&[16, 1, 28, 28]);
    let mut gan = Gan::new(ModelKind::Dcgan28, 4, 2e-4).unwrap();
    steps(&mut gan, &x, 4, 2);
    let pos = Position {
        epoch: 0,
        batch: 2,
        global_step: 2,
    };
    state::save(&dir, &gan, &settings(), &pos, &LogAcc::default()).unwrap();

    // On disk: num_batches_tracked is an int64 scalar, as in PyTorch.
    let bytes = std::fs::read(dir.join(state::G_FILE)).unwrap();
    let st = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    let v = st.tensor("1.num_batches_tracked").unwrap();
    assert_eq!(v.dtype(), safetensors::Dtype::I64);
    assert!(v.shape().is_empty());
    assert_eq!(v.data(), 2i64.to_le_bytes());
    let v = st.tensor("1.running_var").unwrap();
    assert_eq!(
        (v.dtype(), v.shape()),
        (safetensors::Dtype::F32, &[112][..])
    );

    // Loaded back: the same values, and the next step is the same step.
    let mut back = state::load(&dir, tensor::Device::Cpu).unwrap().gan;
    for (m, n) in [(&gan.g, &back.g), (&gan.d, &back.d)] {
        assert_eq!(state_bits(m.as_ref()), state_bits(n.as_ref()));
        assert_eq!(counts(m.as_ref()), counts(n.as_ref()));
    }
    let next = |g: &mut Gan| stat_bits(&g.train_step(&x, &mut step_rng(4, 2)).unwrap());
    assert_eq!(next(&mut back), next(&mut gan));
    assert_eq!(state_bits(back.d.as_ref()), state_bits(gan.d.as_ref()));
}

#[test]
fn a_float_num_batches_tracked_is_refused() {
    let dir = scratch("dcgan-f32-count");
    let (g, _) = ModelKind::Dcgan28.build(0).unwrap();
    // The state_dict with every count written as an f32 tensor instead.
    let mut sd = g.state_dict();
    for (n, _) in g.named_counts() {
        sd.push((n, Tensor::scalar(0.0)));
    }
    let path = dir.join("G.safetensors");
    checkpoint::save(&path, &sd, HashMap::new()).unwrap();
    let l = checkpoint::read(&path).unwrap();
    let err = checkpoint::load_into(&path, g.as_ref(), &l).unwrap_err();
    assert!(err.to_string().contains("int64 scalar"), "{err}");
    // Without the counts at all: strict loading names the missing keys.
    checkpoint::save(&path, &g.state_dict(), HashMap::new()).unwrap();
    let l = checkpoint::read(&path).unwrap();
    let err = checkpoint::load_into(&path, g.as_ref(), &l).unwrap_err();
    assert!(err.to_string().contains("1.num_batches_tracked"), "{err}");
}
