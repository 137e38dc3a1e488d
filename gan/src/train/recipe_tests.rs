//! `Recipe`'s checks and its round trip through the training state.

use super::*;

#[test]
fn recipes_round_trip_and_check() {
    let r = Recipe {
        loss: GanLoss::Hinge,
        gp: None,
        r1: Some(R1 {
            gamma: 10.0,
            every: 16,
        }),
        n_critic: 2,
        lr_g: Some(1e-4),
        lr_d: Some(4e-4),
        betas: Some((0.0, 0.99)),
        ema: Some(Ema {
            decay: 0.999,
            start: 100,
        }),
        spectral_norm: true,
        classes: Some(10),
    };
    assert_eq!(Recipe::from_json(Some(&r.to_json())).unwrap(), r);
    assert_eq!(Recipe::from_json(None).unwrap(), Recipe::default());
    assert!(Recipe::default().is_tutorial() && Recipe::default().describe().is_none());
    r.check(ModelKind::Dcgan28).unwrap();
    let e = r.check(ModelKind::MlpSmall).unwrap_err().to_string();
    assert!(e.contains("SGD"), "{e}");
    for bad in [
        Recipe {
            n_critic: 0,
            ..Recipe::default()
        },
        Recipe {
            gp: Some(-1.0),
            ..Recipe::default()
        },
        Recipe {
            gp: Some(f64::NAN),
            ..Recipe::default()
        },
        Recipe {
            r1: Some(R1 {
                gamma: 1.0,
                every: 0,
            }),
            ..Recipe::default()
        },
        Recipe {
            lr_d: Some(0.0),
            ..Recipe::default()
        },
        Recipe {
            betas: Some((1.5, 0.9)),
            ..Recipe::default()
        },
        Recipe {
            ema: Some(Ema {
                decay: 1.5,
                start: 0,
            }),
            ..Recipe::default()
        },
        Recipe {
            ema: Some(Ema {
                decay: 1.0,
                start: 0,
            }),
            ..Recipe::default()
        },
    ] {
        assert!(bad.check(ModelKind::Mlp).is_err(), "{bad:?}");
    }
}

/// Every model's recommended recipe is valid for it (mlp-small's has no
/// betas: it trains with SGD) and survives the training state.
#[test]
fn every_best_recipe_fits_its_model() {
    for m in ModelKind::EVERY {
        let r = Recipe::best(m);
        r.check(m).unwrap_or_else(|e| panic!("{m}: {e}"));
        assert_eq!(Recipe::from_json(Some(&r.to_json())).unwrap(), r, "{m}");
    }
    assert!(Recipe::best(ModelKind::Dcgan64).is_tutorial());
    assert!(!Recipe::best(ModelKind::Mlp).is_tutorial());
}

/// `Settings::best` is the tutorial settings with the best recipe, and
/// dcgan28's smaller batches; every other model keeps its batch size.
#[test]
fn best_settings_change_only_the_recipe_and_dcgan28s_batch() {
    use crate::train::Settings;
    for m in ModelKind::EVERY {
        let (best, tutorial) = (Settings::best(m), Settings::for_model(m));
        assert_eq!(best.recipe, Recipe::best(m), "{m}");
        let batch = if m == ModelKind::Dcgan28 {
            32
        } else {
            tutorial.batch
        };
        assert_eq!(best.batch, batch, "{m}");
        assert_eq!(
            Settings {
                recipe: Recipe::default(),
                batch: tutorial.batch,
                ..best
            },
            tutorial,
            "{m}"
        );
    }
}
