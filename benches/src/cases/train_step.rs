//! train_step cases: one discriminator update and one generator update of a
//! model of `gan::models`, with its batch, loss and optimiser, exactly as
//! bench_torch.py's `train_step_fn` (real images ~ U(−1, 1), fixed for the run;
//! fresh z every step). On a GPU the models are built on the CPU from the
//! same seed and moved; the batch is moved once.

use super::Step;
use gan::models::ModelKind;
use gan::train::Gan;
use rand::rngs::StdRng;
use rand::SeedableRng;
use tensor::{Device, Error, Result, Tensor};

/// `Ok(None)` when this build has no model of that name.
pub fn train_step(name: &str, device: Device) -> Result<Option<Step>> {
    let Some(kind) = ModelKind::from_name(name) else {
        return Ok(None);
    };
    let spec = kind.spec();
    let mut gan = Gan::new_on(kind, 0, spec.lr, device).map_err(to_tensor_err)?;
    let mut rng = StdRng::seed_from_u64(0);
    let mut shape = vec![spec.batch];
    shape.extend(spec.image);
    // The step flattens images for the MLPs itself (Spec::flat_images).
    let real = Tensor::rand_uniform(&shape, -1.0, 1.0, &mut rng)?.to_device(device)?;
    Ok(Some(Box::new(move || {
        // The figures are not read back (bench_torch.py's step reads none);
        // on a GPU the timing synchronises at the end of the call instead.
        gan.train_step_deferred(&real, &mut rng)
            .map_err(to_tensor_err)?;
        Ok(())
    })))
}

fn to_tensor_err(e: gan::Error) -> Error {
    Error::invalid("train_step", e.to_string())
}
