//! What a training step takes besides the batch (`StepInputs`: draws given
//! instead of drawn) and what it gives back (`StepStats`, or `PendingStats`
//! while they are still on the GPU).

use crate::error::Result;
use tensor::Tensor;

/// The random draws of one step, given by the caller instead of drawn.
#[derive(Clone, Debug)]
pub struct StepInputs {
    /// The latent batch, as the model's noise shapes it.
    pub z: Tensor,
    /// WGAN-GP's ε, one per sample in [0, 1] (shape `[B]`); `None`: drawn.
    pub gp_eps: Option<Tensor>,
    /// The class of each real image, for a conditional pair (the fakes are
    /// drawn for the same classes); `None` for the others.
    pub labels: Option<Vec<u32>>,
}

impl StepInputs {
    /// Only z given.
    pub fn with_z(z: Tensor) -> StepInputs {
        StepInputs {
            z,
            gp_eps: None,
            labels: None,
        }
    }
}

/// The figures of one step, as the tutorials print them.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct StepStats {
    /// D's loss: BCE on the real batch plus BCE on the fake one.
    pub d_loss: f32,
    /// G's loss: BCE of D's output on the fakes against 1.
    pub g_loss: f32,
    /// Mean of D's probability on the real batch.
    pub d_x: f32,
    /// Mean of D's probability on the fake batch (during D's step).
    pub d_gz: f32,
}

/// A step's figures as the step leaves them. On the CPU they are read at
/// once, exactly as before; on a GPU they stay there as one [d_loss, g_loss,
/// D(x), D(G(z))] tensor, because reading them makes the host wait for the
/// whole step.
pub enum PendingStats {
    /// Read already (CPU).
    Ready(StepStats),
    /// Still on the GPU: [d_loss, g_loss, D(x), D(G(z))].
    Device(Tensor),
}

impl PendingStats {
    /// Read the figures (on a GPU the host waits for the step here).
    pub fn resolve(self) -> Result<StepStats> {
        Ok(Self::resolve_all(vec![self])?[0])
    }

    /// Read many steps' figures with one device→host copy for all of them.
    pub fn resolve_all(v: Vec<PendingStats>) -> Result<Vec<StepStats>> {
        let on_gpu: Vec<Tensor> = v
            .iter()
            .filter_map(|p| match p {
                PendingStats::Device(t) => Some(t.clone()),
                PendingStats::Ready(_) => None,
            })
            .collect();
        let vals = if on_gpu.is_empty() {
            Vec::new()
        } else {
            kernels::cat(&on_gpu, 0)?.to_vec_f32()?
        };
        let mut quads = vals.chunks_exact(4);
        v.into_iter()
            .map(|p| match p {
                PendingStats::Ready(s) => Ok(s),
                PendingStats::Device(_) => match quads.next() {
                    Some(&[d_loss, g_loss, d_x, d_gz]) => Ok(StepStats {
                        d_loss,
                        g_loss,
                        d_x,
                        d_gz,
                    }),
                    // Each Device entry contributed exactly four values to `vals`.
                    _ => unreachable!("four figures per step"),
                },
            })
            .collect()
    }
}
