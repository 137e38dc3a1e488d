//! A small module system in the spirit of `torch.nn`: layers own their parameters
//! as autograd leaves, report them under PyTorch's `state_dict` names, and switch
//! between train and eval mode.

pub mod activation;
pub mod batchnorm;
pub mod conv;
pub mod conv_transpose;
pub mod init;
pub mod linear;
pub mod module;
pub mod sequential;
pub mod spectral_norm;

pub use activation::{Activation, Dropout};
pub use batchnorm::{BatchNorm, BatchNorm1d, BatchNorm2d};
pub use conv::Conv2d;
pub use conv_transpose::ConvTranspose2d;
pub use linear::Linear;
pub use module::{Count, Fwd, Module};
pub use sequential::Sequential;
pub use spectral_norm::SpectralNorm;
