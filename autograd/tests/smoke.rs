use autograd::Var;
use tensor::Tensor;

#[test]
fn linear_relu_sum_backward() {
    let x = Var::constant(Tensor::from_vec(vec![1f32, -2., 3., 0.5, 1., -1.], &[2, 3]).unwrap());
    let w = Var::param(Tensor::from_vec(vec![0.1f32, 0.2, 0.3, -0.4, 0.5, 0.6], &[2, 3]).unwrap());
    let b = Var::param(Tensor::from_vec(vec![0.5f32, -0.5], &[2]).unwrap());
    let y = x
        .linear(&w, Some(&b))
        .unwrap()
        .relu()
        .unwrap()
        .sum_all()
        .unwrap();
    y.backward().unwrap();
    // row0: [0.1-0.4+0.9+0.5, -0.4-1.0+1.8-0.5] = [1.1, -0.1] → relu mask [1, 0]
    // row1: [0.05+0.2-0.3+0.5, -0.2+0.5-0.6-0.5] = [0.45, -0.8] → [1, 0]
    assert!((y.item().unwrap() - 1.55).abs() < 1e-6);
    assert_eq!(b.grad().unwrap().to_vec_f32().unwrap(), vec![2.0, 0.0]);
    assert_eq!(
        w.grad().unwrap().to_vec_f32().unwrap(),
        vec![1.5, -1.0, 2.0, 0.0, 0.0, 0.0]
    );
    assert!(
        y.backward().is_err(),
        "second backward through a released graph must fail"
    );
}

#[test]
fn gradients_accumulate_when_used_twice() {
    let a = Var::param(Tensor::from_vec(vec![2f32, 3.], &[2]).unwrap());
    let y = a.mul(&a).unwrap().add(&a).unwrap().sum_all().unwrap();
    y.backward().unwrap();
    assert_eq!(a.grad().unwrap().to_vec_f32().unwrap(), vec![5.0, 7.0]);
    let z = autograd::no_grad(|| a.mul(&a).unwrap());
    assert!(!z.requires_grad());
}
