//! train_step cases: one discriminator update and one generator update of a
//! model of `gan::models`, with its batch, loss and optimiser, exactly as
//! bench_torch.py's `train_step_fn` (real images ~ U(−1, 1), fixed for the run;
//! fresh z every step).

use super::Step;
use gan::models::ModelKind;
use gan::train::Gan;
use rand::rngs::StdRng;
use rand::SeedableRng;
use tensor::{Error, Result, Tensor};

/// `Ok(None)` when this build has no model of that name (yet).
pub fn train_step(name: &str) -> Result<Option<Step>> {
    let Some(kind) = ModelKind::from_name(name) else {
        return Ok(None);
    };
    let spec = kind.spec();
    let mut gan = Gan::new(kind, 0, spec.lr).map_err(to_tensor_err)?;
    let mut rng = StdRng::seed_from_u64(0);
    let mut shape = vec![spec.batch];
    shape.extend(spec.image);
    // The step flattens images for the MLPs itself (Spec::flat_images).
    let real = Tensor::rand_uniform(&shape, -1.0, 1.0, &mut rng)?;
    Ok(Some(Box::new(move || {
        gan.train_step(&real, &mut rng).map_err(to_tensor_err)?;
        Ok(())
    })))
}

fn to_tensor_err(e: gan::Error) -> Error {
    Error::invalid("train_step", e.to_string())
}
