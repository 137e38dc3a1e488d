//! Convolution geometry in conv2d's terms, and the validation of user-given
//! shapes and parameters into it: every error names the op and the shapes.

use crate::dispatch::check_same;
use tensor::{Error, Result, Tensor};

/// A convolution in conv2d's terms: `n` images [c, h, w] convolved with `o`
/// filters [c, kh, kw] at `stride`/`pad` give images [o, oh, ow].
#[derive(Clone, Copy, Debug)]
pub(crate) struct Geom {
    pub n: usize,
    pub c: usize,
    pub h: usize,
    pub w: usize,
    pub o: usize,
    pub kh: usize,
    pub kw: usize,
    pub stride: usize,
    pub pad: usize,
    pub oh: usize,
    pub ow: usize,
}

impl Geom {
    /// Caller guarantees `stride > 0` and that the kernel fits the padded input.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        n: usize,
        c: usize,
        h: usize,
        w: usize,
        o: usize,
        kh: usize,
        kw: usize,
        stride: usize,
        pad: usize,
    ) -> Geom {
        Geom {
            n,
            c,
            h,
            w,
            o,
            kh,
            kw,
            stride,
            pad,
            oh: (h + 2 * pad - kh) / stride + 1,
            ow: (w + 2 * pad - kw) / stride + 1,
        }
    }
    pub(crate) fn ckk(&self) -> usize {
        self.c * self.kh * self.kw
    }
    pub(crate) fn ohw(&self) -> usize {
        self.oh * self.ow
    }
    /// Elements of one input image.
    pub(crate) fn in_size(&self) -> usize {
        self.c * self.h * self.w
    }
    /// Elements of one output image.
    pub(crate) fn out_size(&self) -> usize {
        self.o * self.oh * self.ow
    }
}

pub(crate) fn rank4(op: &'static str, what: &str, s: &[usize]) -> Result<[usize; 4]> {
    <[usize; 4]>::try_from(s)
        .map_err(|_| Error::arg(op, s, format!("{what} must be 4-D, got rank {}", s.len())))
}

/// Validate a conv2d of input `x` [n, c, h, w] with weight `w` [o, c, kh, kw].
pub(crate) fn conv2d_geom(
    op: &'static str,
    x: &[usize],
    w: &[usize],
    stride: usize,
    padding: usize,
) -> Result<Geom> {
    let [n, c, h, wd] = rank4(op, "input [N, C, H, W]", x)?;
    let [o, wc, kh, kw] = rank4(op, "weight [out, in, kH, kW]", w)?;
    if wc != c {
        return Err(Error::shape_detail(
            op,
            x,
            w,
            format!("input has {c} channels but the weight expects {wc}"),
        ));
    }
    check_params(op, x, w, c, o, kh, kw, stride)?;
    if kh > h + 2 * padding || kw > wd + 2 * padding {
        return Err(Error::shape_detail(
            op,
            x,
            w,
            format!(
                "kernel {kh}×{kw} is larger than the padded input {}×{}",
                h + 2 * padding,
                wd + 2 * padding
            ),
        ));
    }
    Ok(Geom::new(n, c, h, wd, o, kh, kw, stride, padding))
}

#[allow(clippy::too_many_arguments)]
fn check_params(
    op: &'static str,
    x: &[usize],
    w: &[usize],
    c: usize,
    o: usize,
    kh: usize,
    kw: usize,
    stride: usize,
) -> Result<()> {
    if stride == 0 {
        return Err(Error::shape_detail(op, x, w, "stride must be positive"));
    }
    if c == 0 || o == 0 || kh == 0 || kw == 0 {
        return Err(Error::shape_detail(
            op,
            x,
            w,
            "channels and kernel sizes must be positive",
        ));
    }
    if x.iter()
        .chain(w)
        .try_fold(1usize, |a, &d| a.checked_mul(d.max(1)))
        .is_none()
    {
        return Err(Error::shape_detail(op, x, w, "sizes overflow"));
    }
    Ok(())
}

/// Validate a conv_transpose2d of `x` [n, cin, h, w] with weight `w`
/// [cin, cout, kh, kw]; the returned geometry is the adjoint conv2d's (its
/// images are the [cout, oh, ow] outputs, its outputs the [cin, h, w] inputs).
pub(crate) fn conv_transpose2d_geom(
    op: &'static str,
    x: &[usize],
    w: &[usize],
    stride: usize,
    padding: usize,
    output_padding: usize,
) -> Result<Geom> {
    let [n, cin, h, wd] = rank4(op, "input [N, C, H, W]", x)?;
    let [wc, cout, kh, kw] = rank4(op, "weight [in, out, kH, kW]", w)?;
    if wc != cin {
        return Err(Error::shape_detail(
            op,
            x,
            w,
            format!("input has {cin} channels but the weight expects {wc}"),
        ));
    }
    check_params(op, x, w, cin, cout, kh, kw, stride)?;
    if output_padding >= stride {
        return Err(Error::shape_detail(
            op,
            x,
            w,
            format!("output_padding {output_padding} must be smaller than stride {stride}"),
        ));
    }
    if h == 0 || wd == 0 {
        return Err(Error::shape_detail(
            op,
            x,
            w,
            "input height and width must be positive",
        ));
    }
    // (h − 1)·s + k + output_padding − 2p, which must be positive
    let size =
        |i: usize, k: usize| ((i - 1) * stride + k + output_padding).checked_sub(2 * padding);
    let (oh, ow) = match (size(h, kh), size(wd, kw)) {
        (Some(oh), Some(ow)) if oh > 0 && ow > 0 => (oh, ow),
        _ => {
            return Err(Error::shape_detail(
                op,
                x,
                w,
                format!("padding {padding} leaves no output (stride {stride}, output_padding {output_padding})"),
            ))
        }
    };
    // As output_padding < stride, the adjoint conv2d of [oh, ow] gives back [h, w].
    let g = Geom::new(n, cout, oh, ow, cin, kh, kw, stride, padding);
    debug_assert_eq!((g.oh, g.ow), (h, wd));
    Ok(g)
}

pub(crate) fn check_bias(
    op: &'static str,
    b: Option<&Tensor>,
    x: &Tensor,
    channels: usize,
) -> Result<()> {
    if let Some(b) = b {
        if b.shape() != [channels] {
            return Err(Error::shape_detail(
                op,
                b.shape(),
                x.shape(),
                format!("bias must have shape [{channels}]"),
            ));
        }
        check_same(op, x, b)?;
    }
    Ok(())
}

pub(crate) fn check_grad(
    op: &'static str,
    dy: &Tensor,
    x: &Tensor,
    expected: &[usize],
) -> Result<()> {
    if dy.shape() != expected {
        return Err(Error::shape_detail(
            op,
            dy.shape(),
            expected,
            format!(
                "output gradient must have the output's shape (input {:?})",
                x.shape()
            ),
        ));
    }
    check_same(op, x, dy)
}
