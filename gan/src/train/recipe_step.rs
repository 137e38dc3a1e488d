//! The step of a non-tutorial `Recipe`: a D update with the recipe's loss
//! (and WGAN-GP or a lazy R1 added to it), then, on every `n_critic`-th step,
//! a G update through the updated D on the same fakes.
//!
//! Figures: d_loss is D's loss with its penalties; g_loss is G's loss of the
//! G update, or on a step without one G's loss on that step's fakes through
//! D before its update; D(x) and D(G(z)) are D's mean output on the real and
//! fake batches during the D update: a probability with the BCE loss, the raw
//! score with the others.

use super::penalty::Penalty;
use super::recipe::GanLoss;
use super::step::{Gan, PendingStats, StepStats};
use crate::error::Result;
use crate::models::Loss;
use crate::nn::Fwd;
use autograd::{grad, no_grad, GradOptions, Var};
use rand::rngs::StdRng;
use tensor::Tensor;

impl Gan {
    /// D's output as the recipe's loss takes it: raw scores, or what D
    /// returns for BCE; shaped [B, 1].
    fn scores(&self, x: &Var, f: &mut Fwd) -> Result<Var> {
        let b = x.shape()[0];
        let out = if self.recipe.loss.raw_scores() {
            self.d.forward_raw(x, f)?
        } else {
            self.d.forward(x, f)?
        };
        Ok(if out.shape() == [b, 1] {
            out
        } else {
            out.reshape(&[b, 1])?
        })
    }

    /// D's loss on the scores of a real and a fake batch.
    fn d_loss(&mut self, real: &Var, fake: &Var) -> Result<Var> {
        let b = real.shape()[0];
        Ok(match self.recipe.loss {
            GanLoss::Bce => {
                let (t_real, t_zeros) = {
                    let t = self.targets(b)?;
                    (t.real.clone(), t.zeros.clone())
                };
                self.criterion(real, &t_real)?
                    .add(&self.criterion(fake, &t_zeros)?)?
            }
            GanLoss::Hinge => real
                .neg()?
                .add_scalar(1.0)?
                .relu()?
                .mean_all()?
                .add(&fake.add_scalar(1.0)?.relu()?.mean_all()?)?,
            GanLoss::Wasserstein => fake.mean_all()?.sub(&real.mean_all()?)?,
            GanLoss::Lsgan => {
                let (ones, zeros) = {
                    let t = self.targets(b)?;
                    (t.ones.clone(), t.zeros.clone())
                };
                real.mse(&ones)?.add(&fake.mse(&zeros)?)?
            }
        })
    }

    /// G's loss on the scores of its fakes.
    fn g_loss(&mut self, fake: &Var) -> Result<Var> {
        let b = fake.shape()[0];
        Ok(match self.recipe.loss {
            GanLoss::Bce => {
                let ones = self.targets(b)?.ones.clone();
                self.criterion(fake, &ones)?
            }
            GanLoss::Hinge | GanLoss::Wasserstein => fake.mean_all()?.neg()?,
            GanLoss::Lsgan => {
                let ones = self.targets(b)?.ones.clone();
                fake.mse(&ones)?
            }
        })
    }

    /// One step of the recipe (see the module docs).
    pub(super) fn recipe_step(
        &mut self,
        real: &Tensor,
        z: Tensor,
        gp_eps: Option<Tensor>,
        labels: Option<&[u32]>,
        rng: &mut StdRng,
    ) -> Result<PendingStats> {
        let r = self.recipe;
        // A conditional pair's classes: the real batch's, and the fakes' too.
        let y = self.step_labels(labels, real.shape()[0])?;
        let y = y.as_ref();
        let d_steps = self.opt_d.steps();
        let g_due = (d_steps + 1).is_multiple_of(r.n_critic as u64);
        let r1_due = r.r1.filter(|p| d_steps.is_multiple_of(p.every as u64));
        let z = z.to_device(self.device)?;
        let real = real.clone().to_device(self.device)?;
        // G's graph is needed only when G is updated on this step.
        let fake = if g_due {
            self.g
                .forward(&Var::constant(z), &mut Fwd::new(rng).with_labels(y))?
        } else {
            let g = &self.g;
            no_grad(|| g.forward(&Var::constant(z), &mut Fwd::new(rng).with_labels(y)))?
        };
        let fake = self.d_input(&fake)?;
        let real = self.d_input(&Var::constant(real))?;

        // Discriminator. The real batch is a leaf when R1 needs D's gradient
        // with respect to it.
        let real_in = if r1_due.is_some() {
            Var::param(real.data().clone())
        } else {
            real.clone()
        };
        let s_real = self.scores(&real_in, &mut Fwd::new(rng).with_labels(y))?;
        let fake_d = fake.detach();
        let s_fake = self.scores(&fake_d, &mut Fwd::new(rng).with_labels(y))?;
        let mut d_loss = self.d_loss(&s_real, &s_fake)?;
        if let Some(p) = r1_due {
            let opts = GradOptions::new().create_graph(true);
            let gx = grad(
                &[s_real.sum_all()?],
                std::slice::from_ref(&real_in),
                &[],
                opts,
            )?
            .remove(0)
            .expect("the real batch is in D's graph");
            let r1 = gx.flatten_batch()?.square()?.sum(&[1], false)?.mean_all()?;
            d_loss = d_loss.add(&r1.mul_scalar(p.gamma / 2.0 * p.every as f64)?)?;
        }
        if let Some(lambda) = r.gp {
            let x_hat = match &gp_eps {
                Some(eps) => super::penalty::interpolate_with(real.data(), fake_d.data(), eps)?,
                None => super::penalty::interpolate(real.data(), fake_d.data(), rng)?,
            };
            let critic = |x: &Var| {
                self.scores(x, &mut Fwd::new(rng).with_labels(y))
                    .map_err(|e| tensor::Error::invalid("D", e.to_string()))
            };
            let gp = Penalty::WganGp { lambda }.at(&x_hat, critic)?;
            d_loss = d_loss.add(&gp)?;
        }
        self.opt_d.zero_grad();
        d_loss.backward()?;
        self.opt_d.step()?;

        // Generator: on its steps, through the updated D; otherwise its loss
        // on this step's fakes through D before the update, for the log.
        let g_loss = if g_due {
            let s = self.scores(&fake, &mut Fwd::frozen(rng).with_labels(y))?;
            let g_loss = self.g_loss(&s)?;
            self.opt_g.zero_grad();
            g_loss.backward()?;
            self.opt_g.step()?;
            self.update_average()?;
            g_loss
        } else {
            let s = s_fake.detach();
            no_grad(|| self.g_loss(&s))?
        };
        self.last_d = Some((s_real.data().clone(), s_fake.data().clone()));
        // Probabilities for the BCE loss (the sigmoid of mlp-dropout's logits), raw scores else.
        let sigmoid = r.loss == GanLoss::Bce && self.spec.loss == Loss::BceLogits;
        if self.device.is_cuda() {
            let parts = [
                (d_loss.data(), false),
                (g_loss.data(), false),
                (s_real.data(), sigmoid),
                (s_fake.data(), sigmoid),
            ];
            return Ok(PendingStats::Device(kernels::mean_each(&parts)?));
        }
        let means = kernels::mean_each(&[(s_real.data(), sigmoid), (s_fake.data(), sigmoid)])?
            .to_vec_f32()?;
        Ok(PendingStats::Ready(StepStats {
            d_loss: d_loss.item()? as f32,
            g_loss: g_loss.item()? as f32,
            d_x: means[0],
            d_gz: means[1],
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::ModelKind;
    use crate::train::recipe::Recipe;

    fn scores(v: &[f32]) -> Var {
        Var::constant(Tensor::from_vec(v.to_vec(), &[v.len(), 1]).unwrap())
    }

    /// Each loss as its formula says, on given scores.
    #[test]
    fn the_losses_are_their_formulas() {
        let (real, fake) = (scores(&[2.0, -0.5]), scores(&[0.5, -3.0]));
        let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
        let relu = |x: f64| x.max(0.0);
        let cases: [(GanLoss, f64, f64); 3] = [
            (
                GanLoss::Hinge,
                mean(&[relu(1.0 - 2.0), relu(1.0 + 0.5)])
                    + mean(&[relu(1.0 + 0.5), relu(1.0 - 3.0)]),
                -mean(&[0.5, -3.0]),
            ),
            (
                GanLoss::Wasserstein,
                mean(&[0.5, -3.0]) - mean(&[2.0, -0.5]),
                -mean(&[0.5, -3.0]),
            ),
            (
                GanLoss::Lsgan,
                mean(&[1.0, 2.25]) + mean(&[0.25, 9.0]),
                mean(&[0.25, 16.0]),
            ),
        ];
        for (loss, want_d, want_g) in cases {
            let mut gan = Gan::new(ModelKind::MlpSmall, 0, 0.03).unwrap();
            gan.recipe = Recipe {
                loss,
                ..Recipe::default()
            };
            let d = gan.d_loss(&real, &fake).unwrap().item().unwrap();
            let g = gan.g_loss(&fake).unwrap().item().unwrap();
            assert!((d - want_d).abs() < 1e-6, "{loss:?} D: {d} vs {want_d}");
            assert!((g - want_g).abs() < 1e-6, "{loss:?} G: {g} vs {want_g}");
        }
    }
}
