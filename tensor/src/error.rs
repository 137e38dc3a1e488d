//! Typed errors. Every message names the op and the shapes involved, so that a
//! user reading it knows what was called with what.

use crate::{DType, Device};

/// Everything that can go wrong in a tensor op. Each variant carries the op's
/// name (`op`, as the user called it: "matmul", "conv2d", ...) and what it was
/// given, and displays as one sentence.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Two operands whose shapes do not fit together (broadcasting, a matmul's
    /// inner dimensions, a weight for an input).
    #[error("{op}: shapes {lhs:?} and {rhs:?} are incompatible{detail}")]
    ShapeMismatch {
        /// The op that was called.
        op: &'static str,
        /// The shape of the first operand.
        lhs: Vec<usize>,
        /// The shape of the second operand.
        rhs: Vec<usize>,
        /// Empty, or ": " and what exactly does not fit.
        detail: String,
    },
    /// An operand of another element type than the op needs.
    #[error("{op}: expected dtype {expected:?}, got {got:?}")]
    DTypeMismatch {
        /// The op that was called.
        op: &'static str,
        /// The element type the op needs here.
        expected: DType,
        /// The element type it was given.
        got: DType,
    },
    /// Operands on different devices: ops never move data implicitly.
    #[error("{op}: tensors live on different devices ({lhs:?} and {rhs:?})")]
    DeviceMismatch {
        /// The op that was called.
        op: &'static str,
        /// The device of the first operand.
        lhs: Device,
        /// The device of the second operand.
        rhs: Device,
    },
    /// A dimension index (negative ones count from the end) outside the
    /// tensor's rank.
    #[error("{op}: dimension {dim} is out of range for a tensor of shape {shape:?}")]
    DimOutOfRange {
        /// The op that was called.
        op: &'static str,
        /// The dimension as given.
        dim: isize,
        /// The shape of the tensor it was meant for.
        shape: Vec<usize>,
    },
    /// An argument that does not suit the tensor it is applied to (a length
    /// past the end, a zero stride, a shape with another element count).
    #[error("{op}: {msg} (shape {shape:?})")]
    InvalidArgument {
        /// The op that was called.
        op: &'static str,
        /// What is wrong with the argument.
        msg: String,
        /// The shape of the tensor the argument was for.
        shape: Vec<usize>,
    },
    /// Any other bad input, described in words.
    #[error("{op}: {msg}")]
    Invalid {
        /// The op that was called.
        op: &'static str,
        /// What is wrong.
        msg: String,
    },
    /// A view (reshape, flatten) that the strides do not allow: the caller
    /// must make the tensor contiguous first.
    #[error("{op}: a tensor of shape {shape:?} with strides {strides:?} cannot be viewed as {target:?} without a copy")]
    NotViewable {
        /// The op that was called.
        op: &'static str,
        /// The tensor's shape.
        shape: Vec<usize>,
        /// The tensor's strides, in elements.
        strides: Vec<usize>,
        /// The shape asked for.
        target: Vec<usize>,
    },
    /// An op or element type the device has no kernel for.
    #[error("{op}: not supported on {device:?}: {msg}")]
    Unsupported {
        /// The op that was called.
        op: &'static str,
        /// The device it was called on.
        device: Device,
        /// What is not supported.
        msg: String,
    },
    /// A failure of the CUDA driver, NVRTC or a kernel launch, with the
    /// driver's message.
    #[error("CUDA: {0}")]
    Cuda(String),
    /// A misuse of the autograd graph: backward from a value that needs no
    /// gradient, or through a graph an earlier backward already released.
    #[error("autograd: {0}")]
    Autograd(String),
}

/// The result of every fallible op of the workspace.
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// [`Error::ShapeMismatch`] of `lhs` and `rhs`, without detail.
    pub fn shape(op: &'static str, lhs: &[usize], rhs: &[usize]) -> Self {
        Error::ShapeMismatch {
            op,
            lhs: lhs.to_vec(),
            rhs: rhs.to_vec(),
            detail: String::new(),
        }
    }
    /// [`Error::ShapeMismatch`] of `lhs` and `rhs`, saying in `detail`
    /// what does not fit.
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
    /// [`Error::InvalidArgument`] for a tensor of `shape`.
    pub fn arg(op: &'static str, shape: &[usize], msg: impl Into<String>) -> Self {
        Error::InvalidArgument {
            op,
            msg: msg.into(),
            shape: shape.to_vec(),
        }
    }
    /// [`Error::Invalid`] with the message `msg`.
    pub fn invalid(op: &'static str, msg: impl Into<String>) -> Self {
        Error::Invalid {
            op,
            msg: msg.into(),
        }
    }
}
