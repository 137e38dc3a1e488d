//! Host side of optim.cu: the fused Adam and SGD updates, in place.

use crate::cuda::compile::Source;
use crate::cuda::launch::{grid, BLOCK};
use crate::cuda::{operand, operand_on};
use crate::optim::{AdamScalars, AdamTensors, LerpTensors, SgdHyper, SgdTensors};
use cudarc::driver::{DeviceRepr, LaunchConfig};
use tensor::{Result, Tensor};

/// Tensors per multi-tensor launch (`MT_MAX` of optim.cu).
const MT_MAX: usize = 24;
/// Elements per block of a multi-tensor launch (`MT_CHUNK`).
const MT_CHUNK: usize = 4096;

/// `struct TensorList` of optim.cu: the pointers and sizes of up to MT_MAX
/// tensors, passed by value in the launch's arguments.
#[repr(C)]
#[derive(Clone, Copy)]
struct TensorList {
    p: [u64; MT_MAX],
    g: [u64; MT_MAX],
    a: [u64; MT_MAX],
    b: [u64; MT_MAX],
    n: [u64; MT_MAX],
    chunk_start: [u64; MT_MAX + 1],
    first: [i32; MT_MAX],
    count: i32,
}

// SAFETY: plain old data laid out as the C struct (repr(C), the same field
// order and types).
unsafe impl DeviceRepr for TensorList {}

impl TensorList {
    fn empty() -> Self {
        TensorList {
            p: [0; MT_MAX],
            g: [0; MT_MAX],
            a: [0; MT_MAX],
            b: [0; MT_MAX],
            n: [0; MT_MAX],
            chunk_start: [0; MT_MAX + 1],
            first: [0; MT_MAX],
            count: 0,
        }
    }

    /// Append a tensor of `n` elements; its chunks follow the others'.
    fn push(&mut self, ptrs: [u64; 4], n: usize, first: bool) {
        let i = self.count as usize;
        [self.p[i], self.g[i], self.a[i], self.b[i]] = ptrs;
        self.n[i] = n as u64;
        self.first[i] = first as i32;
        self.chunk_start[i + 1] = self.chunk_start[i] + n.div_ceil(MT_CHUNK) as u64;
        self.count += 1;
    }

    fn config(&self) -> LaunchConfig {
        LaunchConfig {
            grid_dim: (self.chunk_start[self.count as usize] as u32, 1, 1),
            block_dim: (BLOCK, 1, 1),
            shared_mem_bytes: 0,
        }
    }
}

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

/// Adam on every tensor of `list` (all on one GPU, checked by the caller):
/// one launch per MT_MAX tensors.
pub(crate) fn adam_many(list: &[AdamTensors<'_>], s: &AdamScalars) -> Result<()> {
    let op = "adam_step";
    let (w1, b2, one_m_b2, eps, wd, step_size, bc2_sqrt) =
        (s.w1, s.b2, s.one_m_b2, s.eps, s.wd, s.step_size, s.bc2_sqrt);
    for group in list.chunks(MT_MAX) {
        let (dev, _) = operand(op, group[0].param)?;
        let mut l = TensorList::empty();
        for t in group.iter().filter(|t| t.param.numel() > 0) {
            let ptrs = [
                operand_on(op, t.param, &dev)?,
                operand_on(op, t.grad, &dev)?,
                operand_on(op, t.exp_avg, &dev)?,
                operand_on(op, t.exp_avg_sq, &dev)?,
            ];
            l.push(ptrs, t.param.numel(), false);
        }
        if l.count == 0 {
            continue;
        }
        launch!(
            op,
            &dev,
            source(),
            "adam_multi_f32",
            l.config(),
            [l, w1, b2, one_m_b2, eps, wd, step_size, bc2_sqrt]
        );
    }
    Ok(())
}

/// SGD on every tensor of `list` (all on one GPU): one launch per MT_MAX.
pub(crate) fn sgd_many(list: &[SgdTensors<'_>], h: &SgdHyper) -> Result<()> {
    let op = "sgd_step";
    let (lr, mom, damp, wd) = (
        h.lr as f32,
        h.momentum as f32,
        h.dampening as f32,
        h.weight_decay as f32,
    );
    let nesterov = h.nesterov as i32;
    for group in list.chunks(MT_MAX) {
        let (dev, _) = operand(op, group[0].param)?;
        let mut l = TensorList::empty();
        for t in group.iter().filter(|t| t.param.numel() > 0) {
            let buf = match t.momentum_buf.filter(|_| mom != 0.0) {
                Some(b) => operand_on(op, b, &dev)?,
                None => 0,
            };
            let ptrs = [
                operand_on(op, t.param, &dev)?,
                operand_on(op, t.grad, &dev)?,
                buf,
                0,
            ];
            l.push(ptrs, t.param.numel(), t.first);
        }
        if l.count == 0 {
            continue;
        }
        launch!(
            op,
            &dev,
            source(),
            "sgd_multi_f32",
            l.config(),
            [l, lr, mom, damp, wd, nesterov]
        );
    }
    Ok(())
}

/// `avg ← lerp(avg, value, w)` on every entry of `list` (all on one GPU): one
/// launch per MT_MAX tensors (the averages in `p`, the values in `g`).
pub(crate) fn lerp_many(list: &[LerpTensors<'_>], w: f32) -> Result<()> {
    let op = "lerp_";
    for group in list.chunks(MT_MAX) {
        let (dev, _) = operand(op, group[0].avg)?;
        let mut l = TensorList::empty();
        for t in group.iter().filter(|t| t.avg.numel() > 0) {
            let ptrs = [
                operand_on(op, t.avg, &dev)?,
                operand_on(op, t.value, &dev)?,
                0,
                0,
            ];
            l.push(ptrs, t.avg.numel(), false);
        }
        if l.count == 0 {
            continue;
        }
        launch!(op, &dev, source(), "lerp_multi_f32", l.config(), [l, w]);
    }
    Ok(())
}
