//! `autograd::grad` and `backward_with_options` behave as
//! `torch.autograd.grad` and `backward(retain_graph=...)`: what they return,
//! what they accumulate, when the graph is kept, and the errors.

// `&[x.clone()]` reads as the list of inputs it is.
#![allow(clippy::cloned_ref_to_slice_refs)]

use autograd::{grad, BackwardOptions, GradOptions, Tensor, Var};

fn t(v: &[f64]) -> Tensor {
    Tensor::from_vec(v.to_vec(), &[v.len()]).unwrap()
}

fn vals(v: &Var) -> Vec<f64> {
    v.data().to_vec::<f64>().unwrap()
}

#[test]
fn grad_returns_gradients_and_accumulates_nothing() {
    let x = Var::param(t(&[1.0, 2.0]));
    let w = Var::param(t(&[3.0, -1.0]));
    let y = x.mul(&w).unwrap().sum_all().unwrap();
    let g = grad(&[y], &[x.clone(), w.clone()], &[], GradOptions::new()).unwrap();
    assert_eq!(vals(g[0].as_ref().unwrap()), vec![3.0, -1.0]);
    assert_eq!(vals(g[1].as_ref().unwrap()), vec![1.0, 2.0]);
    assert!(
        x.grad().is_none() && w.grad().is_none(),
        "grad accumulates into no leaf"
    );
    assert!(
        !g[0].as_ref().unwrap().requires_grad(),
        "no graph without create_graph"
    );
}

#[test]
fn create_graph_gives_differentiable_gradients_to_third_order() {
    // f = Σx⁴: f′ = 4x³, f″ = 12x², f‴ = 24x
    let x = Var::param(t(&[0.5, -2.0]));
    let f = x.pow_scalar(4.0).unwrap().sum_all().unwrap();
    let keep = GradOptions::new().create_graph(true);
    let d1 = grad(&[f], &[x.clone()], &[], keep).unwrap()[0]
        .clone()
        .unwrap();
    assert!(d1.requires_grad());
    assert_eq!(vals(&d1), vec![0.5, -32.0]);
    let d2 = grad(&[d1.sum_all().unwrap()], &[x.clone()], &[], keep).unwrap()[0]
        .clone()
        .unwrap();
    assert_eq!(vals(&d2), vec![3.0, 48.0]);
    let d3 = grad(
        &[d2.sum_all().unwrap()],
        &[x.clone()],
        &[],
        GradOptions::new(),
    )
    .unwrap();
    assert_eq!(vals(d3[0].as_ref().unwrap()), vec![12.0, -48.0]);
}

#[test]
fn a_penalty_on_a_gradient_backpropagates_into_the_parameters() {
    // D(x) = Σ tanh(w·x); ∂D/∂x = w(1 − tanh²(wx)); penalty = Σ(∂D/∂x)²
    let w = Var::param(t(&[0.7]));
    let x = Var::param(t(&[0.3, -1.1]));
    let d = x.mul(&w).unwrap().tanh().unwrap().sum_all().unwrap();
    let opts = GradOptions::new().create_graph(true);
    let gx = grad(&[d], &[x.clone()], &[], opts).unwrap()[0]
        .clone()
        .unwrap();
    let pen = gx.square().unwrap().sum_all().unwrap();
    pen.backward().unwrap();
    // d/dw Σ w²(1 − t²)² with t = tanh(wx): 2w(1−t²)² − 4w²(1−t²)·t·(1−t²)·x
    let want: f64 = [0.3f64, -1.1]
        .iter()
        .map(|&xv| {
            let tt = (0.7 * xv).tanh();
            let s = 1.0 - tt * tt;
            2.0 * 0.7 * s * s - 4.0 * 0.49 * s * s * tt * xv
        })
        .sum();
    let got = w.grad().unwrap().to_vec::<f64>().unwrap()[0];
    assert!((got - want).abs() < 1e-12, "{got} vs {want}");
}

#[test]
fn unused_inputs_are_errors_unless_allowed() {
    let x = Var::param(t(&[1.0]));
    let unused = Var::param(t(&[5.0, 6.0]));
    let y = x.square().unwrap().sum_all().unwrap();
    let e = grad(
        &[y.clone()],
        &[x.clone(), unused.clone()],
        &[],
        GradOptions::new().retain_graph(true),
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("input 1") && e.contains("[2]") && e.contains("allow_unused"),
        "{e}"
    );
    let g = grad(
        &[y],
        &[x, unused],
        &[],
        GradOptions::new().allow_unused(true),
    )
    .unwrap();
    assert!(g[0].is_some() && g[1].is_none());
}

#[test]
fn an_input_in_the_graph_gets_zeros_when_no_gradient_reaches_it() {
    // relu's gradient does not depend on x: its second derivative is zero,
    // returned as zeros (PyTorch's zeros_like), not as an unused input
    let x = Var::param(t(&[1.0, -1.0]));
    let y = x.relu().unwrap().sum_all().unwrap();
    let gx = grad(
        &[y],
        &[x.clone()],
        &[],
        GradOptions::new().create_graph(true),
    )
    .unwrap();
    // relu_backward(x, g) is an op of x: its result is in x's graph
    let gx = gx[0].clone().unwrap();
    assert!(gx.requires_grad());
    let g2 = grad(&[gx.sum_all().unwrap()], &[x], &[], GradOptions::new()).unwrap();
    assert_eq!(vals(g2[0].as_ref().unwrap()), vec![0.0, 0.0]);
    // the same with an upstream gradient that requires grad
    let x = Var::param(t(&[1.0, -1.0]));
    let v = Var::param(t(&[2.0, 3.0]));
    let y = x.relu().unwrap();
    let gx = grad(
        &[y],
        &[x.clone()],
        &[Some(v)],
        GradOptions::new().create_graph(true),
    )
    .unwrap();
    let s = gx[0].clone().unwrap().sum_all().unwrap();
    let g2 = grad(&[s], &[x], &[], GradOptions::new()).unwrap();
    assert_eq!(vals(g2[0].as_ref().unwrap()), vec![0.0, 0.0]);
}

#[test]
fn gradients_of_intermediate_values() {
    let x = Var::param(t(&[2.0, 3.0]));
    let h = x.square().unwrap();
    let y = h.mul_scalar(5.0).unwrap().sum_all().unwrap();
    let g = grad(&[y], &[h], &[], GradOptions::new()).unwrap();
    assert_eq!(vals(g[0].as_ref().unwrap()), vec![5.0, 5.0]);
}

#[test]
fn retain_graph_lets_one_forward_be_backpropagated_twice() {
    let x = Var::param(t(&[3.0]));
    let y = x.square().unwrap().sum_all().unwrap();
    let keep = BackwardOptions { retain_graph: true };
    y.backward_with_options(None, keep).unwrap();
    y.backward_with_options(None, keep).unwrap();
    y.backward().unwrap();
    assert_eq!(x.grad().unwrap().to_vec::<f64>().unwrap(), vec![18.0]);
    let e = y.backward().unwrap_err().to_string();
    assert!(e.contains("released") && e.contains("retain_graph"), "{e}");
}

#[test]
fn grad_releases_the_graph_unless_kept() {
    let x = Var::param(t(&[3.0]));
    let y = x.exp().unwrap().sum_all().unwrap();
    grad(&[y.clone()], &[x.clone()], &[], GradOptions::new()).unwrap();
    assert!(grad(&[y], &[x.clone()], &[], GradOptions::new()).is_err());
    // create_graph keeps it by default
    let y = x.exp().unwrap().sum_all().unwrap();
    let keep = GradOptions::new().create_graph(true);
    grad(&[y.clone()], &[x.clone()], &[], keep).unwrap();
    grad(&[y], &[x], &[], keep).unwrap();
}

#[test]
fn bad_arguments_are_clear_errors() {
    let x = Var::param(t(&[1.0, 2.0]));
    let c = Var::constant(t(&[1.0, 2.0]));
    let y = x.mul(&c).unwrap();
    let opts = GradOptions::new().retain_graph(true);
    let e = grad(&[y.clone()], &[x.clone()], &[], opts)
        .unwrap_err()
        .to_string();
    assert!(e.contains("more than one element"), "{e}");
    let wrong = Var::constant(t(&[1.0, 2.0, 3.0]));
    let e = grad(&[y.clone()], &[x.clone()], &[Some(wrong)], opts)
        .unwrap_err()
        .to_string();
    assert!(e.contains("[2]") && e.contains("[3]"), "{e}");
    let e = grad(&[y.clone()], &[c.clone()], &[Some(c.clone())], opts)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("input 0") && e.contains("does not require grad"),
        "{e}"
    );
    let e = grad(&[c.clone()], &[x.clone()], &[Some(c)], opts)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("output 0") && e.contains("does not require grad"),
        "{e}"
    );
    assert!(grad(&[], &[x], &[], opts).is_err());
}
