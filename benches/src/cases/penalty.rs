//! penalty cases: one discriminator update of a gradient penalty alone, as
//! bench_torch.py's `penalty_fn`: D of a model of `gan::models` in training
//! mode, on interpolates of real and fake batches (gp: WGAN-GP, λ = 10, a
//! fresh ε per sample every call) or on the real batch (r1: R1, γ = 1); the
//! gradient of ΣD(x) with respect to x with `create_graph`, the penalty, D's
//! gradients zeroed and the penalty's backward into D's parameters. The
//! batches are drawn once, uniform in [−1, 1), as the script's.

use super::Step;
use gan::models::ModelKind;
use gan::nn::Fwd;
use gan::train::penalty::Penalty;
use gan::train::Gan;
use rand::rngs::StdRng;
use rand::SeedableRng;
use tensor::{Device, Error, Result, Tensor};

/// `Ok(None)` when this build has no model of that name or no such penalty.
pub fn penalty(model: &str, kind: &str, device: Device) -> Result<Option<Step>> {
    let Some(mk) = ModelKind::from_name(model) else {
        return Ok(None);
    };
    let penalty = match kind {
        "gp" => Penalty::WganGp { lambda: 10.0 },
        "r1" => Penalty::R1 { gamma: 1.0 },
        _ => return Ok(None),
    };
    let spec = mk.spec();
    let gan = Gan::new_on(mk, 0, spec.lr, device).map_err(to_tensor_err)?;
    let d = gan.d;
    let mut rng = StdRng::seed_from_u64(0);
    let shape: Vec<usize> = if spec.flat_images {
        vec![spec.batch, spec.image_numel()]
    } else {
        let mut s = vec![spec.batch];
        s.extend(spec.image);
        s
    };
    let real = Tensor::rand_uniform(&shape, -1.0, 1.0, &mut rng)?.to_device(device)?;
    let fake = Tensor::rand_uniform(&shape, -1.0, 1.0, &mut rng)?.to_device(device)?;
    Ok(Some(Box::new(move || {
        let x = penalty.leaf(&real, &fake, &mut rng)?;
        let pen = penalty.at(&x, |x| {
            d.forward(x, &mut Fwd::new(&mut rng))
                .map_err(|e| Error::invalid("D", e.to_string()))
        })?;
        d.zero_grad();
        pen.backward()
    })))
}

fn to_tensor_err(e: gan::Error) -> Error {
    Error::invalid("penalty", e.to_string())
}
