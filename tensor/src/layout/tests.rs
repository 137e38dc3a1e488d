//! Unit tests of the view math and of dimension merging.

use super::*;

fn collect(l: &Layout) -> Vec<usize> {
    l.indices().collect()
}

#[test]
fn transpose_is_stride_swap() {
    let l = Layout::contiguous(&[2, 3]);
    let t = l.transpose(0, 1).unwrap();
    assert_eq!(t.shape(), &[3, 2]);
    assert_eq!(collect(&t), vec![0, 3, 1, 4, 2, 5]);
    assert!(!t.is_contiguous());
}

#[test]
fn narrow_moves_offset() {
    let l = Layout::contiguous(&[4, 3]);
    let n = l.narrow(0, 1, 2).unwrap();
    assert_eq!(collect(&n), vec![3, 4, 5, 6, 7, 8]);
    let c = l.narrow(1, 1, 2).unwrap();
    assert_eq!(collect(&c), vec![1, 2, 4, 5, 7, 8, 10, 11]);
    assert!(l.narrow(1, 2, 2).is_err());
}

#[test]
fn broadcast_has_zero_strides() {
    let l = Layout::contiguous(&[3, 1]);
    let b = l.broadcast_to(&[2, 3, 4]).unwrap();
    assert_eq!(b.strides(), &[0, 1, 0]);
    assert!(l.broadcast_to(&[2, 4]).is_err());
}

#[test]
fn reshape_views_when_possible() {
    let l = Layout::contiguous(&[2, 3, 4]);
    assert_eq!(l.reshape(&[6, 4]).unwrap().unwrap().strides(), &[4, 1]);
    // transposed: merging the swapped dims needs a copy
    let t = l.transpose(1, 2).unwrap(); // [2,4,3] strides [12,1,4]
    assert!(t.reshape(&[2, 12]).unwrap().is_none());
    // but splitting the outer dim of a transposed view is fine
    let t2 = Layout::contiguous(&[6, 4]).transpose(0, 1).unwrap(); // [4,6] strides [1,4]
    let v = t2.reshape(&[4, 2, 3]).unwrap().unwrap();
    assert_eq!(v.strides(), &[1, 12, 4]);
    assert_eq!(collect(&v), collect(&t2));
    // narrowed rows stay viewable when merging the inner dims
    let n = Layout::contiguous(&[4, 2, 3]).narrow(0, 1, 2).unwrap();
    let v = n.reshape(&[2, 6]).unwrap().unwrap();
    assert_eq!(collect(&v), collect(&n));
    assert!(l.reshape(&[5, 5]).is_err());
}

#[test]
fn unsqueeze_squeeze_roundtrip() {
    let l = Layout::contiguous(&[2, 3]);
    let u = l.unsqueeze(1).unwrap();
    assert_eq!(u.shape(), &[2, 1, 3]);
    assert_eq!(u.squeeze(1).unwrap(), l);
    assert_eq!(l.unsqueeze(-1).unwrap().shape(), &[2, 3, 1]);
}

#[test]
fn broadcast_shapes_rules() {
    assert_eq!(
        broadcast_shapes("t", &[4, 1, 5], &[3, 1]).unwrap(),
        vec![4, 3, 5]
    );
    assert!(broadcast_shapes("t", &[2, 3], &[4]).is_err());
}

fn merged(shape: &[usize], strides: &[&[usize]]) -> (Vec<usize>, Vec<Vec<usize>>) {
    let m = Layout::merge_dims(shape, strides);
    (m.shape, m.strides)
}

#[test]
fn dense_operands_merge_to_rank_one() {
    let (sh, st) = merged(&[2, 3, 4], &[&[12, 4, 1], &[12, 4, 1]]);
    assert_eq!((sh, st), (vec![24], vec![vec![1], vec![1]]));
}

#[test]
fn broadcast_and_transposed_dims_stay_apart() {
    // b is broadcast along dim 1: [2, 3] with strides [1, 0].
    let (sh, st) = merged(&[2, 1, 3], &[&[3, 3, 1], &[1, 1, 0]]);
    assert_eq!(sh, vec![2, 3]);
    assert_eq!(st, vec![vec![3, 1], vec![1, 0]]);
    // A transpose keeps two dims.
    let (sh, _) = merged(&[4, 5], &[&[1, 4]]);
    assert_eq!(sh, vec![4, 5]);
    // All size-1: a scalar.
    let (sh, st) = merged(&[1, 1], &[&[1, 1]]);
    assert_eq!((sh, st), (vec![1], vec![vec![0]]));
}

#[test]
fn bias_row_broadcast_is_one_run_per_row() {
    // [B, F] + [F]: the bias has stride 0 along B, so the dims stay apart.
    let x = Layout::contiguous(&[4, 3]);
    let b = Layout::contiguous(&[3]).broadcast_to(&[4, 3]).unwrap();
    let m = Layout::merge_layouts(&[&x, &b]);
    assert_eq!(m.shape, vec![4, 3]);
    assert_eq!(m.strides, vec![vec![3, 1], vec![0, 1]]);
}
