//! Drawing images from a trained pair: G (or its average) in eval mode, with
//! the classes a conditional pair needs.

use super::step::Gan;
use crate::error::{Error, Result};
use crate::nn::Fwd;
use autograd::{no_grad, Var};
use rand::rngs::StdRng;
use tensor::Tensor;

impl Gan {
    /// G's images for `z` in eval mode (dropout off), without a graph, on
    /// the model's device (`z` is moved there; read the result with `to_vec`).
    /// With an average of G (`Recipe::ema`), the average's images.
    ///
    /// Eval mode also means batchnorm uses its running statistics, where the
    /// DCGAN tutorials sample in train mode (batch statistics). After 1 and 5
    /// epochs of dcgan28 on MNIST the two grids look the same and score the
    /// same (Fréchet distance 422 vs 428, then 44.1 vs 43.4); eval mode wins
    /// on the rest: an image depends on its own z only, not on the batch it is
    /// drawn with (a z gives the same image in a grid of 100 or alone), and
    /// sampling leaves the running statistics and num_batches_tracked alone.
    ///
    /// A conditional pair draws rows of ten images per class, the classes in
    /// turn (`conditional::grid_classes`); `generate_classes` picks them.
    pub fn generate(&mut self, z: &Tensor, rng: &mut StdRng) -> Result<Tensor> {
        let labels = self
            .classes()
            .map(|c| super::conditional::grid_classes(z.shape()[0], c));
        self.generate_classes(z, labels.as_deref(), rng)
    }

    /// `generate` with image i of class `labels[i]` (a conditional pair
    /// needs them; the others take none).
    pub fn generate_classes(
        &mut self,
        z: &Tensor,
        labels: Option<&[u32]>,
        rng: &mut StdRng,
    ) -> Result<Tensor> {
        if labels.is_some() && self.classes().is_none() {
            return Err(Error::usage("classes given to an unconditional generator"));
        }
        let y = self.step_labels(labels, z.shape()[0])?;
        let z = z.clone().to_device(self.device)?;
        if let Some(avg) = &self.g_ema {
            // Always in eval mode (it never trains).
            let out = no_grad(|| {
                avg.forward(
                    &Var::constant(z),
                    &mut Fwd::new(rng).with_labels(y.as_ref()),
                )
            });
            return Ok(out?.data().clone());
        }
        let was = self.g.training();
        self.g.set_training(false);
        let out = no_grad(|| {
            self.g.forward(
                &Var::constant(z),
                &mut Fwd::new(rng).with_labels(y.as_ref()),
            )
        });
        self.g.set_training(was);
        Ok(out?.data().clone())
    }
}
