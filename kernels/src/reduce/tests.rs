//! Unit tests of the reductions.

use super::*;

fn t(v: &[f32], s: &[usize]) -> Tensor {
    Tensor::from_slice(v, s).unwrap()
}

#[test]
fn sums_over_axes_and_back_to_a_broadcast_shape() {
    let x = t(&[1., 2., 3., 4., 5., 6.], &[2, 3]);
    let rows = sum_axes(&x, &[1], false).unwrap();
    assert_eq!(rows.shape(), &[2]);
    assert_eq!(rows.to_vec_f32().unwrap(), vec![6., 15.]);
    let cols = sum_axes(&x, &[-2], true).unwrap();
    assert_eq!(cols.shape(), &[1, 3]);
    assert_eq!(cols.to_vec_f32().unwrap(), vec![5., 7., 9.]);
    assert_eq!(
        sum_to_shape(&x, &[3]).unwrap().to_vec_f32().unwrap(),
        vec![5., 7., 9.]
    );
    assert!(
        sum_axes(&x, &[1, -1], false).is_err(),
        "an axis given twice"
    );
}

#[test]
fn max_picks_the_first_maximum_and_scatters_back() {
    let x = t(&[1., 7., 7., 4., 2., 3.], &[2, 3]);
    let (m, idx) = max_dim(&x, 1, false).unwrap();
    assert_eq!(m.to_vec_f32().unwrap(), vec![7., 4.]);
    assert_eq!(idx, vec![1, 0]);
    let g = scatter_to_dim(&t(&[10., 20.], &[2]), &idx, &[2, 3], 1).unwrap();
    assert_eq!(g.to_vec_f32().unwrap(), vec![0., 10., 0., 20., 0., 0.]);
}
