//! Differentiable ops, one file or folder per family. Each op computes its
//! forward with `kernels` and records a backward rule written with `Var`
//! ops; a family's `backward` module holds its fused backward kernels as
//! ops with rules of their own.

mod batchnorm;
mod conv;
mod dropout;
mod elementwise;
mod loss;
mod matmul;
mod pool;
mod reduce;
mod shape;
