//! What `gan`'s flags take: clap's `ValueEnum` for the library's types
//! (models, losses, data sets, with their help lines) and the parsers of
//! learning rates, channel counts, byte sizes and devices.

use crate::data::DatasetName;
use crate::models::ModelKind;
use crate::train::recipe::GanLoss;
use clap::builder::PossibleValue;
use clap::ValueEnum;
use tensor::Device;

impl ValueEnum for ModelKind {
    fn value_variants<'a>() -> &'a [Self] {
        &ModelKind::EVERY
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        Some(PossibleValue::new(self.name()).help(self.about()))
    }
}

impl ValueEnum for GanLoss {
    fn value_variants<'a>() -> &'a [Self] {
        &GanLoss::ALL
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        let help = match self {
            GanLoss::Bce => "the tutorials': BCE on D's probability, non-saturating G loss",
            GanLoss::Hinge => "hinge (SAGAN, BigGAN) on D's raw score",
            GanLoss::Wasserstein => "the WGAN critic loss on D's raw score (with --gp: WGAN-GP)",
            GanLoss::Lsgan => "least squares (LSGAN) on D's raw score",
        };
        Some(PossibleValue::new(self.name()).help(help))
    }
}

impl ValueEnum for DatasetName {
    fn value_variants<'a>() -> &'a [Self] {
        &DatasetName::ALL
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        let v = PossibleValue::new(self.name());
        Some(match self {
            DatasetName::Folder => {
                v.help("Every image under --data-dir, as torchvision's ImageFolder")
            }
            _ => v,
        })
    }
}

pub(crate) fn parse_lr(s: &str) -> Result<f64, String> {
    let v: f64 = s.parse().map_err(|_| format!("'{s}' is not a number"))?;
    if v.is_finite() && v > 0.0 && v <= 10.0 {
        Ok(v)
    } else {
        Err(format!("learning rate {s} must be in (0, 10]"))
    }
}

pub(crate) fn parse_channels(s: &str) -> Result<u64, String> {
    match s.trim() {
        "1" => Ok(1),
        "3" => Ok(3),
        _ => Err(format!("'{s}': expected 1 (grey) or 3 (RGB)")),
    }
}

/// A byte count: digits with an optional K, M, G or T (powers of 1024).
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let (digits, shift) = match t.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => {
            let shift = match c.to_ascii_uppercase() {
                'K' => 10,
                'M' => 20,
                'G' => 30,
                'T' => 40,
                _ => return Err(format!("'{s}': the unit must be K, M, G or T")),
            };
            (&t[..i], shift)
        }
        _ => (t, 0),
    };
    let v: u64 = digits
        .parse()
        .map_err(|_| format!("'{s}' is not a size (e.g. 512M, 2G, 0)"))?;
    v.checked_mul(1u64 << shift)
        .ok_or_else(|| format!("'{s}' is too large"))
}

pub(crate) fn parse_device(s: &str) -> Result<Device, String> {
    s.parse()
}
