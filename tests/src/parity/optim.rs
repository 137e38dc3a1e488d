//! Parity runners for the optimisers (adam, sgd): the fixture's parameter is
//! stepped with each of its stacked gradients through `gan::optim`, and the
//! result compared with PyTorch's `param_after`.

use super::{Fixture, RunResult};
use autograd::Var;
use gan::optim::{Adam, AdamHyper, Optimizer, Sgd, SgdHyper};
use std::collections::HashMap;

pub fn run(fx: &Fixture) -> Option<RunResult> {
    let r = match fx.op.as_str() {
        "adam" => steps(fx, |p| {
            Box::new(Adam::new(
                p,
                AdamHyper {
                    lr: fx.param_f64("lr", 1e-3),
                    beta1: fx.param_f64("beta1", 0.9),
                    beta2: fx.param_f64("beta2", 0.999),
                    eps: fx.param_f64("eps", 1e-8),
                    weight_decay: fx.param_f64("weight_decay", 0.0),
                },
            ))
        }),
        "sgd" => steps(fx, |p| {
            Box::new(Sgd::new(
                p,
                SgdHyper {
                    lr: fx.param_f64("lr", 1e-3),
                    momentum: fx.param_f64("momentum", 0.0),
                    weight_decay: fx.param_f64("weight_decay", 0.0),
                    ..SgdHyper::default()
                },
            ))
        }),
        _ => return None,
    };
    Some(r)
}

/// Step a fresh copy of `param` once per slice of `grads`.
fn steps(fx: &Fixture, make: impl FnOnce(Vec<(String, Var)>) -> Box<dyn Optimizer>) -> RunResult {
    let p0 = fx.get("param")?;
    let grads = fx.get("grads")?;
    let err = |e: &dyn std::fmt::Display| format!("{}: {e}", fx.name);
    let p = Var::param(kernels::contiguous(&p0).map_err(|e| err(&e))?);
    let mut opt = make(vec![("param".to_string(), p.clone())]);
    for k in 0..grads.shape()[0] {
        let g = grads.narrow(0, k, 1).map_err(|e| err(&e))?;
        let g = kernels::reshape(&g, p0.shape()).map_err(|e| err(&e))?;
        p.set_grad(Some(g));
        opt.step().map_err(|e| err(&e))?;
    }
    Ok(HashMap::from([(
        "param_after".to_string(),
        p.data().clone(),
    )]))
}
