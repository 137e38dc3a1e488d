//! Batch norm against the textbook formulas in f64, the running-statistics
//! update, precision under a large common offset, and errors.

use super::*;
use tensor::Device;

fn seq(n: usize, seed: f64) -> Vec<f64> {
    (0..n)
        .map(|i| ((i as f64 + seed) * 0.618).sin() * 2.0 + 0.3)
        .collect()
}

#[test]
fn train_forward_backward_and_running_stats_match_formulas() {
    let (n, c, s) = (3, 2, 5);
    let x = seq(n * c * s, 0.2);
    let g = seq(n * c * s, 4.0);
    let tx = Tensor::from_slice(&x, &[n, c, 5]).unwrap();
    let gamma = Tensor::from_slice(&[1.5, -0.5], &[2]).unwrap();
    let beta = Tensor::from_slice(&[0.1, 0.2], &[2]).unwrap();
    let rm = Tensor::from_slice(&[0.0, 1.0], &[2]).unwrap();
    let rv = Tensor::from_slice(&[1.0, 2.0], &[2]).unwrap();
    let (y, saved) =
        batch_norm_train(&tx, Some(&gamma), Some(&beta), Some((&rm, &rv)), 0.1, 1e-5).unwrap();
    let ty = Tensor::from_slice(&g, &[n, c, 5]).unwrap();
    let (dx, dg, db) =
        batch_norm_backward(&tx, Some(&gamma), &ty, &saved, [true, true, true]).unwrap();
    let (y, dx, dg, db) = (
        y.to_vec::<f64>().unwrap(),
        dx.unwrap().to_vec::<f64>().unwrap(),
        dg.unwrap().to_vec::<f64>().unwrap(),
        db.unwrap().to_vec::<f64>().unwrap(),
    );
    let (gm, bt, m) = ([1.5, -0.5], [0.1, 0.2], (n * s) as f64);
    for ch in 0..c {
        let idx: Vec<usize> = (0..n)
            .flat_map(|i| (0..s).map(move |j| (i * c + ch) * s + j))
            .collect();
        let mean = idx.iter().map(|&i| x[i]).sum::<f64>() / m;
        let var = idx.iter().map(|&i| (x[i] - mean).powi(2)).sum::<f64>() / m;
        let istd = 1.0 / (var + 1e-5).sqrt();
        let sg: f64 = idx.iter().map(|&i| g[i]).sum();
        let sgx: f64 = idx.iter().map(|&i| g[i] * (x[i] - mean) * istd).sum();
        assert!((db[ch] - sg).abs() < 1e-10 && (dg[ch] - sgx).abs() < 1e-10);
        for &i in &idx {
            let xh = (x[i] - mean) * istd;
            assert!((y[i] - (xh * gm[ch] + bt[ch])).abs() < 1e-10);
            let want = gm[ch] * istd / m * (m * g[i] - sg - xh * sgx);
            assert!((dx[i] - want).abs() < 1e-10, "{} vs {want}", dx[i]);
        }
        let r0 = [(0.0, 1.0), (1.0, 2.0)][ch];
        let rmv = rm.to_vec::<f64>().unwrap()[ch];
        let rvv = rv.to_vec::<f64>().unwrap()[ch];
        assert!((rmv - (0.9 * r0.0 + 0.1 * mean)).abs() < 1e-12);
        assert!((rvv - (0.9 * r0.1 + 0.1 * var * m / (m - 1.0))).abs() < 1e-12);
    }
}

#[test]
fn eval_uses_running_stats_and_leaves_them() {
    let x = Tensor::from_slice(&[1.0f32, 2.0, 3.0, 4.0], &[2, 2]).unwrap();
    let rm = Tensor::from_slice(&[0.5f32, -1.0], &[2]).unwrap();
    let rv = Tensor::from_slice(&[4.0f32, 0.25], &[2]).unwrap();
    let (y, saved) = batch_norm_eval(&x, None, None, &rm, &rv, 0.0).unwrap();
    assert_eq!(y.to_vec::<f32>().unwrap(), vec![0.25, 6.0, 1.25, 10.0]);
    assert_eq!(rm.to_vec::<f32>().unwrap(), vec![0.5, -1.0]);
    let g = Tensor::ones(&[2, 2], DType::F32, Device::Cpu).unwrap();
    let (dx, _, _) = batch_norm_backward(&x, None, &g, &saved, [true, false, false]).unwrap();
    assert_eq!(
        dx.unwrap().to_vec::<f32>().unwrap(),
        vec![0.5, 2.0, 0.5, 2.0]
    );
}

#[test]
fn f32_statistics_survive_a_large_offset() {
    // 1e4 + small noise: a naive E[x²] − E[x]² in f32 would lose the variance
    let n = 1 << 16;
    let v: Vec<f32> = (0..n).map(|i| 1.0e4 + ((i as f32) * 0.37).sin()).collect();
    let x = Tensor::from_vec(v.clone(), &[n, 1]).unwrap();
    let (y, saved) = batch_norm_train(&x, None, None, None, 0.1, 0.0).unwrap();
    let mean = v.iter().map(|&a| a as f64).sum::<f64>() / n as f64;
    let var = v.iter().map(|&a| (a as f64 - mean).powi(2)).sum::<f64>() / n as f64;
    assert!((saved.mean[0] - mean).abs() < 1e-9);
    assert!((1.0 / saved.inv_std[0].powi(2) - var).abs() < 1e-9 * var.max(1.0));
    let yv = y.to_vec::<f64>().unwrap();
    let ysd = (yv.iter().map(|a| a * a).sum::<f64>() / n as f64).sqrt();
    assert!((ysd - 1.0).abs() < 1e-3, "{ysd}");
}

#[test]
fn bad_input_is_an_error() {
    let x = Tensor::zeros(&[4, 3, 2, 2], DType::F32, Device::Cpu).unwrap();
    let w2 = Tensor::zeros(&[2], DType::F32, Device::Cpu).unwrap();
    let e = batch_norm_train(&x, Some(&w2), None, None, 0.1, 1e-5).unwrap_err();
    assert!(
        e.to_string().contains("batch_norm") && e.to_string().contains("[4, 3, 2, 2]"),
        "{e}"
    );
    let one = Tensor::zeros(&[1, 3], DType::F32, Device::Cpu).unwrap();
    let e = batch_norm_train(&one, None, None, None, 0.1, 1e-5).unwrap_err();
    assert!(e.to_string().contains("more than 1 value"), "{e}");
    let v = Tensor::zeros(&[4], DType::F32, Device::Cpu).unwrap();
    assert!(batch_norm_train(&v, None, None, None, 0.1, 1e-5).is_err());
    let w64 = Tensor::zeros(&[3], DType::F64, Device::Cpu).unwrap();
    assert!(batch_norm_eval(&x, None, None, &w64, &w64, 1e-5).is_err());
}
