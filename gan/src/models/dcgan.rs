//! What the two DCGANs share: their layer kinds, and models.py's `build()` for
//! `init="dcgan"`, which constructs every layer with PyTorch's default
//! initialisation and then runs `G.apply(dcgan_init)`. `apply` visits the
//! children of the `nn.Sequential` in order (then the Sequential itself, which
//! `dcgan_init` ignores), so the re-initialisation here goes layer by layer in
//! the same order, after all layers exist.

use crate::nn::{Activation, BatchNorm2d, Conv2d, ConvTranspose2d, Module, Sequential};
use rand::Rng;
use tensor::Result;

/// One entry of a DCGAN's `nn.Sequential`, kept typed until the
/// initialisation is done.
pub(super) enum Layer {
    Conv(Conv2d),
    ConvT(ConvTranspose2d),
    Bn(BatchNorm2d),
    Act(Activation),
}

impl Layer {
    /// `dcgan_init(m)`: "Conv" in the class name → weight N(0, 0.02);
    /// "BatchNorm" → weight N(1, 0.02), bias 0; anything else untouched.
    fn dcgan_init<R: Rng + ?Sized>(&mut self, rng: &mut R) -> Result<()> {
        match self {
            Layer::Conv(c) => c.dcgan_init(rng),
            Layer::ConvT(c) => c.dcgan_init(rng),
            Layer::Bn(b) => b.dcgan_init(rng),
            Layer::Act(_) => Ok(()),
        }
    }

    fn boxed(self) -> Box<dyn Module> {
        match self {
            Layer::Conv(c) => Box::new(c),
            Layer::ConvT(c) => Box::new(c),
            Layer::Bn(b) => Box::new(b),
            Layer::Act(a) => Box::new(a),
        }
    }
}

/// `nn.Conv2d(inp, out, k, s, p, bias=False)`.
pub(super) fn conv<R: Rng + ?Sized>(
    inp: usize,
    out: usize,
    k: usize,
    s: usize,
    p: usize,
    rng: &mut R,
) -> Result<Layer> {
    Ok(Layer::Conv(Conv2d::new(inp, out, k, s, p, false, rng)?))
}

/// `nn.Conv2d(inp, out, k, s, p)`, with a bias.
pub(super) fn conv_biased<R: Rng + ?Sized>(
    inp: usize,
    out: usize,
    k: usize,
    s: usize,
    p: usize,
    rng: &mut R,
) -> Result<Layer> {
    Ok(Layer::Conv(Conv2d::new(inp, out, k, s, p, true, rng)?))
}

/// `nn.ConvTranspose2d(inp, out, k, s, p, bias=False)`.
pub(super) fn conv_t<R: Rng + ?Sized>(
    inp: usize,
    out: usize,
    k: usize,
    s: usize,
    p: usize,
    rng: &mut R,
) -> Result<Layer> {
    Ok(Layer::ConvT(ConvTranspose2d::new(
        inp, out, k, s, p, 0, false, rng,
    )?))
}

/// `nn.BatchNorm2d(c)`.
pub(super) fn bn(c: usize) -> Result<Layer> {
    Ok(Layer::Bn(BatchNorm2d::new(c)?))
}

/// `nn.Sequential(*layers)` followed by `.apply(dcgan_init)`, drawing the new
/// weights from `rng` after the default initialisation drew its own.
pub(super) fn dcgan_sequential<R: Rng + ?Sized>(
    mut layers: Vec<Layer>,
    rng: &mut R,
) -> Result<Sequential> {
    for l in &mut layers {
        l.dcgan_init(rng)?;
    }
    Ok(Sequential::new(
        layers.into_iter().map(Layer::boxed).collect(),
    ))
}
