//! Losses (mean reduction) and dropout. Targets are plain tensors: no gradient
//! flows into them, as in the tutorials' use of nn.BCELoss and friends.

use crate::Var;
use kernels::{binary, BinaryOp};
use rand::Rng;
use tensor::{CpuStorage, Error, Result, Storage, Tensor};

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
        let device = self.data().device();
        let mask = if device.is_cuda() {
            // On a GPU the mask is drawn there (Philox, random.cu), seeded from
            // `rng`: no host→device copy per step.
            kernels::random::dropout_mask(self.shape(), p, rng.random::<u64>(), 0, device)?
        } else {
            cpu_mask(self.data(), p, rng)
        };
        let y = binary(self.data(), &mask, BinaryOp::Mul)?;
        Ok(Var::from_op("dropout", y, vec![self.clone()], move |g| {
            Ok(vec![Some(binary(g, &mask, BinaryOp::Mul)?)])
        }))
    }
}

/// The CPU mask: one u32 from `rng` per element, dropped when below
/// p·2³² (a keep probability within 2⁻³² of 1 − p). Why u32s in one fill
/// rather than an f64 per element: half the ChaCha output, and the threshold
/// loop vectorises; the mask was a tenth of the mlp-dropout step before.
fn cpu_mask<R: Rng + ?Sized>(x: &Tensor, p: f64, rng: &mut R) -> Tensor {
    let keep = if p < 1.0 { 1.0 / (1.0 - p) } else { 0.0 };
    let mut bits = vec![0u32; x.numel()];
    rand::Fill::fill(bits.as_mut_slice(), rng);
    // p ≤ 1, so the threshold is at most 2³² (then every element is dropped).
    let threshold = (p * 4_294_967_296.0).round() as u64;
    let mask = match x.dtype() {
        tensor::DType::F32 => CpuStorage::F32(
            bits.iter()
                .map(|&u| {
                    if (u as u64) < threshold {
                        0.0
                    } else {
                        keep as f32
                    }
                })
                .collect(),
        ),
        tensor::DType::F64 => CpuStorage::F64(
            bits.iter()
                .map(|&u| if (u as u64) < threshold { 0.0 } else { keep })
                .collect(),
        ),
    };
    Tensor::from_storage(Storage::cpu(mask), tensor::Layout::contiguous(x.shape()))
}
