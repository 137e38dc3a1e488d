//! The `Module` trait and the per-call forward context.

use autograd::Var;
use rand::rngs::StdRng;
use tensor::{Result, Tensor};

/// What one forward call needs besides its input.
pub struct Fwd<'a> {
    /// The random stream of this training step (dropout masks).
    pub rng: &'a mut StdRng,
    /// Use the parameters as constants: the output still carries gradients to the
    /// input, but no gradient is computed for this module's own weights. The
    /// generator step uses it for D, whose gradients there would be thrown away.
    pub frozen: bool,
}

impl<'a> Fwd<'a> {
    pub fn new(rng: &'a mut StdRng) -> Self {
        Fwd { rng, frozen: false }
    }
    pub fn frozen(rng: &'a mut StdRng) -> Self {
        Fwd { rng, frozen: true }
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
    fn forward(&self, x: &Var, f: &mut Fwd) -> Result<Var>;

    /// Parameters in `state_dict` order, named as PyTorch names them.
    fn named_parameters(&self) -> Vec<(String, Var)>;

    /// Non-trainable state that belongs in a checkpoint (batchnorm running
    /// statistics), in `state_dict` order. Tensors are updated in place.
    fn named_buffers(&self) -> Vec<(String, Tensor)> {
        Vec::new()
    }

    /// Train mode (dropout active) or eval mode.
    fn set_training(&mut self, _train: bool) {}

    fn training(&self) -> bool {
        true
    }

    fn zero_grad(&self) {
        for (_, p) in self.named_parameters() {
            p.zero_grad();
        }
    }

    fn num_parameters(&self) -> usize {
        self.named_parameters()
            .iter()
            .map(|(_, p)| p.data().numel())
            .sum()
    }

    /// Parameters then buffers: exactly the keys of PyTorch's `state_dict()`.
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

/// Prefix each name with `prefix.` (a child module's name in its parent).
pub fn prefixed<T>(prefix: &str, items: Vec<(String, T)>) -> Vec<(String, T)> {
    items
        .into_iter()
        .map(|(n, v)| (format!("{prefix}.{n}"), v))
        .collect()
}
