//! Typed errors. Every message names the op and the shapes involved, so that a
//! user reading it knows what was called with what.

use crate::{DType, Device};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{op}: shapes {lhs:?} and {rhs:?} are incompatible{detail}")]
    ShapeMismatch {
        op: &'static str,
        lhs: Vec<usize>,
        rhs: Vec<usize>,
        detail: String,
    },
    #[error("{op}: expected dtype {expected:?}, got {got:?}")]
    DTypeMismatch {
        op: &'static str,
        expected: DType,
        got: DType,
    },
    #[error("{op}: tensors live on different devices ({lhs:?} and {rhs:?})")]
    DeviceMismatch {
        op: &'static str,
        lhs: Device,
        rhs: Device,
    },
    #[error("{op}: dimension {dim} is out of range for a tensor of shape {shape:?}")]
    DimOutOfRange {
        op: &'static str,
        dim: isize,
        shape: Vec<usize>,
    },
    #[error("{op}: {msg} (shape {shape:?})")]
    InvalidArgument {
        op: &'static str,
        msg: String,
        shape: Vec<usize>,
    },
    #[error("{op}: {msg}")]
    Invalid { op: &'static str, msg: String },
    #[error("{op}: a tensor of shape {shape:?} with strides {strides:?} cannot be viewed as {target:?} without a copy")]
    NotViewable {
        op: &'static str,
        shape: Vec<usize>,
        strides: Vec<usize>,
        target: Vec<usize>,
    },
    #[error("{op}: not supported on {device:?}: {msg}")]
    Unsupported {
        op: &'static str,
        device: Device,
        msg: String,
    },
    #[error("CUDA: {0}")]
    Cuda(String),
    #[error("autograd: {0}")]
    Autograd(String),
}

pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    pub fn shape(op: &'static str, lhs: &[usize], rhs: &[usize]) -> Self {
        Error::ShapeMismatch {
            op,
            lhs: lhs.to_vec(),
            rhs: rhs.to_vec(),
            detail: String::new(),
        }
    }
    pub fn shape_detail(
        op: &'static str,
        lhs: &[usize],
        rhs: &[usize],
        detail: impl Into<String>,
    ) -> Self {
        Error::ShapeMismatch {
            op,
            lhs: lhs.to_vec(),
            rhs: rhs.to_vec(),
            detail: format!(": {}", detail.into()),
        }
    }
    pub fn arg(op: &'static str, shape: &[usize], msg: impl Into<String>) -> Self {
        Error::InvalidArgument {
            op,
            msg: msg.into(),
            shape: shape.to_vec(),
        }
    }
    pub fn invalid(op: &'static str, msg: impl Into<String>) -> Self {
        Error::Invalid {
            op,
            msg: msg.into(),
        }
    }
}
