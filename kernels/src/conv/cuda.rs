//! Host side of conv.cu: the CUDA version of the convolution engine
//! (`crate::conv::pass`), behind conv2d, conv_transpose2d and their
//! backwards. In conv2d's terms (u = images [n, c, h, w], W = filters
//! [o, c·kh·kw], v = images [n, o, oh, ow]) one pass computes any of
//!
//! - `fwd`:  v = W · im2col(u) (+ bias)        (conv2d forward; convT's input grad)
//! - `dw`:   dW = Σₙ vₙ · im2col(uₙ)ᵀ          (either op's weight grad)
//! - `data`: u = col2im(Wᵀ · v) (+ bias)       (conv2d's input grad; convT forward)
//!
//! Images are processed in chunks whose column matrix [c·kh·kw, nb·oh·ow]
//! stays under `COL_LIMIT` floats; each product is one SGEMM (sgemm.cu) over
//! the whole chunk, the weight gradient accumulating across chunks.

use crate::conv::Geom;
use crate::cuda::compile::Source;
use crate::cuda::launch::{grid, BLOCK};
use crate::cuda::{operand, operand_on, output, zeros, CudaDevice};
use crate::gemm::cuda::gemm;
use cudarc::driver::DeviceRepr;
use std::sync::Arc;
use tensor::cuda::CudaStorage;
use tensor::{Device, Error, Result, Tensor};

/// `conv.cu`, embedded in the binary and compiled by NVRTC on first use.
pub(crate) fn source() -> Source {
    Source {
        name: "conv.cu",
        code: include_str!("conv.cu"),
    }
}

/// Column-matrix elements per chunk (128 MiB of f32).
const COL_LIMIT: usize = 1 << 25;

/// `struct ConvGeom` of conv.cu.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
struct ConvGeom {
    n: i32,
    c: i32,
    h: i32,
    w: i32,
    o: i32,
    kh: i32,
    kw: i32,
    stride: i32,
    pad: i32,
    oh: i32,
    ow: i32,
    pad2: i32,
}

// SAFETY: plain old data laid out as the C struct (repr(C), i32 only).
unsafe impl DeviceRepr for ConvGeom {}

fn geom_arg(op: &'static str, dev: &CudaDevice, g: &Geom) -> Result<ConvGeom> {
    let dims = [
        g.n, g.c, g.h, g.w, g.o, g.kh, g.kw, g.stride, g.pad, g.oh, g.ow,
    ];
    let mut v = [0i32; 11];
    for (d, &x) in v.iter_mut().zip(&dims) {
        *d = i32::try_from(x).map_err(|_| Error::Unsupported {
            op,
            device: Device::Cuda(dev.ordinal()),
            msg: format!("convolution dimension {x} exceeds the CUDA kernels' 2^31 limit"),
        })?;
    }
    Ok(ConvGeom {
        n: v[0],
        c: v[1],
        h: v[2],
        w: v[3],
        o: v[4],
        kh: v[5],
        kw: v[6],
        stride: v[7],
        pad: v[8],
        oh: v[9],
        ow: v[10],
        pad2: 0,
    })
}

fn ptr_of(op: &'static str, t: Option<&Tensor>, dev: &CudaDevice) -> Result<u64> {
    t.map(|t| operand_on(op, t, dev))
        .transpose()
        .map(|p| p.unwrap_or(0))
}

/// Images per chunk: as many as keep the column matrix under `COL_LIMIT`.
fn chunk_images(g: &Geom) -> usize {
    let per_image = (g.ckk() * g.ohw()).max(1);
    (COL_LIMIT / per_image).clamp(1, g.n.max(1))
}

/// One pass of the engine on contiguous CUDA tensors; `want` = [fwd, dw, data]
/// and `shapes` the shapes of those outputs (as `crate::conv::run_pass`).
#[allow(clippy::too_many_arguments)]
pub(crate) fn pass(
    g: &Geom,
    u: Option<&Tensor>,
    v: Option<&Tensor>,
    w: &Tensor,
    bias_fwd: Option<&Tensor>,
    bias_data: Option<&Tensor>,
    want: [bool; 3],
    shapes: [&[usize]; 3],
) -> Result<[Option<Tensor>; 3]> {
    let op = "conv";
    let (dev, pw) = operand(op, w)?;
    let (pu, pv) = (ptr_of(op, u, &dev)?, ptr_of(op, v, &dev)?);
    let (pbf, pbd) = (ptr_of(op, bias_fwd, &dev)?, ptr_of(op, bias_data, &dev)?);
    let [want_fwd, want_dw, want_data] = want;
    if (want_fwd || want_dw) && u.is_none() || (want_dw || want_data) && v.is_none() {
        return Err(Error::invalid(op, "a conv pass is missing an operand"));
    }
    let cg = geom_arg(op, &dev, g)?;
    let fwd = want_fwd.then(|| output(&dev, shapes[0])).transpose()?;
    // dW accumulates over the chunks.
    let dw = want_dw.then(|| zeros(&dev, shapes[1])).transpose()?;
    let data = want_data.then(|| output(&dev, shapes[2])).transpose()?;
    if g.n > 0 {
        let outs = Outs {
            fwd: fwd.as_ref().map_or(0, |t| t.1),
            dw: dw.as_ref().map_or(0, |t| t.1),
            data: data.as_ref().map_or(0, |t| t.1),
        };
        let ins = Ins {
            u: pu,
            v: pv,
            w: pw,
            bias_fwd: pbf,
            bias_data: pbd,
        };
        run_chunks(op, &dev, g, cg, &ins, &outs)?;
    }
    Ok([fwd.map(|t| t.0), dw.map(|t| t.0), data.map(|t| t.0)])
}

/// Device addresses of the operands (0: absent).
struct Ins {
    u: u64,
    v: u64,
    w: u64,
    bias_fwd: u64,
    bias_data: u64,
}

/// Device addresses of the outputs (0: not wanted).
struct Outs {
    fwd: u64,
    dw: u64,
    data: u64,
}

fn run_chunks(
    op: &'static str,
    dev: &Arc<CudaDevice>,
    g: &Geom,
    cg: ConvGeom,
    ins: &Ins,
    outs: &Outs,
) -> Result<()> {
    let (o, ckk, ohw) = (g.o, g.ckk(), g.ohw());
    let step = chunk_images(g);
    let cols_max = step * ohw;
    let col = CudaStorage::alloc(dev, ckk * cols_max)?;
    let rows = CudaStorage::alloc(dev, o * cols_max)?;
    let (pcol, prows) = (col.device_ptr(), rows.device_ptr());
    let mut n0 = 0;
    while n0 < g.n {
        let nb = step.min(g.n - n0);
        let k = nb * ohw;
        let nb32 = nb as i32;
        let p64 = ohw as i64;
        let o32 = cg.o;
        let pu = ins.u + 4 * (n0 * g.in_size()) as u64;
        let pv = ins.v + 4 * (n0 * g.out_size()) as u64;
        if outs.fwd != 0 || outs.dw != 0 {
            launch!(
                op,
                dev,
                source(),
                "conv_im2col_f32",
                grid(dev, ckk * k, BLOCK),
                [pu, pcol, cg, nb32]
            );
        }
        if outs.fwd != 0 {
            // GEMM: W [o, ckk] · col [ckk, nb·ohw] → rows [o, nb·ohw]
            gemm(
                op,
                dev,
                (ins.w, (ckk, 1)),
                (pcol, (k, 1)),
                prows,
                (o, ckk, k),
                false,
            )?;
            let (py, pb) = (outs.fwd + 4 * (n0 * g.out_size()) as u64, ins.bias_fwd);
            launch!(
                op,
                dev,
                source(),
                "conv_from_rows_f32",
                grid(dev, o * k, BLOCK),
                [prows, py, pb, nb32, o32, p64]
            );
        }
        if outs.dw != 0 || outs.data != 0 {
            launch!(
                op,
                dev,
                source(),
                "conv_to_rows_f32",
                grid(dev, o * k, BLOCK),
                [pv, prows, nb32, o32, p64]
            );
        }
        if outs.dw != 0 {
            // GEMM: rows(v) [o, nb·ohw] · colᵀ [nb·ohw, ckk] → dW [o, ckk] (accumulated)
            gemm(
                op,
                dev,
                (prows, (k, 1)),
                (pcol, (1, k)),
                outs.dw,
                (o, k, ckk),
                true,
            )?;
        }
        if outs.data != 0 {
            // GEMM: Wᵀ [ckk, o] · rows(v) [o, nb·ohw] → col [ckk, nb·ohw]
            gemm(
                op,
                dev,
                (ins.w, (1, ckk)),
                (prows, (k, 1)),
                pcol,
                (ckk, o, k),
                false,
            )?;
            let (pd, pb) = (outs.data + 4 * (n0 * g.in_size()) as u64, ins.bias_data);
            launch!(
                op,
                dev,
                source(),
                "conv_col2im_f32",
                grid(dev, nb * g.in_size(), BLOCK),
                [pcol, pd, pb, cg, nb32]
            );
        }
        n0 += nb;
    }
    // The scratch buffers go back to the caching allocator; the stream orders
    // any later reuse after the kernels above.
    drop((col, rows));
    Ok(())
}
