//! The fused CPU updates against the textbook formulas in f64.

use super::*;

fn t(v: &[f32]) -> Tensor {
    Tensor::from_slice(v, &[v.len()]).unwrap()
}

#[test]
fn adam_matches_the_formula_over_steps() {
    let h = AdamHyper {
        lr: 0.01,
        beta1: 0.9,
        beta2: 0.999,
        eps: 1e-8,
        weight_decay: 0.1,
    };
    let (p0, g) = (vec![0.5f32, -1.0, 2.0], vec![0.1f32, -0.3, 0.0]);
    let (p, m, v) = (t(&p0), t(&[0.0; 3]), t(&[0.0; 3]));
    let gt = t(&g);
    let (mut pr, mut mr, mut vr) = (
        p0.iter().map(|&x| x as f64).collect::<Vec<_>>(),
        vec![0.0; 3],
        vec![0.0; 3],
    );
    for step in 1..=3u64 {
        adam_step(&p, &gt, &m, &v, step, &h).unwrap();
        for i in 0..3 {
            let gi = g[i] as f64 + h.weight_decay * pr[i];
            mr[i] = h.beta1 * mr[i] + (1.0 - h.beta1) * gi;
            vr[i] = h.beta2 * vr[i] + (1.0 - h.beta2) * gi * gi;
            let bc1 = 1.0 - h.beta1.powi(step as i32);
            let bc2 = 1.0 - h.beta2.powi(step as i32);
            pr[i] -= h.lr / bc1 * mr[i] / (vr[i].sqrt() / bc2.sqrt() + h.eps);
        }
    }
    for (a, b) in p.to_vec_f32().unwrap().iter().zip(&pr) {
        assert!((*a as f64 - b).abs() < 1e-5, "{a} vs {b}");
    }
}

#[test]
fn sgd_momentum_and_nesterov() {
    let h = SgdHyper {
        lr: 0.1,
        momentum: 0.9,
        dampening: 0.0,
        weight_decay: 0.0,
        nesterov: true,
    };
    let (p, b, g) = (t(&[1.0, 2.0]), t(&[0.0, 0.0]), t(&[0.5, -1.0]));
    sgd_step(&p, &g, Some(&b), true, &h).unwrap();
    // buf = g; step = g + 0.9 g
    assert_eq!(b.to_vec_f32().unwrap(), vec![0.5, -1.0]);
    let want: Vec<f32> = vec![1.0 - 0.1 * (0.5 + 0.9 * 0.5), 2.0 - 0.1 * (-1.0 - 0.9)];
    for (a, w) in p.to_vec_f32().unwrap().iter().zip(&want) {
        assert!((a - w).abs() < 1e-6);
    }
    sgd_step(&p, &g, Some(&b), false, &h).unwrap();
    assert!((b.to_vec_f32().unwrap()[0] - (0.9 * 0.5 + 0.5)).abs() < 1e-6);
    let plain = SgdHyper {
        lr: 1.0,
        ..SgdHyper::default()
    };
    sgd_step(&p, &g, None, true, &plain).unwrap();
}

#[test]
fn bad_optimiser_input_is_an_error() {
    let h = AdamHyper {
        lr: 0.01,
        beta1: 0.9,
        beta2: 0.999,
        eps: 1e-8,
        weight_decay: 0.0,
    };
    let (p, g, m) = (t(&[1.0, 2.0]), t(&[1.0]), t(&[0.0, 0.0]));
    assert!(adam_step(&p, &g, &m, &t(&[0.0, 0.0]), 1, &h).is_err());
    assert!(adam_step(&p, &t(&[1.0, 1.0]), &m, &m, 1, &h).is_err());
    assert!(adam_step(&p, &t(&[1.0, 1.0]), &m, &t(&[0.0, 0.0]), 0, &h).is_err());
    let mom = SgdHyper {
        lr: 0.1,
        momentum: 0.9,
        ..SgdHyper::default()
    };
    assert!(sgd_step(&p, &t(&[1.0, 1.0]), None, true, &mom).is_err());
}

#[test]
fn lerp_many_is_torchs_lerp_and_checks_its_weight() {
    let (a, b) = (t(&[1.0, -2.0, 0.5]), t(&[3.0, 2.0, 0.5]));
    let (c, d) = (t(&[0.0; 2]), t(&[1.0, -1.0]));
    let list = [
        LerpTensors { avg: &a, value: &b },
        LerpTensors { avg: &c, value: &d },
    ];
    // An EMA step of decay 0.75: avg + 0.25 (value − avg).
    lerp_many(&list, 0.25).unwrap();
    assert_eq!(a.to_vec_f32().unwrap(), vec![1.5, -1.0, 0.5]);
    assert_eq!(c.to_vec_f32().unwrap(), vec![0.25, -0.25]);
    // The other side of PyTorch's formula: value − (value − avg)(1 − w).
    lerp_many(&list[..1], 0.75).unwrap();
    assert_eq!(a.to_vec_f32().unwrap(), vec![2.625, 1.25, 0.5]);
    assert!(lerp_many(&list, 1.5).is_err());
    let short = t(&[1.0]);
    let bad = [LerpTensors {
        avg: &a,
        value: &short,
    }];
    assert!(lerp_many(&bad, 0.5).is_err());
}
