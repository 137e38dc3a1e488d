//! The `Module` trait and the per-call forward context.

use autograd::Var;
use rand::rngs::StdRng;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use tensor::{Device, Result, Tensor};

/// What one forward call needs besides its input.
pub struct Fwd<'a> {
    /// The random stream of this training step (dropout masks).
    pub rng: &'a mut StdRng,
    /// Use the parameters as constants: the output still carries gradients to the
    /// input, but no gradient is computed for this module's own weights. The
    /// generator step uses it for D, whose gradients there would be thrown away.
    pub frozen: bool,
    /// The class of each image of the batch, one-hot ([B, classes] on the
    /// batch's device), for class-conditional models (`models::conditional`).
    pub labels: Option<Var>,
}

impl<'a> Fwd<'a> {
    /// A forward call drawing from `rng`, with gradients for the weights.
    pub fn new(rng: &'a mut StdRng) -> Self {
        Fwd {
            rng,
            frozen: false,
            labels: None,
        }
    }
    /// A forward call drawing from `rng`, the weights used as constants.
    pub fn frozen(rng: &'a mut StdRng) -> Self {
        Fwd {
            rng,
            frozen: true,
            labels: None,
        }
    }
    /// This call with the batch's classes (one-hot, or `None`).
    pub fn with_labels(mut self, labels: Option<&Var>) -> Self {
        self.labels = labels.cloned();
        self
    }
    /// A parameter as this call should see it.
    pub fn param(&self, p: &Var) -> Var {
        if self.frozen {
            Var::constant(p.data().clone())
        } else {
            p.clone()
        }
    }
}

/// A layer or a network, as `torch.nn.Module`.
pub trait Module: Send {
    /// The module's output for `x`.
    fn forward(&self, x: &Var, f: &mut Fwd) -> Result<Var>;

    /// The output before a final sigmoid: a discriminator's raw score (its
    /// logit), for the losses that take one (hinge, Wasserstein, least
    /// squares). The same as `forward` for a module that ends in no sigmoid.
    fn forward_raw(&self, x: &Var, f: &mut Fwd) -> Result<Var> {
        self.forward(x, f)
    }

    /// Parameters in `state_dict` order, named as PyTorch names them.
    fn named_parameters(&self) -> Vec<(String, Var)>;

    /// Non-trainable state that belongs in a checkpoint (batchnorm running
    /// statistics), in `state_dict` order. Tensors are updated in place.
    fn named_buffers(&self) -> Vec<(String, Tensor)> {
        Vec::new()
    }

    /// Integer buffers (batchnorm's `num_batches_tracked`), kept apart from the
    /// f32 tensors because PyTorch stores them as int64 scalars and so must
    /// the checkpoints. Handles share the counter, so loading sets it in place.
    fn named_counts(&self) -> Vec<(String, Count)> {
        Vec::new()
    }

    /// Move every parameter and buffer to `device`. Parameters become new
    /// leaves there (their gradients are dropped), so optimisers must be built
    /// after the move. The default suits parameter-free modules; a module with
    /// parameters or buffers must override it (`Gan` checks that everything
    /// landed on the device and names what did not).
    fn to_device(&mut self, _device: Device) -> Result<()> {
        Ok(())
    }

    /// Reparametrise every Linear and Conv2d weight inside with spectral
    /// normalisation (`torch.nn.utils.parametrizations.spectral_norm`), u and
    /// v drawn from `rng` in `named_parameters` order. The default suits
    /// modules without such weights; containers pass it to their children
    /// (`Gan` checks afterwards that no plain matrix weight is left).
    fn apply_spectral_norm(&mut self, _rng: &mut dyn rand::RngCore) -> Result<()> {
        Ok(())
    }

    /// Train mode (dropout active) or eval mode.
    fn set_training(&mut self, _train: bool) {}

    /// Whether the module is in train mode.
    fn training(&self) -> bool {
        true
    }

    /// Forget every parameter's gradient.
    fn zero_grad(&self) {
        for (_, p) in self.named_parameters() {
            p.zero_grad();
        }
    }

    /// Number of parameter values.
    fn num_parameters(&self) -> usize {
        self.named_parameters()
            .iter()
            .map(|(_, p)| p.data().numel())
            .sum()
    }

    /// Parameters then buffers: PyTorch's `state_dict()` less the int64
    /// counts (`named_counts`), which the checkpoints add as int64 scalars.
    fn state_dict(&self) -> Vec<(String, Tensor)> {
        let mut out: Vec<(String, Tensor)> = self
            .named_parameters()
            .into_iter()
            .map(|(n, p)| (n, p.data().clone()))
            .collect();
        out.extend(self.named_buffers());
        out
    }
}

/// An int64 scalar buffer of a module, shared by its clones (the module
/// increments it in `forward(&self)`, checkpoints read and set it).
#[derive(Clone, Debug, Default)]
pub struct Count(Arc<AtomicI64>);

impl Count {
    /// The count.
    pub fn get(&self) -> i64 {
        self.0.load(Ordering::Relaxed)
    }
    /// Set the count (loading a checkpoint).
    pub fn set(&self, v: i64) {
        self.0.store(v, Ordering::Relaxed)
    }
    /// Count one more.
    pub fn incr(&self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
}

/// Prefix each name with `prefix.` (a child module's name in its parent).
pub fn prefixed<T>(prefix: &str, items: Vec<(String, T)>) -> Vec<(String, T)> {
    items
        .into_iter()
        .map(|(n, v)| (format!("{prefix}.{n}"), v))
        .collect()
}

/// Re-home a parameter on `device`: a new leaf holding a copy there, or the
/// same one when it is already there (so that optimisers holding it stay valid).
pub fn param_to_device(p: &mut Var, device: Device) -> Result<()> {
    if p.data().device() != device {
        *p = Var::param(p.data().clone().to_device(device)?);
    }
    Ok(())
}
