//! Differentiable ops, one file per family. Each op computes its forward with
//! `kernels` and records a closure for its backward rule.

mod batchnorm;
mod conv;
mod elementwise;
mod loss;
mod matmul;
mod pool;
mod reduce;
mod shape;
