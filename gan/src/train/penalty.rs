//! Gradient penalties on D's input gradient: WGAN-GP (Gulrajani et al. 2017)
//! and R1 (Mescheder et al. 2018). Each takes the gradient of ΣD(x) with
//! respect to x with `create_graph`, so that the penalty's backward reaches
//! D's parameters through it (a second-order gradient), as
//! `torch.autograd.grad(D(x).sum(), x, create_graph=True)`.

use autograd::{grad, GradOptions, Var};
use rand::Rng;
use tensor::{Error, Result, Tensor};

/// A gradient penalty and its weight.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Penalty {
    /// λ·mean((‖∇ₓD(x̂)‖₂ − 1)²), on interpolates x̂ of real and fake samples.
    WganGp {
        /// λ (10 in the paper).
        lambda: f64,
    },
    /// γ/2·mean(‖∇ₓD(x)‖²), on real samples.
    R1 {
        /// γ (StyleGAN's default depends on the data set; 1 to 10 is usual).
        gamma: f64,
    },
}

impl Penalty {
    /// The penalty at `x` (a leaf that requires grad, see [`interpolate`] and
    /// [`Penalty::leaf`]) for the critic `d`; its graph runs through D's
    /// parameters, so `penalty.backward()` adds its gradient to theirs.
    pub fn at(&self, x: &Var, d: impl FnOnce(&Var) -> Result<Var>) -> Result<Var> {
        let d_sum = d(x)?.sum_all()?;
        let opts = GradOptions::new().create_graph(true);
        let gx = grad(&[d_sum], std::slice::from_ref(x), &[], opts)?
            .remove(0)
            .ok_or_else(|| Error::Autograd("gradient penalty: D does not use its input".into()))?;
        let gx = gx.flatten_batch()?;
        let squared_norm = gx.square()?.sum(&[1], false)?;
        match *self {
            Penalty::WganGp { lambda } => squared_norm
                .sqrt()?
                .add_scalar(-1.0)?
                .square()?
                .mean_all()?
                .mul_scalar(lambda),
            Penalty::R1 { gamma } => squared_norm.mean_all()?.mul_scalar(gamma / 2.0),
        }
    }

    /// The samples the penalty is taken at, as a leaf: ε·real + (1 − ε)·fake
    /// with ε ~ U(0, 1) per sample for WGAN-GP (drawn where the tensors are,
    /// seeded from `rng`), `real` itself for R1. Neither input needs a graph.
    pub fn leaf<R: Rng + ?Sized>(&self, real: &Tensor, fake: &Tensor, rng: &mut R) -> Result<Var> {
        match self {
            Penalty::WganGp { .. } => interpolate(real, fake, rng),
            Penalty::R1 { .. } => Ok(Var::param(real.clone())),
        }
    }
}

/// ε·real + (1 − ε)·fake with one ε ~ U(0, 1) per sample (drawn by Philox
/// where the tensors are, from one draw of `rng`), as a leaf that requires
/// grad: WGAN-GP's interpolates.
pub fn interpolate<R: Rng + ?Sized>(real: &Tensor, fake: &Tensor, rng: &mut R) -> Result<Var> {
    if real.shape() != fake.shape() || real.rank() == 0 {
        return Err(Error::shape_detail(
            "interpolate",
            real.shape(),
            fake.shape(),
            "real and fake batches must have one shape [N, ...]",
        ));
    }
    let mut eps_shape = vec![1; real.rank()];
    eps_shape[0] = real.shape()[0];
    let eps = kernels::random::uniform(&eps_shape, 0.0, 1.0, rng.random(), 0, real.device())?;
    interpolate_with(real, fake, &eps)
}

/// `interpolate` with its ε given: `eps` holds one value per sample (shape
/// `[N]` or `[N, 1, ...]`), so that a test can feed the ε of another
/// implementation.
pub fn interpolate_with(real: &Tensor, fake: &Tensor, eps: &Tensor) -> Result<Var> {
    let n = real.shape().first().copied().unwrap_or(0);
    if real.shape() != fake.shape() || real.rank() == 0 || eps.numel() != n {
        return Err(Error::shape_detail(
            "interpolate",
            real.shape(),
            eps.shape(),
            "real and fake batches [N, ...] of one shape and one ε per sample",
        ));
    }
    let mut eps_shape = vec![1; real.rank()];
    eps_shape[0] = n;
    let eps = kernels::reshape(&eps.clone().to_device(real.device())?, &eps_shape)?;
    let eps = kernels::to_dtype(&eps, real.dtype())?;
    // ε·real + (1 − ε)·fake = fake + ε·(real − fake)
    let diff = kernels::binary(real, fake, kernels::BinaryOp::Sub)?;
    let step = kernels::binary(&diff, &eps, kernels::BinaryOp::Mul)?;
    Ok(Var::param(kernels::binary(
        fake,
        &step,
        kernels::BinaryOp::Add,
    )?))
}
