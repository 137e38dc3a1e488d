//! Unit tests of max pooling.

use super::*;

#[test]
fn forward_picks_first_max_and_backward_scatters() {
    // one 4×4 plane, k2 s2: windows [0,1,4,5], [2,3,6,7], ...
    let v: Vec<f32> = vec![
        1., 3., 2., 2., //
        3., 0., 2., 1., //
        -1., -2., 5., 9., //
        -3., -1., 9., 0.,
    ];
    let x = Tensor::from_vec(v, &[1, 1, 4, 4]).unwrap();
    let (y, idx) = max_pool2d(&x, 2, 2).unwrap();
    assert_eq!(y.to_vec_f32().unwrap(), vec![3., 2., -1., 9.]);
    let g = Tensor::from_vec(vec![1f32, 2., 3., 4.], &[1, 1, 2, 2]).unwrap();
    let dx = max_pool2d_backward(&g, &idx, &[1, 1, 4, 4]).unwrap();
    let mut want = vec![0f32; 16];
    (want[1], want[2], want[8], want[11]) = (1., 2., 3., 4.);
    assert_eq!(dx.to_vec_f32().unwrap(), want);
    // overlapping windows (k3 s1) accumulate onto a shared maximum
    let (y, idx) = max_pool2d(&x, 3, 1).unwrap();
    assert_eq!(y.to_vec_f32().unwrap(), vec![5., 9., 9., 9.]);
    let g = Tensor::ones(&[1, 1, 2, 2], tensor::DType::F32, tensor::Device::Cpu).unwrap();
    let dx = max_pool2d_backward(&g, &idx, &[1, 1, 4, 4])
        .unwrap()
        .to_vec_f32()
        .unwrap();
    assert_eq!((dx[10], dx[11], dx[14]), (1.0, 2.0, 1.0));
}

#[test]
fn gather_reads_the_maxima_back() {
    let v: Vec<f32> = (0..32).map(|i| ((i * 7) % 11) as f32).collect();
    let x = Tensor::from_vec(v, &[1, 2, 4, 4]).unwrap();
    for (k, s) in [(2, 2), (3, 1)] {
        let (y, idx) = max_pool2d(&x, k, s).unwrap();
        // gathering the input itself gives the pooled values back
        let back = max_pool2d_gather(&x, &idx).unwrap();
        assert_eq!(back.to_vec_f32().unwrap(), y.to_vec_f32().unwrap());
        // and gather is the adjoint of the scatter: <scatter(g), u> = <g, gather(u)>
        let g: Vec<f32> = (0..y.numel()).map(|i| 0.5 + i as f32).collect();
        let g = Tensor::from_vec(g, y.shape()).unwrap();
        let u: Vec<f32> = (0..32).map(|i| (i as f32 * 0.37).sin()).collect();
        let u = Tensor::from_vec(u, x.shape()).unwrap();
        let dot = |a: &Tensor, b: &Tensor| -> f32 {
            let (a, b) = (a.to_vec_f32().unwrap(), b.to_vec_f32().unwrap());
            a.iter().zip(&b).map(|(p, q)| p * q).sum()
        };
        let lhs = dot(&max_pool2d_backward(&g, &idx, x.shape()).unwrap(), &u);
        let rhs = dot(&g, &max_pool2d_gather(&u, &idx).unwrap());
        assert!((lhs - rhs).abs() < 1e-4, "k{k} s{s}: {lhs} vs {rhs}");
    }
    let (_, idx) = max_pool2d(&x, 2, 2).unwrap();
    let wrong = Tensor::zeros(&[1, 2, 4, 5], tensor::DType::F32, tensor::Device::Cpu).unwrap();
    assert!(max_pool2d_gather(&wrong, &idx).is_err());
}

#[test]
fn bad_arguments_are_errors() {
    let x = Tensor::zeros(&[1, 2, 3, 3], tensor::DType::F32, tensor::Device::Cpu).unwrap();
    assert!(max_pool2d(&x, 4, 1)
        .unwrap_err()
        .to_string()
        .contains("max_pool2d"));
    assert!(max_pool2d(&x, 2, 0).is_err());
    let (_, idx) = max_pool2d(&x, 2, 1).unwrap();
    assert!(max_pool2d_backward(&x, &idx, &[1, 2, 3, 3]).is_err());
}
