//! u8 pixels to f32 model inputs, one image at a time, as the PyTorch tutorials
//! do it: `ToTensor()` (x / 255), optionally `Resize(size, antialias=False)`
//! (bilinear, `align_corners=False`, on the float image), then
//! `Normalize(0.5, 0.5)` ((x − 0.5) / 0.5) for the [−1, 1] range.
//!
//! The arithmetic follows PyTorch's CPU kernels operation by operation in f32,
//! so the results agree with it to the last bit or nearly (tests pin values
//! computed with PyTorch).

/// The output range of the pixels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Normalize {
    /// `ToTensor()` then `Normalize(0.5, 0.5)`: what the GAN tutorials train on.
    #[default]
    MinusOneToOne,
    /// `ToTensor()` only.
    ZeroToOne,
}

impl Normalize {
    fn apply(self, x01: f32) -> f32 {
        match self {
            Normalize::MinusOneToOne => (x01 - 0.5) / 0.5,
            Normalize::ZeroToOne => x01,
        }
    }
}

/// How each image becomes floats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Transform {
    pub normalize: Normalize,
    /// `Some(s)`: like torchvision's `Resize(s)`, the smaller edge becomes `s`
    /// (28×28 → s×s), bilinear without antialiasing.
    pub resize: Option<usize>,
    /// Batches shaped (B, H·W) instead of (B, 1, H, W).
    pub flatten: bool,
}

/// Largest accepted resize target (a guard against absurd sizes).
pub const MAX_RESIZE: usize = 4096;

impl Transform {
    pub fn validate(&self) -> crate::Result<()> {
        match self.resize {
            Some(s) if s == 0 || s > MAX_RESIZE => Err(crate::Error::Config(format!(
                "resize to {s} pixels: expected 1..={MAX_RESIZE}"
            ))),
            _ => Ok(()),
        }
    }

    /// Output (height, width) for an input of (h, w).
    pub fn output_hw(&self, h: usize, w: usize) -> (usize, usize) {
        match self.resize {
            None => (h, w),
            // torchvision: the short edge becomes `s`, the long one int(s * long / short).
            Some(s) if h <= w => (s, (s * w).checked_div(h).unwrap_or(s)),
            Some(s) => ((s * h).checked_div(w).unwrap_or(s), s),
        }
    }

    /// Tensor shape of a batch of `b` grey images of (h, w).
    pub fn batch_shape(&self, b: usize, h: usize, w: usize) -> Vec<usize> {
        self.batch_shape_c(b, 1, h, w)
    }

    /// Tensor shape of a batch of `b` images of `c` channels of (h, w).
    pub fn batch_shape_c(&self, b: usize, c: usize, h: usize, w: usize) -> Vec<usize> {
        let (oh, ow) = self.output_hw(h, w);
        if self.flatten {
            vec![b, c * oh * ow]
        } else {
            vec![b, c, oh, ow]
        }
    }
}

/// Precomputed per-image work: lookup table and bilinear tables.
#[derive(Clone, Debug)]
pub(crate) struct Plan {
    normalize: Normalize,
    /// u8 → [0, 1], exactly `x as f32 / 255.0` as ToTensor computes it.
    to01: [f32; 256],
    /// u8 → final value when no resize is needed.
    direct: [f32; 256],
    resize: Option<(Axis, Axis)>,
    /// Channel planes per image, each resized on its own.
    pub channels: usize,
    pub in_hw: (usize, usize),
    pub out_hw: (usize, usize),
}

impl Plan {
    pub fn new(t: &Transform, channels: usize, h: usize, w: usize) -> Plan {
        let mut to01 = [0f32; 256];
        let mut direct = [0f32; 256];
        for v in 0..256 {
            to01[v] = v as f32 / 255.0;
            direct[v] = t.normalize.apply(to01[v]);
        }
        let out_hw = t.output_hw(h, w);
        let resize = (out_hw != (h, w)).then(|| (Axis::new(h, out_hw.0), Axis::new(w, out_hw.1)));
        Plan {
            normalize: t.normalize,
            to01,
            direct,
            resize,
            channels,
            in_hw: (h, w),
            out_hw,
        }
    }

    pub fn out_len(&self) -> usize {
        self.channels * self.out_hw.0 * self.out_hw.1
    }

    /// Converts one image (`channels` planes of `in_hw` bytes) into `out`
    /// (`out_len()` floats). `scratch` is reused between calls to avoid an
    /// allocation per image.
    pub fn apply(&self, img: &[u8], out: &mut [f32], scratch: &mut Vec<f32>) {
        if self.resize.is_none() {
            for (o, &p) in out.iter_mut().zip(img) {
                *o = self.direct[p as usize];
            }
            return;
        }
        let in_plane = self.in_hw.0 * self.in_hw.1;
        let out_plane = self.out_hw.0 * self.out_hw.1;
        for (src, dst) in img
            .chunks(in_plane.max(1))
            .zip(out.chunks_mut(out_plane.max(1)))
        {
            self.apply_plane(src, dst, scratch);
        }
    }

    fn apply_plane(&self, img: &[u8], out: &mut [f32], scratch: &mut Vec<f32>) {
        let Some((ay, ax)) = &self.resize else {
            return;
        };
        scratch.clear();
        scratch.extend(img.iter().map(|&p| self.to01[p as usize]));
        let w = self.in_hw.1;
        let ow = self.out_hw.1;
        for (oy, row) in out.chunks_mut(ow).enumerate() {
            let (y0, y1, wy0, wy1) = ay.taps[oy];
            let r0 = &scratch[y0 * w..(y0 + 1) * w];
            let r1 = &scratch[y1 * w..(y1 + 1) * w];
            for (ox, o) in row.iter_mut().enumerate() {
                let (x0, x1, wx0, wx1) = ax.taps[ox];
                // Same grouping as PyTorch's separable CPU kernel: inner axis first.
                let top = r0[x0] * wx0 + r0[x1] * wx1;
                let bottom = r1[x0] * wx0 + r1[x1] * wx1;
                *o = self.normalize.apply(top * wy0 + bottom * wy1);
            }
        }
    }
}

/// Bilinear taps along one axis: for each output index, two input indices and weights.
#[derive(Clone, Debug)]
pub(crate) struct Axis {
    taps: Vec<(usize, usize, f32, f32)>,
}

impl Axis {
    /// PyTorch's `align_corners=False` mapping: src = (dst + 0.5) · in/out − 0.5,
    /// clamped at 0, in f32.
    fn new(input: usize, output: usize) -> Axis {
        let scale = input as f32 / output as f32;
        let taps = (0..output)
            .map(|o| {
                if input == output {
                    return (o, o, 1.0, 0.0);
                }
                let src = (scale * (o as f32 + 0.5) - 0.5).max(0.0);
                let i0 = (src.floor() as usize).min(input - 1);
                let l1 = (src - i0 as f32).clamp(0.0, 1.0);
                let i1 = if i0 < input - 1 { i0 + 1 } else { i0 };
                (i0, i1, 1.0 - l1, l1)
            })
            .collect();
        Axis { taps }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_size_follows_torchvision_resize() {
        let t = |resize| Transform {
            resize,
            ..Transform::default()
        };
        assert_eq!(t(None).output_hw(28, 28), (28, 28));
        assert_eq!(t(Some(64)).output_hw(28, 28), (64, 64));
        assert_eq!(t(Some(64)).output_hw(28, 56), (64, 128));
        assert_eq!(t(Some(10)).output_hw(30, 20), (15, 10));
        assert!(t(Some(0)).validate().is_err());
        assert!(t(Some(MAX_RESIZE + 1)).validate().is_err());
    }

    #[test]
    fn same_size_resize_is_the_identity_and_upsampling_keeps_constants() {
        let plan = Plan::new(
            &Transform {
                normalize: Normalize::ZeroToOne,
                resize: Some(3),
                flatten: false,
            },
            1,
            3,
            3,
        );
        let img: Vec<u8> = (0..9).map(|i| i * 20).collect();
        let mut out = vec![0f32; 9];
        plan.apply(&img, &mut out, &mut Vec::new());
        let want: Vec<f32> = img.iter().map(|&p| p as f32 / 255.0).collect();
        assert_eq!(out, want);
        // A flat image stays flat at any size.
        let plan = Plan::new(
            &Transform {
                resize: Some(7),
                ..Transform::default()
            },
            1,
            2,
            2,
        );
        let mut out = vec![0f32; 49];
        plan.apply(&[255; 4], &mut out, &mut Vec::new());
        assert!(out.iter().all(|&v| v == 1.0));
    }

    #[test]
    fn errors_can_cross_threads() {
        fn send_sync<T: Send + Sync + 'static>() {}
        send_sync::<crate::Error>();
    }
}
