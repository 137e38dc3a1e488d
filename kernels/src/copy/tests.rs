//! Unit tests of the copies.

use super::*;

#[test]
fn contiguous_copies_only_when_needed() {
    let a = Tensor::from_vec((0..6).map(|x| x as f32).collect(), &[2, 3]).unwrap();
    assert!(contiguous(&a).unwrap().same_storage(&a));
    let t = contiguous(&a.t().unwrap()).unwrap();
    assert!(!t.same_storage(&a));
    assert_eq!(t.to_vec_f32().unwrap(), vec![0., 3., 1., 4., 2., 5.]);
    let r = reshape(&a.t().unwrap(), &[6]).unwrap();
    assert_eq!(r.to_vec_f32().unwrap(), vec![0., 3., 1., 4., 2., 5.]);
    assert!(reshape(&a, &[3, 2]).unwrap().same_storage(&a));
}

#[test]
fn cat_along_dims() {
    let a = Tensor::from_vec(vec![1f32, 2., 3., 4.], &[2, 2]).unwrap();
    let b = Tensor::from_vec(vec![5f32, 6.], &[2, 1]).unwrap();
    assert_eq!(
        cat(&[a.clone(), b.clone()], 1)
            .unwrap()
            .to_vec_f32()
            .unwrap(),
        vec![1., 2., 5., 3., 4., 6.]
    );
    assert!(cat(&[a, b], 0).is_err());
}
