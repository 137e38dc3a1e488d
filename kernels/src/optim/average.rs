//! Weight averaging in place: `avg ← lerp(avg, value, weight)` over a list of
//! tensors, as `torch._foreach_lerp_` (what `torch.optim.swa_utils`'s EMA
//! applies with weight 1 − decay). One multi-tensor launch per 24 tensors on
//! a GPU, each tensor in turn on the CPU; the same values either way.

use super::cpu::{lerp, with_slices};
use super::{check, cuda};
use tensor::{Error, Result, Tensor};

/// The tensors of one average: `avg` is updated towards `value`.
#[derive(Clone, Copy)]
pub struct LerpTensors<'a> {
    /// The running average, updated in place.
    pub avg: &'a Tensor,
    /// The current value (a parameter).
    pub value: &'a Tensor,
}

/// `avg ← avg + weight·(value − avg)` (PyTorch's two-sided lerp) for every
/// entry; `weight` in [0, 1] (an EMA's 1 − decay).
pub fn lerp_many(list: &[LerpTensors<'_>], weight: f64) -> Result<()> {
    let op = "lerp_";
    let Some(first) = list.first() else {
        return Ok(());
    };
    if !(0.0..=1.0).contains(&weight) {
        return Err(Error::arg(
            op,
            first.avg.shape(),
            format!("weight {weight} is not in [0, 1]"),
        ));
    }
    let mut devices = Vec::with_capacity(list.len());
    for t in list {
        devices.push(check(op, &[t.avg, t.value])?);
    }
    let w = weight as f32;
    if devices.iter().all(|d| *d == devices[0] && d.is_cuda()) {
        return cuda::lerp_many(list, w);
    }
    for t in list {
        if t.avg.device().is_cuda() {
            cuda::lerp_many(std::slice::from_ref(t), w)?;
            continue;
        }
        with_slices(&[t.avg, t.value], 1, |m, r| {
            for (a, &v) in m[0].iter_mut().zip(r[0]) {
                *a = lerp(*a, v, w);
            }
        })?;
    }
    Ok(())
}
