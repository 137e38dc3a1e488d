//! The training step in-process: bit-identical losses for the same seed, and
//! parameters that move.

use gan::models::ModelKind;
use gan::train::noise::step_rng;
use gan::train::{Gan, StepStats};
use tensor::Tensor;

fn run(kind: ModelKind, seed: u64, steps: u64) -> (Vec<StepStats>, Vec<f32>) {
    let mut gan = Gan::new(kind, seed, kind.spec().lr).unwrap();
    // The DCGANs on 8 images: batch 128 of 64×64 would take seconds a step.
    let spec = kind.spec();
    let b = if spec.flat_images { spec.batch } else { 8 };
    let mut shape = vec![b];
    shape.extend(spec.image);
    let mut r = step_rng(seed, u64::MAX);
    let real = Tensor::rand_uniform(&shape, -1.0, 1.0, &mut r).unwrap();
    let stats = (0..steps)
        .map(|k| gan.train_step(&real, &mut step_rng(seed, k)).unwrap())
        .collect();
    let params = gan
        .g
        .named_parameters()
        .iter()
        .flat_map(|(_, p)| p.data().to_vec_f32().unwrap())
        .collect();
    (stats, params)
}

#[test]
fn same_seed_bit_identical_losses() {
    for kind in ModelKind::ALL {
        let (a, pa) = run(kind, 11, 4);
        let (b, pb) = run(kind, 11, 4);
        let bits = |v: &[StepStats]| -> Vec<[u32; 4]> {
            v.iter()
                .map(|s| {
                    [
                        s.d_loss.to_bits(),
                        s.g_loss.to_bits(),
                        s.d_x.to_bits(),
                        s.d_gz.to_bits(),
                    ]
                })
                .collect()
        };
        assert_eq!(bits(&a), bits(&b), "{kind}");
        assert!(pa.iter().zip(&pb).all(|(x, y)| x.to_bits() == y.to_bits()));
        let (c, _) = run(kind, 12, 4);
        assert_ne!(bits(&a), bits(&c), "{kind}: another seed, other losses");
        assert!(a
            .iter()
            .all(|s| s.d_loss.is_finite() && s.g_loss.is_finite()));
    }
}

#[test]
fn eval_mode_turns_dropout_off() {
    let mut gan = Gan::new(ModelKind::MlpDropout, 0, 2e-3).unwrap();
    let z = Tensor::rand_uniform(&[8, 100], -1.0, 1.0, &mut step_rng(0, 0)).unwrap();
    let a = gan
        .generate(&z, &mut step_rng(1, 1))
        .unwrap()
        .to_vec_f32()
        .unwrap();
    let b = gan
        .generate(&z, &mut step_rng(2, 2))
        .unwrap()
        .to_vec_f32()
        .unwrap();
    assert_eq!(a, b, "no dropout noise in eval mode");
    assert!(gan.g.training(), "train mode restored");
}

/// Every parameter of G and D, by name, as bits.
fn named_bits(gan: &Gan) -> Vec<(String, Vec<u32>)> {
    [("G", &gan.g), ("D", &gan.d)]
        .iter()
        .flat_map(|(net, m)| {
            m.named_parameters().into_iter().map(move |(n, p)| {
                let bits = p.data().to_vec_f32().unwrap();
                (
                    format!("{net}.{n}"),
                    bits.into_iter().map(f32::to_bits).collect(),
                )
            })
        })
        .collect()
}

#[test]
fn every_parameter_of_g_and_d_moves_in_a_step() {
    for kind in ModelKind::ALL {
        let spec = kind.spec();
        let mut gan = Gan::new(kind, 3, spec.lr).unwrap();
        let mut shape = vec![if spec.flat_images { spec.batch } else { 8 }];
        shape.extend(spec.image);
        let real = Tensor::rand_uniform(&shape, -1.0, 1.0, &mut step_rng(3, u64::MAX)).unwrap();
        let before = named_bits(&gan);
        assert!(
            before.iter().any(|(n, _)| n.starts_with("G.")),
            "{kind}: G has parameters"
        );
        assert!(
            before.iter().any(|(n, _)| n.starts_with("D.")),
            "{kind}: D has parameters"
        );
        gan.train_step(&real, &mut step_rng(3, 0)).unwrap();
        for ((name, a), (_, b)) in before.iter().zip(named_bits(&gan)) {
            assert_ne!(*a, b, "{kind}: {name} did not move in one step");
        }
    }
}
