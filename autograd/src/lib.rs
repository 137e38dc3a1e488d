//! Reverse-mode automatic differentiation, to any order.
//!
//! A [`Var`] is a tensor plus, when it was computed from other vars that need
//! gradients, a node holding those inputs and a backward rule. A rule is
//! written with `Var` ops, once per op: [`Var::backward`] and [`grad`] run it
//! with recording off, so it calls the same fused kernels a hand-written
//! backward would and records nothing; [`grad`] with
//! [`GradOptions::create_graph`] runs it with recording on, so the gradients
//! it returns are vars with a graph of their own, which can be differentiated
//! again (a gradient penalty, a Hessian-vector product, a third derivative).
//! The fused backward kernels (`tanh_backward`, `conv2d_input_grad`,
//! `bce_backward`, ...) are ops with rules of their own, as in PyTorch's
//! `derivatives.yaml`.
//!
//! Without `retain_graph`, a backward releases each node it runs through (and
//! the tensors its rule kept); with `create_graph` the graph is kept by default.
//!
//! A WGAN-GP penalty (Gulrajani et al. 2017), λ·mean((‖∇ₓD(x̂)‖₂ − 1)²) on
//! interpolates x̂ of real and fake samples, backpropagated into D's parameters:
//!
//! ```
//! use autograd::{grad, GradOptions, Tensor, Var};
//! # let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(0);
//! # let randn = |s: &[usize], rng: &mut _| Tensor::randn(s, 0.0, 1.0, rng);
//! let (w1, w2) = (Var::param(randn(&[16, 8], &mut rng)?), Var::param(randn(&[1, 16], &mut rng)?));
//! let critic = |x: &Var| x.linear(&w1, None)?.leaky_relu(0.2)?.linear(&w2, None);
//! let (real, fake) = (randn(&[4, 8], &mut rng)?, randn(&[4, 8], &mut rng)?);
//! let eps = Var::constant(Tensor::rand_uniform(&[4, 1], 0.0, 1.0, &mut rng)?);
//! let x_hat = eps.mul(&Var::constant(real))?.add(&eps.neg()?.add_scalar(1.0)?.mul(&Var::constant(fake))?)?;
//! let x_hat = Var::param(x_hat.data().clone()); // a leaf to differentiate by
//! let d_sum = critic(&x_hat)?.sum_all()?;
//! let gx = grad(&[d_sum], &[x_hat], &[], GradOptions::new().create_graph(true))?[0].clone().unwrap();
//! let norm = gx.square()?.sum(&[1], false)?.sqrt()?; // ‖∇D(x̂ₙ)‖₂ per sample
//! let penalty = norm.add_scalar(-1.0)?.square()?.mean_all()?.mul_scalar(10.0)?;
//! penalty.backward()?; // second order: into w1 and w2 through the gradient
//! assert!(w1.grad().is_some() && w2.grad().is_some());
//! # Ok::<(), autograd::Error>(())
//! ```

#![warn(missing_docs)]

mod engine;
mod grad;
mod grad_mode;
mod ops;
mod var;

pub use grad::{grad, BackwardOptions, GradOptions};
pub use grad_mode::{is_grad_enabled, no_grad, NoGradGuard};
pub use tensor::{DType, Device, Error, Result, Tensor};
pub use var::Var;
