//! Shared machinery of the correctness suite: central-difference gradient checks
//! in f64 and the PyTorch parity harness. The tests themselves live in `tests/`.

pub mod gpu;
pub mod gradcheck;
pub mod kernel_report;
pub mod op_cases;
pub mod parity;
