//! Host side of optim.cu: the fused Adam and SGD updates, in place.

use crate::cuda::compile::Source;
use crate::cuda::launch::{grid, BLOCK};
use crate::cuda::{operand, operand_on};
use crate::optim::{AdamScalars, SgdHyper};
use tensor::{Result, Tensor};

/// `optim.cu`, embedded in the binary and compiled by NVRTC on first use.
pub(crate) fn source() -> Source {
    Source {
        name: "optim.cu",
        code: include_str!("optim.cu"),
    }
}

pub(crate) fn adam(p: &Tensor, g: &Tensor, m: &Tensor, v: &Tensor, s: &AdamScalars) -> Result<()> {
    let op = "adam_step";
    let (dev, pp) = operand(op, p)?;
    let (pg, pm, pv) = (
        operand_on(op, g, &dev)?,
        operand_on(op, m, &dev)?,
        operand_on(op, v, &dev)?,
    );
    let n = p.numel();
    if n == 0 {
        return Ok(());
    }
    let n64 = n as u64;
    let (w1, b2, one_m_b2, eps, wd, step_size, bc2_sqrt) =
        (s.w1, s.b2, s.one_m_b2, s.eps, s.wd, s.step_size, s.bc2_sqrt);
    launch!(
        op,
        &dev,
        source(),
        "adam_f32",
        grid(&dev, n, BLOCK),
        [pp, pg, pm, pv, n64, w1, b2, one_m_b2, eps, wd, step_size, bc2_sqrt]
    );
    Ok(())
}

pub(crate) fn sgd(
    p: &Tensor,
    g: &Tensor,
    buf: Option<&Tensor>,
    first: bool,
    h: &SgdHyper,
) -> Result<()> {
    let op = "sgd_step";
    let (dev, pp) = operand(op, p)?;
    let pg = operand_on(op, g, &dev)?;
    let pb = match buf {
        Some(b) => operand_on(op, b, &dev)?,
        None => 0,
    };
    let n = p.numel();
    if n == 0 {
        return Ok(());
    }
    let n64 = n as u64;
    let (lr, mom, damp, wd) = (
        h.lr as f32,
        h.momentum as f32,
        h.dampening as f32,
        h.weight_decay as f32,
    );
    let (nesterov, first) = (h.nesterov as i32, first as i32);
    launch!(
        op,
        &dev,
        source(),
        "sgd_f32",
        grid(&dev, n, BLOCK),
        [pp, pg, pb, n64, lr, mom, damp, wd, nesterov, first]
    );
    Ok(())
}
