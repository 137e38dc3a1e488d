//! The one convolution engine behind conv2d, conv_transpose2d and their
//! backwards. In conv2d's terms, with u = images [n, c, h, w], W = filters
//! [o, c·kh·kw] and v = images [n, o, oh, ow], one pass computes any of
//!
//! - `fwd`:  v = W · im2col(u)                (conv2d forward; convT's input grad)
//! - `dw`:   dW = Σₙ vₙ · im2col(uₙ)ᵀ          (either op's weight grad)
//! - `data`: u = col2im(Wᵀ · v)               (conv2d's input grad; convT forward)
//!
//! im2col is implicit (`unfold`): each image is copied once into a zero-padded
//! buffer, and the GEMMs read the column matrix through two offset tables; one
//! padded copy serves both `fwd` and `dw` when both are wanted
//! (conv_transpose2d's backward). Images are processed in batches (so that
//! GEMMs over tiny outputs such as 3×3 still get a few hundred columns), and
//! equal groups of batches run in parallel with rayon. Each group owns its
//! scratch buffers and its partial dW, so nothing is shared or locked; the
//! partial dWs are summed at the end. The GEMMs are single-threaded (see
//! `sgemm`): the parallelism is over images, and W is packed once per pass.

use super::dense::{add_bias, add_channel_bias, run_dense};
use super::unfold::{scatter_add, Padded};
use super::Geom;
use crate::gemm::checked::{gemm, pack, GemmElem, Packed, A, B};
use rayon::prelude::*;

/// Which results a pass computes.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Want {
    pub fwd: bool,
    pub dw: bool,
    pub data: bool,
}

/// The operands, as contiguous slices. `u` is needed for `fwd`/`dw`, `v` for
/// `dw`/`data`. A bias is added per channel to the `fwd` (o channels) or `data`
/// (c channels) output.
pub(crate) struct Io<'a, T> {
    pub u: Option<&'a [T]>,
    pub v: Option<&'a [T]>,
    pub w: &'a [T],
    pub bias_fwd: Option<&'a [T]>,
    pub bias_data: Option<&'a [T]>,
}

#[derive(Default)]
pub(crate) struct Outputs<T> {
    pub fwd: Option<Vec<T>>,
    pub dw: Option<Vec<T>>,
    pub data: Option<Vec<T>>,
}

/// Output columns per GEMM we aim for: below a few hundred the packing and
/// call overheads of the GEMM dominate.
const TARGET_COLS: usize = 256;

/// Number of image batches: enough images per batch for ~TARGET_COLS GEMM
/// columns, and a multiple of 2·threads so that the batches form two equal
/// groups per thread.
fn batch_count(g: &Geom, threads: usize) -> usize {
    let per_batch = TARGET_COLS.div_ceil(g.ohw().max(1));
    g.n.div_ceil(per_batch)
        .next_multiple_of(2 * threads)
        .min(g.n)
        .max(1)
}

/// `k` + 1 boundaries splitting `0..n` into `k` parts whose sizes differ by ≤ 1.
fn even_split(n: usize, k: usize) -> Vec<usize> {
    (0..=k).map(|i| i * n / k.max(1)).collect()
}

/// What every batch shares: geometry, the unfolding tables, operands, packed
/// weights.
struct Shared<'a, T> {
    g: &'a Geom,
    padded: Padded,
    /// Per filter tap and per column of a full batch: offsets into the batch's
    /// padded images, so that col[r][j] = ph[taps[r] + pixels[j]].
    taps: Vec<usize>,
    pixels: Vec<usize>,
    io: &'a Io<'a, T>,
    want: Want,
    /// W [o, ckk] for `fwd`, Wᵀ [ckk, o] for `data`.
    w_fwd: Option<Packed<T>>,
    w_data: Option<Packed<T>>,
}

/// Per-group scratch: the padded images of a batch's inputs (`ph_in`, whose
/// padding stays zero) and outputs (`ph_out`), the column matrix of the input
/// gradient, a staging buffer for v or the fwd result when a batch holds
/// several images, and the partial dW.
struct Scratch<T> {
    ph_in: Vec<T>,
    ph_out: Vec<T>,
    col: Vec<T>,
    stage: Vec<T>,
    dw: Vec<T>,
}

/// One batch of images `n0..n0+nb` with its output slices.
struct Batch<'a, T> {
    n0: usize,
    nb: usize,
    fwd: Option<&'a mut [T]>,
    data: Option<&'a mut [T]>,
}

/// Split `out` (if present) into one slice per batch, batch i holding images
/// `bounds[i]..bounds[i + 1]` of `size` elements each.
fn per_batch<'a, T>(
    out: &'a mut Option<Vec<T>>,
    bounds: &[usize],
    size: usize,
) -> Vec<Option<&'a mut [T]>> {
    let Some(v) = out.as_mut() else {
        return Vec::new();
    };
    let mut rest: &mut [T] = v;
    bounds
        .windows(2)
        .map(|w| {
            let (head, tail) = std::mem::take(&mut rest).split_at_mut((w[1] - w[0]) * size);
            rest = tail;
            Some(head)
        })
        .collect()
}

pub(crate) fn run<T: GemmElem>(g: &Geom, io: &Io<'_, T>, want: Want) -> Outputs<T> {
    let (o, ckk) = (g.o, g.ckk());
    let mut out = Outputs {
        fwd: want.fwd.then(|| vec![T::ZERO; g.n * g.out_size()]),
        dw: None,
        data: want.data.then(|| vec![T::ZERO; g.n * g.in_size()]),
    };
    if g.n == 0 || g.ohw() == 0 {
        // Nothing to convolve: fwd is only the bias, data and dW stay zero.
        out.dw = want.dw.then(|| vec![T::ZERO; o * ckk]);
        add_bias(&mut out, io, g);
        return out;
    }
    if g.oh == 1 && g.ow == 1 && g.pad == 0 && g.kh == g.h && g.kw == g.w {
        return run_dense(g, io, want, out);
    }
    let threads = rayon::current_num_threads().max(1);
    let nbatches = batch_count(g, threads);
    let bounds = even_split(g.n, nbatches);
    let ib = g.n.div_ceil(nbatches); // the largest batch
    let padded = Padded::new(g);
    let sh = Shared {
        g,
        taps: padded.taps(g),
        pixels: padded.pixels(g, ib),
        padded,
        io,
        want,
        w_fwd: if want.fwd {
            pack(o, ckk, io.w, (ckk, 1))
        } else {
            None
        },
        w_data: if want.data {
            pack(ckk, o, io.w, (1, ckk))
        } else {
            None
        },
    };
    let mut fwd_slices = per_batch(&mut out.fwd, &bounds, g.out_size());
    let mut data_slices = per_batch(&mut out.data, &bounds, g.in_size());
    let mut batches = (0..nbatches).map(|i| Batch {
        n0: bounds[i],
        nb: bounds[i + 1] - bounds[i],
        fwd: fwd_slices.get_mut(i).and_then(Option::take),
        data: data_slices.get_mut(i).and_then(Option::take),
    });
    // Equal groups of consecutive batches, one rayon job and one scratch (with
    // its partial dW) each: a fixed partition, so dW's summation order and
    // hence its rounding do not depend on work stealing.
    let ngroups = nbatches.min(2 * threads);
    let groups: Vec<Vec<Batch<'_, T>>> = even_split(nbatches, ngroups)
        .windows(2)
        .map(|w| batches.by_ref().take(w[1] - w[0]).collect())
        .collect();
    let cols = ib * g.ohw();
    let partials: Vec<Vec<T>> = groups
        .into_par_iter()
        .map(|grp| {
            let zeros = |len: usize, wanted: bool| vec![T::ZERO; if wanted { len } else { 0 }];
            let ph_len = ib * sh.padded.len(g);
            let mut s = Scratch {
                ph_in: zeros(ph_len, want.fwd || want.dw),
                ph_out: zeros(ph_len, want.data),
                col: zeros(ckk * cols, want.data),
                stage: zeros(o * cols, ib > 1),
                dw: zeros(o * ckk, want.dw),
            };
            for b in grp {
                run_batch(&sh, &mut s, b);
            }
            s.dw
        })
        .collect();
    if want.dw {
        out.dw = Some(sum_partials(partials));
    }
    out
}

/// Σ of the partial dWs, in their fixed order, in parallel over elements.
fn sum_partials<T: GemmElem>(mut partials: Vec<Vec<T>>) -> Vec<T> {
    const CHUNK: usize = 1 << 14;
    let mut total = partials.remove(0);
    total
        .par_chunks_mut(CHUNK)
        .enumerate()
        .for_each(|(i, dst)| {
            for p in &partials {
                for (d, v) in dst.iter_mut().zip(&p[i * CHUNK..]) {
                    *d += *v;
                }
            }
        });
    total
}

fn run_batch<T: GemmElem>(sh: &Shared<'_, T>, s: &mut Scratch<T>, b: Batch<'_, T>) {
    let (g, io, ph) = (sh.g, sh.io, &sh.padded);
    let (ohw, ckk, o, insz, len) = (g.ohw(), g.ckk(), g.o, g.in_size(), ph.len(g));
    let cols = b.nb * ohw;
    let (taps, pixels) = (&sh.taps[..], &sh.pixels[..cols]);
    if sh.want.fwd || sh.want.dw {
        let u = io.u.expect("fwd and dw read u");
        let imgs = &u[b.n0 * insz..(b.n0 + b.nb) * insz];
        for (img, buf) in imgs.chunks(insz).zip(s.ph_in.chunks_mut(len)) {
            ph.load(g, img, buf);
        }
    }
    // the column matrix [ckk, nb·ohw] of the batch, read in place
    let col = B::Gather(&s.ph_in[..], taps, pixels);
    if let (Some(fwd), Some(w)) = (b.fwd, &sh.w_fwd) {
        if b.nb == 1 {
            // GEMM: W [o, ckk] · col [ckk, ohw] → v [o, ohw]
            gemm(o, ckk, ohw, A::Packed(w), col, false, fwd, ohw);
        } else {
            let stage = &mut s.stage[..o * cols];
            // GEMM: W [o, ckk] · col [ckk, nb·ohw] → stage [o, nb·ohw]
            gemm(o, ckk, cols, A::Packed(w), col, false, stage, cols);
            // stage is [o, nb, ohw]; the output wants [nb, o, ohw]
            for (i, img) in fwd.chunks_mut(o * ohw).enumerate() {
                for (oc, dst) in img.chunks_mut(ohw).enumerate() {
                    dst.copy_from_slice(&stage[oc * cols + i * ohw..][..ohw]);
                }
            }
        }
        if let Some(bias) = io.bias_fwd {
            for img in fwd.chunks_mut(o * ohw) {
                add_channel_bias(img, bias, ohw);
            }
        }
    }
    if !(sh.want.dw || sh.want.data) {
        return;
    }
    // v for this batch as a matrix [o, nb·ohw]: in place for one image, else
    // gathered from its [nb, o, ohw] layout.
    let v = io.v.expect("dw and data read v");
    let vb = &v[b.n0 * o * ohw..(b.n0 + b.nb) * o * ohw];
    let vmat: &[T] = if b.nb == 1 {
        vb
    } else {
        let stage = &mut s.stage[..o * cols];
        for (i, img) in vb.chunks(o * ohw).enumerate() {
            for (oc, src) in img.chunks(ohw).enumerate() {
                stage[oc * cols + i * ohw..][..ohw].copy_from_slice(src);
            }
        }
        stage
    };
    let vm = A::Strided(vmat, (cols, 1));
    if sh.want.dw {
        // GEMM: v [o, nb·ohw] · colᵀ [nb·ohw, ckk] → dW [o, ckk] (accumulating)
        let colt = B::Gather(&s.ph_in[..], pixels, taps);
        gemm(o, cols, ckk, vm, colt, true, &mut s.dw, ckk);
    }
    if let (Some(data), Some(wt)) = (b.data, &sh.w_data) {
        let dcol = &mut s.col[..ckk * cols];
        // GEMM: Wᵀ [ckk, o] · v [o, nb·ohw] → dcol [ckk, nb·ohw]
        gemm(
            ckk,
            o,
            cols,
            A::Packed(wt),
            B::Strided(vmat, (cols, 1)),
            false,
            dcol,
            cols,
        );
        let bufs = &mut s.ph_out[..b.nb * len];
        bufs.fill(T::ZERO);
        scatter_add(dcol, taps, pixels, bufs);
        for (img, buf) in data.chunks_mut(insz).zip(bufs.chunks(len)) {
            ph.store(g, buf, img);
            if let Some(bias) = io.bias_data {
                add_channel_bias(img, bias, g.h * g.w);
            }
        }
    }
}
