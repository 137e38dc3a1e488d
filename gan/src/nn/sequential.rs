//! `nn.Sequential`: children named by their index, activations included, so
//! that names match PyTorch's `state_dict` ("0.weight", "2.weight", ...).

use super::module::{prefixed, Count, Fwd, Module};
use autograd::Var;
use tensor::{Device, Result, Tensor};

/// Layers applied in order.
pub struct Sequential {
    layers: Vec<Box<dyn Module>>,
    training: bool,
}

impl Sequential {
    /// The layers, in order.
    pub fn new(layers: Vec<Box<dyn Module>>) -> Self {
        Sequential {
            layers,
            training: true,
        }
    }
    /// Number of layers.
    pub fn len(&self) -> usize {
        self.layers.len()
    }
    /// Whether there is no layer.
    pub fn is_empty(&self) -> bool {
        self.layers.is_empty()
    }
    /// Layer `i`.
    pub fn layer(&self, i: usize) -> Option<&dyn Module> {
        self.layers.get(i).map(|l| l.as_ref())
    }
    /// Layers `range` applied to `x` in order (a network's body without its
    /// head, for the projection discriminator).
    pub fn forward_range(
        &self,
        x: &Var,
        f: &mut Fwd,
        range: std::ops::Range<usize>,
    ) -> Result<Var> {
        let mut h = x.clone();
        for l in &self.layers[range] {
            h = l.forward(&h, f)?;
        }
        Ok(h)
    }
}

impl Module for Sequential {
    fn forward(&self, x: &Var, f: &mut Fwd) -> Result<Var> {
        let mut h = x.clone();
        for l in &self.layers {
            h = l.forward(&h, f)?;
        }
        Ok(h)
    }
    /// Every layer's `forward`, the last one's `forward_raw` (a final
    /// sigmoid is left out).
    fn forward_raw(&self, x: &Var, f: &mut Fwd) -> Result<Var> {
        let mut h = x.clone();
        let n = self.layers.len();
        for (i, l) in self.layers.iter().enumerate() {
            h = if i + 1 == n {
                l.forward_raw(&h, f)?
            } else {
                l.forward(&h, f)?
            };
        }
        Ok(h)
    }
    fn named_parameters(&self) -> Vec<(String, Var)> {
        self.layers
            .iter()
            .enumerate()
            .flat_map(|(i, l)| prefixed(&i.to_string(), l.named_parameters()))
            .collect()
    }
    fn named_buffers(&self) -> Vec<(String, Tensor)> {
        self.layers
            .iter()
            .enumerate()
            .flat_map(|(i, l)| prefixed(&i.to_string(), l.named_buffers()))
            .collect()
    }
    fn named_counts(&self) -> Vec<(String, Count)> {
        self.layers
            .iter()
            .enumerate()
            .flat_map(|(i, l)| prefixed(&i.to_string(), l.named_counts()))
            .collect()
    }
    fn to_device(&mut self, device: Device) -> Result<()> {
        self.layers.iter_mut().try_for_each(|l| l.to_device(device))
    }
    fn apply_spectral_norm(&mut self, rng: &mut dyn rand::RngCore) -> Result<()> {
        self.layers
            .iter_mut()
            .try_for_each(|l| l.apply_spectral_norm(rng))
    }
    fn set_training(&mut self, train: bool) {
        self.training = train;
        for l in &mut self.layers {
            l.set_training(train);
        }
    }
    fn training(&self) -> bool {
        self.training
    }
}
