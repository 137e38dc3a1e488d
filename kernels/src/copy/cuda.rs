//! Host side of copy.cu: strided copies (`contiguous`, writes into views).

use crate::cuda::compile::Source;
use crate::cuda::launch::{grid, StridesArg, BLOCK, STRIDED_PRELUDE};
use crate::cuda::{operand, operand_on, output};
use std::sync::OnceLock;
use tensor::{Layout, Result, Tensor};

/// copy.cu behind the strided prelude; built on first use.
pub(crate) fn source() -> Source {
    static CODE: OnceLock<String> = OnceLock::new();
    Source::assembled("copy.cu", &CODE, || {
        format!("{STRIDED_PRELUDE}\n{}", include_str!("copy.cu"))
    })
}

/// Copy `src` (layout `ls`, already broadcast to `ld`'s shape) into `dst`'s
/// view `ld`, in place on the device.
pub(crate) fn copy_strided(dst: &Tensor, ld: &Layout, src: &Tensor, ls: &Layout) -> Result<()> {
    let name = "copy";
    let (dev, pd) = operand(name, dst)?;
    let ps = operand_on(name, src, &dev)?;
    let n = ld.numel();
    if n == 0 {
        return Ok(());
    }
    let merged = Layout::merge_dims(ld.shape(), &[ls.strides(), ld.strides()]);
    let l = StridesArg::new(name, &dev, &merged)?;
    let n64 = n as u64;
    launch!(
        name,
        &dev,
        source(),
        "copy_f32",
        grid(&dev, n, BLOCK),
        [ps, pd, n64, l]
    );
    Ok(())
}

/// A dense copy of any view.
pub(crate) fn contiguous(x: &Tensor) -> Result<Tensor> {
    let (dev, _) = operand("contiguous", x)?;
    let (out, _) = output(&dev, x.shape())?;
    copy_strided(&out, &Layout::contiguous(x.shape()), x, x.layout())?;
    Ok(out)
}
