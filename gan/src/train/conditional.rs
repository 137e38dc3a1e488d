//! `Recipe::classes`: the pair rebuilt class-conditional (see
//! `models::conditional`), each step's classes as the models take them, and
//! the classes of the images the run draws itself (grids, evaluations).

use super::step::Gan;
use crate::error::{Error, Result};
use crate::models::conditional::one_hot;
use crate::nn::Module;
use autograd::Var;

/// Images per row of the run's grids: a conditional run's row is one class.
pub const ROW: usize = 10;

/// Whether `g` is a conditional generator (it has a class embedding).
pub(crate) fn is_conditional(g: &dyn Module) -> bool {
    g.named_parameters()
        .iter()
        .any(|(n, _)| n == "label_emb.weight")
}

/// The classes of `n` images drawn for a grid or an evaluation: rows of
/// `ROW` images of one class, the classes in turn (so a 10×10 grid of a
/// ten-class run shows one class per row, and 10,000 samples are balanced).
pub fn grid_classes(n: usize, classes: usize) -> Vec<u32> {
    (0..n).map(|i| ((i / ROW) % classes) as u32).collect()
}

impl Gan {
    /// The number of classes of a conditional pair.
    pub fn classes(&self) -> Option<usize> {
        self.recipe.classes.map(|c| c as usize)
    }

    /// Rebuild G and D class-conditional over `classes` classes from `seed`
    /// (a fresh pair: before any step, as `with_recipe` calls it).
    pub(super) fn make_conditional(&mut self, classes: u32, seed: u64) -> Result<()> {
        if classes < 2 {
            return Err(Error::usage(format!(
                "a conditional pair needs two classes or more, not {classes}"
            )));
        }
        if is_conditional(self.g.as_ref()) {
            return Ok(());
        }
        let channels = self.spec.image[0];
        let (mut g, mut d) = self
            .kind
            .build_for(seed, channels, Some(classes as usize))?;
        for (net, m) in [("G", &mut g), ("D", &mut d)] {
            m.to_device(self.device)?;
            super::step::check_on(self.kind, net, m.as_ref(), self.device)?;
        }
        (self.g, self.d) = (g, d);
        Ok(())
    }

    /// The step's classes one-hot on the device, for a conditional pair
    /// (an error without them, or for the wrong number); `None` otherwise.
    pub(super) fn step_labels(&self, labels: Option<&[u32]>, b: usize) -> Result<Option<Var>> {
        let Some(c) = self.classes() else {
            return Ok(None);
        };
        let labels = labels.ok_or_else(|| {
            Error::usage(format!(
                "the pair is conditional on {c} classes: each step needs its batch's classes"
            ))
        })?;
        if labels.len() != b {
            return Err(Error::usage(format!(
                "{} classes for a batch of {b} images",
                labels.len()
            )));
        }
        Ok(Some(Var::constant(one_hot(labels, c, self.device)?)))
    }
}
