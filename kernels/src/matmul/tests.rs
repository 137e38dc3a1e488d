//! Unit tests of matmul and linear.

use super::*;

fn naive(a: &[f32], b: &[f32], m: usize, k: usize, n: usize) -> Vec<f32> {
    let mut c = vec![0.0; m * n];
    for i in 0..m {
        for j in 0..n {
            c[i * n + j] = (0..k).map(|p| a[i * k + p] * b[p * n + j]).sum();
        }
    }
    c
}

#[test]
fn transposed_operand_is_not_copied_and_correct() {
    let (m, k, n) = (5, 7, 3);
    let a: Vec<f32> = (0..m * k).map(|v| (v as f32 * 0.37).sin()).collect();
    let bt: Vec<f32> = (0..n * k).map(|v| (v as f32 * 0.11).cos()).collect(); // [n, k]
    let b: Vec<f32> = (0..k * n).map(|idx| bt[(idx % n) * k + idx / n]).collect(); // [k, n]
    let ta = Tensor::from_slice(&a, &[m, k]).unwrap();
    let tbt = Tensor::from_slice(&bt, &[n, k]).unwrap();
    let c = matmul(&ta, &tbt.t().unwrap())
        .unwrap()
        .to_vec_f32()
        .unwrap();
    for (x, y) in c.iter().zip(naive(&a, &b, m, k, n)) {
        assert!((x - y).abs() < 1e-5);
    }
    let e = matmul(&ta, &ta).unwrap_err();
    assert!(e.to_string().contains("[5, 7]"), "{e}");
}

#[test]
fn batched_broadcast_and_vectors() {
    let a = Tensor::from_vec((0..12).map(|v| v as f32).collect(), &[2, 2, 3]).unwrap();
    let b = Tensor::from_vec(vec![1f32, 0., 0., 1., 1., 1.], &[3, 2]).unwrap();
    let c = matmul(&a, &b).unwrap();
    assert_eq!(c.shape(), &[2, 2, 2]);
    assert_eq!(
        c.to_vec_f32().unwrap(),
        vec![2., 3., 8., 9., 14., 15., 20., 21.]
    );
    let v = Tensor::from_vec(vec![1f32, 2., 3.], &[3]).unwrap();
    assert_eq!(matmul(&v, &b).unwrap().to_vec_f32().unwrap(), vec![4., 5.]);
}
