//! conv2d, conv_transpose2d, batch norm and max_pool2d on a GPU against the
//! same forward and backward on the CPU: on every parity fixture of those ops
//! (`fixtures`) and on the DCGAN layer shapes of
//! `../shared/reference/cases.json` (at a small batch, to stay quick:
//! `conv_layers`, `batchnorm_pool`), and whole DCGAN steps and checkpoints
//! (`dcgan_steps`). Each test skips, saying why, without a GPU. One test
//! binary: each would add its own link of the whole engine.

mod batchnorm_pool;
mod common;
mod conv_layers;
mod dcgan_steps;
mod fixtures;
