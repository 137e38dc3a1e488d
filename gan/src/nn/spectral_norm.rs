//! `torch.nn.utils.parametrizations.spectral_norm` for a layer's weight: the
//! layer uses W / σ(W), σ estimated by power iteration with the vectors u and v
//! kept between calls (Miyato et al. 2018).
//!
//! As PyTorch's parametrisation, with `dim = 0` (Linear, Conv2d):
//! - W is seen as the matrix [out, in·kh·kw]; u has `out` values, v the rest;
//! - at wrap time u and v are drawn from N(0, 1), normalised, then improved by
//!   15 power iterations;
//! - every forward in train mode runs one power iteration first (so a step
//!   that calls D three times iterates three times, as PyTorch does), with no
//!   gradient through it; eval mode uses u and v as they are;
//! - σ = uᵀ·W·v with u and v constants, so the gradient flows through W twice
//!   (W itself and σ(W)), to every order.
//!
//! The checkpoint holds W as `parametrizations.weight.original` and u, v as
//! `parametrizations.weight.0._u` / `._v`, PyTorch's `state_dict` keys.

use super::module::Fwd;
use autograd::{no_grad, Var};
use std::sync::{Mutex, MutexGuard};
use tensor::{Device, Error, Result, Tensor};

/// PyTorch's default `eps` of `F.normalize` inside the parametrisation.
const EPS: f64 = 1e-12;
/// Power iterations at wrap time (`_SpectralNorm.__init__`).
const INIT_ITERATIONS: usize = 15;

/// The power-iteration state of one spectrally normalised weight.
pub struct SpectralNorm {
    /// (u [out], v [in·kh·kw]). Each iteration replaces them with new tensors
    /// rather than writing in place: an earlier forward's σ keeps the u and v
    /// it saw for its backward, as PyTorch's clones do.
    uv: Mutex<(Tensor, Tensor)>,
    /// Train mode: iterate on every forward.
    pub training: bool,
}

/// The weight as a matrix: (rows, columns) for `dim = 0`.
fn matrix_shape(shape: &[usize]) -> Result<(usize, usize)> {
    if shape.len() < 2 {
        return Err(Error::InvalidArgument {
            op: "spectral_norm",
            msg: "needs a weight of at least two dimensions".to_string(),
            shape: shape.to_vec(),
        });
    }
    Ok((shape[0], shape[1..].iter().product()))
}

/// x / max(‖x‖₂, eps), as `F.normalize(x, dim=0)` on a vector.
fn normalize(x: &Var) -> Result<Var> {
    let norm = x.square()?.sum_all()?.sqrt()?.clamp(EPS, f64::MAX)?;
    x.div(&norm)
}

impl SpectralNorm {
    /// Wrap `weight`: u and v drawn from `rng` (u first), normalised, then 15
    /// power iterations, as `spectral_norm(module)` does.
    pub fn new(weight: &Tensor, rng: &mut dyn rand::RngCore) -> Result<Self> {
        let (rows, cols) = matrix_shape(weight.shape())?;
        let device = weight.device();
        let draw = |n: usize, rng: &mut dyn rand::RngCore| -> Result<Tensor> {
            let t = Tensor::randn(&[n], 0.0, 1.0, rng)?.to_device(device)?;
            no_grad(|| Ok(normalize(&Var::constant(t))?.data().clone()))
        };
        let u = draw(rows, rng)?;
        let v = draw(cols, rng)?;
        let sn = SpectralNorm {
            uv: Mutex::new((u, v)),
            training: true,
        };
        for _ in 0..INIT_ITERATIONS {
            sn.power_iteration(weight)?;
        }
        Ok(sn)
    }

    fn lock(&self) -> MutexGuard<'_, (Tensor, Tensor)> {
        // A panic elsewhere cannot leave (u, v) half-written: they are
        // replaced whole.
        self.uv.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// u and v as they are now.
    pub fn vectors(&self) -> (Tensor, Tensor) {
        self.lock().clone()
    }

    /// One step: u ← normalize(W·v), v ← normalize(Wᵀ·u), with no gradient.
    fn power_iteration(&self, weight: &Tensor) -> Result<()> {
        let (rows, cols) = matrix_shape(weight.shape())?;
        let mut uv = self.lock();
        let (u, v) = no_grad(|| -> Result<(Tensor, Tensor)> {
            let w = Var::constant(weight.clone()).reshape(&[rows, cols])?;
            let v = Var::constant(uv.1.clone()).reshape(&[cols, 1])?;
            // [rows, cols] · [cols, 1] → [rows, 1]
            let u = normalize(&w.matmul(&v)?)?;
            // [cols, rows] · [rows, 1] → [cols, 1]
            let v = normalize(&w.t()?.matmul(&u)?)?;
            Ok((
                u.reshape(&[rows])?.data().clone(),
                v.reshape(&[cols])?.data().clone(),
            ))
        })?;
        *uv = (u, v);
        Ok(())
    }

    /// W / σ(W) for this forward: one power iteration first in train mode
    /// (on W's values, whether or not the caller differentiates W).
    pub fn apply(&self, weight: &Var) -> Result<Var> {
        let shape = weight.shape().to_vec();
        let (rows, cols) = matrix_shape(&shape)?;
        if self.training {
            self.power_iteration(weight.data())?;
        }
        let (u, v) = self.vectors();
        let w = weight.reshape(&[rows, cols])?;
        // [rows, cols] · [cols, 1] → [rows, 1]
        let wv = w.matmul(&Var::constant(v.view(&[cols, 1])?))?;
        // [1, rows] · [rows, 1] → [1, 1]
        let sigma = Var::constant(u.view(&[1, rows])?).matmul(&wv)?;
        weight.div(&sigma.reshape(&vec![1; shape.len()])?)
    }

    /// The checkpoint entries, named under the layer.
    pub fn named_buffers(&self) -> Vec<(String, Tensor)> {
        let (u, v) = self.vectors();
        vec![
            ("parametrizations.weight.0._u".to_string(), u),
            ("parametrizations.weight.0._v".to_string(), v),
        ]
    }

    /// Move u and v to `device`.
    pub fn to_device(&mut self, device: Device) -> Result<()> {
        let uv = self.uv.get_mut().unwrap_or_else(|e| e.into_inner());
        for t in [&mut uv.0, &mut uv.1] {
            if t.device() != device {
                *t = t.clone().to_device(device)?;
            }
        }
        Ok(())
    }
}

// What Linear and Conv2d share about their (optional) spectral norm.

/// The weight a Linear or Conv2d forward uses: the parameter as `f` sees it,
/// divided by its spectral norm when the layer has one.
pub(crate) fn layer_weight(weight: &Var, sn: Option<&SpectralNorm>, f: &Fwd) -> Result<Var> {
    let w = f.param(weight);
    match sn {
        Some(sn) => sn.apply(&w),
        None => Ok(w),
    }
}

/// A Linear or Conv2d layer's `named_parameters`: `weight`, `bias`; under
/// spectral norm `bias` then `parametrizations.weight.original`, PyTorch's
/// order (the parametrisation moves the weight into a submodule).
pub(crate) fn layer_parameters(
    weight: &Var,
    bias: Option<&Var>,
    sn: Option<&SpectralNorm>,
) -> Vec<(String, Var)> {
    let bias = bias.map(|b| ("bias".to_string(), b.clone()));
    match sn {
        None => std::iter::once(("weight".to_string(), weight.clone()))
            .chain(bias)
            .collect(),
        Some(_) => bias
            .into_iter()
            .chain(std::iter::once((
                "parametrizations.weight.original".to_string(),
                weight.clone(),
            )))
            .collect(),
    }
}

/// A Linear or Conv2d layer's buffers: u and v under spectral norm.
pub(crate) fn layer_buffers(sn: Option<&SpectralNorm>) -> Vec<(String, Tensor)> {
    sn.map(SpectralNorm::named_buffers).unwrap_or_default()
}

/// Wrap `weight` (`Module::apply_spectral_norm`); a layer already wrapped
/// keeps its u and v.
pub(crate) fn wrap_once(
    sn: &mut Option<SpectralNorm>,
    weight: &Var,
    rng: &mut dyn rand::RngCore,
) -> Result<()> {
    if sn.is_none() {
        *sn = Some(SpectralNorm::new(weight.data(), rng)?);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    fn tensor(v: &[f32], shape: &[usize]) -> Tensor {
        Tensor::from_vec(v.to_vec(), shape).unwrap()
    }

    #[test]
    fn sigma_converges_to_the_largest_singular_value() {
        // diag(3, 1) rotated: singular values 3 and 1.
        let (c, s) = (0.6f32, 0.8f32);
        let w = tensor(&[3.0 * c, -s, 3.0 * s, c], &[2, 2]);
        let sn = SpectralNorm::new(&w, &mut StdRng::seed_from_u64(1)).unwrap();
        let y = sn.apply(&Var::constant(w.clone())).unwrap();
        let got = y.data().to_vec_f32().unwrap();
        let want: Vec<f32> = w.to_vec_f32().unwrap().iter().map(|x| x / 3.0).collect();
        for (g, w) in got.iter().zip(&want) {
            assert!((g - w).abs() < 1e-5, "{got:?} vs {want:?}");
        }
    }

    #[test]
    fn eval_mode_leaves_u_and_v_alone_and_train_mode_moves_them() {
        let w = tensor(&[1.0, 2.0, 0.5, -1.0, 0.3, 0.7], &[2, 3]);
        let mut rng = StdRng::seed_from_u64(2);
        let mut sn = SpectralNorm::new(&tensor(&[1.0; 6], &[2, 3]), &mut rng).unwrap();
        sn.training = false;
        let before = sn.vectors().1.to_vec_f32().unwrap();
        sn.apply(&Var::constant(w.clone())).unwrap();
        assert_eq!(sn.vectors().1.to_vec_f32().unwrap(), before);
        sn.training = true;
        sn.apply(&Var::constant(w)).unwrap();
        assert_ne!(sn.vectors().1.to_vec_f32().unwrap(), before);
    }

    #[test]
    fn a_vector_weight_is_an_error() {
        let w = tensor(&[1.0, 2.0], &[2]);
        let e = SpectralNorm::new(&w, &mut StdRng::seed_from_u64(0))
            .err()
            .unwrap();
        assert!(e.to_string().contains("two dimensions"), "{e}");
    }
}
