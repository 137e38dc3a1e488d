//! `Recipe::spectral_norm`: D's Linear and Conv2d weights reparametrised
//! (see `nn::spectral_norm`), before the optimisers are built over D's
//! parameters under their new names, and before a resumed run loads D.

use super::noise::{mix, INIT_SPECTRAL_NORM};
use super::step::Gan;
use crate::error::{Error, Result};
use crate::models::ModelKind;
use crate::nn::Module;
use rand::rngs::StdRng;
use rand::SeedableRng;

/// Wrap the weights of `d` (model `kind`'s D), u and v drawn from the run's
/// seed; a layer already wrapped keeps its u and v. An error names a matrix
/// weight that stayed plain (a layer kind that cannot take it), rather than
/// training it unnormalised.
pub(crate) fn apply_to(d: &mut dyn Module, kind: ModelKind, seed: u64) -> Result<()> {
    let mut rng = StdRng::seed_from_u64(mix(seed, INIT_SPECTRAL_NORM));
    d.apply_spectral_norm(&mut rng)?;
    let plain: Vec<String> = d
        .named_parameters()
        .into_iter()
        // The projection's class embedding is a lookup table, left as it is
        // (see `models::conditional`).
        .filter(|(n, p)| {
            p.shape().len() >= 2
                && !n.ends_with("parametrizations.weight.original")
                && n != "embed.weight"
        })
        .map(|(n, _)| n)
        .collect();
    if !plain.is_empty() {
        return Err(Error::usage(format!(
            "--spectral-norm: {kind}'s D has weights it cannot normalise: {plain:?}"
        )));
    }
    Ok(())
}

impl Gan {
    /// `apply_to` on this pair's D.
    pub(super) fn apply_spectral_norm(&mut self, seed: u64) -> Result<()> {
        apply_to(self.d.as_mut(), self.kind, seed)
    }
}
