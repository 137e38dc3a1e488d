//! Losses (mean reduction) and dropout. Targets are plain tensors: no gradient
//! flows into them, as in the tutorials' use of nn.BCELoss and friends.

use crate::Var;
use kernels::{binary, BinaryOp};
use rand::Rng;
use tensor::{DType, Error, Result, Tensor};

impl Var {
    /// `F.binary_cross_entropy(p, y)`: each log clamped at −100; soft targets allowed.
    pub fn bce(&self, target: &Tensor) -> Result<Var> {
        let y = kernels::bce(self.data(), target)?;
        let (p, t) = (self.data().clone(), target.clone());
        Ok(Var::from_op("bce", y, vec![self.clone()], move |g| {
            Ok(vec![Some(kernels::bce_backward(&p, &t, g)?)])
        }))
    }

    /// `F.binary_cross_entropy_with_logits(x, y)` in the stable form.
    pub fn bce_with_logits(&self, target: &Tensor) -> Result<Var> {
        let y = kernels::bce_with_logits(self.data(), target)?;
        let (x, t) = (self.data().clone(), target.clone());
        Ok(Var::from_op(
            "bce_with_logits",
            y,
            vec![self.clone()],
            move |g| Ok(vec![Some(kernels::bce_with_logits_backward(&x, &t, g)?)]),
        ))
    }

    /// `F.mse_loss(x, y)`.
    pub fn mse(&self, target: &Tensor) -> Result<Var> {
        let y = kernels::mse(self.data(), target)?;
        let (x, t) = (self.data().clone(), target.clone());
        Ok(Var::from_op("mse", y, vec![self.clone()], move |g| {
            Ok(vec![Some(kernels::mse_backward(&x, &t, g)?)])
        }))
    }

    /// `F.cross_entropy(logits, labels)` over [batch, classes] logits.
    pub fn cross_entropy(&self, labels: &[usize]) -> Result<Var> {
        let y = kernels::cross_entropy(self.data(), labels)?;
        let (x, l) = (self.data().clone(), labels.to_vec());
        Ok(Var::from_op(
            "cross_entropy",
            y,
            vec![self.clone()],
            move |g| Ok(vec![Some(kernels::cross_entropy_backward(&x, &l, g)?)]),
        ))
    }

    /// Inverted dropout: in training, zero each element with probability `p` and
    /// scale the rest by 1/(1−p); in eval mode, the identity.
    pub fn dropout<R: Rng + ?Sized>(&self, p: f64, train: bool, rng: &mut R) -> Result<Var> {
        if !(0.0..=1.0).contains(&p) {
            return Err(Error::arg(
                "dropout",
                self.shape(),
                format!("probability {p} is outside [0, 1]"),
            ));
        }
        if !train || p == 0.0 {
            return Ok(self.clone());
        }
        // The mask is Philox's (kernels::random), drawn where the tensor is,
        // seeded by one draw of `rng`: the same seed gives the same mask on
        // the CPU and on a GPU, and a GPU needs no host→device copy per step.
        let seed = rng.random::<u64>();
        let mask = kernels::random::dropout_mask(self.shape(), p, seed, 0, self.data().device())?;
        let mask = match self.data().dtype() {
            DType::F32 => mask,
            DType::F64 => widen_mask(&mask, p)?,
        };
        let y = binary(self.data(), &mask, BinaryOp::Mul)?;
        Ok(Var::from_op("dropout", y, vec![self.clone()], move |g| {
            Ok(vec![Some(binary(g, &mask, BinaryOp::Mul)?)])
        }))
    }
}

/// An f64 mask for f64 tensors (gradcheck): the f32 mask's keep/drop
/// decisions, with the scale 1/(1−p) computed in f64.
fn widen_mask(mask: &Tensor, p: f64) -> Result<Tensor> {
    let keep = if p < 1.0 { 1.0 / (1.0 - p) } else { 0.0 };
    let wide: Vec<f64> = mask
        .to_vec_f32()?
        .iter()
        .map(|&m| if m == 0.0 { 0.0 } else { keep })
        .collect();
    Tensor::from_vec(wide, mask.shape())?.to_device(mask.device())
}
