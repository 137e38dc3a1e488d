//! Host side of random.cu: noise and dropout masks generated on the device.

use crate::cuda::compile::Source;
use crate::cuda::launch::{grid, BLOCK};
use crate::cuda::{device, output, upload_u32};
use tensor::cuda::{download, CudaStorage};
use tensor::{Result, Tensor};

/// `random.cu`, embedded in the binary and compiled by NVRTC on first use.
pub(crate) fn source() -> Source {
    Source {
        name: "random.cu",
        code: include_str!("random.cu"),
    }
}

/// What to draw.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Dist {
    Uniform { lo: f32, hi: f32 },
    Normal { mean: f32, std: f32 },
    Dropout { p: f32, scale: f32 },
}

/// A dense f32 tensor of `shape` on `cuda:ordinal` drawn from `dist`.
pub(crate) fn generate(
    ordinal: usize,
    shape: &[usize],
    dist: Dist,
    seed: u64,
    offset: u64,
) -> Result<Tensor> {
    let op = "random";
    let dev = device(ordinal)?;
    let (out, py) = output(&dev, shape)?;
    let n = out.numel();
    if n == 0 {
        return Ok(out);
    }
    let cfg = grid(&dev, n.div_ceil(4), BLOCK);
    let n64 = n as u64;
    match dist {
        Dist::Uniform { lo, hi } => {
            launch!(
                op,
                &dev,
                source(),
                "uniform_f32",
                cfg,
                [py, n64, seed, offset, lo, hi]
            )
        }
        Dist::Normal { mean, std } => {
            launch!(
                op,
                &dev,
                source(),
                "normal_f32",
                cfg,
                [py, n64, seed, offset, mean, std]
            )
        }
        Dist::Dropout { p, scale } => {
            launch!(
                op,
                &dev,
                source(),
                "dropout_mask_f32",
                cfg,
                [py, n64, seed, offset, p, scale]
            )
        }
    }
    Ok(out)
}

/// Dropout of dense `x` on its GPU in one launch: (y = x·mask, mask), the
/// mask as `generate` with `Dist::Dropout` draws it.
pub(crate) fn dropout(
    x: &Tensor,
    p: f32,
    scale: f32,
    seed: u64,
    offset: u64,
) -> Result<(Tensor, Tensor)> {
    let op = "dropout";
    let xc = crate::copy::contiguous(x)?;
    let (dev, px) = crate::cuda::operand(op, &xc)?;
    let (y, py) = output(&dev, x.shape())?;
    let (mask, pm) = output(&dev, x.shape())?;
    let n = xc.numel();
    if n == 0 {
        return Ok((y, mask));
    }
    let cfg = grid(&dev, n.div_ceil(4), BLOCK);
    let n64 = n as u64;
    launch!(
        op,
        &dev,
        source(),
        "dropout_f32",
        cfg,
        [px, py, pm, n64, seed, offset, p, scale]
    );
    Ok((y, mask))
}

/// Raw Philox words computed on `cuda:ordinal` for (counter, key) pairs: the
/// device side of the known-answer test. Waits for the GPU.
pub fn philox_words(ordinal: usize, inputs: &[([u32; 4], [u32; 2])]) -> Result<Vec<[u32; 4]>> {
    let op = "philox_words";
    let dev = device(ordinal)?;
    let flat: Vec<u32> = inputs
        .iter()
        .flat_map(|(c, k)| c.iter().chain(k).copied())
        .collect();
    let (_input, pin) = upload_u32(&dev, &flat)?;
    let out = CudaStorage::alloc(&dev, inputs.len() * 4)?;
    let pout = out.device_ptr();
    let count = crate::cuda::to_u32(op, &[inputs.len()], "the pair count", inputs.len())?;
    // One thread per pair (the kernel has no grid-stride loop).
    let cfg = cudarc::driver::LaunchConfig {
        grid_dim: (count.div_ceil(BLOCK).max(1), 1, 1),
        block_dim: (BLOCK, 1, 1),
        shared_mem_bytes: 0,
    };
    launch!(op, &dev, source(), "philox_words", cfg, [pin, pout, count]);
    let bits = download(&out, 0..inputs.len() * 4)?;
    Ok(bits
        .chunks_exact(4)
        .map(|c| {
            [
                c[0].to_bits(),
                c[1].to_bits(),
                c[2].to_bits(),
                c[3].to_bits(),
            ]
        })
        .collect())
}
