//! Reverse-mode automatic differentiation.
//!
//! A [`Var`] is a tensor plus, when it was computed from other vars that need
//! gradients, a node holding those inputs and a closure that maps the gradient of
//! the output to the gradients of the inputs. [`Var::backward`] walks the graph in
//! reverse topological order, runs each closure once and releases it (and the
//! tensors it saved) as it goes, accumulating gradients into leaf vars.

#![warn(missing_docs)]

mod grad_mode;
mod ops;
mod var;

pub use grad_mode::{is_grad_enabled, no_grad, NoGradGuard};
pub use tensor::{DType, Device, Error, Result, Tensor};
pub use var::Var;
