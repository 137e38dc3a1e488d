//! A recipe's form in `train_state.safetensors` (the run's settings JSON):
//! written by `to_json`, read back by `from_json`, so that `--resume`
//! trains with the recipe the run began with.

use super::{Ema, GanLoss, Recipe, R1};
use serde_json::{json, Value};

impl Recipe {
    /// The recipe as the training state stores it.
    pub fn to_json(&self) -> Value {
        json!({
            "loss": self.loss.name(),
            "gp": self.gp,
            "r1_gamma": self.r1.map(|r| r.gamma),
            "r1_every": self.r1.map(|r| r.every),
            "n_critic": self.n_critic,
            "lr_g": self.lr_g,
            "lr_d": self.lr_d,
            "betas": self.betas.map(|(a, b)| [a, b]),
            "ema_decay": self.ema.map(|e| e.decay),
            "ema_start": self.ema.map(|e| e.start),
            "spectral_norm": self.spectral_norm,
            "classes": self.classes,
        })
    }

    /// The recipe of a training state (`None`: a run from before recipes,
    /// which trained with the tutorials' step).
    pub fn from_json(v: Option<&Value>) -> std::result::Result<Recipe, String> {
        let Some(v) = v else {
            return Ok(Recipe::default());
        };
        let f = |k: &str| v.get(k).and_then(Value::as_f64);
        // An absent field is the default (a writer may leave those out).
        let loss = match v.get("loss") {
            None => GanLoss::default(),
            Some(l) => l
                .as_str()
                .and_then(GanLoss::from_name)
                .ok_or("bad recipe loss")?,
        };
        let r1 = match (f("r1_gamma"), v.get("r1_every").and_then(Value::as_u64)) {
            (Some(gamma), Some(every)) => Some(R1 {
                gamma,
                every: every as u32,
            }),
            _ => None,
        };
        let betas = v
            .get("betas")
            .and_then(Value::as_array)
            .and_then(|a| Some((a.first()?.as_f64()?, a.get(1)?.as_f64()?)));
        Ok(Recipe {
            loss,
            gp: f("gp"),
            r1,
            n_critic: v.get("n_critic").and_then(Value::as_u64).unwrap_or(1) as u32,
            lr_g: f("lr_g"),
            lr_d: f("lr_d"),
            betas,
            ema: f("ema_decay").map(|decay| Ema {
                decay,
                start: v.get("ema_start").and_then(Value::as_u64).unwrap_or(0),
            }),
            spectral_norm: v
                .get("spectral_norm")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            classes: v.get("classes").and_then(Value::as_u64).map(|c| c as u32),
        })
    }
}
