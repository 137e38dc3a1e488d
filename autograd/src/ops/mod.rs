//! Differentiable ops, one file per family. Each op computes its forward with
//! `kernels` and records a closure for its backward rule.

mod elementwise;
mod loss;
mod matmul;
mod reduce;
mod shape;
