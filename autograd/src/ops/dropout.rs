//! Inverted dropout: a fixed mask times the input, so the gradient is the
//! same mask times g (and differentiates again the same way).

use crate::Var;
use kernels::{binary, BinaryOp};
use rand::Rng;
use tensor::{DType, Error, Result, Tensor};

impl Var {
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
        // On a GPU one launch draws the mask and applies it.
        let seed = rng.random::<u64>();
        let (y, mask) = match self.dtype() {
            DType::F32 => kernels::random::dropout(self.data(), p, seed, 0)?,
            DType::F64 => {
                let mask = kernels::random::dropout_mask(self.shape(), p, seed, 0, self.device())?;
                let mask = widen_mask(&mask, p)?;
                (binary(self.data(), &mask, BinaryOp::Mul)?, mask)
            }
        };
        let mask = Var::constant(mask);
        Ok(Var::from_op("dropout", y, vec![self.clone()], move |c| {
            Ok(vec![Some(c.grad.mul(&mask)?)])
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
